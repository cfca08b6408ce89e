"""Cost of SWAP and reg-SWAP against a bare forward pass on NB201 networks.

Usage:
    python scripts/bench_swap.py [--archs 50] [--batch-size 64] [--dataset cifar10] [--seed 0] [--repeats 3]

For each of ``--archs`` random NB201 archs (seeded), on the same real-image batch: the time of a bare forward pass
(train-mode BN, no grad, as SWAP runs), of SWAP (forward + hooks + bit-packed count) and of reg-SWAP (SWAP +
parameter count; a fresh context, so the count is not reused), measured back to back per arch, best of
``--repeats``; then the peak memory of each phase (CPU: the process's peak RSS after the forward phase and after the
SWAP phase, which run one after the other; CUDA: torch.cuda.max_memory_allocated per phase). Prints a summary.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch

from naslib_swap import get_space
from naslib_swap.proxies.base import ProxyContext, compute_proxy
from naslib_swap.rng import make_generator


def _timed(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="take the best of this many timings per arch")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)

    space = get_space("nasbench201")
    g = make_generator(args.seed)
    batch = space.make_batch(args.dataset, args.batch_size, g, device=args.device)
    archs = [space.sample(g) for _ in range(args.archs)]
    cuda = torch.device(args.device).type == "cuda"
    nets = [space.build(arch, args.dataset, generator=g, device=args.device).train() for arch in archs]

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    def peak() -> float:
        """MiB: CUDA peak allocation, or the process's peak RSS on CPU (monotonic: phases run in order)."""
        if cuda:
            v = torch.cuda.max_memory_allocated() / 2**20
            torch.cuda.reset_peak_memory_stats()
            return v
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def bare(net: torch.nn.Module) -> None:
        with torch.no_grad():
            net(batch.inputs)
        sync()

    def proxy(name: str, net: torch.nn.Module) -> None:
        ctx = ProxyContext.for_space(space, args.dataset, generator=torch.Generator().manual_seed(0),
                                     device=args.device)
        compute_proxy(name, net, batch, ctx, copy_net=False)
        sync()

    bare(nets[0])  # warm-up
    # timings interleaved per arch (forward, swap, reg_swap back to back, best of --repeats), so that a change in
    # machine load affects all three alike
    fwd, swp, reg = [], [], []
    for n in nets:
        fwd.append(_timed(lambda: bare(n), args.repeats))
        swp.append(_timed(lambda: proxy("swap", n), args.repeats))
        reg.append(_timed(lambda: proxy("reg_swap", n), args.repeats))
    # memory in phases: peak RSS is monotonic, so the forward phase must come first
    peak()
    for n in nets:
        bare(n)
    peak_fwd = peak()
    for n in nets:
        proxy("swap", n)
    peak_swap = peak()
    ratio = [a / b for a, b in zip(swp, fwd)]

    def s(v: list[float]) -> str:
        return f"mean {statistics.mean(v):.3f} s, median {statistics.median(v):.3f} s"

    print(f"NB201 {args.dataset}, {args.archs} archs, batch {args.batch_size}, device {args.device}, "
          f"torch threads {torch.get_num_threads()}; source: {batch.source}")
    print(f"bare forward : {s(fwd)}")
    print(f"swap         : {s(swp)}")
    print(f"reg_swap     : {s(reg)}")
    print(f"swap / forward ratio: mean {statistics.mean(ratio):.2f}x, median {statistics.median(ratio):.2f}x, "
          f"total {sum(swp) / sum(fwd):.2f}x")
    what = "peak CUDA allocation" if cuda else "peak process RSS"
    print(f"{what}: after the forward phase {peak_fwd:.0f} MiB, after the SWAP phase {peak_swap:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
