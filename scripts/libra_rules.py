"""LIBRA's third pick on held-out data: the paper's rule against ``fit-check`` and ``two``, on every task with stored
suite scores (no nets are run).

For each task and each fit seed (default 9000-9004) LIBRA is fitted on the seed's sample (``--archs`` per sample, half
the table where it holds fewer than 2 x that) and evaluated on one sample of the archs outside it (eval seed = fit
seed + 100), under each rule of :data:`naslib_swap.ensemble.libra.RULES`. Printed: the mean held-out Spearman per
rule and task, wins / losses against the paper's rule, and, per fit, the bias of each pick, of the ground truth and
of the rank sums of two and three picks (why the third pick helps or hurts).

    OMP_NUM_THREADS=1 python scripts/libra_rules.py --json libra_rules.json
    OMP_NUM_THREADS=1 python scripts/libra_rules.py --issue-setting     # the issue's NB201 cifar10 store, rebuilt
"""
from __future__ import annotations

import argparse
import json
import math
from typing import Any

import numpy as np

from naslib_swap.ensemble.libra import (
    PARAMS,
    RULES,
    TARGET,
    _spearman,
    check_table,
    combine,
    default_tolerance,
    libra_protocol,
    suite_table,
)
from naslib_swap.registry import get_space
from naslib_swap.suite.sampler import sample_archs, suite_keys

TASKS = [("nasbench201", "cifar10"), ("nasbench201", "cifar100"), ("nasbench201", "ImageNet16-120"),
         ("nasbench101", "cifar10"), ("nasbench301", "cifar10")]
TASKS += [(s, t) for s in ("transbench101_micro", "transbench101_macro")
          for t in ("autoencoder", "room_layout", "class_object", "class_scene", "jigsaw", "normal", "segmentsemantic")]


def biases(df: Any, chosen: list[str]) -> dict[str, float]:
    prm = df[PARAMS].to_numpy(float)
    out = {f"b({p})": _spearman(df[p], prm) for p in chosen}
    out["b_val"] = _spearman(df[TARGET], prm)
    if len(chosen) >= 2:
        out["b(z1+z2)"] = _spearman(combine(df, chosen[:2]), prm)
    if len(chosen) >= 3:
        out["b(z1+z2+z3)"] = _spearman(combine(df, chosen), prm)
    return out


def study(fit_seeds: list[int], archs: int) -> list[dict[str, Any]]:
    rows = []
    for space, dataset in TASKS:
        table = suite_table(space, dataset)
        pool = [c for c in table.columns if c != TARGET]
        tol = default_tolerance(space, dataset)
        row: dict[str, Any] = {"space": space, "dataset": dataset, "n_table": len(check_table(table, pool)),
                               "held_out": {r: [] for r in RULES}, "fits": []}
        for f in fit_seeds:
            res = {r: libra_protocol(table, pool, n=archs, fit_seed=f, eval_seeds=(f + 100,), tolerance=tol, rule=r)
                   for r in RULES}
            for r in RULES:
                row["held_out"][r].append(res[r]["held_out"]["libra[rank_sum]"]["mean"])
            df = check_table(table, pool)
            df.index = df.index.astype(str)
            fit_keys = sample_archs(list(df.index), res["paper"]["n_fit"], f, unique=True)
            row["fits"].append({"fit_seed": f, "n_fit": res["paper"]["n_fit"], "n_eval": res["paper"]["n_eval"],
                                "chosen": {r: res[r]["chosen"] for r in RULES},
                                "held_out": {r: res[r]["held_out"]["libra[rank_sum]"]["mean"] for r in RULES},
                                "bias": biases(df.loc[fit_keys], res["paper"]["chosen"])})
        rows.append(row)
        means = " ".join(f"{r}={np.mean(v):.3f}" for r, v in row["held_out"].items())
        print(f"{space:20s} {dataset:16s} n={row['n_table']:5d} {means}", flush=True)
    print()
    for r in RULES:
        d = [np.mean(x["held_out"][r]) - np.mean(x["held_out"]["paper"]) for x in rows]
        print(f"rule {r:9s}: mean held-out over {len(rows)} tasks "
              f"{np.mean([np.mean(x['held_out'][r]) for x in rows]):.4f}, vs paper: better on "
              f"{sum(v > 1e-9 for v in d)}, worse on {sum(v < -1e-9 for v in d)}, largest loss {min(d):+.3f}, "
              f"largest gain {max(d):+.3f}")
    return rows


def issue_setting() -> None:
    """NB201 cifar10 as the issue met it: a store filled by `correlate --baselines` (the suite's 1000-arch draws
    of seeds 9000-9002, repeats dropped), then `libra --fit-seed 9000 --eval-seeds 9001`; here the store's table is
    rebuilt from the suite file for the same archs (the pool: the suite's 13)."""
    space = get_space("nasbench201")
    keys = suite_keys(space, "cifar10")
    table = suite_table("nasbench201", "cifar10")
    for seeds in ((9000, 9001), (9000, 9001, 9002)):
        draws = [sample_archs(keys, 1000, s, pre_draw=space.naslib_pre_draw) for s in seeds]
        drawn = list(dict.fromkeys(a for d in draws for a in d))
        sub = table.loc[[k for k in drawn if k in table.index]]
        for r in RULES:
            res = libra_protocol(sub, None, n=1000, fit_seed=9000, eval_seeds=(9001,), rule=r)
            h = res["held_out"]
            if r != "paper":
                print(f"    rule {r}: chose {res['chosen']}, held-out {h['libra[rank_sum]']['mean']:.3f}")
                continue
            b = {k: round(v, 3) for k, v in biases(sub, res["chosen"]).items()}
            print(f"draws of seeds {seeds} ({len(sub)} archs), rule {r}: chose {res['chosen']}, held-out "
                  f"{h['libra[rank_sum]']['mean']:.3f}, z1+z2 {h['z1+z2 rank_sum']['mean']:.3f}, "
                  f"z1 {h['z1 alone']['mean']:.3f}; bias (whole table) {json.dumps(b)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fit-seeds", default="9000,9001,9002,9003,9004")
    ap.add_argument("--archs", type=int, default=1000)
    ap.add_argument("--json", default=None)
    ap.add_argument("--issue-setting", action="store_true")
    args = ap.parse_args()
    if args.issue_setting:
        issue_setting()
        return
    rows = study([int(s) for s in args.fit_seeds.split(",")], args.archs)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1, default=lambda v: None if isinstance(v, float) and math.isnan(v) else v)


if __name__ == "__main__":
    main()
