"""Run zc-pt / swap-nas searches over seeds and append one JSON line per finished search (nothing finished is lost).

Each line: method, tag, seed, options, arch, NB201 test accuracy on cifar10/cifar100/ImageNet16-120 of the arch
(200-epoch test accuracy, ``space.ground_truth(d, metric="test")``), params (M, the suite's count of the benchmark
net), search_time_s, n_scored and the method's extra.

Example:
    nice -n 10 python scripts/run_searches.py --method zc-pt --seeds 0-3 --tag random-reduced \
        --option width=8 --option cells=1 --option batch_size=32 --option validate=10 --out docs/results/searches.jsonl
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from naslib_swap.grammar import parse_assignments
from naslib_swap.modelstats import model_stats
from naslib_swap.registry import get_search, get_space
from naslib_swap.rng import make_generator

DATASETS = ("cifar10", "cifar100", "ImageNet16-120")


def seeds_of(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--method", required=True)
    p.add_argument("--space", default="nasbench201")
    p.add_argument("--dataset", default="cifar10")
    p.add_argument("--seeds", default="0-3")
    p.add_argument("--option", action="append", default=[])
    p.add_argument("--tag", required=True)
    p.add_argument("--out", default="docs/results/searches.jsonl")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--progress", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    space = get_space(args.space)
    options = parse_assignments(args.option)
    gts = {}
    for d in DATASETS:
        try:
            gts[d] = space.ground_truth(d, metric="test")
        except (ValueError, KeyError, NotImplementedError):  # e.g. NB301: no test accuracy, other datasets
            gts[d] = {}
    out = Path(args.out)
    done = set()
    if out.exists():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            done.add((r["tag"], r["seed"]))
    for seed in seeds_of(args.seeds):
        if (args.tag, seed) in done:
            print(f"skip {args.tag} seed {seed}: already in {out}", flush=True)
            continue
        t = time.perf_counter()
        res = get_search(args.method)(space, args.dataset, seed=seed, progress=args.progress, **options)
        key = space.key(res.arch)
        net = space.build(res.arch, args.dataset, generator=make_generator(0))
        row = {"method": args.method, "tag": args.tag, "seed": seed, "options": options, "arch": key,
               "arch_str": space.to_string(res.arch),
               **{f"test_{d}": gts[d].get(key) for d in DATASETS},
               "params_m": model_stats(net, space.stats_input_shape(args.dataset)).params_m,
               "search_time_s": res.search_time_s, "wall_s": time.perf_counter() - t, "n_scored": res.n_scored,
               "extra": res.extra}
        with out.open("a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps({k: row[k] for k in ("tag", "seed", "arch", "test_cifar10", "params_m", "search_time_s")}),
              flush=True)


if __name__ == "__main__":
    main()
