r"""snip: connection sensitivity (Lee et al., "SNIP: Single-shot Network Pruning based on Connection Sensitivity",
ICLR 2019), summed over the net as NAS-Bench-Suite-Zero computes it.

With a mask :math:`c = 1` on every weight of every ``nn.Conv2d`` and ``nn.Linear`` (effective weight
:math:`c \odot W`), the saliency of a weight is :math:`|\partial \mathcal{L} / \partial c| = |W \odot \partial
\mathcal{L} / \partial W|`; net in train mode:

.. math:: \mathrm{snip} = \sum_l \sum_i \left| \frac{\partial \mathcal{L}}{\partial W_l} \odot W_l \right|_i

The suite differentiates a mask of ones; at :math:`c = 1` the mask gradient is the same product (bitwise: autograd's
``mul`` backward multiplies the output gradient by ``W`` in both cases), so this computes it without masks.

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> net = nn.Linear(1, 2, bias=False)
    >>> with torch.no_grad():
    ...     _ = net.weight.copy_(torch.tensor([[1.0], [-1.0]]))
    >>> b = Batch(torch.tensor([[1.0]]), torch.tensor([0]))
    >>> p = torch.softmax(torch.tensor([1.0, -1.0]), 0)
    >>> round(compute_proxy("snip", net, b), 5) == round(float(abs(p[0] - 1) + abs(p[1] * -1)), 5)
    True
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..registry import Need, register_proxy
from ._suite import SUITE_REFERENCE, LossGradTap, WeightLayer
from .base import Batch, ProxyContext
from .passes import Tap, run_pass


def _snip(layer: WeightLayer) -> torch.Tensor:
    g = layer.weight.grad
    return torch.abs(g * layer.weight) if g is not None else torch.zeros_like(layer.weight)


def _tap(ctx: ProxyContext) -> Tap:
    return LossGradTap("snip", _snip)


@register_proxy("snip", higher_is_better=True, needs_grad=True, needs_labels=True, bn_mode="train",
                needs=(Need.LOSS_GRAD,), tap=_tap,
                description="SNIP: sum over conv/linear weights of |weight x loss gradient|",
                reference="Lee et al., SNIP, ICLR 2019; " + SUITE_REFERENCE)
def snip(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """The suite's snip (see the module doc)."""
    return run_pass(net, batch, [_tap(ctx)])[0]
