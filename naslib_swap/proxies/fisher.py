r"""fisher: the channel-wise Fisher information of activations (Theis et al., "Faster gaze prediction with dense
networks and Fisher pruning", 2018; Turner et al., BlockSwap, ICLR 2020), summed as NAS-Bench-Suite-Zero computes it.

For the output :math:`a_l` of every ``nn.Conv2d`` / ``nn.Linear`` (before any BN) and its loss gradient
:math:`\partial \mathcal{L} / \partial a_l`, per sample n and channel k:

.. math:: g_{nk} = \sum_{h,w} a_{nkhw} \frac{\partial \mathcal{L}}{\partial a_{nkhw}}, \qquad
          F_{lk} = \frac{1}{2} \cdot \frac{1}{N} \sum_n g_{nk}^2

The suite broadcasts :math:`F_{lk}` over the channel's weights (``weight.shape[1:]``) and sums, so

.. math:: \mathrm{fisher} = \sum_l \prod(\mathrm{shape}(W_l)_{1:}) \sum_k |F_{lk}|

(net in train mode; a layer the backward pass does not reach contributes 0). Higher is better.

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> b = Batch(torch.randn(6, 3, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 1, 0, 1, 1, 0]))
    >>> compute_proxy("fisher", net, b) >= 0
    True
"""
from __future__ import annotations

import contextlib
from typing import Any

import torch
import torch.nn as nn

from ..registry import Need, register_proxy
from ._suite import SUITE_REFERENCE, WeightLayer, suite_sum, weight_layers
from .base import Batch, ProxyContext
from .passes import PassOutput, Tap, run_pass


class FisherTap(Tap):
    """fisher's share of the loss pass: each conv/linear output's activation x gradient, channel-wise."""

    key = ("fisher",)
    grad = "loss"
    needs_labels = True

    def attach(self, net: nn.Module, stack: contextlib.ExitStack) -> None:
        self.layers = weight_layers(net)
        self.info: dict[int, torch.Tensor] = {}
        self.grad_hooks: list[Any] = []
        info = self.info

        def forward_hook(layer: nn.Module, _inp: Any, out: torch.Tensor) -> None:
            act = out.detach()

            def on_grad(grad: torch.Tensor) -> None:
                g = grad.detach()
                if isinstance(layer, nn.Linear) and act.dim() > 2:
                    # a Linear on tokens (B, T, C): its channels are the last dim; sum over the tokens (the suite's
                    # nets have no such layer, so their figures are unchanged)
                    g_nk = (act * g).sum(dim=tuple(range(1, act.dim() - 1)))
                else:
                    g_nk = (act * g).sum(dim=tuple(range(2, act.dim()))) if act.dim() > 2 else act * g
                del_k = g_nk.pow(2).mean(0).mul(0.5)
                key = id(layer)
                info[key] = info[key] + del_k if key in info else del_k

            if out.requires_grad:
                self.grad_hooks.append(out.register_hook(on_grad))

        for m in self.layers:
            stack.callback(m.register_forward_hook(forward_hook).remove)

    def finish(self, net: nn.Module, out: PassOutput) -> float:
        for h in self.grad_hooks:  # a later backward of the same pass (the input Jacobian) is not the loss's
            h.remove()

        def broadcast(layer: WeightLayer) -> torch.Tensor:
            w = layer.weight
            f = self.info.get(id(layer))
            f = torch.abs(f) if f is not None else torch.zeros(w.shape[0], device=w.device)
            return f.view(-1, *([1] * (w.dim() - 1))).expand(w.shape).contiguous()

        return suite_sum(broadcast(m) for m in self.layers)


def _tap(ctx: ProxyContext) -> Tap:
    return FisherTap()


@register_proxy("fisher", higher_is_better=True, needs_grad=True, needs_labels=True, bn_mode="train",
                needs=(Need.LOSS_GRAD,), tap=_tap,
                description="Fisher: per-channel 0.5 * mean over samples of (sum act x grad)^2, broadcast and summed",
                reference="Theis et al. 2018; Turner et al., BlockSwap, ICLR 2020; " + SUITE_REFERENCE)
def fisher(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """The suite's fisher (see the module doc)."""
    return run_pass(net, batch, [_tap(ctx)])[0]
