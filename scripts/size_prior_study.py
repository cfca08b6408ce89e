"""reg-SWAP's size prior on NB201: the paper's hand-chosen (mu, sigma) against the `auto` rules.

Usage:
    python scripts/size_prior_study.py --db runs/suite_nb201.sqlite [--datasets cifar10,cifar100,ImageNet16-120]

reg-SWAP = SWAP x f(params), so every prior can be evaluated from SWAP scores already in a results store (no network
is re-scored). For each dataset and seed in the store, this prints the Spearman correlation (against the suite's val
accuracy) of SWAP and of reg-SWAP under: the paper's prior (1.5, 1.5), and the `auto` rules of
naslib_swap.proxies.swap.auto_size_prior applied to the size histogram of 1000 uniformly sampled archs
(naslib_swap.sizes.sampled_param_counts), plus the authors' code formula with the paper's values.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import torch
from scipy.stats import spearmanr

from naslib_swap import get_space
from naslib_swap.modelstats import count_parameters
from naslib_swap.proxies.swap import auto_size_prior, size_regulariser
from naslib_swap.sizes import sampled_param_counts
from naslib_swap.suite.store import load_scores


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--datasets", default="cifar10,cifar100,ImageNet16-120")
    ap.add_argument("--proxy", default="swap", help="the stored SWAP label to regularise (default swap)")
    args = ap.parse_args(argv)
    space = get_space("nasbench201")
    for ds in args.datasets.split(","):
        df = load_scores(args.db, "nasbench201", ds)
        df = df[df["proxy"] == args.proxy]
        if df.empty:
            print(f"{ds}: no '{args.proxy}' scores in {args.db}")
            continue
        truth = space.ground_truth(ds, metric="val")
        sizes: dict[str, float] = {}
        for key in df["arch"].unique():
            with torch.device("meta"):
                sizes[key] = count_parameters(space.build(key, ds, device="meta")) / 1e6
        priors = {"paper (1.5, 1.5)": ((1.5, 1.5), "paper"), "code formula (1.5, 1.5)": ((1.5, 1.5), "code-m")}
        for rule in ("p90", "max", "mean+2std"):
            prior = auto_size_prior(sampled_param_counts(space, ds), rule)
            priors[f"auto {rule} {tuple(round(v, 3) for v in prior)}"] = (prior, "paper")
        print(f"\n{ds}: Spearman vs the suite's val accuracy "
              f"({len(df)} scores, seeds {sorted(int(s) for s in df['seed'].unique())})")
        rows = {"swap (no prior)": []}
        rows.update({k: [] for k in priors})
        for seed, g in df.groupby("seed"):
            s = g["score"].to_numpy(float)
            y = np.array([truth[a] for a in g["arch"]])
            th = np.array([sizes[a] for a in g["arch"]])
            rows["swap (no prior)"].append(spearmanr(s, y).statistic)
            for name, ((mu, sigma), formula) in priors.items():
                # "code-m": the code's exp(-(x - mu)^2 / sigma) with x in millions, to isolate the formula's effect
                f = np.array([size_regulariser(t, mu, sigma, "code" if formula == "code-m" else "paper") for t in th])
                rows[name].append(spearmanr(s * f, y).statistic)
        for name, vals in rows.items():
            print(f"  {name:38s} {np.mean(vals):.3f} +- {np.std(vals):.3f}  "
                  f"(per seed: {', '.join(f'{v:.3f}' for v in vals)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
