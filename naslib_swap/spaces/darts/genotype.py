"""DARTS cell encoding: op names, the 14 edges, genotypes, and the derivations of a genotype from edge weights, from a
per-edge op choice and from a REINFORCE action.

A genotype cell is 8 ``(op name, input)`` pairs, pairs ``2i, 2i+1`` feeding intermediate node ``i``; input 0/1 are the
two cell inputs, ``k >= 2`` node ``k - 2``. Every derivation here lists a node's two pairs by ascending input.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch

from ...errors import NaslibSwapError

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


DARTS_EDGES, DARTS_OPS = len(CELL_EDGES), len(DARTS_PRIMITIVES)  # 14 edges per cell, 8 ops ('none' first)
DARTS_NONE = DARTS_PRIMITIVES.index("none")
GenotypeCells = tuple[list[tuple[str, int]], list[tuple[str, int]]]  # (normal, reduce)


def genotype_str(cells: tuple[GenotypeCell, GenotypeCell]) -> str:
    """DARTS' ``Genotype(...)`` string of ``(normal, reduce)`` cells.

    Example:
        >>> genotype_str(([("skip_connect", 0)], [("avg_pool_3x3", 1)]))  # doctest: +NORMALIZE_WHITESPACE
        "Genotype(normal=[('skip_connect', 0)], normal_concat=[2, 3, 4, 5],
         reduce=[('avg_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
    """
    return (f"Genotype(normal={list(cells[0])}, normal_concat=[2, 3, 4, 5], "
            f"reduce={list(cells[1])}, reduce_concat=[2, 3, 4, 5])")


def derive_genotype(weights: torch.Tensor, *, exclude_none: bool = True) -> GenotypeCells:
    """DARTS' derivation of a genotype from op weights ``(2, 14, 8)`` (normal, reduce; edges in :data:`CELL_EDGES`
    order, ops in :data:`DARTS_PRIMITIVES` order, ``none`` first).

    Per intermediate node, the strength of an incoming edge is its largest op weight (``none`` excluded); the node
    keeps its two strongest inputs (ties: the lower input) with their strongest op (ties: the lower op index), as
    DARTS' and the TEG authors' ``genotype()`` (Liu et al., ICLR 2019, Sec. 2.4). The two pairs of a node are listed
    by ascending input.

    Example:
        >>> w = torch.zeros(2, 14, 8)
        >>> w[:, 2, 4] = 1.0  # node 1 <- input 0: sep_conv_3x3
        >>> w[:, 4, 3] = 0.5  # node 1 <- node 0 (input 2): skip_connect
        >>> derive_genotype(w)[0][2:4]
        [('sep_conv_3x3', 0), ('skip_connect', 2)]
    """
    if tuple(weights.shape) != (2, DARTS_EDGES, DARTS_OPS):
        raise NaslibSwapError(f"DARTS op weights must have shape (2, {DARTS_EDGES}, {DARTS_OPS}), got "
                              f"{tuple(weights.shape)}; pass softmax(logits) of normal and reduce cells")
    w = weights.detach().float().cpu().clone()
    if exclude_none:
        w[..., DARTS_NONE] = -math.inf
    cells: list[list[tuple[str, int]]] = []
    for t in range(2):
        pairs: list[tuple[str, int]] = []
        for i in range(NUM_NODES):
            strength = {j: float(w[t, edge_index(i, j)].max()) for j in range(i + 2)}
            kept = sorted(strength, key=lambda j: (-strength[j], j))[:2]
            for j in sorted(kept):
                pairs.append((DARTS_PRIMITIVES[int(w[t, edge_index(i, j)].argmax())], j))
        cells.append(pairs)
    return cells[0], cells[1]


def cells_from_choice(choice: Sequence[int], kept: Sequence[Sequence[int]]) -> GenotypeCells:
    """Genotype cells from the op kept on each of the 28 edges (``14 * cell + edge``, ops in
    :data:`DARTS_PRIMITIVES` order) and the inputs each node keeps (``kept[4 * cell + node]``).

    Example:
        >>> normal, reduce = cells_from_choice([4] * 28, [(0, 1)] * 8)
        >>> normal[:2]
        [('sep_conv_3x3', 0), ('sep_conv_3x3', 1)]
    """
    cells = []
    for t in range(2):
        pairs = []
        for i in range(NUM_NODES):
            for j in sorted(kept[t * NUM_NODES + i]):
                pairs.append((DARTS_PRIMITIVES[int(choice[t * DARTS_EDGES + edge_index(i, j)])], j))
        cells.append(pairs)
    return cells[0], cells[1]


def sample_action(logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One REINFORCE action (the TEG authors' ``select_action``): ``(2, 14)`` op indices, -1 on dropped edges.

    Every edge draws an op from ``softmax(logits)`` (``none`` included); each node with more than two incoming edges
    then keeps two of them, drawn without replacement with probabilities ``softmax`` of the drawn ops' logits.
    """
    with torch.no_grad():
        probs = torch.softmax(logits.detach(), dim=-1).view(-1, DARTS_OPS)
        ops = torch.multinomial(probs, 1, generator=generator).view(2, DARTS_EDGES)
        for t in range(2):
            for i in range(1, NUM_NODES):  # node 0 has exactly two inputs: both stay
                edges = torch.tensor([edge_index(i, j) for j in range(i + 2)])
                p = torch.softmax(logits.detach()[t, edges, ops[t, edges]], dim=0)
                keep = torch.multinomial(p, 2, replacement=False, generator=generator)
                dropped = torch.ones(len(edges), dtype=torch.bool)
                dropped[keep] = False
                ops[t, edges[dropped]] = -1
    return ops


def action_cells(action: torch.Tensor) -> GenotypeCells:
    """Genotype cells (``none`` possible) of a :func:`sample_action` action: per node its kept inputs, ascending."""
    cells: list[list[tuple[str, int]]] = []
    for t in range(2):
        pairs = []
        for i in range(NUM_NODES):
            for j in range(i + 2):
                op = int(action[t, edge_index(i, j)])
                if op >= 0:
                    pairs.append((DARTS_PRIMITIVES[op], j))
        if len(pairs) != 2 * NUM_NODES:
            raise NaslibSwapError(f"a DARTS action must keep 2 inputs per node, got {len(pairs)} edges in cell {t}")
        cells.append(pairs)
    return cells[0], cells[1]
