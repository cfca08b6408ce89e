r"""zen: the Zen-Score (Lin et al., "Zen-NAS: A Zero-Shot NAS for High-Performance Image Recognition", ICCV 2021), as
NAS-Bench-Suite-Zero computes it.

The net is re-initialised with Gaussian weights (every ``nn.Conv2d`` / ``nn.Linear`` weight N(0, 1), biases 0,
``BatchNorm2d`` / ``GroupNorm`` weight 1 and bias 0), and scored on random inputs, not the batch's images: with
:math:`x, \epsilon \sim \mathcal{N}(0, I)` of the batch's shape, :math:`\gamma = 10^{-2}` and :math:`f` the feature map
before the global average pooling, the net in train mode (both passes update the BN running statistics):

.. math:: \mathrm{zen} = \log \mathbb{E}_n \left\lVert f(x_n) - f(x_n + \gamma \epsilon_n) \right\rVert_1
          + \sum_{\mathrm{BN}\ b} \log \sqrt{\overline{\sigma^2_b}}

where :math:`\overline{\sigma^2_b}` is the mean running variance of ``BatchNorm2d`` b after the two passes (BNs that
keep no running statistics are left out). Higher is better.

The feature map :math:`f`, as the suite takes it per space: the net's ``forward_features(x)`` where it has one (NB101:
the last cell's output, before the mean); else the input of the ``nn.AdaptiveAvgPool2d`` (NB201, NB301, TransNAS
classification heads; the last one to run); else the input of the last ``nn.Conv2d`` / ``nn.ConvTranspose2d`` to run
(TransNAS dense decoders: the suite hooks the decoder's last conv). Randomness comes from ``ctx.generator`` only (in
the order: weights in module order, then :math:`x`, then :math:`\epsilon`).

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, ProxyContext, compute_proxy
    >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
    >>> b = Batch(torch.zeros(4, 3, 8, 8), None)
    >>> ctx = lambda: ProxyContext(generator=torch.Generator().manual_seed(0))
    >>> compute_proxy("zen", net, b, ctx()) == compute_proxy("zen", net, b, ctx())
    True
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn

from ..errors import ProxyInputError
from ..registry import Need, register_proxy
from ._suite import SUITE_REFERENCE
from .base import Batch, ProxyContext


def gaussian_init(net: nn.Module, generator: torch.Generator) -> None:
    """Zen-NAS's re-initialisation (see the module doc), drawn from ``generator`` in module order."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight, generator=generator)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)) and m.weight is not None:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)


def pre_pool_features(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The feature map of ``net`` on ``x`` before its global pooling (the module doc says which tensor)."""
    forward_features = getattr(net, "forward_features", None)
    if callable(forward_features):
        return forward_features(x)
    seen: dict[str, torch.Tensor] = {}

    def keep(kind: str) -> Any:
        def hook(_m: nn.Module, inp: tuple[torch.Tensor, ...]) -> None:
            seen[kind] = inp[0]
        return hook

    handles = [m.register_forward_pre_hook(keep("pool")) for m in net.modules()
               if isinstance(m, nn.AdaptiveAvgPool2d)]
    handles += [m.register_forward_pre_hook(keep("conv")) for m in net.modules()
                if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    try:
        net(x)
    finally:
        for h in handles:
            h.remove()
    feats = seen.get("pool", seen.get("conv"))
    if feats is None:
        raise ProxyInputError(f"zen needs a feature map before global pooling, but {type(net).__name__} runs no "
                              f"AdaptiveAvgPool2d or conv; give the net a forward_features(x) method")
    return feats


@register_proxy("zen", needs=(Need.OWN_INPUT, Need.REINIT,), higher_is_better=True, bn_mode="train",
                description="Zen-Score: log of the feature-map change under a small Gaussian input perturbation "
                            "(Gaussian weights) plus the BN scaling",
                reference="Lin et al., Zen-NAS, ICCV 2021; " + SUITE_REFERENCE)
def zen(net: nn.Module, batch: Batch, ctx: ProxyContext, *, mixup_gamma: float = 1e-2) -> float:
    """The suite's zen (see the module doc)."""
    g = ctx.generator
    gaussian_init(net, g)
    shape, dev = tuple(batch.inputs.shape), batch.inputs.device
    x = torch.randn(shape, generator=g, device=dev)
    eps = torch.randn(shape, generator=g, device=dev)
    out = pre_pool_features(net, x)
    mixed = pre_pool_features(net, x + mixup_gamma * eps)
    change = torch.mean(torch.sum(torch.abs(out - mixed), dim=tuple(range(1, out.dim()))))
    # summed as tensors of the net's dtype, as the suite does (a zero change gives log 0 = -inf)
    log_bn: torch.Tensor | float = 0.0
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d) and m.running_var is not None:
            log_bn = log_bn + torch.log(torch.sqrt(torch.mean(m.running_var)))
    return float(torch.log(change) + log_bn)
