"""Paired bootstrap of Spearman(lswag) - Spearman(params_m / flops_m) on autoformer_tiny's pooled uniform draws.

Reads the run files of ``scripts/vit_table_search.py run --out DIR`` (issue 17; docs/results.md): the uniform draws
are every swap-nas seed's initial population (replayed) and every ``random[lswag]`` search's draws.

Usage: ``PYTHONPATH=$PWD python scripts/vit_lswag_bootstrap.py [DIR]`` (default /tmp/vitsearch)
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from naslib_swap.registry import get_space
from naslib_swap.rng import derive_seed, make_generator
from naslib_swap.search.shared_scores import ScoreMemo
from naslib_swap.spaces.table_view import TableRestricted


def rho(a: np.ndarray, b: np.ndarray) -> float:
    return float(spearmanr(a, b).statistic)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/vitsearch")
    space = get_space("autoformer_tiny")
    view = TableRestricted(space, "imagenet")
    truth = space.ground_truth("imagenet")
    rows = [json.loads(line) for line in (out / "results_autoformer_tiny.jsonl").read_text().splitlines()]
    memo = ScoreMemo(9000, out / "memo_autoformer_tiny.jsonl")
    lswag = {k[-1]: v for k, (v, _) in memo.entries.items() if k[3].startswith("lswag")}
    starts: set[str] = set()
    for seed in sorted({r["seed"] for r in rows if r["search"] == "swap-nas"}):
        g = make_generator(derive_seed(seed, "swap-nas", view, "imagenet"))
        starts |= {view.key(view.sample(g)) for _ in range(10)}
    drawn = {a for r in rows if r["method"] == "random[lswag]" for a in r["visited"]}
    keys = sorted((starts | drawn) & set(lswag))
    y = np.array([truth[a] for a in keys])
    x = np.array([lswag[a] for a in keys])
    idx = np.random.default_rng(0).integers(0, len(keys), (4000, len(keys)))
    for name in ("params_m", "flops_m"):
        col = space.table_column(name)
        z = np.array([col[a] for a in keys])
        diffs = [rho(x[i], y[i]) - rho(z[i], y[i]) for i in idx]
        print(f"n={len(keys)} lswag {rho(x, y):.3f} {name} {rho(z, y):.3f} diff {rho(x, y) - rho(z, y):+.3f} "
              f"95% CI [{np.percentile(diffs, 2.5):+.3f}, {np.percentile(diffs, 97.5):+.3f}]")


if __name__ == "__main__":
    main()
