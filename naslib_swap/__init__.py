"""naslib-swap: training-free NAS proxies for NASLib and NAS-Bench-Suite-Zero."""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import NaslibSwapError
from .registry import get_proxy, get_space, list_proxies, list_spaces, register_proxy
from .scoring import ScoreResult, score

__all__ = [
    "__version__", "NaslibSwapError", "get_proxy", "get_space", "list_proxies", "list_spaces", "register_proxy", "score", "ScoreResult",
]
