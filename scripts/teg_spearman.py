"""Spearman of the TEG indicators (teg_ntk, teg_lr, teg_mse) and their population rank sum ``teg`` on NB201.

Scores ``--n`` architectures sampled (seeded) from all 15,625 of NB201 for each task, appending every arch's values
to ``--out`` (JSON lines) as soon as they are known, so an interrupted run resumes where it stopped. Then prints
Spearman (scipy) of each indicator (sign-corrected: higher = predicted better) against the suite's validation
accuracy (``space.ground_truth(d)``) and the 200-epoch test accuracy (``metric="test"``).

    nice -n 10 python scripts/teg_spearman.py --dataset cifar10 --n 1000 --out /tmp/teg_c10.jsonl \
        --proxies "teg_ntk[width=3,cells=1],teg_lr,teg_mse[width=3,cells=1]"
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch
from scipy.stats import spearmanr
from tqdm import tqdm

from naslib_swap.grammar import parse_call, split_list
from naslib_swap.proxies.teg import teg as teg_combine
from naslib_swap.registry import get_proxy, get_space
from naslib_swap.rng import make_generator
from naslib_swap.scoring import ArchScorer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--proxies", default="teg_ntk[width=3,cells=1],teg_lr,teg_mse[width=3,cells=1]")
    ap.add_argument("--max-minutes", type=float, default=None, help="stop scoring after this long (resume later)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=None, help="minibatch of teg_ntk (default: its 64)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    space = get_space("nasbench201")
    labels = split_list(args.proxies)
    names = [parse_call(lb)[0] for lb in labels]
    if len(set(names)) < len(names):
        # rows are keyed by indicator name: a second setting of one indicator would silently overwrite the first
        raise SystemExit("teg_spearman: each indicator at most once per run (got " + ", ".join(labels) + "); run a "
                         "second --out for the other setting")
    val = space.ground_truth(args.dataset)
    test = space.ground_truth(args.dataset, metric="test")
    keys = sorted(val)
    g = make_generator(args.seed)
    pick = [keys[i] for i in torch.randperm(len(keys), generator=g)[: args.n].tolist()]
    done: dict[str, dict] = {}
    if os.path.exists(args.out):
        with open(args.out) as f:
            for line in f:
                r = json.loads(line)
                done[r["arch"]] = r
    scorer = ArchScorer(space, args.dataset, labels, seed=args.seed, batch_size=args.batch_size)
    t_start = time.time()
    with open(args.out, "a") as f:
        for key in tqdm([k for k in pick if k not in done], desc=f"TEG {args.dataset}", unit="arch"):
            if args.max_minutes and time.time() - t_start > 60 * args.max_minutes:
                break
            res = scorer.score_arch(key)
            row = {"arch": key, **{n: r.score for n, r in zip(names, res)},
                   **{f"t_{n}": r.time_s for n, r in zip(names, res)}}
            f.write(json.dumps(row) + "\n")
            f.flush()
            done[key] = row
    rows = [done[k] for k in pick if k in done]
    print(f"{args.dataset}: {len(rows)} archs scored (of {len(pick)} asked); "
          f"data: {scorer.space.make_batch(args.dataset, 2, make_generator(0)).source}")
    for n in names:
        print(f"  mean s/arch {n}: {np.mean([r['t_' + n] for r in rows]):.3f}")
    cols = {n: [r[n] for r in rows] for n in names}
    if set(names) == {"teg_ntk", "teg_lr", "teg_mse"}:
        cols["teg"] = teg_combine([{n: r[n] for n in names} for r in rows])
    yv = [val[r["arch"]] for r in rows]
    yt = [test[r["arch"]] for r in rows]
    for n, vals in cols.items():
        sign = 1.0 if n == "teg" or get_proxy(n).higher_is_better else -1.0
        v = np.asarray(vals, dtype=float)
        ok = np.isfinite(v)
        rv = spearmanr(sign * v[ok], np.asarray(yv)[ok]).statistic
        rt = spearmanr(sign * v[ok], np.asarray(yt)[ok]).statistic
        print(f"  {n:8s} spearman val {rv:.3f}  test {rt:.3f}  (finite {int(ok.sum())}/{len(v)})")


if __name__ == "__main__":
    main()
