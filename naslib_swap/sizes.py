"""Model-size histograms of a space: the parameter counts of uniformly sampled architectures (reg-SWAP's ``auto``
prior reads them through :attr:`naslib_swap.proxies.base.ProxyContext.sampled_sizes`)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from ._version import __version__
from .modelstats import count_parameters
from .rng import make_generator


def sampled_param_counts(space: Any, dataset: str, n: int = 1000, seed: int = 0) -> tuple[float, ...]:
    """Parameter counts (millions) of ``n`` archs of ``space`` drawn by its ``sample`` from ``seed``.

    Networks are built on the ``meta`` device (no memory, no initialisation). The result is cached in memory and on
    disk under ``$XDG_CACHE_HOME/naslib_swap`` (default ``~/.cache/naslib_swap``): building 1000 networks takes a
    minute.
    """
    key = (space.name, dataset, int(n), int(seed))
    if key not in _MEMO:
        _MEMO[key] = _compute(space, *key)
    return _MEMO[key]


_MEMO: dict[tuple[str, str, int, int], tuple[float, ...]] = {}


def _compute(space: Any, space_name: str, dataset: str, n: int, seed: int) -> tuple[float, ...]:
    cache_dir = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "naslib_swap"
    cache = cache_dir / f"sizes_{space_name}_{dataset}_{n}_{seed}_v{__version__}.json"
    if cache.is_file():
        try:
            return tuple(float(v) for v in json.loads(cache.read_text()))
        except (ValueError, OSError):
            pass  # a corrupt cache is recomputed
    g = make_generator(seed)
    sizes = []
    for _ in range(n):
        arch = space.sample(g)
        count = space.param_count(arch, dataset)  # exact without a build where the space knows it
        if count is None:
            with torch.device("meta"):
                count = count_parameters(space.build(arch, dataset, device="meta"))
        sizes.append(count / 1e6)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(sizes))
        tmp.replace(cache)  # atomic: a killed run leaves no half-written cache
    except OSError:
        pass  # a read-only home only costs the recomputation
    return tuple(sizes)
