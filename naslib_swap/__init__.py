"""naslib-swap: training-free NAS proxies for NASLib and NAS-Bench-Suite-Zero.

The plugin API (see docs/design.md): register proxies, spaces and searches; build contexts; score.
"""
from __future__ import annotations

from ._version import __version__
from .errors import NaslibSwapError
from .integrations.compat import add_collections_aliases
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

# NASLib's Develop branch imports collections.Iterable (gone since Python 3.10): importing naslib_swap before the
# first naslib.predictors import is enough (see naslib_swap/integrations/compat.py).
add_collections_aliases()

__all__ = [
    "__version__", "ArchScorer", "Batch", "NaslibSwapError", "PopulationScore", "Protocol", "ProxyCall",
    "ProxyContext", "ScoreResult", "SearchResult", "SearchSpace", "apply_protocol", "compute_proxy", "get_protocol",
    "get_proxy", "get_search", "get_space", "protocol_names",
    "list_proxies", "list_searches", "list_spaces", "register_population_proxy", "register_proxy",
    "register_search", "register_space", "score",
]
