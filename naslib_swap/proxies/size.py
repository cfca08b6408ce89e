"""``params`` and ``flops``: the suite's model-size baselines, computed live in the suite's convention.

Both follow NAS-Bench-Suite-Zero (NASLib ``find_measures`` with tensorwatch's model stats): parameters of the leaf
modules that run in one eval-mode forward pass at batch 1, in millions; FLOPs by tensorwatch's per-layer rules, in
millions. See :mod:`naslib_swap.modelstats` for the rules.
"""
from __future__ import annotations

import torch.nn as nn

from ..modelstats import model_stats
from ..registry import Need, register_proxy
from .base import Batch, ProxyContext

_REF = "Krishnakumar et al., NAS-Bench-Suite-Zero, NeurIPS 2022 Datasets and Benchmarks (params/flops baselines)"


def _stats(net: nn.Module, batch: Batch, ctx: ProxyContext):
    key = ("model_stats", tuple(batch.inputs.shape[1:]))
    if key not in ctx.cache:
        ctx.cache[key] = model_stats(net, (1, *batch.inputs.shape[1:]), device=ctx.device, copy_net=False)
    return ctx.cache[key]


@register_proxy("params", needs=(Need.WEIGHTS,), higher_is_better=True, bn_mode="eval", reference=_REF,
                description="parameters (millions) of the leaf modules that run, as the suite counts them")
def params(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """Parameters in millions (the suite's ``params``)."""
    return _stats(net, batch, ctx).params_m


@register_proxy("flops", needs=(Need.WEIGHTS,), higher_is_better=True, bn_mode="eval", reference=_REF,
                description="mega-FLOPs at batch 1 under tensorwatch's per-layer rules, as the suite counts them")
def flops(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """Mega-FLOPs at batch 1 (the suite's ``flops``)."""
    return _stats(net, batch, ctx).flops_m
