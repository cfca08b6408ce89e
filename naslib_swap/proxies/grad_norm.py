r"""grad_norm: the summed L2 norms of the loss gradients of the weights (Abdelfattah et al., "Zero-Cost Proxies for
Lightweight NAS", ICLR 2021), as NAS-Bench-Suite-Zero computes it.

For the weight tensors :math:`W_l` of every ``nn.Conv2d`` and ``nn.Linear`` (in module order), with the task loss
:math:`\mathcal{L}` of one minibatch, the net in train mode (batch statistics):

.. math:: \mathrm{grad\_norm} = \sum_l \left\lVert \frac{\partial \mathcal{L}}{\partial W_l} \right\rVert_2

A layer the forward pass does not reach contributes 0. Higher is better (the suite's sign).

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> net = nn.Linear(2, 2, bias=False)
    >>> with torch.no_grad():
    ...     _ = net.weight.zero_()
    >>> b = Batch(torch.tensor([[3.0, 4.0]]), torch.tensor([0]))   # dL/dW = (p - y) x^T, p = (.5, .5)
    >>> round(compute_proxy("grad_norm", net, b), 6)                # sqrt(2) * .5 * 5
    3.535534
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..registry import Need, register_proxy
from ._suite import SUITE_REFERENCE, LossGradTap, WeightLayer
from .base import Batch, ProxyContext
from .passes import Tap, run_pass


def _grad_norm(layer: WeightLayer) -> torch.Tensor:
    g = layer.weight.grad
    return g.norm() if g is not None else torch.zeros_like(layer.weight)


def _tap(ctx: ProxyContext) -> Tap:
    return LossGradTap("grad_norm", _grad_norm)


@register_proxy("grad_norm", higher_is_better=True, needs_grad=True, needs_labels=True, bn_mode="train",
                needs=(Need.LOSS_GRAD,), tap=_tap,
                description="sum over conv/linear layers of the L2 norm of the loss gradient of the weight",
                reference="Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021; " + SUITE_REFERENCE)
def grad_norm(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """The suite's grad_norm (see the module doc)."""
    return run_pass(net, batch, [_tap(ctx)])[0]
