r"""Agreement of the live suite proxies with the suite's stored scores, and of both with ground truth, resumable.

For a space/task whose suite files hold scores (NB201 cifar10 / ImageNet16-120: the final CSVs; other spaces: the
preview file), takes the first ``--archs`` distinct archs of NASLib's draw for ``--seed`` (the suite's seeds
9000-9004), scores them live with the package (``ArchScorer``, scoring seed ``--seed``), appends each arch's scores to
a JSON-lines file (re-running resumes), and prints per proxy: n, Spearman (scipy) live vs stored, live vs ground
truth, stored vs ground truth on the same archs (val and, where the space has it, test accuracy), and the mean
seconds per arch of the live proxy. NaN/inf scores are set to -1e8 first, as the suite does.

Usage:
    nice -n 10 python scripts/suite_agreement.py --space nasbench201 --dataset cifar10 --archs 1000 \
        --out /tmp/agree_nb201_c10.jsonl            # add --report-only to print from what is scored so far
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
from scipy.stats import spearmanr

from naslib_swap.grammar import split_list
from naslib_swap.proxies.base import PopulationScore
from naslib_swap.registry import get_proxy, get_space, list_proxies
from naslib_swap.scoring import ArchScorer
from naslib_swap.suite.baselines import baseline_scores, baseline_source
from naslib_swap.suite.metrics import suite_clean
from naslib_swap.suite.sampler import sample_archs, suite_keys

SUITE13 = "epe_nas,fisher,flops,grad_norm,grasp,jacov,l2_norm,nwot,params,plain,snip,synflow,zen"


def _rho(a: list[float], b: list[float]) -> float:
    if len(a) < 3:
        return float("nan")
    return float(spearmanr(suite_clean(a)[0], suite_clean(b)[0])[0])


def _records(lines) -> list[dict]:
    """The complete records of a JSON-lines file; a line cut short by a kill (only ever the last) is skipped, and
    its arch is scored again."""
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def draw(space, dataset: str, seed: int, n: int, key_source: str = "suite") -> list[str]:
    """The first ``n`` distinct archs of NASLib's 1000-arch draw for ``seed`` from the keys of ``key_source``
    (``preview``: the preview file's archs, the only stored scores of NB201 cifar100)."""
    keys = sample_archs(suite_keys(space, dataset, source=key_source), 1000, seed, space=space)
    return list(dict.fromkeys(keys))[:n]


def score_into(path: str, space, dataset: str, archs: list[str], proxies: list[str], seed: int,
               batch_size: int | None) -> None:
    done = set()
    if os.path.exists(path):
        with open(path) as f:
            done = {r["arch"] for r in _records(f)}
    scorer = ArchScorer(space, dataset, proxies, seed=seed, batch_size=batch_size)
    if os.path.exists(path) and os.path.getsize(path):
        with open(path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            cut = f.read(1) != b"\n"
        if cut:  # a record cut short by a kill: end its line so the next record starts clean
            with open(path, "a") as f:
                f.write("\n")
    with open(path, "a") as f:
        for i, arch in enumerate(a for a in archs if a not in done):
            rows = scorer.score_arch(arch)
            f.write(json.dumps({"arch": arch, "scores": {r.proxy: [r.score, r.time_s] for r in rows}}) + "\n")
            f.flush()
            print(f"{len(done) + i + 1}/{len(archs)} {arch}", file=sys.stderr, flush=True)


def _read(path: str) -> dict[str, dict[str, list[float]]]:
    with open(path) as f:
        return {r["arch"]: r["scores"] for r in _records(f)}


def report(path: str, space, dataset: str, proxies: list[str], extra: list[str] = ()) -> str:
    live = _read(path)
    for more in (m for m in extra if os.path.exists(m)):  # other runs on the same archs (e.g. AZ-NAS's): merged
        for a, sc in _read(more).items():
            if a in live:
                live[a] = {**sc, **live[a]}
    archs = list(live)
    proxies = list(proxies)
    for name in list_proxies():  # population proxies whose inputs every arch has: combined over these archs
        spec = get_proxy(name)
        have = [a for a in archs if all(i in live[a] for i in spec.population_inputs)]
        if spec.needs_population and name not in proxies and len(have) >= 2:
            pop = PopulationScore(name)
            for a in have:
                pop.update(a, {i: live[a][i][0] for i in spec.population_inputs})
            for a, v in pop.compute().items():
                live[a][name] = [v, sum(live[a][i][1] for i in spec.population_inputs if i != "flops")]
            proxies.append(name)
    proxies += [p for p in dict.fromkeys(k for a in archs for k in live[a]) if p not in proxies]
    stored = baseline_scores(space, dataset, archs)
    stored_map = {(a, p): s for a, p, s in zip(stored.arch, stored.proxy, stored.score)}
    truths = {}
    for metric in ("val", "test"):
        try:
            truths[metric] = space.ground_truth(dataset, metric=metric)
        except Exception:  # noqa: BLE001 - a space without this ground truth: leave the column out
            continue
    lines = [f"{space}/{dataset}: {len(archs)} archs scored live; stored: {baseline_source(space, dataset)}", "",
             "| proxy | n live / stored | rho live vs stored | "
             + " | ".join(f"live vs {m} | stored vs {m}" for m in truths) + " | s/arch live |",
             "|---|---|---|" + "---|---|" * len(truths) + "---|"]
    for p in proxies:
        mine = [a for a in archs if p in live[a]]
        have = [a for a in mine if (a, p) in stored_map]
        cells = [p, f"{len(mine)} / {len(have)}",
                 f"{_rho([live[a][p][0] for a in have], [stored_map[(a, p)] for a in have]):.3f}"]
        for t in truths.values():
            hv = [a for a in mine if a in t]
            hs = [a for a in have if a in t]
            cells += [f"{_rho([live[a][p][0] for a in hv], [t[a] for a in hv]):.3f}",
                      f"{_rho([stored_map[(a, p)] for a in hs], [t[a] for a in hs]):.3f}" if hs else "-"]
        secs = [live[a][p][1] for a in archs if p in live[a]]
        cells.append(f"{np.mean(secs):.2f}" if secs else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def libra_vs_population(path: str, space, dataset: str, extra: list[str], pool: list[str], rival: str,
                        splits: int, seed: int = 0) -> str:
    """LIBRA over ``pool`` fitted on a random half of the scored archs and evaluated on the other half, against the
    population proxy ``rival`` (e.g. AZ-NAS) computed over the held-out half alone (it needs no fit), and against the
    single proxy best on the fit half; mean and std over ``splits`` random halves (numpy generator ``seed``), plus
    the paper's same-sample protocol on all archs. Ground truth: the space's val accuracy."""
    import pandas as pd

    from naslib_swap.ensemble.libra import libra_select

    live = _read(path)
    for more in (m for m in extra if os.path.exists(m)):
        for a, sc in _read(more).items():
            if a in live:
                live[a] = {**sc, **live[a]}
    val = space.ground_truth(dataset, metric="val")
    spec = get_proxy(rival)
    need = list(dict.fromkeys([*pool, *spec.population_inputs, "params"]))
    archs = [a for a in live if a in val and all(p in live[a] for p in need)]
    if len(archs) < 10:
        return f"LIBRA vs {rival}: only {len(archs)} archs have every score ({', '.join(need)}); nothing to report"
    df = pd.DataFrame({p: [suite_clean([live[a][p][0]])[0][0] for a in archs] for p in need}, index=archs)
    df["val_accuracy"] = [val[a] for a in archs]

    def rival_rho(idx) -> float:
        pop = PopulationScore(rival)
        for a in idx:
            pop.update(a, {i: live[a][i][0] for i in spec.population_inputs})
        r = pop.compute()
        return _rho([r[a] for a in idx], [val[a] for a in idx])

    rows: dict[str, list[float]] = {"LIBRA (rank_sum)": [], "LIBRA z1+z2": [], "best single on fit": [],
                                    rival: []}
    picks: list[str] = []
    g = np.random.default_rng(seed)
    for _ in range(splits):
        perm = g.permutation(len(archs))
        fit_idx, ev_idx = [archs[i] for i in perm[: len(archs) // 2]], [archs[i] for i in perm[len(archs) // 2:]]
        fit = libra_select(df.loc[fit_idx], pool)
        ev = df.loc[ev_idx]
        picks.append("+".join(fit.chosen))
        rows["LIBRA (rank_sum)"].append(_rho(list(fit.score(ev)), list(ev["val_accuracy"])))
        rows["LIBRA z1+z2"].append(_rho(list(fit.score(ev, k=2)), list(ev["val_accuracy"])))
        rows["best single on fit"].append(_rho(list(ev[fit.chosen[0]]), list(ev["val_accuracy"])))
        rows[rival].append(rival_rho(ev_idx))
    whole = libra_select(df, pool)
    lines = [f"LIBRA over {len(pool)} proxies vs {rival}, {space}/{dataset}, n = {len(archs)} archs, "
             f"{splits} random fit/eval halves (numpy seed {seed}); ground truth val", "",
             "| method | held-out rho mean | std | same-sample (all n) |", "|---|---|---|---|"]
    same = {"LIBRA (rank_sum)": _rho(list(whole.score(df)), list(df["val_accuracy"])),
            "LIBRA z1+z2": _rho(list(whole.score(df, k=2)), list(df["val_accuracy"])),
            "best single on fit": _rho(list(df[whole.chosen[0]]), list(df["val_accuracy"])),
            rival: rival_rho(archs)}
    for k, v in rows.items():
        lines.append(f"| {k} | {np.mean(v):.3f} | {np.std(v):.3f} | {same[k]:.3f} |")
    counts = {c: picks.count(c) for c in dict.fromkeys(picks)}
    lines += ["", f"same-sample picks: {' + '.join(whole.chosen)}; held-out picks: "
              + ", ".join(f"{c} x{n}" for c, n in sorted(counts.items(), key=lambda kv: -kv[1]))]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--space", default="nasbench201")
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--seed", type=int, default=9000)
    ap.add_argument("--archs", type=int, default=1000)
    ap.add_argument("--score-seed", type=int, default=None,
                    help="scoring seed (batch, weights; default --seed): another one measures self-agreement")
    ap.add_argument("--proxies", default=SUITE13)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--key-source", default="suite", choices=("suite", "preview"),
                    help="draw from the suite's arch list (default) or the preview file's (NB201 cifar100's stored)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--extra", action="append", default=[], help="more JSON-lines files of the same archs to merge")
    ap.add_argument("--libra-pool", default=None,
                    help="also fit LIBRA over these proxies on random halves and compare with --libra-rival")
    ap.add_argument("--libra-rival", default="aznas", help="a population proxy computed on the held-out half")
    ap.add_argument("--libra-splits", type=int, default=20)
    a = ap.parse_args()
    space = get_space(a.space)
    proxies = split_list(a.proxies)
    if not a.report_only:
        score_into(a.out, space, a.dataset, draw(space, a.dataset, a.seed, a.archs, a.key_source), proxies,
                   a.seed if a.score_seed is None else a.score_seed, a.batch_size)
    print(report(a.out, space, a.dataset, proxies, a.extra))
    if a.libra_pool:
        print()
        print(libra_vs_population(a.out, space, a.dataset, a.extra, split_list(a.libra_pool), a.libra_rival,
                                  a.libra_splits))


if __name__ == "__main__":
    main()
