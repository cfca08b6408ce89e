r"""MeCo: the minimum eigenvalue of feature-map correlations (Jiang et al., "MeCo: Zero-Shot NAS with One Data and
Single Forward Pass via Minimum Eigenvalue of Correlation", NeurIPS 2023, Eq. 6).

One forward pass of a single input :math:`X`; for the output :math:`f_i(X) \in \mathbb{R}^{C \times H \times W}` of
every module i, :math:`P(f_i)` is the :math:`C \times C` Pearson correlation matrix of its channels (each channel's
:math:`HW` values a variable; NaN/inf entries, e.g. of constant channels, set to 0) and

.. math:: \mathrm{MeCo} = \sum_i \lambda_{\min}\left(P(f_i(X))\right)

Higher is better. As the authors' code: every module is hooked (containers too), the input is one Gaussian sample,
the net in train mode. Outputs that are not feature maps (one value per channel) give an all-zero matrix and add 0.
The code draws a 64x64 input; here the sample has the batch's own shape (``input="batch"`` uses the batch's first
image instead). Where a train-mode BN meets a 1x1 map, one sample is too few to normalise: NaN (the code records NaN
too), which the suite's rule makes -1e8.

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, ProxyContext, compute_proxy
    >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3))
    >>> ctx = ProxyContext(generator=torch.Generator().manual_seed(0))
    >>> compute_proxy("meco", net, Batch(torch.zeros(2, 3, 8, 8), None), ctx) <= 4.0   # each term <= 1
    True
"""
from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn as nn

from ..errors import ProxyInputError
from ..registry import Need, register_proxy
from .base import Batch, ProxyContext

REFERENCE = ("Jiang et al., MeCo: Zero-Shot NAS with One Data and Single Forward Pass via Minimum Eigenvalue of "
             "Correlation, NeurIPS 2023 (Eq. 6); code github HamsterMimi/MeCo")


def min_eig_correlation(feature: torch.Tensor) -> float:
    """:math:`\\lambda_{\\min}` of the channel correlation matrix of one sample's ``(C, ...)`` feature map."""
    f = feature.detach().reshape(feature.shape[0], -1).to(torch.float64)
    if f.shape[1] < 2:  # one value per channel: every correlation is undefined, the matrix 0 (as NaN -> 0 gives)
        return 0.0
    corr = torch.corrcoef(f)
    corr = torch.nan_to_num(corr, nan=0.0, posinf=0.0, neginf=0.0)
    return float(torch.linalg.eigvalsh(corr).min())


@register_proxy("meco", needs=(Need.OWN_INPUT, Need.ACTIVATIONS,), higher_is_better=True, bn_mode="train",
                description="MeCo: sum over modules of the minimum eigenvalue of the channel correlation matrix of "
                            "one sample's feature map",
                reference=REFERENCE)
def meco(net: nn.Module, batch: Batch, ctx: ProxyContext, *, input: Literal["random", "batch"] = "random") -> float:
    """MeCo on one sample (see the module doc)."""
    if input == "random":
        x = torch.randn((1, *batch.inputs.shape[1:]), generator=ctx.generator, device=batch.inputs.device)
    elif input == "batch":
        x = batch.inputs[:1]
    else:
        raise ProxyInputError(f"meco input must be 'random' or 'batch', got {input!r}")
    terms: list[float] = []

    def hook(_m: nn.Module, _inp: Any, out: Any) -> None:
        if isinstance(out, torch.Tensor) and out.dim() >= 2:
            v = min_eig_correlation(out[0]) if out[0].dim() >= 1 else float("nan")
            if v == v:  # NaN terms are dropped, as the authors' code does
                terms.append(v)

    handles = [m.register_forward_hook(hook) for m in net.modules()]
    try:
        net(x)
    except ValueError as exc:
        if "more than 1 value per channel" not in str(exc):
            raise
        return float("nan")  # a train-mode BN sees one value per channel: one sample is too few (the code: NaN)
    finally:
        for h in handles:
            h.remove()
    return float(sum(terms))
