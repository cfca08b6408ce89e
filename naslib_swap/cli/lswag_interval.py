"""``naslib-swap lswag-interval``: measure L-SWAG's layer interval of a benchmark over random nets and store it.

Writes the interval to the interval file (``--intervals``, else ``$NASLIB_SWAP_LSWAG_INTERVALS``, else
``~/.cache/naslib_swap/lswag_intervals.json``), the per-bin curve to ``--out`` (PNG) and the per-arch profiles to
``--profiles`` (JSON lines, resumable; default: beside the PNG). The ``lswag`` proxies then read the interval.

Example::

    naslib-swap lswag-interval --space nasbench201 --dataset cifar10 --archs 1000 --out nb201_c10.png
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import NaslibSwapError
from ..proxies.lswag_interval import write_interval
from ..registry import get_space
from ..scoring import resolve_device
from ..suite.layer_interval import compute_profiles, interval_record, plot_curve
from ._common import print_json

FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lswag-interval", help="measure and store L-SWAG's layer interval of a benchmark (+ PNG curve)")
    p.add_argument("--space", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--archs", type=int, default=1000, help="random nets (default 1000, the paper's)")
    p.add_argument("--batch-size", type=int, default=64, help="64 (the paper; 32 on TransNAS-Bench-101)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pool", choices=("space", "groundtruth"), default="space",
                   help="draw the nets uniformly from the space (default, the paper's) or, without replacement, from "
                        "the archs with ground truth (then scripts/lswag_spearman.py can rank the same profiles)")
    p.add_argument("--out", required=True, help="PNG of the per-bin curve")
    p.add_argument("--profiles", default=None,
                   help="JSON-lines file of per-arch profiles (default: <out>.profiles.jsonl)")
    p.add_argument("--intervals", default=None,
                   help="interval file (default: $NASLIB_SWAP_LSWAG_INTERVALS or the user cache)")
    p.add_argument("--data-root", default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.archs < 1:
        raise NaslibSwapError(f"--archs must be at least 1, got {args.archs}")
    get_space(args.space).check_dataset(args.dataset)
    if args.batch_size < 1:
        raise NaslibSwapError(f"--batch-size must be at least 1, got {args.batch_size}")
    out = Path(args.out)
    if out.suffix.lower() not in FIGURE_SUFFIXES:  # checked before hours of profiles, not when plotting them
        raise NaslibSwapError(f"--out names the curve's figure; give a {', '.join(FIGURE_SUFFIXES)} file, "
                              f"got {args.out!r}")
    if not out.parent.is_dir():
        raise NaslibSwapError(f"the folder of --out {args.out!r} does not exist; create it or choose another path")
    resolve_device(args.device)
    profiles_path = Path(args.profiles) if args.profiles else out.with_suffix(".profiles.jsonl")
    profiles = compute_profiles(args.space, args.dataset, args.archs, seed=args.seed, batch_size=args.batch_size,
                                out=profiles_path, data_root=args.data_root, device=args.device,
                                progress=not args.no_progress, pool=args.pool)
    rec = interval_record(args.space, args.dataset, profiles, args.seed, args.batch_size)
    rec["pool"] = args.pool
    stored = write_interval(args.space, args.dataset, rec, args.intervals)
    png = plot_curve(rec, out)
    res = {"space": args.space, "dataset": args.dataset, "interval": [rec["lo"], rec["hi"]], "n_archs": rec["n_archs"],
           "mean_per_bin": rec["mean"], "std_per_bin": rec["std"], "layers_per_bin": rec["count"],
           "interval_file": str(stored), "png": str(png), "profiles": str(profiles_path)}
    if args.format == "json":
        print_json(res)
    else:
        print(f"{args.space}/{args.dataset}: L-SWAG interval = bins {rec['lo']}..{rec['hi']} "
              f"over {rec['n_archs']} random nets")
        print("bin   " + " ".join(f"{b:>7d}" for b in range(len(rec["mean"]))))
        print("mean  " + " ".join(f"{m:7.2f}" for m in rec["mean"]))
        print("std   " + " ".join(f"{s:7.2f}" for s in rec["std"]))
        print(f"stored in {stored}; curve {png}; profiles {profiles_path}")
    return 0
