"""DARTS operations, cells and networks (shared by the NAS-Bench-301 space and DARTS supernets).

Not a registered space (private module). The API other modules may rely on:

* op names: :data:`DARTS_PRIMITIVES` (the DARTS paper's order, ``none`` first, the order of DARTS' ``alpha`` columns
  and of :class:`DartsSuperNet`'s ``op_weights``), :data:`NASLIB_EDGE_OPS` (the order of the op list NASLib puts on
  every NB301 edge), :data:`COMPACT_OPS` (the 7 op ids of NASLib's NB301 compact encoding);
* :func:`make_darts_op` ``(name, C, stride, affine)``: one op module;
* :class:`DartsCell` (a discrete cell from 8 ``(op name, input)`` pairs) and :class:`DartsNetwork` (stem, ``layers``
  cells with reductions at ``layers // 3`` and ``2 * layers // 3``, optional DARTS auxiliary head, classifier;
  options ``stem=False``, ``depth``, ``lastact`` for TEG's small indicator networks);
* :class:`DartsSuperNet`: every edge of both cell types holds all 8 ops mixed by ``op_weights`` ``(2, 14, 8)``;
  :data:`CELL_EDGES` lists the 14 ``(input, node)`` edges in DARTS' order.

Faithful to NASLib's NB301 network (``zerocost`` branch, what NAS-Bench-Suite-Zero scores): cell ops have
non-affine BN (``affine=False``), the pooling ops are followed by a non-affine BN (``pool_bn=True``), the preprocessing
(ReLUConvBN 1x1 / FactorizedReduce) and stem are affine. With ``C=32, layers=8, auxiliary=False`` the parameter and
FLOP counts equal the suite's for the preview archs (``scripts/check_suite_structure.py``). The DARTS paper's evaluation
network differs only in ``affine=True`` ops, pools without BN, ``C=36, layers=20`` and the auxiliary head.

Example:
    >>> g = [("sep_conv_3x3", 0), ("skip_connect", 1)] * 4
    >>> net = DartsNetwork(g, g, C=4, layers=2, num_classes=10)
    >>> net(torch.randn(2, 3, 16, 16)).shape
    torch.Size([2, 10])
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn

DARTS_PRIMITIVES: tuple[str, ...] = (
    "none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
    "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5",
)
NASLIB_EDGE_OPS: tuple[str, ...] = (
    "skip_connect", "none", "max_pool_3x3", "avg_pool_3x3",
    "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5",
)
COMPACT_OPS: tuple[str, ...] = (
    "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5",
)
NUM_NODES = 4  # intermediate nodes per cell
# the 14 edges of a DARTS cell, (input, intermediate node), inputs 0/1 are the two cell inputs
CELL_EDGES: tuple[tuple[int, int], ...] = tuple((j, i) for i in range(NUM_NODES) for j in range(i + 2))

GenotypeCell = Sequence[tuple[str, int]]  # 8 (op name, input index) pairs, two per intermediate node


def edge_index(node: int, inp: int) -> int:
    """Position of edge ``inp -> node`` in :data:`CELL_EDGES`."""
    return sum(k + 2 for k in range(node)) + inp


# --- operations (module layout follows NASLib so counts and hooks see the same leaves) ------------------------------

class ReLUConvBN(nn.Module):
    """ReLU -> Conv -> BN."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int = 1, affine: bool = True) -> None:
        super().__init__()
        pad = 0 if kernel_size == 1 else 1
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=pad, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class FactorizedReduce(nn.Module):
    """Halve the resolution with two offset stride-2 1x1 convs (NASLib's version: no padding, always stride 2).

    An odd height or width (e.g. TEG's 3x3 crops on the thin net) is first padded by one zero row/column at the
    bottom/right, as the TE-NAS/TEG code's version does, so both halves have ``ceil(H / 2)`` rows; even sizes (every
    size of the suite's network) take the unpadded path unchanged.
    """

    def __init__(self, c_in: int, c_out: int, affine: bool = True) -> None:
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even C_out, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        if x.shape[-2] % 2 or x.shape[-1] % 2:  # odd size: the offset half would lose a row/column
            y = nn.functional.pad(x, (0, x.shape[-1] % 2, 0, x.shape[-2] % 2))
            return self.bn(torch.cat([self.conv_1(x), self.conv_2(y[:, :, 1:, 1:])], dim=1))
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


class SepConv(nn.Module):
    """Two stacked (ReLU, depthwise conv, 1x1 conv, BN) blocks, the first with the stride."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int, padding: int, affine: bool) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel_size, stride=stride, padding=padding, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_in, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_in, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel_size, stride=1, padding=padding, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class DilConv(nn.Module):
    """ReLU, dilated depthwise conv, 1x1 conv, BN."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int, padding: int, dilation: int,
                 affine: bool) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel_size, stride=stride, padding=padding, dilation=dilation, groups=c_in,
                      bias=False),
            nn.Conv2d(c_in, c_out, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Pool(nn.Module):
    """3x3 max or average pooling (padding 1), optionally followed by a non-affine BN (NASLib's ``use_bn=True``)."""

    def __init__(self, kind: str, c: int, stride: int, bn: bool = True) -> None:
        super().__init__()
        pool = (nn.MaxPool2d(3, stride=stride, padding=1) if kind == "max"
                else nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False))
        self.pool = nn.Sequential(pool, nn.BatchNorm2d(c, affine=False)) if bn else pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


class Zero(nn.Module):
    """The ``none`` op: zeros of the output shape (strided when reducing)."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            return x.mul(0.0)
        return x[:, :, ::self.stride, ::self.stride].mul(0.0)


def make_darts_op(name: str, C: int, stride: int, affine: bool = False, *, pool_bn: bool = True) -> nn.Module:
    """One DARTS op on ``C`` channels.

    Args:
        name: one of :data:`DARTS_PRIMITIVES`.
        C: input = output channels.
        stride: 1, or 2 on the input edges of a reduction cell (``skip_connect`` then is a FactorizedReduce).
        affine: affine BNs inside the op (False in NASLib's NB301 network and in DARTS search, True in DARTS eval).
        pool_bn: follow pooling by a non-affine BN (NASLib: True; DARTS: True in search, False in eval).

    Raises:
        ValueError: an unknown op name.
    """
    if name == "none":
        return Zero(stride)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(C, C, affine=affine)
    if name in ("max_pool_3x3", "avg_pool_3x3"):
        return Pool(name[:3], C, stride, bn=pool_bn)
    if name == "sep_conv_3x3":
        return SepConv(C, C, 3, stride, 1, affine)
    if name == "sep_conv_5x5":
        return SepConv(C, C, 5, stride, 2, affine)
    if name == "dil_conv_3x3":
        return DilConv(C, C, 3, stride, 2, 2, affine)
    if name == "dil_conv_5x5":
        return DilConv(C, C, 5, stride, 4, 2, affine)
    raise ValueError(f"unknown DARTS op '{name}'; known: {', '.join(DARTS_PRIMITIVES)}")


# --- cells --------------------------------------------------------------------------------------------------------

class _CellBase(nn.Module):
    """Preprocessing of the two cell inputs (affine, as NASLib's makrograph edges) and the output concat."""

    def __init__(self, c_pp: int, c_p: int, C: int, reduction_prev: bool) -> None:
        super().__init__()
        self.preprocess0 = FactorizedReduce(c_pp, C, affine=True) if reduction_prev else ReLUConvBN(c_pp, C, 1)
        self.preprocess1 = ReLUConvBN(c_p, C, 1)
        self.multiplier = NUM_NODES


class DartsCell(_CellBase):
    """A discrete DARTS cell: node ``i`` (0..3) = sum of its two chosen ops; output = concat of the 4 nodes.

    Args:
        genotype: 8 ``(op name, input)`` pairs, pairs ``2i, 2i+1`` feeding node ``i``; input 0/1 are the cell inputs,
            ``k >= 2`` node ``k - 2``. As in NASLib, two pairs of one node with the same input collapse into one edge
            (the later op); the NB301 space never produces that.
        c_pp, c_p: channels of the inputs from two cells back and from the previous cell.
        C: cell channels (output ``4 * C``).
        reduction: stride 2 on the edges from the cell inputs.
        reduction_prev: the previous cell halved the resolution (input 0 goes through a FactorizedReduce).
    """

    def __init__(self, genotype: GenotypeCell, c_pp: int, c_p: int, C: int, reduction: bool, reduction_prev: bool,
                 *, affine: bool = False, pool_bn: bool = True) -> None:
        super().__init__(c_pp, c_p, C, reduction_prev)
        if len(genotype) != 2 * NUM_NODES:
            raise ValueError(f"a DARTS cell needs {2 * NUM_NODES} (op, input) pairs, got {len(genotype)}")
        self.reduction = reduction
        chosen: dict[tuple[int, int], str] = {}
        for k, (op, inp) in enumerate(genotype):
            chosen[(int(inp), k // 2)] = op
        self.edge_list = sorted(chosen, key=lambda e: (e[1], e[0]))
        self.ops = nn.ModuleList(
            make_darts_op(chosen[e], C, 2 if reduction and e[0] < 2 else 1, affine, pool_bn=pool_bn)
            for e in self.edge_list
        )

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for i in range(NUM_NODES):
            states.append(sum(op(states[j]) for (j, n), op in zip(self.edge_list, self.ops) if n == i))
        return torch.cat(states[2:], dim=1)


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


# --- networks -----------------------------------------------------------------------------------------------------

class AuxiliaryHead(nn.Module):
    """DARTS' CIFAR auxiliary head (input 8x8); only for training, never used by the suite."""

    def __init__(self, C: int, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=False), nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
            nn.Conv2d(C, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=False),
            nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU(inplace=False),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


class _DartsMacro(nn.Module):
    """Stem (conv3x3 + BN to ``stem_multiplier * C``), the cells, global pooling and a linear classifier.

    The keyword-only options build TEG/TE-NAS's small indicator networks and default to the NB301 network:
    ``stem=False`` feeds the raw input (``in_channels`` channels) to the first cell (TEG's thin net for linear
    regions); ``depth`` keeps only the first ``depth`` cells of the ``layers``-cell sequence (reductions still at
    ``layers // 3`` and ``2 * layers // 3``; the authors' ``depth``); ``lastact`` adds a BN + ReLU before the global
    pooling (the authors' search networks end with one).
    """

    def __init__(self, cell_factory, C: int, layers: int, num_classes: int, auxiliary: bool, stem_multiplier: int,
                 in_channels: int, *, stem: bool = True, depth: int | None = None, lastact: bool = False) -> None:
        super().__init__()
        if depth is not None and not 1 <= depth <= layers:
            raise ValueError(f"depth must be in 1..layers={layers}, got {depth}")
        if stem:
            c_cur = stem_multiplier * C
            self.stem = nn.Sequential(nn.Conv2d(in_channels, c_cur, 3, padding=1, bias=False), nn.BatchNorm2d(c_cur))
        else:  # the first cell's preprocessing takes the raw input
            c_cur = in_channels
            self.stem = nn.Identity()
        c_pp, c_p, c_cur = c_cur, c_cur, C
        self.reductions = (layers // 3, 2 * layers // 3) if layers >= 3 else ()
        self.cells = nn.ModuleList()
        reduction_prev = False
        self.aux_index = 2 * layers // 3
        self.auxiliary_head = None
        for i in range(layers if depth is None else depth):
            reduction = i in self.reductions
            if reduction:
                c_cur *= 2
            cell = cell_factory(c_pp, c_p, c_cur, reduction, reduction_prev)
            self.cells.append(cell)
            reduction_prev = reduction
            c_pp, c_p = c_p, cell.multiplier * c_cur
            if auxiliary and i == self.aux_index:
                self.auxiliary_head = AuxiliaryHead(c_p, num_classes)
        if lastact:  # registered only when asked, so the default network's modules are unchanged
            self.lastact = nn.Sequential(nn.BatchNorm2d(c_p), nn.ReLU(inplace=False))
        else:
            self.lastact = None
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)
        self.aux_logits: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        self.aux_logits = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1)
            if i == self.aux_index and self.auxiliary_head is not None and self.training:
                self.aux_logits = self.auxiliary_head(s1)  # kept aside: forward returns the main logits only
        if self.lastact is not None:
            s1 = self.lastact(s1)
        return self.classifier(torch.flatten(self.global_pooling(s1), 1))


class DartsNetwork(_DartsMacro):
    """A discrete DARTS network.

    Args:
        normal, reduce: the genotype's two cells (8 ``(op name, input)`` pairs each).
        C: channels of the first stage (NASLib NB301: 32, i.e. stages 32/64/128; DARTS eval: 36).
        layers: number of cells (NB301: 8; DARTS eval: 20); reductions at ``layers // 3`` and ``2 * layers // 3``.
        num_classes: classifier outputs.
        auxiliary: build DARTS' auxiliary head after cell ``2 * layers // 3`` (its logits go to ``aux_logits`` in
            train mode; the suite's NB301 network has none).
        affine, pool_bn: see :func:`make_darts_op`.
        stem, depth, lastact: TEG's indicator-network options (see :class:`_DartsMacro`; defaults: the NB301 net).
    """

    def __init__(self, normal: GenotypeCell, reduce: GenotypeCell, *, C: int = 32, layers: int = 8,
                 num_classes: int = 10, auxiliary: bool = False, stem_multiplier: int = 3, in_channels: int = 3,
                 affine: bool = False, pool_bn: bool = True, stem: bool = True, depth: int | None = None,
                 lastact: bool = False) -> None:
        def cell(c_pp: int, c_p: int, c: int, red: bool, red_prev: bool) -> nn.Module:
            return DartsCell(reduce if red else normal, c_pp, c_p, c, red, red_prev, affine=affine, pool_bn=pool_bn)

        super().__init__(cell, C, layers, num_classes, auxiliary, stem_multiplier, in_channels, stem=stem,
                         depth=depth, lastact=lastact)


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

    def _apply(self, fn, recurse=True):  # type: ignore[override]
        super()._apply(fn, recurse)
        self._holder[0] = self.op_weights  # mixed ops read the (moved) buffer through the shared holder
        return self

    def set_op_weights(self, weights: torch.Tensor) -> None:
        """Replace all mixing weights ``(2, 14, 8)`` in place."""
        self.op_weights.copy_(weights.to(self.op_weights))

    def discretise(self, *, exclude_none: bool = True) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """DARTS' derivation: per node keep the 2 inputs whose best op (``none`` excluded) weighs most.

        Returns:
            ``(normal, reduce)`` genotype cells of 8 ``(op name, input)`` pairs.
        """
        cells = []
        for t in range(2):
            w = self.op_weights[t].clone()
            if exclude_none:
                w[:, DARTS_PRIMITIVES.index("none")] = -float("inf")
            pairs: list[tuple[str, int]] = []
            for i in range(NUM_NODES):
                best = [(float(w[edge_index(i, j)].max()), j) for j in range(i + 2)]
                for _, j in sorted(best, key=lambda b: -b[0])[:2]:
                    pairs.append((DARTS_PRIMITIVES[int(w[edge_index(i, j)].argmax())], j))
            cells.append(pairs)
        return cells[0], cells[1]
