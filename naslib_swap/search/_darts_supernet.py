r"""Zero-Cost-PT on the DARTS space (NAS-Bench-301): the supernet adapter and the per-node topology step.

The DARTS search supernet (:class:`~naslib_swap.spaces._darts.DartsSuperNet`, C=16, 8 cells) holds all ops on the 14
edges of the normal and of the reduction cell; Zero-Cost-PT drops ``none`` (the paper: "'none' removed"), so each of the
2 x 14 = 28 edges mixes 7 ops with softmax(alpha). The op selection of :mod:`naslib_swap.search.zc_pt` sees the 28
edges as one list (normal cell edges 0..13, reduction cell edges 14..27, each in DARTS' ``(input, node)`` order, which
is also the ``fixed`` order: from the cell inputs towards its output).

Topology step (DARTS-PT, as Zero-Cost-PT uses it): after every edge holds one op, each intermediate node of each cell
keeps two of its ``i + 2`` incoming edges: repeatedly remove the edge whose removal (its whole row of mixing weights set
to 0) leaves the proxy highest, i.e. the least important edge, until two remain; one fresh minibatch per node. This
costs 3 + (4 + 3) + (5 + 4 + 3) = 22 perturbations per cell. Out of budget, a node keeps its first two inputs.

Example:
    >>> from naslib_swap.registry import get_space, get_search
    >>> res = get_search("zc-pt")(get_space("nasbench301"), "cifar10", seed=0, progress=False, C=2, layers=2,
    ...                          batch_size=2, proposals=1, validate=1, budget=30)
    >>> res.extra["genotype"].startswith("Genotype(normal=[")
    True
"""
from __future__ import annotations

from typing import Any, Callable

import torch

from ..spaces._darts import CELL_EDGES, DARTS_PRIMITIVES, NUM_NODES, edge_index
from ..spaces.base import SearchSpace
from ..types import Batch

N_EDGES = len(CELL_EDGES)  # 14 per cell
N_OPS = len(DARTS_PRIMITIVES)  # 8, 'none' first
NONE = DARTS_PRIMITIVES.index("none")


def build(space: SearchSpace, dataset: str, generator: torch.Generator, device: torch.device | str, *, C: int = 16,
          layers: int = 8, alpha_std: float = 1e-3) -> Any:
    """The DARTS supernet as a :class:`~naslib_swap.search.zc_pt.Supernet` (28 edges x 8 ops, ``none`` excluded)."""
    from .zc_pt import Supernet, mixing_weights

    cand = torch.ones(2 * N_EDGES, N_OPS, dtype=torch.bool)
    cand[:, NONE] = False
    w0 = mixing_weights(2 * N_EDGES, cand, generator, alpha_std)
    net = space.supernet(dataset, generator=generator, device=device, C=C, layers=layers,  # type: ignore[attr-defined]
                         op_weights=w0.view(2, N_EDGES, N_OPS))

    def set_weights(w: torch.Tensor) -> None:
        net.set_op_weights(w.view(2, N_EDGES, N_OPS))

    def to_arch(choice: Any) -> Any:  # only used when no topology step runs: keep each node's first two inputs
        return genotype_to_arch(space, choice, [[(0, 1)] * NUM_NODES] * 2)

    sup = Supernet(net=net, set_weights=set_weights, weights0=w0, candidates=cand,
                   fixed_order=tuple(range(2 * N_EDGES)), to_arch=to_arch)
    sup.finalize = lambda scorer, choice, next_batch: topology(space, scorer, choice, next_batch)
    return sup


def genotype_cells(choice: Any, kept: list[list[tuple[int, int]]]) -> tuple[list[tuple[str, int]], ...]:
    """``(normal, reduce)`` genotype cells from the op per edge and the two kept inputs per node."""
    cells = []
    for t in range(2):
        pairs = []
        for i in range(NUM_NODES):
            for j in sorted(kept[t][i]):
                pairs.append((DARTS_PRIMITIVES[int(choice[t * N_EDGES + edge_index(i, j)])], j))
        cells.append(pairs)
    return cells[0], cells[1]


def genotype_to_arch(space: SearchSpace, choice: Any, kept: list[list[tuple[int, int]]]) -> Any:
    normal, reduce = genotype_cells(choice, kept)
    return space.from_genotype_cells(normal, reduce)  # type: ignore[attr-defined]


def topology(space: SearchSpace, scorer: Any, choice: list[int], next_batch: Callable[[], Batch]) -> Any:
    """Per node, drop the incoming edge whose removal keeps the score highest until two remain (module doc)."""
    from .zc_pt import _BudgetExhausted

    w = torch.zeros(2 * N_EDGES, N_OPS)
    for e, o in enumerate(choice):
        w[e, o] = 1.0
    kept: list[list[tuple[int, int]]] = [[], []]
    for t in range(2):
        for i in range(NUM_NODES):
            alive = list(range(i + 2))
            try:
                batch = next_batch() if len(alive) > 2 else None
                while len(alive) > 2:
                    scores = {}
                    for j in alive:
                        trial = w.clone()
                        trial[t * N_EDGES + edge_index(i, j)] = 0.0
                        scores[j] = scorer.goodness(trial, batch)
                    drop = max(alive, key=lambda j: (scores[j], -j))
                    alive.remove(drop)
                    w[t * N_EDGES + edge_index(i, drop)] = 0.0
            except _BudgetExhausted:
                for j in alive[2:]:
                    w[t * N_EDGES + edge_index(i, j)] = 0.0
                alive = alive[:2]
            kept[t].append((alive[0], alive[1]))
    return genotype_to_arch(space, choice, kept)
