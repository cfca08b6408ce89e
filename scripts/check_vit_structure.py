"""Check our AutoFormer subnets against the shared tables: parameters vs ``params_m``, FLOPs vs ``flops_m``.

Usage:
    PYTHONPATH=$PWD python scripts/check_vit_structure.py [--data-root DIR] [--limit N] [--spaces autoformer_tiny,...]

For each of the 3 x 1,001 subnets of ``vit/autoformer_{tiny,small,base}.csv`` it builds our network on the ``meta``
device (no memory, no initialisation) and compares

* the plain parameter count (every parameter once) with ``params_m`` (exact to the table's 6 decimals, i.e. 1 param);
* the FLOPs in AutoFormer's convention (:meth:`AutoFormerViT.autoformer_flops`, ``get_complexity(196)`` of
  AutoFormer's supernet code) with ``flops_m`` (to 1e-6 M, the table's precision);
* for reference, the suite's leaf-module parameter count (``naslib_swap.modelstats``, the ``params`` proxy), which
  needs a real forward pass and so is checked on ``--suite-sample`` subnets per table (default 3).

Exit status 0 when every subnet matches both columns.
"""
from __future__ import annotations

import argparse
import sys
import time

import torch

from naslib_swap import get_space
from naslib_swap.modelstats import model_stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--limit", type=int, default=None, help="only the first N subnets of each table")
    ap.add_argument("--spaces", default="autoformer_tiny,autoformer_small,autoformer_base")
    ap.add_argument("--suite-sample", type=int, default=3, help="subnets per table checked with the suite's counter")
    args = ap.parse_args(argv)
    all_ok = True
    for name in args.spaces.split(","):
        space = get_space(name)
        archs = space.table_archs(args.data_root)[: args.limit]
        params = space.table_column("params_m", args.data_root)
        flops = space.table_column("flops_m", args.data_root)
        t0 = time.perf_counter()
        ok_p = ok_f = 0
        worst_p = worst_f = 0.0
        for a in archs:
            with torch.device("meta"):
                net = space.build(a, "imagenet", device="meta")
            p = sum(t.numel() for t in net.parameters()) / 1e6
            f = net.autoformer_flops() / 1e6
            k = space.key(a)
            dp, df = abs(p - params[k]), abs(f - flops[k])
            worst_p, worst_f = max(worst_p, dp), max(worst_f, df)
            ok_p += dp < 5e-7
            ok_f += df < 5e-7
        suite_ok = 0
        for a in archs[: args.suite_sample]:
            net = space.build(a, "imagenet", generator=torch.Generator().manual_seed(0))
            suite_ok += abs(model_stats(net, (1, 3, 224, 224)).params_m - params[space.key(a)]) < 5e-7
        n = len(archs)
        print(f"{name}: params {ok_p}/{n} ({100 * ok_p / n:.1f}%, max |diff| {worst_p:.6f} M), "
              f"flops {ok_f}/{n} ({100 * ok_f / n:.1f}%, max |diff| {worst_f:.6f} M), "
              f"suite leaf-module params {suite_ok}/{min(n, args.suite_sample)}; {time.perf_counter() - t0:.1f} s")
        all_ok &= ok_p == n and ok_f == n and suite_ok == min(n, args.suite_sample)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
