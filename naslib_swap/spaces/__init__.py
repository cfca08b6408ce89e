"""Built-in benchmark spaces: one module per space; the registry imports every public module of this package."""
from .base import SIZES, SearchSpace
from .capabilities import EvolvableSpace, MissingCapabilityError, PolicySpace, SizeError, Supernet, SupernetSpace

__all__ = ["SIZES", "EvolvableSpace", "MissingCapabilityError", "PolicySpace", "SearchSpace", "SizeError", "Supernet",
           "SupernetSpace"]
