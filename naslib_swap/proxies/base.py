"""The proxy calling convention and the one function every caller uses to run a proxy.

A proxy is ``fn(net, batch, ctx, **options) -> float`` registered with
:func:`naslib_swap.registry.register_proxy`. It works on any ``nn.Module`` and never imports a space; what it needs
from the outside comes through :class:`ProxyContext`. Callers run proxies through :func:`compute_proxy`, which reads
the proxy's metadata (BN mode, labels, gradients, population), never its name.
"""
from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch
import torch.nn as nn

from ..errors import ProxyInputError
from ..registry import ProxySpec, get_proxy
from ..types import Batch

__all__ = ["Batch", "ProxyContext", "compute_proxy", "resolve_options"]


@dataclass
class ProxyContext:
    """What a proxy may need beyond the net and the batch. One context belongs to one (architecture, batch).

    Attributes:
        device: where to compute.
        generator: the only source of randomness (re-initialisations, random inputs).
        space: the benchmark space name, for messages and per-space defaults (never to branch on in a proxy).
        dataset: the dataset / task name.
        size_prior: the space's default ``(mu, sigma)`` model-size prior in millions of parameters (reg-SWAP).
        build_net: ``build_net(**overrides) -> nn.Module``, the same architecture with other sizes (TEG's thin net).
        make_batches: ``make_batches(sizes) -> list[Batch]``, more disjoint batches of the same data (TEG MSE).
        cache: work shared between proxies of the same (architecture, batch), e.g. the SWAP count for reg-SWAP.
    """

    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    generator: torch.Generator = field(default_factory=lambda: torch.Generator().manual_seed(0))
    space: str | None = None
    dataset: str | None = None
    size_prior: tuple[float, float] | None = None
    build_net: Callable[..., nn.Module] | None = None
    make_batches: Callable[[Sequence[int]], list[Batch]] | None = None
    cache: dict[Any, Any] = field(default_factory=dict)


def resolve_options(spec: ProxySpec, options: dict[str, Any]) -> dict[str, Any]:
    """The proxy's default options updated with ``options``; an unknown option is a one-line error."""
    params = inspect.signature(spec.fn).parameters
    accepted = [n for n, p in params.items() if p.kind == p.KEYWORD_ONLY]
    takes_any = any(p.kind == p.VAR_KEYWORD for p in params.values())
    bad = [k for k in options if k not in accepted and not takes_any]
    if bad:
        raise ProxyInputError(
            f"proxy '{spec.name}' has no option {', '.join(map(repr, bad))}; its options: {', '.join(accepted) or '(none)'}"
        )
    out = dict(spec.options)
    out.update(options)
    return out


def compute_proxy(
    proxy: str | ProxySpec,
    net: nn.Module,
    batch: Batch,
    ctx: ProxyContext | None = None,
    *,
    copy_net: bool = True,
    **options: Any,
) -> float:
    """Score ``net`` on ``batch`` with one proxy.

    The net is deep-copied (proxies may re-initialise it), moved to ``ctx.device`` and put in the BN mode the proxy
    declares (``bn_mode="train"|"eval"`` overrides it). The result is a float; NaN/inf are returned as they are (the suite runner maps them to -1e8).

    Example:
        >>> import torch, torch.nn as nn
        >>> from naslib_swap.proxies.base import Batch, compute_proxy
        >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
        >>> b = Batch(torch.randn(8, 3, 8, 8, generator=torch.Generator().manual_seed(0)), None)
        >>> compute_proxy("swap", net, b) > 0
        True
    """
    spec = get_proxy(proxy) if isinstance(proxy, str) else proxy
    ctx = ctx or ProxyContext()
    if spec.needs_population:
        raise ProxyInputError(
            f"proxy '{spec.name}' combines a population of architectures: score its inputs "
            f"({', '.join(spec.population_inputs)}) per arch and call its combine(), e.g. through naslib_swap.score_many"
        )
    if spec.needs_labels and batch.targets is None:
        raise ProxyInputError(f"proxy '{spec.name}' needs labels but the batch has none; pass a labelled batch")
    if spec.needs_arch_builder and ctx.build_net is None:
        raise ProxyInputError(
            f"proxy '{spec.name}' needs to build variants of the architecture; score it through a space "
            f"(naslib_swap.score) or pass ProxyContext(build_net=...)"
        )
    bn_mode = options.pop("bn_mode", None) or spec.bn_mode
    if bn_mode not in ("train", "eval"):
        raise ProxyInputError(f"bn_mode must be 'train' or 'eval', got {bn_mode!r}")
    opts = resolve_options(spec, options)
    model = copy.deepcopy(net) if copy_net else net
    model = model.to(ctx.device)
    model.train(bn_mode == "train")
    batch = batch.to(ctx.device)
    if spec.needs_grad:
        return float(spec.fn(model, batch, ctx, **opts))
    with torch.no_grad():
        return float(spec.fn(model, batch, ctx, **opts))
