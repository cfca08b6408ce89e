"""Search methods (SWAP-NAS, TEG-NAS, Zero-Cost-PT, LIBRA-NAS): one module per method family, registered on import."""
from .._autoimport import import_submodules
from .base import SearchResult

import_submodules(__name__, __path__)

__all__ = ["SearchResult"]
