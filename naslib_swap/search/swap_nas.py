r"""SWAP-NAS (Peng et al., "SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS", ICLR 2024, Appendix C,
Algorithm 1): evolutionary search with the regularised SWAP-Score as fitness.

1. Population: ``population`` (P) random architectures, each scored by ``reg_swap`` (:class:`~naslib_swap.scoring.ArchScorer`
   seeds the minibatch and weights from ``(seed, arch)``; a score is computed once per architecture and cached).
2. Each of ``cycles`` (C) cycles samples S = P/2 members (without replacement). The parent is the best of the sample or,
   with probability ``crossover_prob``, the better of the two children of a crossover between the best and the
   second best of the sample.
3. ``mutations`` children are made from the parent, each by one operation or one connectivity mutation (equal odds),
   and scored; the best child joins the population and the worst member leaves it (elitism, not aging).
4. The answer is the best member of the final population.

Operators on NB201 (6 edges, ops 0 skip, 1 none, 2 conv3x3, 3 conv1x1, 4 avgpool; every 6-tuple is a valid cell):

* operation mutation: one edge gets a different op other than ``none`` (the paper's Fig. 13a changes the type of an
  existing connection); on a ``none`` edge this is the space's one-op mutation;
* connectivity mutation (the paper's Fig. 13b "shifts a connection to a different position"): a connected edge
  (op != none) hands its op to a disconnected edge (op == none) and becomes ``none``. A cell without a ``none`` edge
  disconnects one random edge; a cell without any connection connects one random edge with a random op. So the
  mutation always switches at least one edge between ``none`` and an op;
* crossover (the paper's Fig. 14 swaps the incoming connections of one node): a uniformly chosen node j in {1, 2, 3}
  swaps all its incoming edges between the two parents, giving two children.

Operators on NAS-Bench-301 (the DARTS space, compact encoding): operation mutation changes the op of one
``(input, op)`` pair; connectivity mutation moves one pair of nodes 1..3 to another free input of its node (node 0 has
none); crossover swaps the two incoming pairs of one node of one cell. The final genotype is in ``extra["genotype"]``.

Model-size control: ``mu``/``sigma`` (millions of parameters) are passed to ``reg_swap``
(``reg_swap[mu=...,sigma=...]``); a larger mu favours larger networks (paper Fig. 5).

``budget`` caps the distinct architectures scored (cache hits are free); the search stops when it is reached.

Example:
    >>> from naslib_swap.registry import get_space, get_search
    >>> res = get_search("swap-nas")(get_space("nasbench201"), "cifar10", seed=0, progress=False,
    ...                             population=4, cycles=2, mutations=2, batch_size=4, C=2, N=1)
    >>> len(res.arch)
    6
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable

import torch

from ..errors import NaslibSwapError
from ..registry import register_search
from ..rng import make_generator
from ..scoring import ArchScorer, derive_seed, parse_proxy_label
from ..spaces.base import SearchSpace
from .base import SearchResult

NONE_OP = 1  # NB201's `none`
NB201_OPS = 5
NB201_INCOMING: dict[int, tuple[int, ...]] = {1: (0,), 2: (1, 3), 3: (2, 4, 5)}  # node -> tuple positions of its edges


def _randint(n: int, g: torch.Generator) -> int:
    return int(torch.randint(n, (1,), generator=g))


def op_mutation(arch: tuple[int, ...], g: torch.Generator) -> tuple[int, ...]:
    """Change the op of one edge. A connected edge gets another non-``none`` op; a ``none`` edge any other op.

    Example:
        >>> a = op_mutation((2, 2, 2, 2, 2, 2), torch.Generator().manual_seed(0))
        >>> sum(x != y for x, y in zip(a, (2, 2, 2, 2, 2, 2))), NONE_OP in a
        (1, False)
    """
    t = list(arch)
    e = _randint(len(t), g)
    if t[e] == NONE_OP:
        choices = [o for o in range(NB201_OPS) if o != NONE_OP]
    else:
        choices = [o for o in range(NB201_OPS) if o not in (t[e], NONE_OP)]
    t[e] = choices[_randint(len(choices), g)]
    return tuple(t)


def connectivity_mutation(arch: tuple[int, ...], g: torch.Generator) -> tuple[int, ...]:
    """Shift one connection to a disconnected edge (see the module doc for the boundary cases).

    Example:
        >>> connectivity_mutation((2, 1, 1, 1, 1, 1), torch.Generator().manual_seed(0)).count(2)
        1
    """
    t = list(arch)
    on = [e for e, o in enumerate(t) if o != NONE_OP]
    off = [e for e, o in enumerate(t) if o == NONE_OP]
    if on and off:
        a, b = on[_randint(len(on), g)], off[_randint(len(off), g)]
        t[b], t[a] = t[a], NONE_OP
    elif on:  # fully connected: drop one connection
        t[on[_randint(len(on), g)]] = NONE_OP
    else:  # nothing connected: add one
        ops = [o for o in range(NB201_OPS) if o != NONE_OP]
        t[off[_randint(len(off), g)]] = ops[_randint(len(ops), g)]
    return tuple(t)


def crossover(a: tuple[int, ...], b: tuple[int, ...], g: torch.Generator) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Swap the incoming edges of one random node (1, 2 or 3) between two cells; returns both children.

    Example:
        >>> c1, c2 = crossover((0,) * 6, (2,) * 6, torch.Generator().manual_seed(0))
        >>> sorted(c1 + c2) == sorted((0,) * 6 + (2,) * 6)
        True
    """
    node = 1 + _randint(3, g)
    x, y = list(a), list(b)
    for p in NB201_INCOMING[node]:
        x[p], y[p] = y[p], x[p]
    return tuple(x), tuple(y)


# --- DARTS / NAS-Bench-301 (compact encoding: (normal, reduce), 8 (input, op) pairs each, pairs 2i, 2i+1 feed node i)
DARTS_OPS = 7  # COMPACT_OPS: no `none`


def darts_op_mutation(arch: Any, g: torch.Generator) -> Any:
    """One (input, op) pair of one cell gets another op (the paper's Fig. 13a)."""
    cells = [list(arch[0]), list(arch[1])]
    t, k = _randint(2, g), _randint(8, g)
    inp, op = cells[t][k]
    ops = [o for o in range(DARTS_OPS) if o != op]
    cells[t][k] = (inp, ops[_randint(len(ops), g)])
    return (tuple(cells[0]), tuple(cells[1]))


def darts_connectivity_mutation(arch: Any, g: torch.Generator) -> Any:
    """One pair of nodes 1..3 of one cell moves its connection to another free input of its node (Fig. 13b).

    Node 0 has only the two cell inputs, both used, so it has no free input.
    """
    cells = [list(arch[0]), list(arch[1])]
    t, k = _randint(2, g), 2 + _randint(6, g)
    inp, op = cells[t][k]
    other = cells[t][k ^ 1][0]
    free = [j for j in range(k // 2 + 2) if j not in (inp, other)]
    cells[t][k] = (free[_randint(len(free), g)], op)
    return (tuple(cells[0]), tuple(cells[1]))


def darts_crossover(a: Any, b: Any, g: torch.Generator) -> tuple[Any, Any]:
    """Swap the two incoming pairs of one node of one cell between two archs (Fig. 14)."""
    t, i = _randint(2, g), _randint(4, g)
    x, y = [list(a[0]), list(a[1])], [list(b[0]), list(b[1])]
    for k in (2 * i, 2 * i + 1):
        x[t][k], y[t][k] = y[t][k], x[t][k]
    return (tuple(x[0]), tuple(x[1])), (tuple(y[0]), tuple(y[1]))


OPERATORS: dict[str, tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]] = {
    "nasbench201": (op_mutation, connectivity_mutation, crossover),
    "nasbench301": (darts_op_mutation, darts_connectivity_mutation, darts_crossover),
}


def _sized(space: SearchSpace, overrides: dict[str, Any]) -> SearchSpace:
    """The same space, building its networks with ``overrides`` (tiny C/N for tests and quick runs)."""
    if not overrides:
        return space
    base = type(space)

    class Sized(base):  # type: ignore[misc, valid-type]
        def _build(self, arch, dataset, **kw):  # type: ignore[no-untyped-def]
            return super()._build(arch, dataset, **{**overrides, **kw})

    Sized.__name__ = Sized.__qualname__ = base.__name__
    return Sized()


class _Fitness:
    """Cached reg-SWAP fitness; counts distinct archs scored against the budget."""

    def __init__(self, scorer: ArchScorer, budget: int | None, higher_is_better: bool) -> None:
        self.scorer, self.budget, self.sign = scorer, budget, 1.0 if higher_is_better else -1.0
        self.cache: dict[str, float] = {}
        self.time_s = 0.0

    def exhausted(self) -> bool:
        return self.budget is not None and len(self.cache) >= self.budget

    def __call__(self, arch: Any) -> float:
        key = self.scorer.space.key(arch)
        if key not in self.cache:
            if self.exhausted():
                raise _Budget
            t = time.perf_counter()
            v = self.scorer.score_arch(arch)[0].score
            self.time_s += time.perf_counter() - t
            self.cache[key] = self.sign * v if math.isfinite(v) else -math.inf
        return self.cache[key]


class _Budget(Exception):
    pass


@register_search("swap-nas")
def swap_nas(
    space: SearchSpace,
    dataset: str,
    *,
    seed: int,
    budget: int | None = None,
    device: str = "cpu",
    data_root: str | None = None,
    progress: bool = True,
    proxy: str = "reg_swap",
    mu: float | None = None,
    sigma: float | None = None,
    population: int = 20,
    cycles: int = 20,
    mutations: int = 5,
    crossover_prob: float = 0.5,
    batch_size: int | None = 16,
    C: int | None = None,
    N: int | None = None,
) -> SearchResult:
    """SWAP-NAS evolutionary search (see the module doc).

    Args:
        proxy: fitness proxy label (default ``reg_swap``; options allowed, e.g. ``reg_swap[init=normal]``).
        mu, sigma: reg-SWAP's size prior in millions of parameters (default: the space's, NB201 1.5/1.5); if only
            ``mu`` is given, ``sigma = mu`` (the paper sets them equal).
        population: P; the sample is P // 2.
        cycles: C, search cycles.
        mutations: children per cycle.
        crossover_prob: probability that the parent comes from a crossover of the sample's best two.
        batch_size: minibatch of each score (16, the authors' SWAP code; None: the proxy's / space's default).
        C, N: network overrides for quick runs (NB201: C, N, benchmark 16, 5; NB301: C, with ``N`` meaning
            ``layers``, suite network 32, 8).
    """
    t0 = time.perf_counter()
    if space.name not in OPERATORS:
        raise NaslibSwapError(f"swap-nas: operators are defined for {', '.join(OPERATORS)} only; got space {space.name}")
    op_mut, conn_mut, cross = OPERATORS[space.name]
    if population < 2 or cycles < 0 or mutations < 1 or not 0.0 <= crossover_prob <= 1.0:
        raise NaslibSwapError(f"swap-nas needs population >= 2, cycles >= 0, mutations >= 1 and 0 <= crossover_prob "
                              f"<= 1; got {population}, {cycles}, {mutations}, {crossover_prob}")
    name, popts = parse_proxy_label(str(proxy))
    if mu is not None:
        popts["mu"] = float(mu)
        popts.setdefault("sigma", float(mu) if sigma is None else float(sigma))
    if sigma is not None:
        popts["sigma"] = float(sigma)
    label = name + ("[" + ",".join(f"{k}={v!r}" for k, v in popts.items()) + "]" if popts else "")
    n_key = "layers" if space.name == "nasbench301" else "N"
    overrides = {k: v for k, v in (("C", C), (n_key, N)) if v is not None}
    sized = _sized(space, overrides)
    scorer = ArchScorer(sized, dataset, [label], batch_size=batch_size, seed=seed, device=device, data_root=data_root)
    fit = _Fitness(scorer, budget, scorer.jobs[0].spec.higher_is_better)
    g = make_generator(derive_seed(seed, "swap-nas", space.name, dataset))
    history: list[dict[str, Any]] = []
    pop: list[Any] = []
    total = population + cycles * (mutations + 2)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="swap-nas", unit="arch")

    def tick(n: int = 1) -> None:
        if bar is not None:
            bar.update(n)
            bar.set_postfix(scored=len(fit.cache), best=f"{max(map(fit, pop)) if pop else float('nan'):.4g}")

    stopped = False
    try:
        while len(pop) < population:
            a = space.sample(g)
            fit(a)
            pop.append(a)
            tick()
        for c in range(cycles):
            sample_idx = torch.randperm(len(pop), generator=g)[: max(2, population // 2)].tolist()
            sample = sorted((pop[i] for i in sample_idx), key=fit, reverse=True)
            used_crossover = bool(torch.rand(1, generator=g) < crossover_prob)
            if used_crossover:
                kids = cross(sample[0], sample[1], g)
                parent = max(kids, key=fit)
                tick(2)
            else:
                parent = sample[0]
            children: list[Any] = []
            for _ in range(mutations):
                mutate = op_mut if bool(torch.rand(1, generator=g) < 0.5) else conn_mut
                child = mutate(parent, g)
                fit(child)
                children.append(child)
                tick()
            best_child = max(children, key=fit)
            pop.append(best_child)
            worst = min(range(len(pop)), key=lambda i: (fit(pop[i]), -i))
            removed = pop.pop(worst)
            history.append({"cycle": c, "parent": space.key(parent), "crossover": used_crossover,
                            "child": space.key(best_child), "child_score": fit(best_child),
                            "removed": space.key(removed), "best_score": max(map(fit, pop)),
                            "scored": len(fit.cache)})
    except _Budget:
        stopped = True
    finally:
        if bar is not None:
            bar.close()
    if not pop:
        raise NaslibSwapError(f"swap-nas: budget {budget} allowed no architecture to be scored; use --budget >= 1")
    best = max(pop, key=fit)
    extra = {**({"genotype": space.to_string(best)} if space.name == "nasbench301" else {}), "proxy": label, "population": population, "cycles": cycles, "mutations": mutations,
             "crossover_prob": crossover_prob, "batch_size": scorer.batch_size, "budget_stopped": stopped,
             "best_score": fit(best), "scoring_time_s": fit.time_s, "net_overrides": overrides}
    return SearchResult(arch=best, search_time_s=time.perf_counter() - t0, n_scored=len(fit.cache),
                        history=history, extra=extra)
