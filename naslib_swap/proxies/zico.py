r"""ZiCo: the inverse coefficient of variation of gradients (Li et al., "ZiCo: Zero-shot NAS via Inverse Coefficient
of Variation on Gradients", ICLR 2023, Eq. 9).

For each layer :math:`\theta_l` (the weight of every ``nn.Conv2d`` and ``nn.Linear``) and the loss gradients
:math:`g^{(b)}` of each of B minibatches, per weight :math:`\omega`:

.. math:: \mathrm{ZiCo} = \sum_l \log \left( \sum_{\omega \in \theta_l,\ \sigma_\omega > 0}
          \frac{\mathbb{E}_b\left[|g^{(b)}_\omega|\right]}{\sigma_b\left[g^{(b)}_\omega\right]} \right)

(:math:`\sigma` the population standard deviation over the B batches; weights whose gradient does not vary are left
out, and a layer whose sum is 0 adds nothing, as in the authors' code). The paper uses two batches; here the batch
given is split into ``splits`` equal parts (default 2), each part's gradient taken from zero (the paper's per-batch
gradients; the authors' loop accumulates them without zeroing). Net in train mode. Higher is better.

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> g = torch.Generator().manual_seed(0)
    >>> b = Batch(torch.randn(8, 4, generator=g), torch.randint(0, 3, (8,), generator=g))
    >>> isinstance(compute_proxy("zico", net, b), float)
    True
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from ..errors import ProxyInputError
from ..registry import Need, register_proxy
from ._suite import weight_layers
from .base import Batch, ProxyContext

REFERENCE = "Li et al., ZiCo: Zero-shot NAS via Inverse Coefficient of Variation on Gradients, ICLR 2023 (Eq. 9)"


def zico_score(grads: list[torch.Tensor]) -> float:
    """ZiCo from per-layer gradient stacks ``(B, n_weights)`` (one row per minibatch)."""
    total = 0.0
    for g in grads:
        g = g.to(torch.float64)
        std = g.std(dim=0, unbiased=False)
        keep = std > 0
        s = float((g.abs().mean(dim=0)[keep] / std[keep]).sum())
        if s > 0:
            total += math.log(s)
    return total


@register_proxy("zico", higher_is_better=True, needs_grad=True, needs_labels=True, bn_mode="train",
                needs=(Need.LOSS_GRAD, Need.SPLIT_BATCH,),
                description="ZiCo: sum over layers of log sum over weights of mean|grad| / std(grad) across batches",
                reference=REFERENCE)
def zico(net: nn.Module, batch: Batch, ctx: ProxyContext, *, splits: int = 2) -> float:
    """ZiCo over ``splits`` equal parts of the batch (see the module doc)."""
    n = len(batch)
    if splits < 2 or n < splits:
        raise ProxyInputError(f"zico needs splits >= 2 and at least one sample per split; got splits={splits} "
                              f"for a batch of {n}")
    layers = weight_layers(net)
    per_layer: list[list[torch.Tensor]] = [[] for _ in layers]
    assert batch.targets is not None
    for part in torch.arange(n, device=batch.inputs.device).tensor_split(splits):
        net.zero_grad()
        batch.loss_fn(net(batch.inputs[part]), batch.targets[part]).backward()
        for rows, layer in zip(per_layer, layers):
            g = layer.weight.grad
            rows.append(g.detach().reshape(-1).clone() if g is not None else torch.zeros_like(layer.weight).view(-1))
    return zico_score([torch.stack(rows) for rows in per_layer])
