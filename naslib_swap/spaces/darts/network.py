"""Discrete DARTS cells and networks (and the macro skeleton the supernet shares).

Example:
    >>> g = [("sep_conv_3x3", 0), ("skip_connect", 1)] * 4
    >>> net = DartsNetwork(g, g, C=4, layers=2, num_classes=10)
    >>> net(torch.randn(2, 3, 16, 16)).shape
    torch.Size([2, 10])
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .genotype import NUM_NODES, GenotypeCell
from .ops import FactorizedReduce, ReLUConvBN, make_darts_op


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
            self.stem: nn.Module = nn.Sequential(nn.Conv2d(in_channels, c_cur, 3, padding=1, bias=False),
                                                 nn.BatchNorm2d(c_cur))
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
            self.lastact: nn.Module | None = nn.Sequential(nn.BatchNorm2d(c_p), nn.ReLU(inplace=False))
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
