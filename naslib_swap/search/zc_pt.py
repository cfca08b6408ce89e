r"""Zero-Cost-PT (Xiang et al., "Zero-Cost Operation Scoring in Differentiable Architecture Search", AAAI 2023).

An untrained supernet holds every op on every edge, mixed by weights :math:`w = \mathrm{softmax}(\alpha)` with
:math:`\alpha \sim 10^{-3}\,\mathcal{N}(0, 1)` (one draw per search, shared by all proposals). Perturbing the
supernet :math:`A` by removing op :math:`o` from edge :math:`e` sets :math:`w_{e,o} = 0` (no renormalisation), and the
zero-cost perturbation policy keeps on edge :math:`e` the op whose removal hurts the proxy :math:`S` most (Eq. 7):

.. math:: \pi_{zc\text{-}pt}(A_t, e) = \arg\min_{o \in \mathcal{O}_e} S(A_t - (e, o))

("hurts most" is read from the proxy's ``higher_is_better``: the lowest score for nwot/swap, the highest for a
lower-is-better proxy). A discretised edge keeps only its chosen op (weight 1, as the authors' projected weights).

Proposal stage: ``proposals`` (N, paper 10) times, discretise every edge of a fresh copy of :math:`A_0` following the
edge ``order``; each decision step draws a fresh minibatch (``batch_size``, paper 256 on NB201), as the authors' code
takes ``next(iter(loader))`` per step. Validation stage: every distinct candidate is built as a stand-alone network
(``space.build``, weights drawn from ``(seed, arch)``) and scored on the same ``validate`` (V, paper 100) minibatches;
the best total wins. With a single distinct candidate the validation is skipped (it cannot change the answer).

Edge orders (paper Sec. 4.2; perturbations per proposal with E edges, O ops in brackets):

* ``fixed``: edges from the cell input towards its output (NB201: by target node, ``1<-0, 2<-0, 2<-1, 3<-0, 3<-1,
  3<-2``), the authors' ``order`` [O E].
* ``random`` (default): a uniformly random remaining edge at each step [O E].
* ``global-op-iter``: each step scores every op of every remaining edge and discretises the edge holding the globally
  most important op with that op [O E (E+1) / 2].
* ``global-edge-iter``: each step scores every op of every remaining edge, picks the edge whose ops are on average most
  important (mean score), and keeps its most important op from the same scores [O E (E+1) / 2].
* ``global-op-once``: scores every (edge, op) once on :math:`A_0`, orders the edges by their most important op, then
  discretises in that order, re-scoring each edge at its turn (the first edge reuses the first scores) [2 O E - O].
* ``global-edge-once``: as ``global-op-once`` with edges ordered by their mean op score [2 O E - O].

The authors' code differs in places (its ``global_op_once`` pops edges keyed by an op index); this module follows the
paper's text and its perturbation counts (Table 3).

Topology step (DARTS-PT, as Zero-Cost-PT uses it on DARTS): on a space whose nodes keep only some of their inputs
(:attr:`~naslib_swap.spaces.capabilities.SupernetSpace.topology`; DARTS: 2 of ``i + 2``), after every edge holds one op
each such node repeatedly loses the incoming edge whose removal (its whole row of mixing weights set to 0) leaves the
proxy highest, i.e. the least important edge, until it keeps enough; one fresh minibatch per node. On DARTS this costs
3 + (4 + 3) + (5 + 4 + 3) = 22 perturbations per cell. Out of budget, a node keeps its first inputs.

Spaces: any :class:`~naslib_swap.spaces.capabilities.SupernetSpace` (NB201: 6 edges x 5 ops; the DARTS space of
NB301: 2 x 14 = 28 edges x 7 ops, ``none`` removed as in the paper). The supernet, its ``fixed`` order, the default
perturbation minibatch (``space.supernet_batch_size``) and the stand-alone validation net (build profile
``"supernet"``) come from the space; ``width``/``cells`` resize both nets.

``budget`` caps the perturbations scored; a proposal cut short discretises its remaining edges by the largest mixing
weight (marked ``truncated`` in the history) and no further proposal starts.

Example:
    >>> from naslib_swap.registry import get_space, get_search
    >>> res = get_search("zc-pt")(get_space("nasbench201"), "cifar10", seed=0, progress=False,
    ...                          width=2, cells=1, batch_size=4, proposals=1, validate=1)
    >>> len(res.arch), res.n_scored
    (6, 30)
    >>> res = get_search("zc-pt")(get_space("nasbench301"), "cifar10", seed=0, progress=False, width=2, cells=1,
    ...                          batch_size=2, proposals=1, validate=1, budget=6)
    >>> res.n_scored, res.extra["genotype"].startswith("Genotype(normal=[")
    (6, True)
"""
from __future__ import annotations

import time
from typing import Any, Callable, cast

import numpy as np
import torch
import torch.nn as nn

from ..errors import NaslibSwapError, ProxyInputError
from ..proxies.base import ProxyCall, ProxyContext, compute_proxy
from ..registry import ProxySpec, register_search
from ..rng import derive_seed, make_generator
from ..spaces.base import BudgetExhausted, SearchSpace, Supernet, SupernetSpace, require
from ..types import Batch
from .base import SearchResult
from .fanout import Fanout, Scatter, ScorerRecipe, scatter

ORDERS: tuple[str, ...] = ("fixed", "random", "global-op-iter", "global-op-once", "global-edge-iter",
                           "global-edge-once")


class PerturbationScorer:
    """Scores perturbed supernets with one proxy; counts perturbations against a budget.

    ``goodness(W, batch)`` is the proxy value turned into "higher = better network" (sign from the proxy's
    ``higher_is_better``); the op to keep is the one whose removal gives the *lowest* such value.
    """

    def __init__(self, sup: Supernet, proxy: ProxyCall | ProxySpec, bn_mode: str | None, device: torch.device,
                 generator: torch.Generator, budget: int | None, space: SearchSpace | None = None,
                 dataset: str | None = None) -> None:
        self.call = ProxyCall.parse(proxy)
        if bn_mode is not None:
            self.call = self.call.with_options(bn_mode=bn_mode)
        self.sup, self.spec = sup, self.call.spec
        self.device, self.generator, self.budget = device, generator, budget
        self.space, self.dataset = space, dataset
        self.count = 0
        self.on_score: Callable[[], None] | None = None  # progress: called after every perturbation scored
        self._snapshot = _snapshot(sup.net)
        self.scatter: Scatter | None = None  # set by a search that fans its perturbations out
        # values the workers computed, in the order the search will ask for them: (weights, batch, value, the
        # generator's state after it if the proxy moved it, else None)
        self.ready: list[tuple[torch.Tensor, Batch, float, torch.Tensor | None]] = []
        self.draws = False  # the proxy drew from the shared generator: its calls' order matters, no more fan-out

    def raw(self, weights: torch.Tensor, batch: Batch) -> float:
        """The proxy's value of the supernet with these mixing weights (in this process)."""
        self.sup.set_weights(weights)
        # a fresh context per evaluation: proxies cache per-(net, batch) work in ctx.cache, and the net changes here
        ctx = (ProxyContext(device=self.device, generator=self.generator) if self.space is None or self.dataset is None
               else ProxyContext.for_space(self.space, self.dataset, generator=self.generator, device=self.device))
        return _score_in_place(self.call, self.sup.net, batch, ctx, self._snapshot)

    def prefetch(self, trials: list[torch.Tensor], batch: Batch) -> None:
        """Scores the next ``trials`` (as many as the budget allows) on the workers, each from the shared generator's
        current state. A proxy that draws from it makes each value depend on the calls before it: the values after
        the first one that moved the generator are dropped and computed here, in order, from the state it handed
        back (so the values are a serial run's either way), and the search stops fanning out."""
        if self.scatter is None or self.draws or self.ready:
            return
        room = len(trials) if self.budget is None else max(0, self.budget - self.count)
        state = self.generator.get_state()
        todo = trials[:room]
        values = self.scatter.map(_zc_raw, [(w, batch, state) for w in todo],
                                  describe=lambda item: "a perturbed supernet")
        for w, (value, moved) in zip(todo, values):
            self.ready.append((w, batch, value, moved))
            if moved is not None:
                break

    def _take(self, weights: torch.Tensor, batch: Batch) -> float | None:
        """The worker's value for this evaluation if it is the next one prefetched (else None: compute here)."""
        if not self.ready:
            return None
        w, b, value, moved = self.ready.pop(0)
        if b is not batch or not torch.equal(w, weights):  # not what was prefetched: drop the rest, compute here
            self.ready.clear()
            return None
        if moved is not None:  # the proxy draws from the shared generator: go on from its state, serially
            self.generator.set_state(moved)
            self.ready.clear()
            self.draws = True
        return value

    def goodness(self, weights: torch.Tensor, batch: Batch) -> float:
        if self.budget is not None and self.count >= self.budget:
            raise BudgetExhausted
        value = self._take(weights, batch)
        if value is None:
            value = self.raw(weights, batch)
        self.count += 1
        if self.on_score is not None:
            self.on_score()
        if np.isnan(value):
            return float("inf")  # unknown: never taken as the most important op
        return value if self.spec.higher_is_better else -value

    def edge_scores(self, weights: torch.Tensor, edge: int, batch: Batch) -> dict[int, float]:
        """Importance value after removing each candidate op of ``edge`` (lower = removal hurts more)."""
        trials = self.trials(weights, [edge])
        self.prefetch([w for _, w in trials], batch)
        return {o: self.goodness(w, batch) for (_, o), w in trials}

    def trials(self, weights: torch.Tensor, edges: list[int]) -> list[tuple[tuple[int, int], torch.Tensor]]:
        """``((edge, op), weights without that op)`` for every candidate op of ``edges``, in scoring order."""
        out = []
        for e in edges:
            for o in torch.nonzero(self.sup.candidates[e]).flatten().tolist():
                w = weights.clone()
                w[e, o] = 0.0
                out.append(((e, o), w))
        return out

    def table(self, weights: torch.Tensor, edges: list[int], batch: Batch) -> dict[int, dict[int, float]]:
        """:meth:`edge_scores` of every edge of ``edges`` (a global order's step: one batch of work)."""
        self.prefetch([w for _, w in self.trials(weights, edges)], batch)
        return {e: self.edge_scores(weights, e, batch) for e in edges}


def _keep(scores: dict[int, float]) -> int:
    """The op whose removal hurts most (lowest value; ties: lowest op index)."""
    return min(scores, key=lambda o: (scores[o], o))


def _edge_importance(order: str, scores: dict[int, float]) -> float:
    """How important an edge is for the global orders (lower: more): its most important op, or its mean op."""
    return min(scores.values()) if order.startswith("global-op") else float(np.mean(list(scores.values())))


class _Proposal:
    """One proposal's state: the weights being discretised, the op kept per edge, the edges in decision order."""

    def __init__(self, scorer: PerturbationScorer, next_batch: Callable[[], Batch], generator: torch.Generator) -> None:
        self.scorer, self.next_batch, self.generator = scorer, next_batch, generator
        self.sup = scorer.sup
        self.w = self.sup.weights0.clone()
        self.choice: list[int | None] = [None] * self.w.shape[0]
        self.visited: list[int] = []
        self.remaining = list(range(self.w.shape[0]))

    def decide(self, edge: int, op: int) -> None:
        self.w[edge].zero_()
        self.w[edge, op] = 1.0
        self.choice[edge] = op
        self.visited.append(edge)
        self.remaining.remove(edge)

    def sequential(self, order: str) -> None:
        """``fixed`` / ``random``: one edge at a time, each with a fresh minibatch."""
        seq = list(self.sup.fixed_order)
        while self.remaining:
            if order == "random":
                edge = self.remaining[int(torch.randint(len(self.remaining), (1,), generator=self.generator))]
            else:
                edge = next(e for e in seq if e in self.remaining)
            self.decide(edge, _keep(self.scorer.edge_scores(self.w, edge, self.next_batch())))

    def global_iter(self, order: str) -> None:
        """``global-*-iter``: every step re-scores every op of every remaining edge."""
        while self.remaining:
            batch = self.next_batch()
            table = self.scorer.table(self.w, list(self.remaining), batch)
            edge = min(self.remaining, key=lambda e: (_edge_importance(order, table[e]), e))
            self.decide(edge, _keep(table[edge]))

    def global_once(self, order: str) -> None:
        """``global-*-once``: one scoring on A_0 fixes the edge order; each edge is re-scored at its turn."""
        batch = self.next_batch()
        table = self.scorer.table(self.w, list(self.remaining), batch)
        seq = sorted(self.remaining, key=lambda e: (_edge_importance(order, table[e]), e))
        for k, edge in enumerate(seq):
            # the first edge sees the unchanged A_0: its scores are the ones just computed
            scores = table[edge] if k == 0 else self.scorer.edge_scores(self.w, edge, self.next_batch())
            self.decide(edge, _keep(scores))

    def finish_by_weight(self) -> None:
        """Out of budget: the DARTS rule (largest mixing weight) for the edges left."""
        for e in list(self.remaining):
            cand = self.sup.weights0[e].masked_fill(~self.sup.candidates[e], float("-inf"))
            self.decide(e, int(torch.argmax(cand)))


def propose(scorer: PerturbationScorer, order: str, next_batch: Callable[[], Batch],
            generator: torch.Generator) -> tuple[list[int], list[int], bool]:
    """One proposal: discretise every edge of A_0 following ``order``.

    Returns:
        (choice per edge, edges in the order they were discretised, whether the budget cut it short).
    """
    if order not in ORDERS:
        raise NaslibSwapError(f"unknown zc-pt order '{order}'; known: {', '.join(ORDERS)}")
    p = _Proposal(scorer, next_batch, generator)
    run = p.sequential if order in ("fixed", "random") else p.global_iter if order.endswith("-iter") else p.global_once
    truncated = False
    try:
        run(order)
    except BudgetExhausted:
        p.finish_by_weight()
        truncated = True
    return [int(c) for c in p.choice], p.visited, truncated  # type: ignore[arg-type]


def topology_step(scorer: PerturbationScorer, choice: list[int], next_batch: Callable[[], Batch]) -> Any:
    """Per node of ``scorer.sup.topology``, drop the incoming edge whose removal keeps the score highest until the node
    keeps enough inputs (module doc); returns the architecture."""
    sup = scorer.sup
    w = torch.zeros_like(sup.weights0)
    for e, o in enumerate(choice):
        w[e, o] = 1.0
    kept: list[tuple[int, ...]] = []
    for node in sup.topology:
        alive, rows = list(node.inputs), dict(zip(node.inputs, node.rows))
        try:
            batch = next_batch() if len(alive) > node.keep else None
            while len(alive) > node.keep:
                trials = []
                for j in alive:
                    trial = w.clone()
                    trial[rows[j]] = 0.0
                    trials.append(trial)
                if hasattr(scorer, "prefetch"):  # a stand-in scorer without workers scores them one by one
                    scorer.prefetch(trials, batch)  # type: ignore[arg-type]
                scores = {j: scorer.goodness(trial, batch) for j, trial in zip(alive, trials)}  # type: ignore[arg-type]
                drop = max(alive, key=lambda j: (scores[j], -j))
                alive.remove(drop)
                w[rows[drop]] = 0.0
        except BudgetExhausted:
            for j in alive[node.keep:]:
                w[rows[j]] = 0.0
            alive = alive[:node.keep]
        kept.append(tuple(alive))
    return sup.to_arch(choice, kept)


def _check_options(order: str, proposals: int, validate: int, budget: int | None, bn_mode: str | None) -> None:
    if order not in ORDERS:
        raise NaslibSwapError(f"unknown zc-pt order '{order}'; known: {', '.join(ORDERS)}")
    if proposals < 1 or validate < 1:
        raise NaslibSwapError(f"zc-pt needs proposals >= 1 and validate >= 1, got {proposals} and {validate}")
    if budget is not None and budget < 0:
        raise NaslibSwapError(f"budget must be >= 0, got {budget}")
    if bn_mode not in (None, "train", "eval"):
        raise NaslibSwapError(f"bn_mode must be 'train', 'eval' or None, got {bn_mode!r}")


def _proxy(proxy: str | ProxyCall) -> ProxyCall:
    """The per-network proxy call (fails early on a population proxy or a bad option)."""
    call = ProxyCall.parse(proxy)
    spec = call.spec
    if spec.needs_population or spec.needs_arch_builder:
        raise ProxyInputError(f"zc-pt scores a supernet; proxy '{spec.name}' needs "
                              f"{'a population' if spec.needs_population else 'an architecture builder'}: choose a "
                              f"per-network proxy such as nwot or swap")
    return call


def _proposals(space: SearchSpace, scorer: PerturbationScorer, order: str, proposals: int,
               next_batch: Callable[[], Batch], g_order: torch.Generator, history: list[dict[str, Any]],
               progress: bool) -> list[Any]:
    """The proposal stage: up to ``proposals`` candidates (it stops after one the budget cut short). The progress bar
    counts perturbations scored (the work), against the orders' costs or the budget."""
    candidates: list[Any] = []
    total = proposals * perturbations_per_proposal(scorer.sup, order)
    bar = _bar(progress, min(total, scorer.budget) if scorer.budget is not None else total,
               f"zc-pt {order} perturbations")
    if bar is not None:
        scorer.on_score = lambda: bar.update(1)
    for i in range(proposals):
        before = scorer.count
        choice, visited, truncated = propose(scorer, order, next_batch, g_order)
        sup = scorer.sup
        arch = space.parse(topology_step(scorer, choice, next_batch) if sup.topology else sup.to_arch(choice))
        candidates.append(arch)
        history.append({"stage": "proposal", "index": i, "arch": space.key(arch), "edge_order": visited,
                        "perturbations": scorer.count - before, "truncated": truncated})
        if bar is not None:
            bar.set_postfix(proposals=f"{i + 1}/{proposals}", distinct=len(set(map(space.key, candidates))))
        if truncated:
            break
    if bar is not None:
        bar.close()
        scorer.on_score = None
    return candidates


def perturbations_per_proposal(sup: Supernet, order: str) -> int:
    """Perturbations one proposal scores (the paper's Table 3 costs with O the mean candidate ops per edge), plus the
    topology step's; the budget caps the total.

    Example:
        >>> import torch
        >>> sup = Supernet(net=None, set_weights=None, weights0=None, candidates=torch.ones(6, 5, dtype=torch.bool),
        ...                fixed_order=tuple(range(6)), topology=(), to_arch=None)
        >>> perturbations_per_proposal(sup, "random"), perturbations_per_proposal(sup, "global-op-iter")
        (30, 105)
    """
    n_edges = int(sup.candidates.shape[0])
    ops = int(sup.candidates.sum())
    mean = ops / max(n_edges, 1)
    if order.endswith("-iter"):
        cost = mean * n_edges * (n_edges + 1) / 2
    elif order.endswith("-once"):
        cost = 2 * ops - mean
    else:
        cost = ops
    topo = sum(sum(range(node.keep + 1, len(node.inputs) + 1)) for node in sup.topology)
    return int(round(cost)) + topo


class _Validation:
    """The validation stage: every distinct candidate, built stand-alone (profile ``supernet``, weights from
    ``(seed, arch)``), scored on the same ``validate`` minibatches; the best total wins."""

    def __init__(self, space: SearchSpace, dataset: str, seed: int, dev: torch.device, data_root: Any,
                 call: ProxyCall, bn_mode: str | None, g_proxy: torch.Generator,
                 sizes: dict[str, Any]) -> None:
        self.space, self.dataset, self.seed, self.dev, self.data_root = space, dataset, seed, dev, data_root
        self.call = call.with_options(bn_mode=bn_mode) if bn_mode is not None else call
        self.g_proxy, self.sizes = g_proxy, sizes
        self.sign = 1.0 if call.spec.higher_is_better else -1.0
        self.n_val = 0
        self.scatter: Scatter | None = None  # set by a search that fans its candidates out
        self.draws = False  # the proxy drew from the shared generator: candidates computed here, in order

    def total(self, arch: Any, batches: list[Batch], bar: Any) -> float:
        space, dataset, dev, key = self.space, self.dataset, self.dev, self.space.key(arch)
        net = space.build(arch, dataset, generator=make_generator(derive_seed(self.seed, "zc-pt", space, dataset,
                                                                              key)),
                          device=dev, profile="supernet", **self.sizes)
        total = 0.0
        snap = _snapshot(net)
        for b in batches:
            ctx = ProxyContext.for_space(space, dataset, generator=self.g_proxy, device=dev)
            total += self.sign * _score_in_place(self.call, net, b, ctx, snap)
            self.n_val += 1
            if bar is not None:
                bar.update(1)
        return total

    def batches(self, validate: int, vbs: int) -> list[Batch]:
        """The ``validate`` minibatches every candidate is scored on (drawn from their own seed: a worker draws the
        same ones)."""
        g_val = make_generator(derive_seed(self.seed, "zc-pt", self.space, self.dataset, "validation"))
        return [self.space.make_batch(self.dataset, vbs, g_val, data_root=self.data_root, device=self.dev)
                for _ in range(validate)]

    def prefetch(self, distinct: list[Any], validate: int, vbs: int) -> list[tuple[float, torch.Tensor | None]]:
        """The candidates' totals from the workers, each from the shared generator's current state: those up to the
        first one whose proxy moved the generator (with the state it left), the rest to be computed here."""
        if self.scatter is None or self.draws:
            return []
        state = self.g_proxy.get_state()
        out = []
        for total, moved in self.scatter.map(_zc_validate, [(a, validate, vbs, state) for a in distinct],
                                             describe=lambda item: f"candidate {self.space.key(item[0])}"):
            out.append((total, moved))
            if moved is not None:
                self.draws = True
                break
        return out

    def best(self, distinct: list[Any], validate: int, vbs: int, history: list[dict[str, Any]], progress: bool) -> Any:
        space = self.space
        batches = self.batches(validate, vbs)
        vbar = _bar(progress, len(distinct) * validate, "zc-pt validation")
        val_scores: dict[str, float] = {}
        ready = self.prefetch(distinct, validate, vbs)
        for i, a in enumerate(distinct):
            if i < len(ready):  # a worker's total, counted here as if computed here
                total, moved = ready[i]
                if moved is not None:
                    self.g_proxy.set_state(moved)
                self.n_val += validate
                if vbar is not None:
                    vbar.update(validate)
            else:
                total = self.total(a, batches, vbar)
            val_scores[space.key(a)] = total
            history.append({"stage": "validation", "arch": space.key(a), "score": self.sign * total})
        if vbar is not None:
            vbar.close()
        return max(distinct, key=lambda a: (_finite(val_scores[space.key(a)]), -distinct.index(a)))


def _distinct(space: SearchSpace, candidates: list[Any]) -> list[Any]:
    out: list[Any] = []
    for a in candidates:
        if space.key(a) not in map(space.key, out):
            out.append(a)
    return out


@register_search("zc-pt", budget_unit="supernet perturbations scored (the validation stage not counted)")
def zc_pt(space: SearchSpace, dataset: str, *, seed: int, budget: int | None = None, device: str = "cpu",
          data_root: str | None = None, progress: bool = True, proxy: str = "nwot", bn_mode: str | None = "eval",
          order: str = "random", proposals: int = 10, validate: int = 100, batch_size: int | None = None,
          val_batch_size: int | None = None, width: int | None = None, cells: int | None = None,
          alpha_std: float = 1e-3, backend: Fanout | None = None) -> SearchResult:
    """Zero-Cost-PT search (see the module doc).

    Args:
        proxy: a registered proxy label, options allowed (``nwot``, ``swap``, ``reg_swap[mu=1.0]``).
        bn_mode: the BN mode the proxy runs in (paper: eval); None keeps the proxy's own ``bn_mode``.
        order: edge order, one of :data:`ORDERS`.
        proposals: N, proposal iterations (paper 10).
        validate: V, validation minibatches per distinct candidate (paper 100).
        batch_size: perturbation minibatch (default: the space's ``supernet_batch_size``, the paper's 256 on NB201,
            64 on DARTS).
        val_batch_size: validation minibatch (default ``batch_size``).
        width, cells: supernet (and stand-alone validation net) sizes (default: the space's ``supernet`` profile,
            NB201 C=16, N=5; DARTS C=16, 8 cells).
        alpha_std: the std of alpha (1e-3).
        backend: where batches are scored (:class:`~naslib_swap.search.fanout.Fanout`; None: this process): an
            edge's candidate perturbations (a global order's step: every remaining edge's), a topology node's, and
            the validation of the distinct candidates. The edges of a proposal are decided one after another, and
            a proxy that draws from the search's proxy generator (``swap[reinits=2]``) is scored here from its
            first draw on; the answer and history are a serial run's either way.
    """
    t0 = time.perf_counter()
    _check_options(order, proposals, validate, budget, bn_mode)
    require(space, SupernetSpace, "zc-pt")
    sup_space = cast(SupernetSpace, space)  # narrowed: require() has checked the capability
    dataset = space.check_dataset(dataset)
    call = _proxy(proxy)
    sizes = {k: v for k, v in (("width", width), ("cells", cells)) if v is not None}
    dev = torch.device(device)
    bs = batch_size or sup_space.supernet_batch_size
    vbs = val_batch_size or bs

    g_net = make_generator(derive_seed(seed, "zc-pt", space, dataset, "supernet"))
    g_data = make_generator(derive_seed(seed, "zc-pt", space, dataset, "data"))
    g_order = make_generator(derive_seed(seed, "zc-pt", space, dataset, "order"))
    g_proxy = make_generator(derive_seed(seed, "zc-pt", space, dataset, "proxy"))
    sup = sup_space.supernet(dataset, g_net, dev, alpha_std=alpha_std, **sizes)
    scorer = PerturbationScorer(sup, call, bn_mode, dev, g_proxy, budget, space, dataset)

    def next_batch() -> Batch:
        return space.make_batch(dataset, bs, g_data, data_root=data_root, device=dev)

    history: list[dict[str, Any]] = []
    val = _Validation(space, dataset, seed, dev, data_root, call, bn_mode, g_proxy, sizes)
    recipe = ScorerRecipe(_ZcWorker, dict(space=space, dataset=dataset, seed=seed, device=str(dev),
                                          data_root=data_root, proxy=call.label, bn_mode=bn_mode,
                                          alpha_std=alpha_std, sizes=sizes))
    with scatter(backend, lambda: recipe, device=dev, data_root=data_root) as fan:
        scorer.scatter = val.scatter = fan
        candidates = _proposals(space, scorer, order, proposals, next_batch, g_order, history, progress)
        distinct = _distinct(space, candidates)
        val.draws = scorer.draws  # a proxy seen drawing from the shared generator is validated here too
        best = distinct[0] if len(distinct) == 1 else val.best(distinct, validate, vbs, history, progress)
        scorer.scatter = val.scatter = None
    extra = {
        **space.result_extra(best),
        "proxy": call.label, "order": order, "bn_mode": bn_mode, "proposals_run": len(candidates),
        "distinct_candidates": len(distinct), "perturbations": scorer.count, "validation_evals": val.n_val,
        # evaluations done by workers; whether the proxy's draws from the shared generator sent the rest here
        "scoring_tasks": 0 if fan is None else fan.n_tasks, "fanout_stopped_by_draws": scorer.draws or val.draws,
        "settings": {"batch_size": bs, "val_batch_size": vbs, "validate": validate, "proposals": proposals,
                     **space.net_options("supernet", **sizes), "alpha_std": alpha_std},
    }
    cut = any(h.get("truncated") for h in history if h.get("stage") == "proposal")
    return SearchResult(arch=best, search_time_s=time.perf_counter() - t0, n_scored=scorer.count + val.n_val,
                        history=history, extra=extra, truncated=cut)


class _ZcWorker:
    """A worker's copy of a zc-pt search's scorers: the same supernet (from the search's seed) and validation."""

    def __init__(self, *, space: Any, dataset: str, seed: int, device: str, data_root: Any, proxy: str,
                 bn_mode: str | None, alpha_std: float, sizes: dict[str, Any]) -> None:
        dev = torch.device(device)
        g_net = make_generator(derive_seed(seed, "zc-pt", space, dataset, "supernet"))
        sup = space.supernet(dataset, g_net, dev, alpha_std=alpha_std, **sizes)
        call = ProxyCall.parse(proxy)
        self.generator = make_generator(0)  # its state is set from the driver's before every evaluation
        self.pert = PerturbationScorer(sup, call, bn_mode, dev, self.generator, None, space, dataset)
        self.val = _Validation(space, dataset, seed, dev, data_root, call, bn_mode, self.generator, sizes)
        self.batches: dict[tuple[int, int], list[Batch]] = {}


def _moved(g: torch.Generator, state: torch.Tensor) -> torch.Tensor | None:
    after = g.get_state()
    return None if torch.equal(after, state) else after


def _zc_raw(worker: _ZcWorker, item: tuple[torch.Tensor, Batch, torch.Tensor]) -> tuple[float, torch.Tensor | None]:
    """One perturbation on a worker, from the driver's generator state: (value, the state after if it moved)."""
    weights, batch, state = item
    worker.generator.set_state(state)
    return worker.pert.raw(weights, batch), _moved(worker.generator, state)


def _zc_validate(worker: _ZcWorker, item: tuple[Any, int, int, torch.Tensor]) -> tuple[float, torch.Tensor | None]:
    """One candidate's validation total on a worker (its batches drawn once per worker)."""
    arch, validate, vbs, state = item
    if (validate, vbs) not in worker.batches:
        worker.batches[(validate, vbs)] = worker.val.batches(validate, vbs)
    worker.generator.set_state(state)
    return worker.val.total(arch, worker.batches[(validate, vbs)], None), _moved(worker.generator, state)


def _snapshot(net: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def _score_in_place(call: ProxyCall, net: nn.Module, batch: Batch, ctx: ProxyContext,
                    snapshot: dict[str, torch.Tensor]) -> float:
    """compute_proxy without its deep copy (seconds per call on a supernet): the proxy may re-initialise or update BN
    statistics of the net, so every parameter and buffer is restored from ``snapshot`` afterwards."""
    try:
        return compute_proxy(call, net, batch, ctx, copy_net=False)
    finally:
        with torch.no_grad():
            for k, v in net.state_dict().items():
                v.copy_(snapshot[k])


def _finite(x: float) -> float:
    return x if np.isfinite(x) else (-1e300 if x < 0 or np.isnan(x) else 1e300)


def _bar(progress: bool, total: int, desc: str) -> Any:
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="it")
