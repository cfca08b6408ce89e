"""SWAP-NAS's variation operators on the DARTS space (Peng et al., ICLR 2024, Appendix C), compact encoding:
``(normal, reduce)``, 8 ``(input, op)`` pairs each, pairs ``2i, 2i+1`` feed node ``i``, ops as ``COMPACT_OPS``.

* operation mutation: one ``(input, op)`` pair of one cell gets another op (Fig. 13a);
* connectivity mutation: one pair of nodes 1..3 moves to another free input of its node (Fig. 13b; node 0 has only
  the two cell inputs, both used, so it has no free input);
* crossover: the two incoming pairs of one node of one cell are swapped between two archs (Fig. 14).

Example:
    >>> g = torch.Generator().manual_seed(0)
    >>> a = (((0, 0), (1, 0)) * 4, ((0, 1), (1, 1)) * 4)  # every node takes the two cell inputs
    >>> b = op_mutation(a, g)
    >>> sum(x != y for ca, cb in zip(a, b) for x, y in zip(ca, cb))
    1
"""
from __future__ import annotations

from typing import Any

import torch

from .genotype import COMPACT_OPS

N_COMPACT_OPS = len(COMPACT_OPS)  # 7: no `none`


def _randint(n: int, g: torch.Generator) -> int:
    return int(torch.randint(n, (1,), generator=g))


def op_mutation(arch: Any, g: torch.Generator) -> Any:
    """One (input, op) pair of one cell gets another op (the paper's Fig. 13a)."""
    cells = [list(arch[0]), list(arch[1])]
    t, k = _randint(2, g), _randint(8, g)
    inp, op = cells[t][k]
    ops = [o for o in range(N_COMPACT_OPS) if o != op]
    cells[t][k] = (inp, ops[_randint(len(ops), g)])
    return (tuple(cells[0]), tuple(cells[1]))


def connectivity_mutation(arch: Any, g: torch.Generator) -> Any:
    """One pair of nodes 1..3 of one cell moves its connection to another free input of its node (Fig. 13b)."""
    cells = [list(arch[0]), list(arch[1])]
    t, k = _randint(2, g), 2 + _randint(6, g)
    inp, op = cells[t][k]
    other = cells[t][k ^ 1][0]
    free = [j for j in range(k // 2 + 2) if j not in (inp, other)]
    cells[t][k] = (free[_randint(len(free), g)], op)
    return (tuple(cells[0]), tuple(cells[1]))


def crossover(a: Any, b: Any, g: torch.Generator) -> tuple[Any, Any]:
    """Swap the two incoming pairs of one node of one cell between two archs (Fig. 14)."""
    t, i = _randint(2, g), _randint(4, g)
    x, y = [list(a[0]), list(a[1])], [list(b[0]), list(b[1])]
    for k in (2 * i, 2 * i + 1):
        x[t][k], y[t][k] = y[t][k], x[t][k]
    return (tuple(x[0]), tuple(x[1])), (tuple(y[0]), tuple(y[1]))
