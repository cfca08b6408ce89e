r"""LIBRA: Low Information gain and Bias Re-Alignment (L-SWAG paper, Sec. 3.2, Algorithm 1).

Given a table of architectures (rows) with proxy scores, ground truth and ``#params`` (columns), LIBRA picks three
proxies on a *fit* sample:

1. :math:`z_1` = the proxy with the highest Spearman :math:`\rho` with the ground truth :math:`y`;
2. the *window*: the other proxies with :math:`\rho \ge \rho(z_1) - \text{tol}` (tol 0.1; 0.2 for TNB101-micro
   autoencoder and TNB101-macro room_layout, as the paper's App. E); :math:`z_2` = the window member of least
   information gain :math:`IG(z) = H(y \mid z_1) - H(y \mid z_1, z)` (Eq. 9, entropies of
   :mod:`naslib_swap.ensemble.entropy`);
3. :math:`z_3` = among the rest of the window, the proxy whose bias :math:`b_z` is closest to the ground truth's
   :math:`b_\text{val}` (bias matching), where :math:`b_q` = Pearson correlation between the ranks induced by
   :math:`q` and by #params (i.e. Spearman(q, params)).

If the window holds one proxy LIBRA keeps :math:`(z_1, z_2)`; if it is empty, :math:`z_1` alone.

Rules for the picks after :math:`z_1` (``rule``): ``paper`` (default) keeps :math:`z_3` whenever the window has one;
``fit-check`` keeps it only if the rank sum of :math:`(z_1, z_2, z_3)` has a higher Spearman on the fit sample than
that of :math:`(z_1, z_2)` (the labels LIBRA already uses for :math:`\rho`); ``fit-check-all`` applies the same test
to :math:`z_2` (against :math:`z_1` alone), then to :math:`z_3` (against the picks kept); ``two`` never takes
:math:`z_3`. Why the third pick can hurt: bias matching
compares each candidate's own bias with :math:`b_\text{val}`, not the ensemble's. When :math:`z_2` is a size proxy
(params / flops, bias 1) the pair's bias is already past :math:`b_\text{val}` and a matched :math:`z_3` barely moves
it, while it takes a third of the weight from :math:`z_1`; when the window holds a single leftover proxy it is taken
whatever its bias (docs/results.md, issue 16, continued: held-out figures of the three rules on 19 tasks).

The paper does not say how the chosen proxies are merged; :func:`combine` offers ``rank_sum`` (default: sum of each
proxy's ascending ranks within the scored population), ``zscore`` (mean of per-proxy z-scores) and ``rank_product``
(sum of log ranks, the geometric mean of ranks as AZ-NAS aggregates). Only the *choice* of proxies is fitted; the
combination is an unsupervised transform of whatever population is scored, so a held-out sample is scored without any
of its labels.

Protocols (:func:`libra_protocol`): ``held-out`` fits on the sample of ``fit_seed`` and reports the Spearman on
samples of the ``eval_seeds`` drawn from the archs *not* in the fit sample; ``same-sample`` (the paper's protocol)
fits and evaluates on the fit sample itself.

Scores are taken as stored: a larger score means a better arch (the suite's convention). Non-finite scores are the
worst: they rank last and sit at the column minimum for the entropies.

Example:
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0); y = rng.normal(size=200); p = y + rng.normal(size=200)
    >>> df = pd.DataFrame({"a": y + 0.3 * rng.normal(size=200), "b": y + 0.5 * rng.normal(size=200),
    ...                    "c": -y, "params": p, "val_accuracy": y})
    >>> fit = libra_select(df, ["a", "b", "c", "params"])
    >>> fit.chosen[0]
    'a'
    >>> "c" in fit.chosen
    False
"""
from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import NaslibSwapError
from ..ranking import rank
from .entropy import information_gain

COMBINE_METHODS = ("rank_sum", "zscore", "rank_product")
# how the third proxy is kept: the paper's bias matching always; or only if it raises the rank sum's fit-sample Spearman
RULES = ("paper", "fit-check", "fit-check-all", "two")
DEFAULT_TOLERANCE = 0.1
# (space, task) where the paper widens the window to 0.2 (App. E)
WIDE_TOLERANCE: dict[tuple[str, str], float] = {
    ("transbench101_micro", "autoencoder"): 0.2,
    ("transbench101_macro", "room_layout"): 0.2,
}
TARGET = "val_accuracy"
PARAMS = "params"


class LibraError(NaslibSwapError):
    """A table LIBRA cannot fit or evaluate (missing columns, too few archs)."""


def default_tolerance(space: str | None, dataset: str | None) -> float:
    """0.2 for TNB101-micro autoencoder and TNB101-macro room_layout (the paper's App. E), else 0.1."""
    return WIDE_TOLERANCE.get((str(space), str(dataset)), DEFAULT_TOLERANCE)


def _finite(x: Any) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    return np.where(np.isfinite(a), a, -np.inf)  # failed scores rank last


def _spearman(x: Any, y: Any) -> float:
    with warnings.catch_warnings():  # a constant column (e.g. a failed proxy) has no correlation: NaN, not a warning
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        rho = stats.spearmanr(_finite(x), np.asarray(y, dtype=float)).statistic
    return float(rho) if np.isfinite(rho) else float("nan")


def combine(table: pd.DataFrame, proxies: Sequence[str], method: str = "rank_sum") -> np.ndarray:
    """One combined score per row (higher = better) from the columns ``proxies`` of ``table``.

    Args:
        method: ``rank_sum`` (sum of ascending ranks, ties averaged), ``zscore`` (mean of (x - mean) / std over the
            rows), ``rank_product`` (sum of log ranks).

    Example:
        >>> df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [30.0, 10.0, 20.0]})
        >>> combine(df, ["a", "b"]).tolist()
        [4.0, 3.0, 5.0]
    """
    if method not in COMBINE_METHODS:
        raise LibraError(f"unknown LIBRA combination '{method}'; known: {', '.join(COMBINE_METHODS)}")
    missing = [p for p in proxies if p not in table.columns]
    if missing:
        raise LibraError(f"the table has no column(s) {', '.join(missing)}; score them first or choose another pool",
                         param="pool")
    if not proxies:
        raise LibraError("nothing to combine: no proxy chosen")
    cols = [_finite(table[p].to_numpy()) for p in proxies]
    if method == "zscore":
        out = np.zeros(len(table))
        for c in cols:
            fin = np.isfinite(c)
            c = np.where(fin, c, c[fin].min() if fin.any() else 0.0)
            sd = c.std()
            out += (c - c.mean()) / sd if sd > 0 else 0.0
        return out / len(cols)
    ranks = [rank(c, ties="average") + 1.0 for c in cols]  # 1-based: the log-rank sum needs ranks >= 1
    if method == "rank_sum":
        return np.sum(ranks, axis=0).astype(float)
    return np.sum(np.log(ranks), axis=0)


def combine_reference(reference: pd.DataFrame, table: pd.DataFrame, proxies: Sequence[str],
                      method: str = "rank_sum") -> np.ndarray:
    """Like :func:`combine`, but each proxy is ranked against a fixed ``reference`` population (e.g. the fit sample).

    A row's score no longer depends on the other rows of ``table``, so one architecture queried alone (as NASLib's
    Bananas acquisition does) scores the same as inside a batch. ``rank_sum``: sum over proxies of the mid-rank
    empirical CDF in the reference, :math:`(\\#\\{r < x\\} + \\#\\{r \\le x\\}) / 2n`; ``rank_product``: sum of
    :math:`\\log(1 + n\\,\\mathrm{cdf})`; ``zscore``: mean of :math:`(x - \bar r) / s_r`.

    Example:
        >>> ref = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [4.0, 3.0, 2.0, 1.0]})
        >>> combine_reference(ref, pd.DataFrame({"a": [2.5, 0.0], "b": [2.5, 9.0]}), ["a", "b"]).tolist()
        [1.0, 1.0]
    """
    if method not in COMBINE_METHODS:
        raise LibraError(f"unknown LIBRA combination '{method}'; known: {', '.join(COMBINE_METHODS)}")
    missing = [p for p in proxies if p not in table.columns or p not in reference.columns]
    if missing:
        raise LibraError(f"no column(s) {', '.join(missing)} to score; score them first or choose another pool")
    if not proxies:
        raise LibraError("nothing to combine: no proxy chosen")
    out = np.zeros(len(table))
    for p in proxies:
        ref = np.sort(_finite(reference[p].to_numpy()))
        x = _finite(table[p].to_numpy())
        if method == "zscore":
            fin = ref[np.isfinite(ref)]
            mu, sd = (fin.mean(), fin.std()) if len(fin) else (0.0, 0.0)
            x = np.where(np.isfinite(x), x, fin.min() if len(fin) else 0.0)
            out += (x - mu) / sd if sd > 0 else 0.0
            continue
        cdf = (np.searchsorted(ref, x, "left") + np.searchsorted(ref, x, "right")) / (2.0 * len(ref))
        out += cdf if method == "rank_sum" else np.log1p(len(ref) * cdf)
    return out / len(proxies) if method == "zscore" else out


@dataclass
class LibraFit:
    """LIBRA's choice on a fit sample and the statistics behind it (plain data; ``as_dict`` for JSON)."""

    chosen: list[str]
    spearman: dict[str, float]
    window: list[str]
    info_gain: dict[str, float]
    bias: dict[str, float]
    bias_val: float
    tolerance: float
    n: int
    combine: str = "rank_sum"
    notes: list[str] = field(default_factory=list)

    def score(self, table: pd.DataFrame, method: str | None = None, k: int | None = None) -> np.ndarray:
        """The combined score of every row of ``table`` from the first ``k`` chosen proxies (default all)."""
        return combine(table, self.chosen[: k or len(self.chosen)], method or self.combine)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_table(table: pd.DataFrame, pool: Sequence[str], target: str = TARGET, params: str = PARAMS) -> pd.DataFrame:
    """The rows of ``table`` with a value in the target, params and every pool column (a copy)."""
    need = list(dict.fromkeys([*pool, target, params]))
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise LibraError(f"the table has no column(s) {', '.join(missing)}; "
                         f"columns: {', '.join(map(str, table.columns))}")
    return table.dropna(subset=need).copy()


def libra_select(
    table: pd.DataFrame,
    pool: Sequence[str],
    *,
    target: str = TARGET,
    params: str = PARAMS,
    tolerance: float = DEFAULT_TOLERANCE,
    combine_method: str = "rank_sum",
    bins: int | None = None,
    rule: str = "paper",
) -> LibraFit:
    """LIBRA's Algorithm 1 on ``table`` (rows = archs): choose :math:`z_1, z_2, z_3` from ``pool``.

    Args:
        table: a DataFrame with a column per proxy in ``pool``, ``target`` (ground truth) and ``params``.
        pool: candidate proxy columns (``params`` may be one of them).
        tolerance: width of the Spearman window below the best proxy.
        combine_method: how :meth:`LibraFit.score` merges the chosen proxies.
        bins: equal-width bins per variable for the entropies (default: the suite's rule on the table's size).
        rule: ``paper`` (keep the bias-matched :math:`z_3`), ``fit-check`` (keep it only if it raises the fit
            sample's Spearman of the rank sum), ``fit-check-all`` (the same test for :math:`z_2`, then
            :math:`z_3`) or ``two`` (never take a third).

    Raises:
        LibraError: missing columns, fewer than 3 rows, or no proxy with a defined Spearman.
    """
    if not 0 <= tolerance <= 2:  # a Spearman window: negative would choose nothing, > 2 everything
        raise LibraError(f"tolerance is a Spearman window below the best proxy, 0..2; got {tolerance}",
                         param="tolerance")
    if combine_method not in COMBINE_METHODS:
        raise LibraError(f"unknown LIBRA combination '{combine_method}'; known: {', '.join(COMBINE_METHODS)}")
    check_rule(rule)
    pool = list(dict.fromkeys(pool))
    if not pool:
        raise LibraError("the LIBRA pool is empty; pass at least one proxy column")
    df = check_table(table, pool, target, params)
    if len(df) < 3:
        raise LibraError(f"LIBRA needs at least 3 architectures with all scores, got {len(df)}")
    y = df[target].to_numpy(dtype=float)
    rho = {p: _spearman(df[p], y) for p in pool}
    ranked = sorted((p for p in pool if math.isfinite(rho[p])), key=lambda p: -rho[p])
    if not ranked:
        raise LibraError("no proxy of the pool has a defined Spearman correlation on the fit sample")
    notes: list[str] = []
    z1 = ranked[0]
    window = [p for p in ranked[1:] if rho[p] >= rho[z1] - tolerance]
    ig = {p: information_gain(y, _finite(df[z1]), _finite(df[p]), bins=bins) for p in window}
    chosen = [z1]
    if window:
        z2 = min(window, key=lambda p: (ig[p], -rho[p]))
        chosen.append(z2)
    else:
        notes.append(f"no proxy within {tolerance} of {z1}: LIBRA keeps {z1} alone")
    prm = df[params].to_numpy(dtype=float)
    bias = {p: _spearman(df[p], prm) for p in pool}
    bias_val = _spearman(y, prm)
    rest = [p for p in window if p not in chosen]
    if rest:
        z3 = min(rest, key=lambda p: (abs(bias_val - bias[p]) if math.isfinite(bias[p]) else math.inf, -rho[p]))
        chosen.append(z3)
    if not rest and window:
        notes.append(f"only one proxy within {tolerance} of {z1}: LIBRA keeps two")
    if rule != "paper" and len(chosen) > 1:
        chosen = _apply_rule(rule, df, chosen, y, combine_method, notes)
    return LibraFit(chosen=chosen, spearman=rho, window=window, info_gain=ig, bias=bias, bias_val=bias_val,
                    tolerance=tolerance, n=len(df), combine=combine_method, notes=notes)


def _apply_rule(rule: str, df: pd.DataFrame, picks: list[str], y: np.ndarray, method: str,
                notes: list[str]) -> list[str]:
    """The paper's picks filtered by ``rule``: ``two`` drops the third; ``fit-check`` keeps the third only if it raises
    the fit sample's Spearman of the merged score; ``fit-check-all`` does that for the second, then the third, over
    the picks kept so far."""
    def rho_of(cols: list[str]) -> float:
        return _spearman(combine(df, cols, method), y)

    if rule == "two":
        if len(picks) > 2:
            notes.append(f"rule two: the bias-matched third proxy {picks[2]} is left out")
        return picks[:2]
    kept = list(picks[:2]) if rule == "fit-check" else picks[:1]
    for z in picks[len(kept):]:
        with_z, without = rho_of([*kept, z]), rho_of(kept)
        if with_z > without:
            kept.append(z)
        else:
            notes.append(f"rule {rule}: {z} is left out (fit-sample Spearman {with_z:.3f} with it, {without:.3f} "
                         f"without)")
    return kept


def check_rule(rule: str) -> str:
    """``rule`` if it is one of :data:`RULES`, else a one-line error."""
    if rule not in RULES:
        raise LibraError(f"unknown LIBRA rule '{rule}'; known: {', '.join(RULES)}", param="rule")
    return rule


def evaluate(fit: LibraFit, table: pd.DataFrame, *, target: str = TARGET, methods: Sequence[str] = COMBINE_METHODS
             ) -> dict[str, float]:
    """Spearman on ``table`` of each combination method, of ``z1`` alone and of the rank sum of ``z1, z2``."""
    df = table.dropna(subset=[*fit.chosen, target])
    y = df[target].to_numpy(dtype=float)
    out = {f"libra[{m}]": _spearman(fit.score(df, m), y) for m in methods}
    out["z1 alone"] = _spearman(df[fit.chosen[0]], y)
    if len(fit.chosen) >= 2:
        out["z1+z2 rank_sum"] = _spearman(fit.score(df, "rank_sum", k=2), y)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Tables: the suite's files or the suite runner's store
# ---------------------------------------------------------------------------------------------------------------

def _wide(long: pd.DataFrame) -> pd.DataFrame:
    if long.empty:
        return pd.DataFrame()
    # a stored NaN/inf is a failed score (the worst), not a missing one: keep the arch, rank it last
    long = long.assign(score=long["score"].astype(float).fillna(-np.inf))
    return long.pivot_table(index="arch", columns="proxy", values="score", aggfunc="mean")


def suite_table(space: str, dataset: str, data_root: str | Path | None = None) -> pd.DataFrame:
    """The suite's 13 baselines for every arch of its key list, with the file's ``val_accuracy`` (index: arch key).

    NB201 cifar10 / ImageNet16-120 read the final suite CSV (9,445 archs); others the preview ``zc_*.json``.
    """
    from ..suite.baselines import baseline_scores, zc_file_truth
    from ..suite.sampler import suite_keys

    keys = suite_keys(space, dataset, data_root)
    wide = _wide(baseline_scores(space, dataset, keys, data_root))
    wide = wide.reindex([k for k in keys if k in wide.index])  # the suite file's order: its sampler draws from it
    truth = zc_file_truth(space, dataset, keys, data_root)
    wide[TARGET] = pd.Series(truth)
    return wide


def store_table(
    db_path: str | Path,
    space: str,
    dataset: str,
    *,
    data_root: str | Path | None = None,
    baselines: bool = True,
) -> pd.DataFrame:
    """Our proxies' scores from the suite runner's store (mean over its seeds per arch), joined with the suite's
    baselines of the same archs (``baselines=True``) and the ground truth (the store's ``truth`` table, else the
    suite file's ``val_accuracy``). Proxy columns of the store keep their labels (e.g. ``reg_swap``, ``lswag``)."""
    from ..suite.baselines import baseline_scores, zc_file_truth
    from ..suite.store import load_scores, load_truth

    wide = _wide(load_scores(db_path, space, dataset))
    if wide.empty:
        raise LibraError(f"the store {db_path} has no scores for {space}/{dataset}; run `naslib-swap correlate` first")
    archs = list(wide.index)
    if baselines:
        base = _wide(baseline_scores(space, dataset, archs, data_root))
        for c in base.columns:
            if c not in wide.columns:
                wide[c] = base[c]
    truth = load_truth(db_path, space, dataset)
    if not truth.empty and "metric" in truth.columns:
        t = truth[truth["metric"] == "val"]
        wide[TARGET] = t.set_index("arch")["value"].astype(float)
    if TARGET not in wide.columns or wide[TARGET].isna().all():
        wide[TARGET] = pd.Series(zc_file_truth(space, dataset, archs, data_root))
    return wide


# ---------------------------------------------------------------------------------------------------------------
# Fit / evaluate protocol
# ---------------------------------------------------------------------------------------------------------------

def split_samples(keys: Sequence[str], n: int, fit_seed: int,
                  eval_seeds: Sequence[int]) -> tuple[list[str], dict[int, list[str]], list[str]]:
    """The fit sample and, per eval seed, a sample drawn from the archs *not* in the fit sample.

    Draws follow the suite's sampler (:func:`naslib_swap.suite.sampler.sample_archs`, NASLib's ``random.choice``
    seeded by the seed) without replacement. If ``2 n`` exceeds the number of keys, ``n`` becomes half of them
    (the note says so). Eval seeds that would all draw the same archs (too few outside the fit sample) collapse to
    one held-out sample (the note says so), rather than k identical figures with a spread of 0.
    """
    from ..suite.sampler import sample_archs

    notes = []
    keys = list(keys)
    if len(keys) < 6:
        raise LibraError(f"LIBRA's fit/eval protocol needs at least 6 archs with every score, got {len(keys)}")
    if 2 * n > len(keys):
        notes.append(f"{len(keys)} archs hold every score: fit and eval samples take {len(keys) // 2} each, not {n}")
        n = len(keys) // 2
    fit = sample_archs(keys, n, fit_seed, unique=True)
    fit_set = set(fit)
    rest = [k for k in keys if k not in fit_set]
    if len(eval_seeds) > 1 and len(rest) <= n:
        # every seed would draw all of them: one held-out sample, not k figures with a spread of 0 by construction
        notes.append(f"only {len(rest)} archs lie outside the fit sample: the {len(eval_seeds)} evaluation seeds "
                     f"collapse to one held-out sample (all of them), so no spread is reported; score more archs "
                     f"for distinct held-out samples")
        eval_seeds = list(eval_seeds)[:1]
    evals = {s: sample_archs(rest, min(n, len(rest)), s, unique=True) for s in eval_seeds}
    return fit, evals, notes


def libra_protocol(
    table: pd.DataFrame,
    pool: Sequence[str] | None = None,
    *,
    n: int = 1000,
    fit_seed: int = 9000,
    eval_seeds: Sequence[int] = (9001, 9002, 9003, 9004),
    tolerance: float = DEFAULT_TOLERANCE,
    combine_method: str = "rank_sum",
    target: str = TARGET,
    params: str = PARAMS,
    rule: str = "paper",
) -> dict[str, Any]:
    """Fit LIBRA on one seed's sample and evaluate it on others (held-out), plus the paper's same-sample figure.

    Returns plain data: ``chosen``, the fit statistics, ``same_sample`` (fit sample, the paper's protocol) and
    ``held_out`` (per eval seed and mean/std) Spearman of each combination, of ``z1`` alone and of ``z1+z2``, and
    the best single proxy of the pool measured on the eval samples (an oracle, for reference).
    """
    if fit_seed in eval_seeds:
        raise LibraError(f"the evaluation seeds include the fit seed {fit_seed}: a held-out figure may not score the "
                         f"fit sample; leave it out of the evaluation seeds", param="eval_seeds")
    pool = list(pool) if pool is not None else [c for c in table.columns if c != target]
    df = check_table(table, pool, target, params)
    df.index = df.index.astype(str)
    fit_keys, evals, notes = split_samples(list(df.index), n, fit_seed, eval_seeds)  # table order (the suite's)
    fit = libra_select(df.loc[fit_keys], pool, target=target, params=params, tolerance=tolerance,
                       combine_method=combine_method, rule=rule)
    same = evaluate(fit, df.loc[fit_keys], target=target)
    per_seed: dict[int, dict[str, float]] = {}
    oracle: dict[int, tuple[str, float]] = {}
    for s, keys in evals.items():
        sub = df.loc[keys]
        per_seed[s] = evaluate(fit, sub, target=target)
        best = max(pool, key=lambda p: np.nan_to_num(_spearman(sub[p], sub[target]), nan=-2))
        oracle[s] = (best, _spearman(sub[best], sub[target]))
    names = list(next(iter(per_seed.values()))) if per_seed else []
    held = {m: {"mean": float(np.mean([per_seed[s][m] for s in per_seed])),
                # one seed has no spread: None, not a misleading 0.000
                "std": float(np.std([per_seed[s][m] for s in per_seed], ddof=1)) if len(per_seed) > 1 else None,
                "per_seed": {str(s): per_seed[s][m] for s in per_seed}} for m in names}
    return {
        "n_fit": len(fit_keys),
        "n_eval": len(next(iter(evals.values()))) if evals else 0,
        "n_table": len(df),
        "fit_seed": fit_seed,
        "rule": rule,
        "eval_seeds": [int(k) for k in evals],
        "pool": pool,
        "chosen": fit.chosen,
        "fit": fit.as_dict(),
        "same_sample": same,
        "held_out": held,
        "oracle_best_single": {str(s): {"proxy": p, "spearman": r} for s, (p, r) in oracle.items()},
        "notes": notes + fit.notes,
    }
