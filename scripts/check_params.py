"""Check that our NB201 networks have the suite's ``params`` and ``flops`` for every arch of the suite files.

Usage:
    python scripts/check_params.py [--data-root DIR] [--exhaustive] [--limit N]

For ``nb201/suite_zero_cifar10.csv`` (10 classes) and ``nb201/suite_zero_ImageNet16-120.csv`` (120 classes, 16x16
inputs), compare each arch's ``params`` (M) and ``flops`` (MFLOPs) with ours (naslib_swap.modelstats: the suite's
counting rules) and print the match rates.

By default one network is built per *op-count signature* (numbers of conv3x3, conv1x1 and avg-pool edges): every NB201
edge maps C channels to C channels at the same resolution, so the multiset of ops fully determines both counts, and
every arch is compared against the figure of its signature's network. ``--exhaustive`` builds all 18,890 networks
instead (slow on 2 CPU cores: about 0.1-0.2 s each).
"""
from __future__ import annotations

import argparse
import sys
import time

import torch
from tqdm import tqdm

from naslib_swap import get_space
from naslib_swap.data.groundtruth import nb201_suite_table
from naslib_swap.modelstats import model_stats


def signature(arch: tuple[int, ...]) -> tuple[int, int, int]:
    return (arch.count(2), arch.count(3), arch.count(4))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--exhaustive", action="store_true", help="build every arch's network, not one per signature")
    ap.add_argument("--limit", type=int, default=None, help="only the first N archs of each file")
    args = ap.parse_args(argv)
    space = get_space("nasbench201")
    ok_all = True
    for dataset in ("cifar10", "ImageNet16-120"):
        df = nb201_suite_table(dataset, args.data_root)
        if args.limit:
            df = df.head(args.limit)
        t0 = time.perf_counter()
        cache: dict[object, tuple[float, float]] = {}
        p_ok = f_ok = 0
        bad = []
        for key, p_ref, f_ref in tqdm(list(zip(df["arch"], df["params"], df["flops"])), desc=dataset, unit="arch"):
            arch = space.parse(key)
            k = arch if args.exhaustive else signature(arch)
            if k not in cache:
                with torch.no_grad():
                    net = space.build(arch, dataset, generator=torch.Generator().manual_seed(0))
                    s = model_stats(net, space.stats_input_shape(dataset), copy_net=False)
                cache[k] = (s.params_m, s.flops_m)
            p, f = cache[k]
            p_match, f_match = abs(p - p_ref) < 5e-7, abs(f - f_ref) < 5e-7
            p_ok += p_match
            f_ok += f_match
            if not (p_match and f_match) and len(bad) < 5:
                bad.append((key, p, p_ref, f, f_ref))
        n = len(df)
        mode = "exhaustive" if args.exhaustive else f"{len(cache)} signature networks"
        print(f"{dataset}: params match {p_ok}/{n} ({100 * p_ok / n:.2f}%), flops match {f_ok}/{n} "
              f"({100 * f_ok / n:.2f}%) [{mode}, {time.perf_counter() - t0:.1f} s]")
        for b in bad:
            print(f"  mismatch {b[0]}: params {b[1]:.6f} vs {b[2]:.6f}, flops {b[3]:.6f} vs {b[4]:.6f}")
        ok_all &= p_ok == n and f_ok == n
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
