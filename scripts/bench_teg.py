"""Seconds per architecture of the TEG indicators on NB201 nets, and kappa via torch.func vs a per-sample loop.

For ``--n`` random NB201 architectures (seeded) the script times ``teg_ntk``, ``teg_lr`` and ``teg_mse`` as the
scorer runs them (``ArchScorer``: the benchmark net is built, kappa/MSE on the ``--C``/``--N`` net, R on the thin
net), then, on the same ``--C``/``--N`` nets and batch, the per-sample gradient matrix J of the NTK two ways:
``torch.func.jacrev`` (this package) and a loop of B backward passes (the authors' code), checking they agree.

    OMP_NUM_THREADS=1 nice -n 10 python scripts/bench_teg.py --n 3 --C 3 --N 1 --batch-size 64
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from naslib_swap.proxies.hooks import reinitialise
from naslib_swap.proxies.teg import condition_number, per_sample_grads, per_sample_grads_loop
from naslib_swap.registry import get_space
from naslib_swap.rng import make_generator
from naslib_swap.scoring import ArchScorer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--C", type=int, default=3)
    ap.add_argument("--N", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--reinits", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    space = get_space("nasbench201")
    g = make_generator(args.seed)
    archs = [space.sample(g) for _ in range(args.n)]
    labels = [f"teg_ntk[width={args.C},cells={args.N},reinits={args.reinits}]", f"teg_lr[reinits={args.reinits}]",
              f"teg_mse[width={args.C},cells={args.N},reinits={args.reinits},train_size={args.batch_size},"
              f"test_size={args.batch_size}]"]
    scorer = ArchScorer(space, args.dataset, labels, seed=args.seed, batch_size=args.batch_size)
    scorer.score_arch(archs[0])  # warm-up (data loading, first torch.func call)
    times: dict[str, list[float]] = {lb.split("[")[0]: [] for lb in labels}
    for a in archs:
        for r in scorer.score_arch(a):
            times[r.proxy.split("[")[0]].append(r.time_s)
    print(f"NB201 {args.dataset}, {args.n} archs, kappa/MSE net C={args.C} N={args.N}, batch {args.batch_size}, "
          f"reinits {args.reinits}, threads {torch.get_num_threads()}")
    for name, ts in times.items():
        print(f"  {name:8s} {np.mean(ts):8.3f} s/arch")
    x = space.make_batch(args.dataset, args.batch_size, make_generator(args.seed)).inputs
    t_func, t_loop = [], []
    for a in archs:
        net = space.build(a, args.dataset, generator=make_generator(1), C=args.C, N=args.N).train()
        reinitialise(net, make_generator(2), "kaiming")
        t0 = time.perf_counter()
        jf = per_sample_grads(net, x)
        kf = condition_number(jf)
        t_func.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        jl = per_sample_grads_loop(net, x)
        kl = condition_number(jl)
        t_loop.append(time.perf_counter() - t0)
        err = float((jf - jl).abs().max() / jl.abs().max())
        print(f"  {space.key(a)}: kappa func {kf:.6g} loop {kl:.6g}; max rel diff of J {err:.1e}; "
              f"func {t_func[-1]:.2f} s, loop {t_loop[-1]:.2f} s")
    print(f"  kappa (J and eigvalsh): torch.func {np.mean(t_func):.3f} s/arch, per-sample loop {np.mean(t_loop):.3f} "
          f"s/arch, speed-up {np.mean(t_loop) / np.mean(t_func):.2f}x")


if __name__ == "__main__":
    main()
