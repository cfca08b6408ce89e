"""naslib-swap: training-free NAS proxies for NASLib and NAS-Bench-Suite-Zero.

The plugin API (see docs/design.md): register proxies, spaces and searches; build contexts; score.
"""
from __future__ import annotations

from ._version import __version__
from .errors import NaslibSwapError
from .protocols import Protocol, get_protocol, protocol_names
from .proxies.base import Batch, PopulationScore, ProxyCall, ProxyContext, apply_protocol, compute_proxy
from .registry import (
    get_proxy,
    get_search,
    get_space,
    list_proxies,
    list_searches,
    list_spaces,
    register_population_proxy,
    register_proxy,
    register_search,
    register_space,
)
from .scoring import ArchScorer, ScoreResult, score
from .search.base import SearchResult
from .spaces.base import SearchSpace

__all__ = [
    "__version__", "ArchScorer", "Batch", "NaslibSwapError", "PopulationScore", "Protocol", "ProxyCall",
    "ProxyContext", "ScoreResult", "SearchResult", "SearchSpace", "apply_protocol", "compute_proxy", "get_protocol",
    "get_proxy", "get_search", "get_space", "protocol_names",
    "list_proxies", "list_searches", "list_spaces", "register_population_proxy", "register_proxy",
    "register_search", "register_space", "score",
]
