"""The DARTS search supernet: every edge of both cell types holds all 8 ops, mixed by ``op_weights`` ``(2, 14, 8)``."""
from __future__ import annotations

import torch
import torch.nn as nn

from .genotype import CELL_EDGES, DARTS_PRIMITIVES, NUM_NODES, edge_index
from .network import _CellBase, _DartsMacro
from .ops import make_darts_op


class MixedOp(nn.Module):
    """All 8 ops of one edge, ``sum_o w[o] * op_o(x)``; ops whose weight is exactly 0 are skipped."""

    def __init__(self, C: int, stride: int, weights: list[torch.Tensor], index: tuple[int, int], affine: bool,
                 pool_bn: bool) -> None:
        super().__init__()
        self.ops = nn.ModuleList(make_darts_op(p, C, stride, affine, pool_bn=pool_bn) for p in DARTS_PRIMITIVES)
        self._weights = weights  # the supernet's holder list; not registered twice
        self.index = index  # (cell type 0 normal / 1 reduce, edge)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self._weights[0][self.index]
        out = None
        for o, op in enumerate(self.ops):
            if float(w[o]) != 0.0:
                y = w[o] * op(x)
                out = y if out is None else out + y
        if out is None:  # every op removed: behave as 'none'
            out = self.ops[0](x)
        return out


class MixedCell(_CellBase):
    """A DARTS search cell: all 14 edges, each a :class:`MixedOp`; node ``i`` sums its ``i + 2`` incoming edges."""

    def __init__(self, c_pp: int, c_p: int, C: int, reduction: bool, reduction_prev: bool, weights: list[torch.Tensor],
                 *, affine: bool = False, pool_bn: bool = True) -> None:
        super().__init__(c_pp, c_p, C, reduction_prev)
        self.reduction = reduction
        t = 1 if reduction else 0
        self.ops = nn.ModuleList(
            MixedOp(C, 2 if reduction and j < 2 else 1, weights, (t, e), affine, pool_bn)
            for e, (j, _) in enumerate(CELL_EDGES)
        )

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for i in range(NUM_NODES):
            states.append(sum(self.ops[edge_index(i, j)](states[j]) for j in range(i + 2)))
        return torch.cat(states[2:], dim=1)



class DartsSuperNet(_DartsMacro):
    """The DARTS search network: every edge holds all 8 ops mixed by ``op_weights`` ``(2, 14, 8)``.

    ``op_weights[0]`` mixes the normal cells' edges, ``op_weights[1]`` the reduction cells'; edges in
    :data:`CELL_EDGES` order, ops in :data:`DARTS_PRIMITIVES` order. Zero-Cost-PT sets weights to ``softmax(alpha)``
    and removes an op by zeroing its weight. Defaults follow DARTS search (``C=16, layers=8``, non-affine);
    ``stem``, ``depth``, ``lastact`` build TEG/TE-NAS's small supernets (:class:`_DartsMacro`).

    Example:
        >>> net = DartsSuperNet(C=4, layers=2, num_classes=10)
        >>> net.op_weights.shape
        torch.Size([2, 14, 8])
        >>> net(torch.randn(2, 3, 16, 16)).shape
        torch.Size([2, 10])
    """

    op_weights: torch.Tensor  # a registered buffer (declared for the type checker)

    def __init__(self, *, C: int = 16, layers: int = 8, num_classes: int = 10, stem_multiplier: int = 3,
                 in_channels: int = 3, affine: bool = False, pool_bn: bool = True,
                 op_weights: torch.Tensor | None = None, stem: bool = True, depth: int | None = None,
                 lastact: bool = False) -> None:
        n_e, n_o = len(CELL_EDGES), len(DARTS_PRIMITIVES)
        weights = torch.ones(2, n_e, n_o) if op_weights is None else op_weights.detach().clone().float()
        if tuple(weights.shape) != (2, n_e, n_o):
            raise ValueError(f"op_weights must have shape (2, {n_e}, {n_o}), got {tuple(weights.shape)}")
        holder = [weights]

        def cell(c_pp: int, c_p: int, c: int, red: bool, red_prev: bool) -> nn.Module:
            return MixedCell(c_pp, c_p, c, red, red_prev, holder, affine=affine, pool_bn=pool_bn)

        super().__init__(cell, C, layers, num_classes, False, stem_multiplier, in_channels, stem=stem, depth=depth,
                         lastact=lastact)
        self.register_buffer("op_weights", weights)
        self._holder = holder

    def _apply(self, fn, recurse=True):
        super()._apply(fn, recurse)
        self._holder[0] = self.op_weights  # mixed ops read the (moved) buffer through the shared holder
        return self

    def set_op_weights(self, weights: torch.Tensor) -> None:
        """Replace all mixing weights ``(2, 14, 8)`` in place."""
        self.op_weights.copy_(weights.to(self.op_weights))
