r"""synflow: Synaptic Flow (Tanaka et al., "Pruning neural networks without any data by iteratively conserving
synaptic flow", NeurIPS 2020), as NAS-Bench-Suite-Zero computes it, log-scaled as the suite's ``ZeroCost.query``.

The net in float64 with every parameter and buffer replaced by its absolute value, every BatchNorm bypassed (the
suite's ``bn=False`` copy), one all-ones input :math:`\mathbb{1}` of the batch's sample shape, and
:math:`R = \sum \mathrm{out}(\mathbb{1})`:

.. math:: S = \sum_l \sum_i \left| W_l \odot \frac{\partial R}{\partial W_l} \right|_i, \qquad
          \mathrm{synflow} = \begin{cases} \log S & S > 0 \\ 0 & S = 0 \end{cases}

over the weights of every ``nn.Conv2d`` and ``nn.Linear``. Where :math:`S` is NaN or infinite the suite first sets it
to -1e8 and then takes :math:`-\log(10^8) \approx -18.42`; this does the same. Higher is better.

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> net = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 1, bias=False))
    >>> with torch.no_grad():
    ...     _ = net[0].weight.fill_(-1.0); _ = net[1].weight.fill_(2.0)
    >>> b = Batch(torch.randn(4, 2), None)    # R = sum 2*1*(1+1) over 2 units = 8; each layer's |W dR/dW| sums to 8
    >>> round(compute_proxy("synflow", net, b), 6) == round(float(torch.log(torch.tensor(16.0))), 6)
    True
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from ..registry import Need, register_proxy
from ._suite import SUITE_REFERENCE, WeightLayer, bypass_batchnorm, per_layer, suite_sum
from .base import Batch, ProxyContext

SUITE_NAN = -1e8


def _synflow(layer: WeightLayer) -> torch.Tensor:
    g = layer.weight.grad
    return torch.abs(layer.weight * g) if g is not None else torch.zeros_like(layer.weight)


def synflow_sum(net: nn.Module, sample_shape: tuple[int, ...], device: torch.device) -> float:
    """:math:`S` of the module doc (the suite's raw sum, before the log); ``net`` is modified in place."""
    bypass_batchnorm(net)
    net.double()
    with torch.no_grad():
        for t in net.state_dict().values():
            t.abs_()
    net.zero_grad()
    out = net(torch.ones((1, *sample_shape), dtype=torch.float64, device=device))
    torch.sum(out).backward()
    return suite_sum(per_layer(net, _synflow))


@register_proxy("synflow", needs=(Need.OWN_INPUT,), higher_is_better=True, needs_grad=True, bn_mode="train",
                description="SynFlow: log of sum |W x dR/dW| of the all-positive float64 net on an all-ones input",
                reference="Tanaka et al., SynFlow, NeurIPS 2020; " + SUITE_REFERENCE)
def synflow(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """The suite's synflow (see the module doc)."""
    s = synflow_sum(net, tuple(batch.inputs.shape[1:]), batch.inputs.device)
    if not math.isfinite(s):
        s = SUITE_NAN
    if s == 0.0:
        return 0.0
    return math.log(s) if s > 0 else -math.log(-s)
