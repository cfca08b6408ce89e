"""Built-in proxies: one module per proxy family; importing this package registers every module in it."""
from .._autoimport import import_submodules
from .base import Batch, ProxyContext, compute_proxy

import_submodules(__name__, __path__)

__all__ = ["Batch", "ProxyContext", "compute_proxy"]
