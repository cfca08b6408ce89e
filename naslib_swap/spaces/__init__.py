"""Built-in benchmark spaces: one module per space; importing this package registers every module in it."""
from .._autoimport import import_submodules
from .base import SIZES, SearchSpace
from .capabilities import EvolvableSpace, MissingCapabilityError, PolicySpace, SizeError, Supernet, SupernetSpace

import_submodules(__name__, __path__)

__all__ = ["SIZES", "EvolvableSpace", "MissingCapabilityError", "PolicySpace", "SearchSpace", "SizeError", "Supernet",
           "SupernetSpace"]
