r"""AZ-NAS (Lee & Ham, "AZ-NAS: Assembling Zero-Cost Proxies for Network Architecture Search", CVPR 2024), written
from the paper (its code is GPL and is not used here).

Four per-architecture proxies from one forward and one backward pass of a Gaussian input (the batch's shape), the
weights re-drawn Kaiming-normal (fan-in), BN in train mode. :math:`X^l \in \mathbb{R}^{B \times C \times H \times W}`
is the output of the l-th of the L *primary blocks* (here: the members of the net's longest ``nn.Sequential`` /
``nn.ModuleList``, outermost first: NB201's cells and residual blocks, NB101's stack, DARTS cells, TransNAS stages).

* Expressivity: the spectral entropy of the features' covariance :math:`\Sigma^l` (the :math:`BHW` positions as
  samples of C-dimensional vectors), :math:`\tilde\lambda_i = \lambda_i / \sum_j \lambda_j`:

  .. math:: s_E^l = -\sum_i \tilde\lambda_i \log \tilde\lambda_i, \qquad s_E = \sum_l s_E^l

* Progressivity: :math:`s_P = \min_l \left(s_E^l - s_E^{l-1}\right)` (expressivity should grow with depth).
* Trainability: with a Rademacher vector :math:`v` at the output and :math:`g^l = \partial \langle v, f(X)\rangle /
  \partial X^l`, the gain of block l is :math:`\sigma^l = \lVert g^{l-1} \rVert / \lVert g^{l} \rVert` (a one-probe
  estimate of the spectral norm of the block's backward Jacobian), and

  .. math:: s_T = -\frac{1}{L-1} \sum_{l=2}^{L} \left(\sigma^l + \frac{1}{\sigma^l} - 2\right)

  (0 at isometry, negative otherwise).
* Complexity: :math:`s_C` = FLOPs (the ``flops`` proxy).

Aggregation over the evaluated set of N architectures (a population proxy), with :math:`\mathrm{rank}_M(i) \in [1, N]`
ascending (the best score ranked N; ties averaged):

.. math:: s_{AZ}(i) = \sum_{M \in \{E, P, T, C\}} \log \frac{\mathrm{rank}_M(i)}{N}

What is ours where the paper leaves room (say so when comparing): the block rule above; the spectral norm from one
probe as a gradient-norm ratio; the batch's own shape for the Gaussian input (the paper: 64 samples).

Example:
    >>> from naslib_swap.proxies.base import PopulationScore
    >>> pop = PopulationScore("aznas")
    >>> pop.update("a", {"az_expressivity": 3.0, "az_progressivity": 0.1, "az_trainability": -0.5, "flops": 10.0})
    >>> pop.update("b", {"az_expressivity": 4.0, "az_progressivity": 0.2, "az_trainability": -0.1, "flops": 20.0})
    >>> {k: round(v, 4) for k, v in pop.compute().items()}   # a is last on all four: 4 log(1/2)
    {'a': -2.7726, 'b': 0.0}
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import torch
import torch.nn as nn
from scipy.stats import rankdata

from ..errors import ProxyInputError
from ..registry import Need, register_population_proxy, register_proxy
from .base import Batch, ProxyContext

REFERENCE = "Lee & Ham, AZ-NAS: Assembling Zero-Cost Proxies for Network Architecture Search, CVPR 2024 (Sec. 3)"
COMPONENTS = ("az_expressivity", "az_progressivity", "az_trainability", "flops")


def primary_blocks(net: nn.Module) -> list[nn.Module]:
    """The members of the longest ``nn.Sequential`` / ``nn.ModuleList`` of ``net`` (the outermost on a tie)."""
    best: list[nn.Module] = []
    for m in net.modules():
        if isinstance(m, (nn.Sequential, nn.ModuleList)) and len(m) > len(best):
            best = list(m)
    if len(best) < 2:
        raise ProxyInputError(f"AZ-NAS needs a stack of at least 2 blocks (an nn.Sequential or nn.ModuleList), but "
                              f"{type(net).__name__} has none")
    return best


def spectral_entropy(feature: torch.Tensor) -> float:
    """:math:`s_E^l` of a ``(B, C, ...)`` feature map (positions as samples of C-dim vectors)."""
    x = feature.detach().to(torch.float64)
    x = x.transpose(0, 1).reshape(x.shape[1], -1)  # (C, B*H*W)
    x = x - x.mean(dim=1, keepdim=True)
    cov = x @ x.t() / max(x.shape[1] - 1, 1)
    lam = torch.linalg.eigvalsh(cov).clamp_min(0.0)
    total = lam.sum()
    if total <= 0:
        return 0.0
    p = lam / total
    p = p[p > 0]
    return float(-(p * p.log()).sum())


def _components(net: nn.Module, batch: Batch, ctx: ProxyContext) -> dict[str, float]:
    key = ("aznas", tuple(batch.inputs.shape))
    if key in ctx.cache:
        return ctx.cache[key]
    g = ctx.generator
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu", generator=g)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
    blocks = primary_blocks(net)
    outs: list[torch.Tensor] = []
    grads: dict[int, torch.Tensor] = {}

    def hook(_m: nn.Module, _inp: Any, out: Any) -> None:
        if isinstance(out, torch.Tensor) and out.dim() == 4:
            i = len(outs)
            outs.append(out)
            if out.requires_grad:
                out.register_hook(lambda grad, i=i: grads.__setitem__(i, grad.detach()))

    handles = [b.register_forward_hook(hook) for b in blocks]
    try:
        x = torch.randn(tuple(batch.inputs.shape), generator=g, device=batch.inputs.device)
        y = net(x)
        v = torch.randint(0, 2, tuple(y.shape), generator=g, device=y.device).to(y.dtype) * 2 - 1
        (y * v).sum().backward()
    finally:
        for h in handles:
            h.remove()
    if len(outs) < 2:
        raise ProxyInputError(f"AZ-NAS needs at least 2 blocks with 4-D outputs in {type(net).__name__}")
    ent = [spectral_entropy(o) for o in outs]
    sig = []
    for i in range(1, len(outs)):
        if i in grads and i - 1 in grads:
            num, den = float(grads[i - 1].norm()), float(grads[i].norm())
            sig.append(num / den if den > 0 else math.inf)
    train = -float(np.mean([s + 1.0 / s - 2.0 if 0 < s < math.inf else math.inf for s in sig])) if sig else math.nan
    res = {"az_expressivity": float(sum(ent)),
           "az_progressivity": float(min(b - a for a, b in zip(ent, ent[1:]))),
           "az_trainability": train}
    ctx.cache[key] = res
    return res


@register_proxy("az_expressivity", higher_is_better=True, needs_grad=True, bn_mode="train", reference=REFERENCE,
                needs=(Need.OWN_INPUT, Need.REINIT, Need.ACTIVATIONS,),
                description="AZ-NAS expressivity: summed spectral entropy of the primary blocks' feature covariances")
def az_expressivity(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """:math:`s_E` (see the module doc)."""
    return _components(net, batch, ctx)["az_expressivity"]


@register_proxy("az_progressivity", higher_is_better=True, needs_grad=True, bn_mode="train", reference=REFERENCE,
                needs=(Need.OWN_INPUT, Need.REINIT, Need.ACTIVATIONS,),
                description="AZ-NAS progressivity: the smallest increase of expressivity from one block to the next")
def az_progressivity(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """:math:`s_P` (see the module doc)."""
    return _components(net, batch, ctx)["az_progressivity"]


@register_proxy("az_trainability", higher_is_better=True, needs_grad=True, bn_mode="train", reference=REFERENCE,
                needs=(Need.OWN_INPUT, Need.REINIT, Need.ACTIVATIONS,),
                description="AZ-NAS trainability: -mean(sigma + 1/sigma - 2) over the blocks' backward gains")
def az_trainability(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """:math:`s_T` (see the module doc)."""
    return _components(net, batch, ctx)["az_trainability"]


@register_population_proxy("aznas", inputs=COMPONENTS, higher_is_better=True, reference=REFERENCE,
                           description="AZ-NAS: sum of log(rank / N) of expressivity, progressivity, trainability "
                                       "and FLOPs over the evaluated set")
def aznas(rows: Sequence[Mapping[str, float]]) -> list[float]:
    """The rank aggregation of the module doc; a NaN/inf component ranks lowest."""
    n = len(rows)
    total = np.zeros(n)
    for c in COMPONENTS:
        vals = np.array([rows[i][c] for i in range(n)], dtype=float)
        vals = np.where(np.isfinite(vals), vals, -np.inf)
        total += np.log(rankdata(vals, method="average") / n)
    return [float(t) for t in total]
