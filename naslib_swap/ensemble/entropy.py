r"""Discretised entropies as NAS-Bench-Suite-Zero computes them (used by LIBRA's information gain).

Every variable is cut into ``n_bins`` equal-width bins over its own range, with the suite's Sturges-like rule

.. math:: n_\text{bins} = \operatorname{round}(1 + 3.322 \ln n)

(the suite's code uses the natural log; textbook Sturges uses :math:`\log_{10}`, offered as ``rule="log10"``).
Entropies are in bits, joint entropies are taken over the cells of the joint (multi-dimensional) histogram, and
conditional entropies follow the chain rule :math:`H(y \mid a) = H(a, y) - H(a)`,
:math:`H(y \mid a, b) = H(a, b, y) - H(a, b)`.

Example:
    >>> import numpy as np
    >>> n_bins(1000)
    24
    >>> round(entropy([0.0, 0.0, 1.0, 1.0], bins=2), 6)
    1.0
    >>> y = np.array([0.0, 0.0, 1.0, 1.0]); a = np.array([5.0, 5.0, 7.0, 7.0])
    >>> conditional_entropy(y, [a], bins=2)  # a determines y
    0.0
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy.stats import entropy as _scipy_entropy

from ..errors import NaslibSwapError
from ..suite.metrics import SUITE_NAN_VALUE

ArrayLike = Sequence[float] | np.ndarray


def n_bins(n: int, rule: str = "ln") -> int:
    """Number of equal-width bins for ``n`` samples: ``round(1 + 3.322 * ln n)`` (``rule="log10"``: Sturges)."""
    if n < 1:
        raise NaslibSwapError(f"entropy needs at least one sample, got {n}")
    if rule == "ln":
        return int(round(1 + 3.322 * math.log(n)))
    if rule == "log10":
        return int(round(1 + 3.322 * math.log10(n)))
    raise NaslibSwapError(f"unknown bin rule {rule!r}; known: ln, log10")


def _clean(x: ArrayLike) -> np.ndarray:
    a = np.asarray(x, dtype=float).ravel()
    # NaN/inf and NASLib's failure value (-1e8, written into the suite's files for a failed score) are failures
    bad = ~np.isfinite(a) | (a <= SUITE_NAN_VALUE)
    if bad.any():
        # a failed score is the worst one: put it at the column's finite minimum (left at -1e8 it would squash every
        # other value into a single bin, and the information gain of that proxy would read 0)
        fill = np.nanmin(np.where(bad, np.nan, a)) if (~bad).any() else 0.0
        a = np.where(bad, fill, a)
    return a


def entropy(*variables: ArrayLike, bins: int | None = None, rule: str = "ln") -> float:
    """Joint entropy (bits) of one or more variables, each cut into equal-width bins over its range.

    Args:
        variables: 1-D arrays of the same length ``n``.
        bins: bins per variable (default :func:`n_bins` of ``n``).
        rule: ``ln`` (the suite) or ``log10`` for the default bin count.
    """
    if not variables:
        raise NaslibSwapError("entropy needs at least one variable")
    cols = [_clean(v) for v in variables]
    n = len(cols[0])
    if any(len(c) != n for c in cols):
        raise NaslibSwapError("entropy: all variables must have the same length")
    k = bins or n_bins(n, rule)
    counts, _ = np.histogramdd(np.column_stack(cols), bins=k)
    return float(_scipy_entropy(counts.ravel(), base=2))


def conditional_entropy(y: ArrayLike, given: Sequence[ArrayLike], *, bins: int | None = None,
                        rule: str = "ln") -> float:
    """:math:`H(y \\mid given) = H(given, y) - H(given)` in bits."""
    if not given:
        return entropy(y, bins=bins, rule=rule)
    return entropy(*given, y, bins=bins, rule=rule) - entropy(*given, bins=bins, rule=rule)


def information_gain(y: ArrayLike, z1: ArrayLike, z: ArrayLike, *, bins: int | None = None, rule: str = "ln") -> float:
    r"""LIBRA's Eq. 9: :math:`IG(z) = H(y \mid z_1) - H(y \mid z_1, z)`, what ``z`` adds about ``y`` beyond ``z1``."""
    return conditional_entropy(y, [z1], bins=bins, rule=rule) - conditional_entropy(y, [z1, z], bins=bins, rule=rule)
