r"""NWOT: the log-determinant of the binary-code kernel (Mellor et al., "Neural Architecture Search without Training",
ICML 2021, second version), as NASLib's NAS-Bench-Suite-Zero defines it.

For a batch of S samples, each ReLU *input* of the network gives per sample a binary code
:math:`c_i \in \{0,1\}^{V_l}` (1 where the value is > 0). Over all ReLU modules :math:`l`:

.. math:: K = \sum_l \left( C_l C_l^\top + (1 - C_l)(1 - C_l)^\top \right), \qquad
          \mathrm{nwot} = \log \left|\det K\right|

:math:`K_{ij}` is the number of units on which samples i and j agree (the total number of units minus their Hamming
distance). Higher is better.

What NASLib's code does and this module keeps: hooks on every ``nn.ReLU`` (any rank; NASLib's
``naslib/predictors/pruners/measures/nwot.py`` on branch ``zerocost``), the batch the caller gives (the suite uses its
one minibatch), the net in train mode (``bn_mode="train"``, the suite's convention; Zero-Cost-PT scores in eval mode
through ``compute_proxy(..., bn_mode="eval")``). A net that declares its activation points (``activation_points()``:
a ViT's MLP GELUs, as the L-SWAG paper adapts ReLU proxies to GELU nets) is coded on the inputs of those modules,
binarised at > 0 (token x hidden unit values). A singular K gives ``-inf`` (NASLib returns numpy's ``-inf`` too).

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> net = nn.Sequential(nn.Identity(), nn.ReLU())
    >>> x = torch.tensor([[1.0, -1.0], [1.0, 1.0]])   # codes (1, 0) and (1, 1): K = [[2, 1], [1, 2]]
    >>> round(compute_proxy("nwot", net, Batch(x, None)), 6)   # log det = log 3
    1.098612
"""
from __future__ import annotations

import contextlib
from typing import Any

import torch
import torch.nn as nn

from ..errors import ProxyInputError
from ..registry import Need, register_proxy
from .base import Batch, ProxyContext
from .hooks import declared_activations
from .passes import PassOutput, Tap, run_pass

REFERENCE = ("Mellor et al., Neural Architecture Search without Training, ICML 2021 (v2: log|K|); "
             "NASLib zerocost naslib/predictors/pruners/measures/nwot.py")


def binary_code_kernel(codes: torch.Tensor) -> torch.Tensor:
    r"""``C C^T + (1-C)(1-C)^T`` for a binary ``(S, V)`` matrix, in float64.

    Computed with one matmul: :math:`(1-C)(1-C)^\top = V - s_i - s_j + (CC^\top)_{ij}` with :math:`s = C\mathbf{1}`.

    Example:
        >>> binary_code_kernel(torch.tensor([[1.0, 0.0], [1.0, 1.0]])).tolist()
        [[2.0, 1.0], [1.0, 2.0]]
    """
    c = codes.reshape(codes.shape[0], -1).to(torch.float32)
    v = c.shape[1]
    # float32 matmul of 0/1 values is exact while V < 2**24; accumulate in float64 as NASLib does (numpy)
    g = (c @ c.t()).to(torch.float64)
    s = c.sum(dim=1, dtype=torch.float64)
    return 2.0 * g - s[:, None] - s[None, :] + float(v)


class NwotTap(Tap):
    """NWOT's share of a forward pass: the summed binary-code kernel of the activation inputs."""

    key = ("nwot_kernel",)
    read_only = True

    def attach(self, net: nn.Module, stack: contextlib.ExitStack) -> None:
        # a net that declares its activation points (a ViT's MLP GELUs) is coded on their inputs: GELU(x) > 0 iff x > 0
        relus = declared_activations(net) or [m for m in net.modules() if isinstance(m, nn.ReLU)]
        if not relus:
            raise ProxyInputError(f"nwot needs nn.ReLU modules, but {type(net).__name__} has none; "
                                  f"use activation modules rather than functional calls")
        self.state: dict[str, Any] = {"K": None, "layers": 0}
        # In a cell several ReLUs read the same node tensor (every conv of every outgoing edge of a node, and in a
        # supernet every conv op of one edge): their kernels are equal, so compute it once per tensor object.
        memo: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        state = self.state

        def hook(_m: nn.Module, inp: tuple[torch.Tensor, ...]) -> None:
            x = inp[0]
            if not isinstance(x, torch.Tensor):
                return
            hit = memo.get(id(x))
            if hit is None or hit[0] is not x:
                hit = (x, binary_code_kernel(x.detach() > 0))
                memo[id(x)] = hit  # keeps x alive, so its id cannot be reused by another tensor meanwhile
            state["K"] = hit[1].clone() if state["K"] is None else state["K"] + hit[1]
            state["layers"] += 1

        for m in relus:
            stack.callback(m.register_forward_pre_hook(hook).remove)
        stack.callback(memo.clear)

    def finish(self, net: nn.Module, out: PassOutput) -> float:
        if self.state["layers"] == 0:
            raise ProxyInputError(f"nwot: no nn.ReLU of {type(net).__name__} ran in the forward pass")
        _sign, logdet = torch.linalg.slogdet(self.state["K"])
        return float(logdet)


def _nwot_tap(ctx: ProxyContext) -> Tap:
    return NwotTap()


@register_proxy(
    "nwot",
    higher_is_better=True,
    bn_mode="train",
    needs=(Need.ACTIVATIONS,),
    tap=_nwot_tap,
    description="NWOT: log|det| of the binary-code kernel of ReLU inputs (Hamming agreement between samples)",
    reference=REFERENCE,
)
def nwot(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """NWOT score: ``slogdet`` of the summed binary-code kernel of all ``nn.ReLU`` inputs (see the module doc)."""
    return run_pass(net, batch, [NwotTap()])[0]
