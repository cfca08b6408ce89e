r"""Spearman of swap / reg_swap (and the suite's baselines) with ground truth on a space/task, resumable.

Scores ``--archs`` architectures (the preview file's archs for NB101/NB301; for TransNAS-Bench-101 the preview
file's archs of that task, whose ground truth comes from ``tnb101/*_accuracy.csv``) with ``naslib_swap.score``,
appending each arch's scores to a JSON-lines file (re-running resumes), then prints Spearman (scipy) of every proxy
and of the suite's baselines stored in the preview file for the same archs.

Usage:
    nice -n 10 python scripts/spaces_spearman.py --space nasbench301 --dataset cifar10 --archs 100 \
        --out /tmp/nb301.jsonl

``--db FILE`` also copies every scored arch into the package's results store (seed = the scoring seed), so that
``naslib-swap libra --db FILE`` can pool these proxies with the suite's baselines.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time

import torch
from scipy.stats import spearmanr
from tqdm import tqdm

from naslib_swap.data.groundtruth import preview_zc
from naslib_swap.grammar import split_list
from naslib_swap.registry import get_space
from naslib_swap.scoring import score


def preview_entries(space: str, dataset: str) -> dict:
    d = preview_zc(space)
    return d["nasbench101"][dataset] if space == "nasbench101" else d[dataset]


def _val(v: object) -> float:
    return float(v["score"] if isinstance(v, dict) else v)  # NB101's flat schema


def _to_store(db: str, space: str, dataset: str, seed: int, done: dict[str, dict[str, float]],
              times: dict[str, float]) -> None:
    from naslib_swap import __version__
    from naslib_swap.suite.store import Store

    with Store(db) as st:  # INSERT OR REPLACE: copying the same records again changes nothing
        for arch, scores in done.items():
            n = max(len(scores), 1)  # the file keeps one time per arch: split it evenly over its proxies
            st.write_arch(space, dataset, seed, arch,
                          [(p, v, times.get(arch, float("nan")) / n) for p, v in scores.items()],
                          version=__version__, config_hash="spaces_spearman", source="scripts/spaces_spearman.py")
    print(f"{len(done)} archs written to {db}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--space", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--archs", type=int, default=None, help="random subset of the preview archs (default: all)")
    ap.add_argument("--subset-seed", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0, help="scoring seed (per-arch weights and batch)")
    ap.add_argument("--proxies", default="swap,reg_swap")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--out", required=True, help="JSON-lines results file (resumed)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: on a shared, loaded CPU more threads spin and run far slower)")
    ap.add_argument("--max-minutes", type=float, default=14.0, help="stop scoring after this wall time")
    ap.add_argument("--db", default=None, help="also write the scores into this results store (for naslib-swap libra)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    space = get_space(args.space)
    entries = preview_entries(args.space, args.dataset)
    keys = list(entries)
    if args.archs is not None and args.archs < len(keys):
        keys = random.Random(args.subset_seed).sample(keys, args.archs)
    done: dict[str, dict[str, float]] = {}
    times: dict[str, float] = {}
    if os.path.exists(args.out):
        with open(args.out) as f:
            for line in f:
                r = json.loads(line)
                done[r["arch"]] = r["scores"]
                times[r["arch"]] = r.get("s", float("nan"))
    t0 = time.time()
    todo = [k for k in keys if space.key(k) not in done]
    with open(args.out, "a") as f:
        for k in tqdm(todo, desc=f"{args.space}/{args.dataset}", unit="arch"):
            if time.time() - t0 > args.max_minutes * 60:
                print(f"stopping after {args.max_minutes} min (re-run to resume)", file=sys.stderr)
                break
            t1 = time.time()
            res = score(space, args.dataset, [k], args.proxies, seed=args.seed, batch_size=args.batch_size)
            rec = {"arch": space.key(k), "scores": {r.proxy: r.score for r in res}, "s": time.time() - t1}
            f.write(json.dumps(rec) + "\n")
            f.flush()
            done[rec["arch"]] = rec["scores"]
            times[rec["arch"]] = rec["s"]
    if args.db:
        _to_store(args.db, args.space, args.dataset, args.seed, done, times)
    truth = space.ground_truth(args.dataset)
    scored = [k for k in keys if space.key(k) in done]
    print(f"{args.space}/{args.dataset}: {len(scored)} of {len(keys)} selected archs scored "
          f"(preview holds {len(entries)}); "
          f"ground truth from {'tnb101 csv' if 'trans' in args.space else 'preview file'}")
    y = [truth[space.key(k)] for k in scored]
    proxies = split_list(args.proxies)
    rows = []
    for p in proxies:
        x = [done[space.key(k)][p] for k in scored]
        x = [v if math.isfinite(v) else -1e8 for v in x]
        rows.append((p, spearmanr(x, y).statistic))
    base = sorted({n for k in scored for n, v in entries[k].items() if n not in ("idx", "arch", "val_accuracy")})
    for b in base:
        x = [_val(entries[k][b]) for k in scored if b in entries[k]]
        if len(x) == len(scored):
            rows.append((f"{b} (suite file)", spearmanr(x, y).statistic))
    for name, rho in rows:
        print(f"  {name:28s} spearman {rho:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
