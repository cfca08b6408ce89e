"""Correlation metrics as NAS-Bench-Suite-Zero computes them (scipy.stats), per seed and mean +- std over seeds.

- NaN / +-inf scores are replaced by -1e8 before anything is computed, as NASLib's ``ZeroCost.query`` does, and
  counted (``nan_count``).
- ``spearman``, ``kendall`` and ``pearson`` are the raw signed statistics of (score, accuracy), as the suite reports
  Spearman (a proxy where lower is better shows a negative value). NASLib's ``compute_scores`` takes ``abs`` of
  Pearson; we do not.
- ``p_at_top{k}`` is NASLib's ``p_at_tb_k``: the share of the k archs ranked best by the proxy that are among the k
  best by accuracy. Here the proxy's ``higher_is_better`` decides which end is "best by the proxy".
- Over seeds: the mean and the sample std (``ddof=1``; 0 for a single seed).

Example:
    >>> m = correlation_metrics([1, 2, 3, 4], [10, 20, 40, 30], topk=(2,))
    >>> round(m["spearman"], 3), m["n"], m["p_at_top2"]
    (0.8, 4, 1.0)
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

import numpy as np
from scipy import stats

from ..errors import NaslibSwapError

SUITE_NAN_VALUE = -1e8


class MetricsError(NaslibSwapError):
    """Scores and ground truth that cannot be correlated."""


def suite_clean(scores: Iterable[float]) -> tuple[np.ndarray, int]:
    """Scores with NaN/inf replaced by -1e8 (the suite's rule), and how many were replaced."""
    arr = np.asarray(list(scores), dtype=float)
    bad = ~np.isfinite(arr)
    arr = arr.copy()
    arr[bad] = SUITE_NAN_VALUE
    return arr, int(bad.sum())


def precision_at_topk(scores: np.ndarray, truth: np.ndarray, k: int, higher_is_better: bool = True) -> float:
    """Share of the proxy's top-k that is in the true top-k (NASLib's ``p_at_tb_k``, orientation from metadata)."""
    n = len(scores)
    k = min(int(k), n)
    key = scores if higher_is_better else -scores
    pred_top = np.argsort(-key, kind="stable")[:k]
    true_rank = np.empty(n, dtype=int)
    true_rank[np.argsort(-truth, kind="stable")] = np.arange(n)
    return float(np.sum(true_rank[pred_top] < k)) / k


def correlation_metrics(
    scores: Sequence[float],
    truth: Sequence[float],
    higher_is_better: bool = True,
    topk: Sequence[int] = (10, 50, 100),
) -> dict[str, Any]:
    """Spearman, Kendall, Pearson, precision@top-k of proxy ``scores`` against ground-truth ``truth``.

    Args:
        scores: one score per sampled arch (repeats kept, as the suite's sample has them).
        truth: the ground truth of the same archs.
        higher_is_better: the proxy's metadata; used only for precision@top-k.
        topk: the k of precision@top-k.

    Returns:
        ``{"spearman", "kendall", "pearson", "n", "nan_count", "p_at_top<k>"...}``; a statistic that is undefined
        (a constant score) is NaN.

    Raises:
        MetricsError: lengths differ or fewer than 2 archs.
    """
    s, nan_count = suite_clean(scores)
    t = np.asarray(list(truth), dtype=float)
    if len(s) != len(t):
        raise MetricsError(f"{len(s)} scores but {len(t)} ground-truth values; pass one of each per arch")
    if len(s) < 2:
        raise MetricsError(f"need at least 2 archs to correlate, got {len(s)}; sample more archs")
    out: dict[str, Any] = {"n": int(len(s)), "nan_count": nan_count}
    constant = np.all(s == s[0]) or np.all(t == t[0])
    if constant:
        out.update(spearman=math.nan, kendall=math.nan, pearson=math.nan)
    else:
        out["spearman"] = float(stats.spearmanr(t, s)[0])
        out["kendall"] = float(stats.kendalltau(t, s)[0])
        out["pearson"] = float(stats.pearsonr(t, s)[0])
    for k in topk:
        out[f"p_at_top{int(k)}"] = precision_at_topk(s, t, int(k), higher_is_better)
    return out


def summarise(per_seed: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Mean and std (ddof=1) over seeds of every float metric; ``n`` and ``nan_count`` are summed."""
    if not per_seed:
        return {}
    rows = list(per_seed.values())
    out: dict[str, Any] = {"seeds": len(rows), "n": int(sum(r["n"] for r in rows)),
                           "nan_count": int(sum(r["nan_count"] for r in rows))}
    for key in rows[0]:
        if key in ("n", "nan_count"):
            continue
        vals = np.array([r[key] for r in rows], dtype=float)
        out[key] = float(np.mean(vals))
        out[f"{key}_std"] = float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0
    return out
