"""Typical cost of each proxy per architecture, as measured by ``scripts/measure_proxy_costs.py`` on NB201.

The figures ship with the package (``measured_costs.json``, with the machine, load and command that produced them) so
that ``naslib-swap list`` can tell a user what a proxy costs before they start a 1000-arch run; a proxy not measured
has no figure (``None``), never a guess.

Example:
    >>> c = typical_cost("params")
    >>> c is None or c["seconds_per_arch"] >= 0
    True
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

COSTS_FILE = Path(__file__).with_name("measured_costs.json")
SPACE_KEY = "nasbench201/cifar10"

__all__ = ["COSTS_FILE", "SPACE_KEY", "measured_costs", "typical_cost"]


@lru_cache(maxsize=1)
def measured_costs() -> dict[str, Any]:
    """The stored measurement (``{}`` when the file is absent)."""
    try:
        return dict(json.loads(COSTS_FILE.read_text()).get(SPACE_KEY, {}))
    except (OSError, ValueError):
        return {}


def typical_cost(proxy: str) -> dict[str, Any] | None:
    """``{"seconds_per_arch", "cpu_seconds_per_arch", "archs", "batch_size"}`` for a measured proxy, else ``None``."""
    entry = measured_costs().get("proxies", {}).get(proxy)
    return dict(entry) if entry else None
