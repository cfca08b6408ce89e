r"""L-SWAG's layer interval: percentile bins, the spike rule and the per-benchmark interval file.

Layers (see :mod:`naslib_swap.proxies.lswag`) are numbered :math:`l = 1..L` in forward order; layer :math:`l` falls
in percentile bin (the paper's Eq. 6, PERC_BINS = 10)

.. math:: b(l) = \left\lfloor \frac{(l / L) \cdot 100}{10} \right\rfloor \in \{0, \dots, 10\}

so bin 10 holds only the last layer and bin 0 the layers before the first tenth. An interval ``(lo, hi)`` of bins
keeps the layers with ``lo <= b(l) <= hi`` for :math:`\Lambda` and the activations up to the last layer of bin
``hi`` for :math:`\Psi`.

Spike rule (:func:`spike_interval`; the paper says only "the beginning and the end of spikes"): given the mean
:math:`m_b` over sampled nets of the per-layer log term in each bin, let :math:`p = \arg\max_b m_b` and the
threshold :math:`\tau = \operatorname{median}_b(m_b) + \tfrac12 (m_p - \operatorname{median}_b(m_b))`; the spike is
the longest run of consecutive bins containing :math:`p` with :math:`m_b \ge \tau`; ``lo``/``hi`` are its first
and last bins. Bins no layer of any net falls in are skipped.

Interval file: JSON ``{"<space>/<dataset>": {"lo", "hi", "mean", "std", "count", "n_archs", "rule", ...}}`` at
``$NASLIB_SWAP_LSWAG_INTERVALS`` if set, else ``$XDG_CACHE_HOME/naslib_swap/lswag_intervals.json`` (``~/.cache``
when ``XDG_CACHE_HOME`` is unset). ``naslib-swap lswag-interval`` writes it; the ``lswag`` proxies read it.

Shipped intervals: the package carries the intervals it measured itself (``lswag_intervals.json`` beside this
module: NB201 x3, NB101, NB301, TransNAS class_scene micro/macro, each with how and when it was measured), used where
the user's file has no entry for the (space, dataset); :func:`interval_source` says which one a score used.

Example:
    >>> percentile_bin(1, 20), percentile_bin(10, 20), percentile_bin(20, 20)
    (0, 5, 10)
    >>> spike_interval([1.0, 1.0, 5.0, 6.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 0.5])
    (2, 3)
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import ProxyInputError

PERC_BINS = 10
NUM_BINS = PERC_BINS + 1  # bins 0..10
DEFAULT_INTERVAL: tuple[int, int] = (0, PERC_BINS)  # every layer: the paper's "ALL" row of Tab. 5
SPIKE_RULE = "longest run of bins around argmax(mean) with mean >= median + (max - median)/2"


def percentile_bin(layer: int, num_layers: int) -> int:
    """Bin of layer ``layer`` (1-based) of ``num_layers``: ``int((layer / num_layers) * 100 // (100 / PERC_BINS))``."""
    if not 1 <= layer <= num_layers:
        raise ProxyInputError(f"layer {layer} out of range 1..{num_layers}")
    return int((layer / num_layers) * 100 // (100 / PERC_BINS))


def check_interval(interval: Any) -> tuple[int, int]:
    """``(lo, hi)`` bins from a tuple/list or the string ``"all"``; a bad one is a one-line error."""
    if isinstance(interval, str):
        if interval.strip().lower() == "all":
            return DEFAULT_INTERVAL
        interval = interval.replace(":", "-").split("-")  # "2-7": option values cannot hold commas on the CLI
    try:
        lo, hi = (int(v) for v in interval)
    except (TypeError, ValueError):
        raise ProxyInputError(f"bad L-SWAG interval {interval!r}: give two percentile bins, "
                              "e.g. lswag[interval=2-7] or interval=(2, 7) in Python") from None
    if not 0 <= lo <= hi <= PERC_BINS:
        raise ProxyInputError(f"bad L-SWAG interval ({lo}, {hi}): need 0 <= lo <= hi <= {PERC_BINS}")
    return lo, hi


def spike_interval(mean_per_bin: Sequence[float]) -> tuple[int, int]:
    """``(lo, hi)`` = first and last bin of the spike of ``mean_per_bin`` (NaN = empty bin); see the module doc."""
    m = np.asarray(mean_per_bin, dtype=float)
    ok = np.isfinite(m)
    if not ok.any():
        raise ProxyInputError("no bin holds a finite per-layer term; cannot locate a spike")
    idx = np.flatnonzero(ok)
    vals = m[idx]
    p = int(np.argmax(vals))
    med = float(np.median(vals))
    tau = med + 0.5 * (float(vals[p]) - med)
    lo = hi = p
    while lo - 1 >= 0 and vals[lo - 1] >= tau:
        lo -= 1
    while hi + 1 < len(vals) and vals[hi + 1] >= tau:
        hi += 1
    return int(idx[lo]), int(idx[hi])


def interval_file(path: str | os.PathLike[str] | None = None) -> Path:
    """Where intervals are stored: ``path``, else ``$NASLIB_SWAP_LSWAG_INTERVALS``, else the user cache dir."""
    if path:
        return Path(path)
    env = os.environ.get("NASLIB_SWAP_LSWAG_INTERVALS")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "naslib_swap" / "lswag_intervals.json"


def _key(space: str, dataset: str) -> str:
    return f"{space}/{dataset}"


def read_intervals(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    f = interval_file(path)
    if not f.is_file():
        return {}
    try:
        return json.loads(f.read_text())
    except json.JSONDecodeError:
        raise ProxyInputError(f"the L-SWAG interval file {f} is not valid JSON; delete it and rerun "
                              f"`naslib-swap lswag-interval`") from None


SHIPPED_FILE = Path(__file__).with_name("lswag_intervals.json")


@lru_cache(maxsize=1)
def shipped_intervals() -> dict[str, Any]:
    """The intervals measured by this package and shipped with it (``{"<space>/<dataset>": record}``)."""
    data = json.loads(SHIPPED_FILE.read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


def interval_source(space: str | None, dataset: str | None, path: str | os.PathLike[str] | None = None,
                    *, shipped: bool = True) -> tuple[tuple[int, int], str] | None:
    """``((lo, hi), where)`` of the measured interval of (space, dataset): the user's interval file first, then the
    package's shipped measurement; None when neither has one.

    Example:
        >>> interval_source("nasbench201", "cifar10", "/nonexistent.json")[0]
        (6, 9)
    """
    if space is None or dataset is None:
        return None
    key = _key(space, dataset)
    rec = read_intervals(path).get(key)
    if rec is not None:
        return check_interval((rec["lo"], rec["hi"])), f"user file {interval_file(path)}"
    rec = shipped_intervals().get(key) if shipped else None
    if rec is None:
        return None
    return (check_interval((rec["lo"], rec["hi"])),
            f"shipped: measured {rec.get('measured', '?')} on {rec.get('n_archs', '?')} nets ({SHIPPED_FILE.name})")


def stored_interval(space: str | None, dataset: str | None, path: str | os.PathLike[str] | None = None,
                    *, shipped: bool = True) -> tuple[int, int] | None:
    """The measured interval of (space, dataset) (:func:`interval_source`), or None when none is stored."""
    found = interval_source(space, dataset, path, shipped=shipped)
    return None if found is None else found[0]


def write_interval(space: str, dataset: str, record: dict[str, Any],
                   path: str | os.PathLike[str] | None = None) -> Path:
    """Store ``record`` (must hold ``lo``/``hi``) for (space, dataset); atomic replace, other entries kept."""
    check_interval((record["lo"], record["hi"]))
    f = interval_file(path)
    f.parent.mkdir(parents=True, exist_ok=True)
    data = read_intervals(f)
    data[_key(space, dataset)] = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                                  for k, v in record.items()}
    fd, tmp = tempfile.mkstemp(dir=f.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1)
    os.replace(tmp, f)
    return f
