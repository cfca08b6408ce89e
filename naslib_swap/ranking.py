"""One rank utility with a stated tie policy (floor 0: numpy and scipy only).

Ranks are 0-based: rank 0 is the value that comes first in the requested direction. Tie policy (``ties``):

* ``"dense"`` (default): equal values share a rank and the next distinct value takes the next integer
  (``[5, 5, 7] -> [0, 0, 1]``); the TE-NAS code ranks its indicator changes this way.
* ``"min"``: equal values share the lowest rank of their block and the next value skips
  (``[5, 5, 7] -> [0, 0, 2]``); TEG's rank sum (``proxies/teg.py``) uses it.
* ``"average"``: equal values share the mean of their block's ranks (``[5, 5, 7] -> [0.5, 0.5, 2]``), as Spearman.
* ``"ordinal"``: no ties: equal values are ranked by their position (first seen, first ranked).

NaN cannot be ranked (it is neither above nor below anything): :func:`rank` rejects it, so a caller decides first
what a failed value means (the worst value, a constant, ...).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.stats import rankdata

from .errors import NaslibSwapError

TIES: tuple[str, ...] = ("dense", "min", "average", "ordinal")


def rank(values: Sequence[float] | np.ndarray, *, descending: bool = False, ties: str = "dense") -> np.ndarray:
    """0-based ranks of ``values`` (rank 0 first: the smallest, or the largest with ``descending``).

    Args:
        values: the numbers to rank (no NaN).
        descending: rank the largest value first.
        ties: the tie policy, one of :data:`TIES` (see the module doc).

    Returns:
        float array of ranks, same length as ``values`` (integral except with ``ties="average"``).

    Raises:
        NaslibSwapError: an unknown tie policy, or a NaN among the values.

    Example:
        >>> rank([0.3, 0.1, 0.3, 0.2]).tolist()
        [2.0, 0.0, 2.0, 1.0]
        >>> rank([0.3, 0.1, 0.3, 0.2], descending=True).tolist()
        [0.0, 2.0, 0.0, 1.0]
        >>> rank([0.3, 0.1, 0.3, 0.2], ties="min").tolist()
        [2.0, 0.0, 2.0, 1.0]
        >>> rank([5, 5, 7], ties="min").tolist(), rank([5, 5, 7], ties="average").tolist()
        ([0.0, 0.0, 2.0], [0.5, 0.5, 2.0])
        >>> rank([])
        array([], dtype=float64)
        >>> rank([1.0, float("nan")])  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        naslib_swap.errors.NaslibSwapError: cannot rank NaN; replace failed values (e.g. by the worst value)
            before ranking
    """
    if ties not in TIES:
        raise NaslibSwapError(f"unknown tie policy '{ties}'; use one of {', '.join(TIES)}")
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return np.zeros(0)
    if np.isnan(x).any():
        raise NaslibSwapError("cannot rank NaN; replace failed values (e.g. by the worst value) before ranking")
    # negation is exact for floats, so descending ranks tie exactly where ascending ones do
    return rankdata(-x if descending else x, method=ties).astype(float) - 1.0
