"""Built-in proxies: one module per proxy family; the registry imports every public module of this package."""
from .base import Batch, ProxyContext, compute_proxy

__all__ = ["Batch", "ProxyContext", "compute_proxy"]
