"""Metrics equal scipy's; NaN/inf follow the suite (-1e8) and are counted; precision@top-k reads orientation."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from naslib_swap.suite.metrics import MetricsError, correlation_metrics, precision_at_topk, summarise


def test_equal_to_scipy():
    rng = np.random.default_rng(3)
    truth = rng.normal(size=200)
    scores = truth + rng.normal(scale=0.8, size=200)
    m = correlation_metrics(scores, truth, topk=(10,))
    assert m["spearman"] == pytest.approx(stats.spearmanr(truth, scores)[0], abs=1e-12)
    assert m["kendall"] == pytest.approx(stats.kendalltau(truth, scores)[0], abs=1e-12)
    assert m["pearson"] == pytest.approx(stats.pearsonr(truth, scores)[0], abs=1e-12)
    assert m["n"] == 200 and m["nan_count"] == 0


def test_nonfinite_scores_become_minus_1e8():
    truth = np.arange(6.0)
    scores = [0.0, math.nan, 2.0, math.inf, -math.inf, 5.0]
    m = correlation_metrics(scores, truth, topk=())
    cleaned = [0.0, -1e8, 2.0, -1e8, -1e8, 5.0]
    assert m["nan_count"] == 3
    assert m["spearman"] == pytest.approx(stats.spearmanr(truth, cleaned)[0])


def test_precision_at_topk_uses_orientation():
    truth = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    lower_better = -truth  # a perfect proxy where lower is better
    assert precision_at_topk(lower_better, truth, 2, higher_is_better=False) == 1.0
    assert precision_at_topk(lower_better, truth, 2, higher_is_better=True) == 0.0
    m = correlation_metrics(lower_better, truth, higher_is_better=False, topk=(3,))
    assert m["spearman"] == pytest.approx(-1.0)  # raw signed Spearman, as the suite reports it
    assert m["p_at_top3"] == 1.0


def test_summarise_mean_std():
    per_seed = {s: correlation_metrics(np.arange(10) + (np.arange(10) % (s + 2)), np.arange(10), topk=())
                for s in range(3)}
    out = summarise(per_seed)
    vals = [per_seed[s]["spearman"] for s in range(3)]
    assert out["spearman"] == pytest.approx(np.mean(vals))
    assert out["spearman_std"] == pytest.approx(np.std(vals, ddof=1))
    assert out["seeds"] == 3 and out["n"] == 30


def test_bad_input():
    with pytest.raises(MetricsError, match="ground-truth"):
        correlation_metrics([1, 2], [1, 2, 3])
    with pytest.raises(MetricsError, match="at least 2"):
        correlation_metrics([1], [1])
    assert math.isnan(correlation_metrics([1, 1, 1], [1, 2, 3], topk=())["spearman"])
