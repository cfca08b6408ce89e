"""Check our networks' params/flops against NAS-Bench-Suite-Zero's own figures in the preview ``zc_*.json`` files.

For every arch of ``suite_zero_preview/zc_<space>.json`` (per task for TransNAS-Bench-101) the network is built, its
parameters (millions) and FLOPs (mega) counted in the suite's convention (:mod:`naslib_swap.modelstats`), and compared
with the file's ``params`` / ``flops``. Prints the match rate per space and task and the first mismatches.

Usage:
    python scripts/check_suite_structure.py                       # everything (slow on CPU: TransNAS nets are big)
    python scripts/check_suite_structure.py --space nasbench301 --limit 50
    python scripts/check_suite_structure.py --space transbench101_micro --task jigsaw --limit 20 --seed 1
"""
from __future__ import annotations

import argparse
import random
import sys
import time

import torch
from tqdm import tqdm

from naslib_swap.data.groundtruth import preview_zc
from naslib_swap.modelstats import model_stats
from naslib_swap.registry import get_space
from naslib_swap.rng import make_generator

SPACES = ("nasbench301", "transbench101_micro", "transbench101_macro", "nasbench101")


def _figure(v: object) -> float:
    return float(v["score"] if isinstance(v, dict) else v)  # NB101's older flat schema holds bare numbers


def check(space_name: str, task: str, limit: int | None, seed: int, show: int, data_root: str | None,
          real: bool = False) -> tuple[int, int]:
    space = get_space(space_name)
    entries = preview_zc(space_name, data_root)[task if space_name != "nasbench101" else "nasbench101"]
    if space_name == "nasbench101":
        entries = entries["cifar10"]
    keys = list(entries)
    if limit is not None and limit < len(keys):
        keys = random.Random(seed).sample(keys, limit)
    ok = shown = 0
    t0 = time.time()
    for k in tqdm(keys, desc=f"{space_name}/{task}", unit="arch", leave=False):
        e = entries[k]
        if real:
            net = space.build(k, task, generator=make_generator(0))
        else:  # shapes are all the counts need: build on the meta device (no memory, no arithmetic)
            with torch.device("meta"):
                net = space._build(space.parse(k), task)
        s = model_stats(net, space.stats_input_shape(task))
        want_p, want_f = round(_figure(e["params"]), 6), round(_figure(e["flops"]), 6)
        got_p, got_f = round(s.params_m, 6), round(s.flops_m, 6)
        if got_p == want_p and got_f == want_f:
            ok += 1
        elif shown < show:
            shown += 1
            print(f"  MISMATCH {space_name}/{task} {k}: params {got_p} vs {want_p}, flops {got_f} vs {want_f}")
    dt = time.time() - t0
    print(f"{space_name:20s} {task:16s} {ok}/{len(keys)} match ({100.0 * ok / max(len(keys), 1):.1f}%)"
          f"{' [subset of ' + str(len(entries)) + ']' if len(keys) < len(entries) else ''}  "
          f"{dt / max(len(keys), 1):.2f} s/arch",
          flush=True)
    return ok, len(keys)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--space", choices=SPACES, action="append", help="space(s) to check (default: all)")
    ap.add_argument("--task", action="append", help="task(s) / dataset(s) (default: all in the file)")
    ap.add_argument("--limit", type=int, default=None, help="check a random subset of this many archs per task")
    ap.add_argument("--seed", type=int, default=0, help="seed of the subset")
    ap.add_argument("--show", type=int, default=5, help="mismatches printed per task")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--real", action="store_true", help="build real (initialised) networks instead of meta-device ones")
    args = ap.parse_args(argv)
    total_ok = total = 0
    for sp in args.space or SPACES:
        data = preview_zc(sp, args.data_root)
        tasks = ["cifar10"] if sp == "nasbench101" else list(data)
        for task in tasks:
            if args.task and task not in args.task:
                continue
            ok, n = check(sp, task, args.limit, args.seed, args.show, args.data_root, args.real)
            total_ok, total = total_ok + ok, total + n
    print(f"TOTAL {total_ok}/{total} match ({100.0 * total_ok / max(total, 1):.1f}%)")
    return 0 if total_ok == total else 1


if __name__ == "__main__":
    sys.exit(main())
