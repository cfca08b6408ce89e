r"""plain: the summed product of weights and their loss gradients (Mozer & Smolensky 1989; the "plain" baseline of
Abdelfattah et al., ICLR 2021), as NAS-Bench-Suite-Zero computes it.

Over the weights of every ``nn.Conv2d`` and ``nn.Linear``, net in train mode:

.. math:: \mathrm{plain} = \sum_l \sum_{i} \left( \frac{\partial \mathcal{L}}{\partial W_l} \odot W_l \right)_i

(signed: no absolute value). Higher is better (the suite's sign).

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> net = nn.Linear(1, 2, bias=False)
    >>> with torch.no_grad():
    ...     _ = net.weight.copy_(torch.tensor([[1.0], [-1.0]]))
    >>> b = Batch(torch.tensor([[1.0]]), torch.tensor([0]))
    >>> p = torch.softmax(torch.tensor([1.0, -1.0]), 0)           # dL/dW = (p - e_0) x
    >>> round(compute_proxy("plain", net, b), 5) == round(float((p[0] - 1) * 1 + p[1] * -1), 5)
    True
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..registry import Need, register_proxy
from ._suite import SUITE_REFERENCE, LossGradTap, WeightLayer
from .base import Batch, ProxyContext
from .passes import Tap, run_pass


def _plain(layer: WeightLayer) -> torch.Tensor:
    g = layer.weight.grad
    return g * layer.weight if g is not None else torch.zeros_like(layer.weight)


def _tap(ctx: ProxyContext) -> Tap:
    return LossGradTap("plain", _plain)


@register_proxy("plain", higher_is_better=True, needs_grad=True, needs_labels=True, bn_mode="train",
                needs=(Need.LOSS_GRAD,), tap=_tap,
                description="sum over conv/linear weights of weight times its loss gradient (signed)",
                reference="Mozer & Smolensky, Skeletonization, NeurIPS 1989; Abdelfattah et al., ICLR 2021; "
                          + SUITE_REFERENCE)
def plain(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """The suite's plain (see the module doc)."""
    return run_pass(net, batch, [_tap(ctx)])[0]
