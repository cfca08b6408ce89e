"""Search methods (SWAP-NAS, TEG-NAS, Zero-Cost-PT, LIBRA-NAS): one module per method family; the registry imports
every public module of this package."""
from .base import SearchResult

__all__ = ["SearchResult"]
