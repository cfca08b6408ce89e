"""Tables and figures from a results store: markdown, CSV, a proxies x tasks Spearman heatmap, scatter plots.

Every table names its ground truth, the images each proxy saw (``Batch.source``: real set or named stand-in) and
where the suite baselines came from. Figures use matplotlib's Agg backend (no display needed).

Example:
    >>> paths = write_report("runs/nb201.sqlite", "runs/report")  # doctest: +SKIP
    >>> sorted(p.name for p in paths)[:2]  # doctest: +SKIP
    ['heatmap_spearman_val.png', 'report.md']
"""
from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from . import store as st
from .runner import evaluate


def _tasks(db_path: str | Path) -> list[tuple[str, str]]:
    s = st.load_samples(db_path)
    if s.empty:
        raise st.StoreError(f"{db_path} holds no run; run a correlation into it first", param="db")
    return [tuple(x) for x in s[["space", "dataset"]].drop_duplicates().itertuples(index=False)]


def collect(db_path: str | Path, topk: tuple[int, ...] = (10, 50, 100)) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """``(summaries per task, long metrics frame)``; the frame has one row per task, truth, proxy and seed (and
    ``seed == 'mean'`` / ``'std'`` rows)."""
    summaries, rows = [], []
    for space, dataset in _tasks(db_path):
        summ = evaluate(db_path, space, dataset, topk=topk, baselines=True)
        summaries.append(summ)
        for metric, res in summ["results"].items():
            for proxy, r in res.items():
                base = {"space": space, "dataset": dataset, "truth": metric, "truth_source": summ["truth"][metric],
                        "proxy": proxy, "kind": r["kind"],
                        "source": summ["sources"].get(proxy, summ["baseline_source"] or "")}
                for seed, m in r["per_seed"].items():
                    rows.append({**base, "seed": str(seed), **m})
                mean = r["mean"]
                rows.append({**base, "seed": "mean", **{k: v for k, v in mean.items() if not k.endswith("_std")}})
                rows.append({**base, "seed": "std", **{k[:-4]: v for k, v in mean.items() if k.endswith("_std")}})
    return summaries, pd.DataFrame(rows)


def _fmt(m: dict[str, Any], key: str) -> str:
    v = m.get(key, math.nan)
    if v is None or not np.isfinite(v):
        return "–"
    s = m.get(f"{key}_std", 0.0)
    return f"{v:.3f} ± {s:.3f}" if m.get("seeds", 1) > 1 else f"{v:.3f}"


def markdown(summaries: list[dict[str, Any]], topk: tuple[int, ...] = (10, 50, 100)) -> str:
    """One section per task: our proxies then the suite's, Spearman (and Kendall, p@top-k) mean ± std over seeds."""
    lines = ["# Suite-zero correlations", "",
             "Raw signed Spearman / Kendall (scipy.stats), mean ± std over seeds; `n` = scored archs summed over seeds "
             "(repeats of the with-replacement draw included, as the suite); `nan` = NaN/inf scores set to -1e8 as "
             "the suite does. p@top-k uses each proxy's `higher_is_better`.", ""]
    for summ in summaries:
        lines += [f"## {summ['space']} / {summ['dataset']}", ""]
        for metric, src in summ["truth"].items():
            lines.append(f"- ground truth `{metric}`: {src}")
        for p, src in summ["sources"].items():
            lines.append(f"- images for `{p}`: {src}")
        if summ["baseline_source"]:
            lines.append(f"- suite baselines: {summ['baseline_source']}")
        lines.append("")
        metrics = list(summ["results"])
        main = "val" if "val" in metrics else (metrics[0] if metrics else None)
        if main is None:
            lines += ["(no ground truth for these archs)", ""]
            continue
        others = [m for m in metrics if m != main]
        head = ["proxy", "kind", "seeds", "n", "nan", f"Spearman ({main})"] + [f"Spearman ({m})" for m in others]
        head += [f"Kendall ({main})"] + [f"p@top{k} ({main})" for k in topk] + ["s/arch"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for proxy, r in summ["results"][main].items():
            m = r["mean"]
            cells = [f"`{proxy}`", r["kind"], str(m["seeds"]), str(m["n"]), str(m["nan_count"]), _fmt(m, "spearman")]
            cells += [_fmt(summ["results"][o].get(proxy, {}).get("mean", {}), "spearman") for o in others]
            cells += [_fmt(m, "kendall")] + [_fmt(m, f"p_at_top{k}") for k in topk]
            sp = summ["seconds_per_arch"].get(proxy)
            cells.append(f"{sp:.3f}" if sp is not None else "–")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def heatmap(frame: pd.DataFrame, path: Path, truth: str = "val") -> Path | None:
    """Proxies x tasks mean Spearman (the SWAP paper's Fig. 4 layout)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sub = frame[(frame.seed == "mean") & (frame.truth == truth)]
    if sub.empty:
        return None
    sub = sub.assign(task=sub.space + "\n" + sub.dataset)
    table = sub.pivot_table(index="proxy", columns="task", values="spearman", aggfunc="first")
    order = sub.drop_duplicates("proxy").sort_values("kind").proxy.tolist()  # ours first, then the suite's
    table = table.reindex(order)
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * table.shape[1], 0.9 + 0.38 * table.shape[0]))
    im = ax.imshow(table.values.astype(float), cmap="RdYlGn", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns, fontsize=8)
    ax.set_yticks(range(table.shape[0]), table.index, fontsize=8)
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            v = table.values[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7)
    ax.set_title(f"Spearman vs {truth} acc.\n(mean over seeds)", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.04)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def scatter(db_path: str | Path, space: str, dataset: str, path: Path, truth: str = "val") -> Path | None:
    """Score vs ground truth of our proxies, first seed of the task, with Spearman's rho in each title (log score
    axis where the scores span several decades; failed scores are left out and counted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = st.load_scores(db_path, space, dataset)
    tr = st.load_truth(db_path, space, dataset)
    tr = tr[tr.metric == truth]
    if scores.empty or tr.empty:
        return None
    seed = int(scores.seed.min())
    scores = scores[scores.seed == seed]
    tmap = dict(zip(tr.arch, tr.value))
    proxies = sorted(set(scores.proxy))
    fig, axes = plt.subplots(1, len(proxies), figsize=(3.6 * len(proxies), 3.2), squeeze=False)
    for ax, p in zip(axes[0], proxies):
        d = scores[(scores.proxy == p) & scores.arch.isin(tmap)]
        ok = np.isfinite(d.score.to_numpy(float))
        x, y = d.score.to_numpy(float)[ok], np.array([tmap[a] for a in d.arch])[ok]
        ax.scatter(x, y, s=4, alpha=0.5)
        if len(x) and x.min() > 0 and x.max() / x.min() > 100:  # several decades: log; else a linear axis
            ax.set_xscale("log")
        with warnings.catch_warnings():  # a constant score (params on a tiny draw) has no rho: NaN, said in the title
            warnings.simplefilter("ignore")
            rho = spearmanr(x, y).statistic if len(x) > 1 else float("nan")
        failed = f", {int((~ok).sum())} failed" if (~ok).any() else ""
        ax.set_xlabel(f"{p} score", fontsize=8)
        ax.set_ylabel(f"{truth} accuracy", fontsize=8)
        ax.set_title(f"{space}/{dataset} seed {seed}\nSpearman rho {rho:.3f}, n {len(x)}{failed}", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(db_path: str | Path, out_dir: str | Path, topk: tuple[int, ...] = (10, 50, 100)) -> list[Path]:
    """Write ``report.md``, ``metrics.csv``, ``heatmap_spearman_<truth>.png`` and ``scatter_<space>_<dataset>.png``."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise st.StoreError(f"the report folder {out} is an existing file; choose a folder path", param="out")
    summaries, frame = collect(db_path, topk)  # reads and checks the store before anything is written
    out.mkdir(parents=True, exist_ok=True)
    written = []
    md = out / "report.md"
    md.write_text(markdown(summaries, topk) + "\n")
    written.append(md)
    csv = out / "metrics.csv"
    frame.to_csv(csv, index=False)
    written.append(csv)
    for truth in sorted(set(frame.truth)) if len(frame) else []:
        p = heatmap(frame, out / f"heatmap_spearman_{truth}.png", truth)
        if p:
            written.append(p)
    for summ in summaries:
        p = scatter(db_path, summ["space"], summ["dataset"], out / f"scatter_{summ['space']}_{summ['dataset']}.png")
        if p:
            written.append(p)
    return written
