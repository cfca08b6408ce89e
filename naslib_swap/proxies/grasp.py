r"""grasp: Gradient Signal Preservation (Wang et al., "Picking Winning Tickets Before Training by Preserving Gradient
Flow", ICLR 2020), summed over the net as NAS-Bench-Suite-Zero computes it.

With :math:`g = \partial \mathcal{L} / \partial W` over the weights of every ``nn.Conv2d`` and ``nn.Linear`` and
:math:`H` the Hessian of the loss, the saliency of a weight is :math:`-W \odot H g`; the suite sums it (its sign is
flipped from the pruning paper's, as the suite found accuracy negatively correlated without it):

.. math:: \mathrm{grasp} = \sum_l \sum_i \left( - W_l \odot (H g)_l \right)_i, \qquad
          H g = \nabla_W \left( \textstyle\sum_l \langle \mathrm{sg}(g_l), \nabla_{W_l} \mathcal{L} \rangle \right)

(:math:`\mathrm{sg}`: no gradient through the first gradient; temperature 1, net in train mode; the suite's second
forward is not repeated, see :func:`_hessian_gradient_sum`).
Higher is better (the suite's sign).

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    >>> b = Batch(torch.randn(5, 3, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 1, 0, 1, 1]))
    >>> isinstance(compute_proxy("grasp", net, b), float)
    True
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn

from ..registry import Need, register_proxy
from ._suite import SUITE_REFERENCE, WeightLayer, per_layer, suite_sum, task_loss, weight_layers
from .base import Batch, ProxyContext
from .passes import PassOutput, Tap


def _grasp(layer: WeightLayer) -> torch.Tensor:
    g = layer.weight.grad
    return -layer.weight.data * g if g is not None else torch.zeros_like(layer.weight)


def _hessian_gradient_sum(net: nn.Module, first: Sequence[torch.Tensor | None], *, retain_graph: bool = False) -> float:
    """Given the loss gradients ``first`` of the weight layers' weights, still attached to their graph
    (``create_graph``), the Hessian-vector product :math:`Hg` (one more backward through that graph) and the suite's
    sum.

    The suite runs a second forward of the same batch for the graph; in train-mode BN (the suite's mode for grasp)
    that forward gives the same outputs, so differentiating the first pass's gradients is the same product without
    a second forward and backward (bit for bit on the NB201 nets measured, docs/results.md, issue 20). A net
    with active dropout would differ: the suite's second forward draws a second mask (no benchmark net here has one).
    """
    net.zero_grad()
    z: torch.Tensor | float = 0.0
    for g in first:
        if g is not None and g.requires_grad:
            z = z + (g.detach() * g).sum()
    if isinstance(z, torch.Tensor) and z.requires_grad:
        z.backward(retain_graph=retain_graph)
    return suite_sum(per_layer(net, _grasp))


class GraspTap(Tap):
    """grasp in a shared pass: its first gradient is the pass's loss gradient, kept with its graph
    (``second_order``); the Hessian-vector product runs on top, after the other loss taps have read the gradients."""

    key = ("grasp",)
    grad = "loss"
    needs_labels = True
    rewrites_grads = True
    second_order = True

    def finish(self, net: nn.Module, out: PassOutput) -> float:
        assert out.loss_grads is not None
        first = [out.loss_grads.get(id(m.weight)) for m in weight_layers(net)]
        return _hessian_gradient_sum(net, first, retain_graph=out.retain_graph)


def _tap(ctx: ProxyContext) -> Tap:
    return GraspTap()


@register_proxy("grasp", higher_is_better=True, needs_grad=True, needs_labels=True, bn_mode="train",
                needs=(Need.LOSS_GRAD, Need.SECOND_ORDER,), tap=_tap,
                description="GraSP: sum over conv/linear weights of -weight x (Hessian x gradient)",
                reference="Wang et al., GraSP, ICLR 2020; " + SUITE_REFERENCE)
def grasp(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """The suite's grasp (see the module doc)."""
    weights = [m.weight for m in weight_layers(net)]
    for w in weights:
        w.requires_grad_(True)
    net.zero_grad()
    first = list(torch.autograd.grad(task_loss(net, batch), weights, create_graph=True, allow_unused=True))
    return _hessian_gradient_sum(net, first)
