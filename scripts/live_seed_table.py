r"""Per-seed Spearman and Kendall of live proxies against ground truth, and their mean and std over seeds.

Reads the JSON-lines files of ``scripts/suite_agreement.py`` (one per seed of the suite's draw; ``--extra`` files of
the same seed are merged in), keeps each file's first ``--first`` archs (the first n distinct archs of that seed's
draw), combines population proxies (AZ-NAS) over exactly those archs, and prints per proxy and ground truth (val,
test): rho and tau per seed, mean and std over seeds, and the mean seconds per arch (the time column the files hold).

Usage:
    python scripts/live_seed_table.py --space nasbench201 --dataset ImageNet16-120 --first 50 \
        --run 9000=in16.jsonl --run 9001=in16_9001.jsonl --proxies zico,meco,aznas,swap
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from scipy.stats import kendalltau, spearmanr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite_agreement import _read  # noqa: E402

from naslib_swap.errors import NaslibSwapError  # noqa: E402
from naslib_swap.grammar import split_list  # noqa: E402
from naslib_swap.proxies.base import PopulationScore  # noqa: E402
from naslib_swap.registry import get_proxy, get_space  # noqa: E402
from naslib_swap.suite.metrics import suite_clean  # noqa: E402


def seed_scores(paths: list[str], first: int) -> dict[str, dict[str, list[float]]]:
    """The first ``first`` archs of ``paths[0]`` (in file order, the draw's), with every file's scores merged,
    population proxies added over exactly these archs."""
    if not os.path.exists(paths[0]):
        raise NaslibSwapError(f"no run file {paths[0]}; score it first with scripts/suite_agreement.py")
    live = dict(list(_read(paths[0]).items())[:first])
    for more in paths[1:]:
        for a, sc in _read(more).items():
            if a in live:
                live[a] = {**sc, **live[a]}
    archs = list(live)
    from naslib_swap.registry import list_proxies

    for name in list_proxies():
        spec = get_proxy(name)
        if not spec.needs_population or not all(all(i in live[a] for i in spec.population_inputs) for a in archs):
            continue
        pop = PopulationScore(name)
        for a in archs:
            pop.update(a, {i: live[a][i][0] for i in spec.population_inputs})
        for a, v in pop.compute().items():
            live[a][name] = [v, sum(live[a][i][1] for i in spec.population_inputs)]
    return live


def correlations(live: dict[str, dict[str, list[float]]], truth: dict[str, float],
                 proxy: str) -> tuple[float, float, int]:
    """(Spearman, Kendall, n) of ``proxy`` against ``truth`` over the archs that have both (NaN/inf -> -1e8)."""
    archs = [a for a in live if proxy in live[a] and a in truth]
    if len(archs) < 3:
        return float("nan"), float("nan"), len(archs)
    x = suite_clean([live[a][proxy][0] for a in archs])[0]
    y = [truth[a] for a in archs]
    return float(spearmanr(x, y)[0]), float(kendalltau(x, y)[0]), len(archs)


def table(space, dataset: str, runs: dict[int, list[str]], first: int, proxies: list[str]) -> str:
    per_seed = {s: seed_scores(p, first) for s, p in runs.items()}
    truths = {m: space.ground_truth(dataset, metric=m) for m in ("val", "test")}
    seeds = list(per_seed)
    ns = {s: len(v) for s, v in per_seed.items()}
    lines = [f"{space}/{dataset}: first {first} archs of each seed's draw (n per seed: "
             + ", ".join(f"{s}: {n}" for s, n in ns.items()) + "); rho = Spearman, tau = Kendall", "",
             "| proxy | truth | " + " | ".join(f"{s} rho / tau" for s in seeds)
             + " | rho mean ± std | tau mean ± std | s/arch |",
             "|---|---|" + "---|" * len(seeds) + "---|---|---|"]
    for p in proxies:
        secs = [v[p][1] for sc in per_seed.values() for v in sc.values() if p in v]
        for m, t in truths.items():
            cells = [correlations(per_seed[s], t, p) for s in seeds]
            rho = [c[0] for c in cells if c[2] >= 3]
            tau = [c[1] for c in cells if c[2] >= 3]
            if not rho:
                continue
            lines.append(f"| {p} | {m} | " + " | ".join(f"{c[0]:.3f} / {c[1]:.3f}" if c[2] >= 3 else "-"
                                                        for c in cells)
                         + f" | {np.mean(rho):.3f} ± {np.std(rho):.3f} | {np.mean(tau):.3f} ± {np.std(tau):.3f}"
                         + f" | {np.mean(secs):.2f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--space", default="nasbench201")
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--first", type=int, required=True)
    ap.add_argument("--run", action="append", required=True,
                    help="SEED=FILE[,EXTRA...]: a seed's run file (its first archs set the arch list) and extras")
    ap.add_argument("--proxies", default="zico,meco,aznas,swap,reg_swap,nwot,lswag")
    a = ap.parse_args()
    runs: dict[int, list[str]] = {}
    try:
        for r in a.run:
            seed, _, files = r.partition("=")
            if not files or not seed.isdigit():
                raise NaslibSwapError(f"--run wants SEED=FILE[,EXTRA...], got '{r}'")
            runs[int(seed)] = split_list(files)
        print(table(get_space(a.space), a.dataset, runs, a.first, split_list(a.proxies)))
    except NaslibSwapError as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
