"""Cost of L-SWAG against SWAP on the same NB201 nets, and of torch.func per-sample gradients against a loop.

Usage:
    python scripts/bench_lswag.py [--archs 5] [--batch-size 64] [--dataset cifar10] [--seed 0] [--loop-archs 2]

For each of ``--archs`` random NB201 archs (seeded) on one real-image batch: seconds of ``swap``, ``lswag`` (every
layer, the costliest interval) and ``lswag_layerwise``, through ``compute_proxy`` as a caller runs them. Then, on
``--loop-archs`` of them, the per-sample gradients of every conv/linear weight by ``torch.func`` (vmap + grad, what
``lswag`` uses) against a Python loop of one backward per sample, with the largest difference of the per-layer
log terms. Prints a summary (median seconds per arch): wall seconds and process CPU seconds (``time.process_time``,
all threads), the latter being the fairer figure on a shared, oversubscribed machine.
"""
from __future__ import annotations

import argparse
import copy
import math
import statistics
import time

import torch
import torch.nn as nn

from naslib_swap import get_space
from naslib_swap.proxies.base import ProxyContext, compute_proxy
from naslib_swap.proxies.lswag import layer_terms, per_sample_grads, trace_forward
from naslib_swap.rng import make_generator


def loop_grads(net: nn.Module, batch, names: list[str]) -> dict[str, torch.Tensor]:
    """One forward/backward per sample (each sample alone, the definition lswag vectorises)."""
    params = dict(net.named_parameters())
    out: dict[str, list[torch.Tensor]] = {n: [] for n in names}
    for i in range(len(batch)):
        loss = batch.loss_fn(net(batch.inputs[i:i + 1]), batch.targets[i:i + 1])
        gs = torch.autograd.grad(loss, [params[n] for n in names])
        for n, g in zip(names, gs):
            out[n].append(g.detach())
    return {n: torch.stack(v) for n, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", type=int, default=5)
    ap.add_argument("--loop-archs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    sp = get_space("nasbench201")
    g = make_generator(args.seed)
    batch = sp.make_batch(args.dataset, args.batch_size, make_generator(args.seed + 1))
    print(f"NB201/{args.dataset}, batch {args.batch_size} ({batch.source}), torch threads {torch.get_num_threads()}")
    times: dict[str, list[float]] = {"swap": [], "lswag": [], "lswag_layerwise": []}
    cpu: dict[str, list[float]] = {n: [] for n in times}
    nets = []
    for k in range(args.archs):
        arch = sp.sample(g)
        net = sp.build(arch, args.dataset, generator=make_generator(args.seed + 100 + k))
        nets.append(net)
        row = []
        for name in times:
            opts = {} if name == "swap" else {"interval": "all"}
            t0, c0 = time.perf_counter(), time.process_time()
            v = compute_proxy(name, net, batch, ProxyContext(), **opts)
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            times[name].append(dt)
            cpu[name].append(dc)
            row.append(f"{name} {dt:6.2f}s wall {dc:6.2f}s cpu ({v:.4g})")
        print(f"{sp.key(arch)}: " + "  ".join(row))
    print("median wall s/arch: " + ", ".join(f"{n} {statistics.median(v):.2f}" for n, v in times.items()))
    print("median CPU s/arch:  " + ", ".join(f"{n} {statistics.median(v):.2f}" for n, v in cpu.items()))
    print(f"lswag / swap: {statistics.median(times['lswag']) / statistics.median(times['swap']):.1f}x wall, "
          f"{statistics.median(cpu['lswag']) / statistics.median(cpu['swap']):.1f}x CPU")

    vm_t, lp_t = [], []
    for net in nets[: args.loop_archs]:
        net.train(True)
        tr = trace_forward(net, batch.inputs)
        pn = {id(p): n for n, p in net.named_parameters()}
        names = [pn[id(m.weight)] for _, m in tr.layers]
        c0 = time.process_time()
        fast = per_sample_grads(net, batch, names)
        vm_t.append(time.process_time() - c0)
        ref_net = copy.deepcopy(net)
        c0 = time.process_time()
        slow = loop_grads(ref_net, batch, names)
        lp_t.append(time.process_time() - c0)
        diff = max(abs(layer_terms(fast[n]) - layer_terms(slow[n])) for n in names
                   if math.isfinite(layer_terms(fast[n])))
        print(f"per-sample grads of {len(names)} layers: torch.func {vm_t[-1]:.2f} CPU s, loop {lp_t[-1]:.2f} CPU s, "
              f"max |dLambda_l| {diff:.2e}")
    if vm_t:
        print(f"median per-sample gradients (CPU s): torch.func {statistics.median(vm_t):.2f}, "
              f"loop {statistics.median(lp_t):.2f} "
              f"({statistics.median(lp_t) / statistics.median(vm_t):.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
