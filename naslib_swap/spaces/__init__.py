"""Built-in benchmark spaces: one module per space; the registry imports every public module of this package."""
from .base import SearchSpace

__all__ = ["SearchSpace"]
