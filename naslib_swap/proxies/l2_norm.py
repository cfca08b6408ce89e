r"""l2_norm: the summed L2 norms of the weights (a NAS-Bench-Suite-Zero baseline), as the suite computes it.

.. math:: \mathrm{l2\_norm} = \sum_l \lVert W_l \rVert_2

over the weights of every ``nn.Conv2d`` and ``nn.Linear`` of the net as built (no forward pass; the suite scores the
net itself, not a copy). Higher is better.

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> net = nn.Linear(2, 1, bias=False)
    >>> _ = nn.init.constant_(net.weight, 3.0)
    >>> b = Batch(torch.zeros(1, 2), None)
    >>> round(compute_proxy("l2_norm", net, b), 4)   # sqrt(9 + 9)
    4.2426
"""
from __future__ import annotations

import torch.nn as nn

from ..registry import Need, register_proxy
from ._suite import SUITE_REFERENCE, per_layer, suite_sum
from .base import Batch, ProxyContext
from .passes import PassOutput, Tap


def _l2(net: nn.Module) -> float:
    return suite_sum(per_layer(net, lambda layer: layer.weight.norm()))


class L2NormTap(Tap):
    """l2_norm in a shared pass: it reads the weights only (a pass never changes them)."""

    key = ("l2_norm",)
    read_only = True

    def finish(self, net: nn.Module, out: PassOutput) -> float:
        return _l2(net)


def _tap(ctx: ProxyContext) -> Tap:
    return L2NormTap()


@register_proxy("l2_norm", needs=(Need.WEIGHTS,), tap=_tap, higher_is_better=True, bn_mode="train",
                description="sum over conv/linear layers of the L2 norm of the weight (no forward pass)",
                reference=SUITE_REFERENCE + "l2_norm.py")
def l2_norm(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """The suite's l2_norm (see the module doc)."""
    return _l2(net)
