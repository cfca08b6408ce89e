r"""SWAP-NAS (Peng et al., "SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS", ICLR 2024, Appendix C,
Algorithm 1): evolutionary search with the regularised SWAP-Score as fitness.

1. Population: ``population`` (P) random architectures, each scored by ``reg_swap``
   (:class:`~naslib_swap.scoring.ArchScorer` seeds the minibatch and weights from ``(seed, arch)``; a score is
   computed once per architecture and cached).
2. Each of ``cycles`` (C) cycles samples S = P/2 members (without replacement). The parent is the best of the sample or,
   with probability ``crossover_prob``, the better of the two children of a crossover between the best and the
   second best of the sample.
3. ``mutations`` children are made from the parent, each by one operation or one connectivity mutation (equal odds),
   and scored; the best child joins the population and the worst member leaves it (elitism, not aging).
4. The answer is the best member of the final population.

Operators: the space's (:class:`~naslib_swap.spaces.capabilities.EvolvableSpace`: ``op_mutation``,
``connectivity_mutation``, ``crossover``; NB201's in its space module, the DARTS space's in
``spaces/darts/operators.py``). A space without them cannot run SWAP-NAS. What a space adds to a result
(NB301: the final genotype, ``extra["genotype"]``) comes from ``space.result_extra``.

Network sizes: ``width`` and ``cells`` (the sizing vocabulary of :meth:`~naslib_swap.spaces.base.SearchSpace.build`;
NB201 C, N; NB301 C, ``layers``), for quick runs.

Model-size control: ``mu``/``sigma`` (millions of parameters) are passed to ``reg_swap``
(``reg_swap[mu=...,sigma=...]``); a larger mu favours larger networks (paper Fig. 5).

``budget`` caps the distinct architectures scored (cache hits are free); the search stops when it is reached.

Example:
    >>> from naslib_swap.registry import get_space, get_search
    >>> res = get_search("swap-nas")(get_space("nasbench201"), "cifar10", seed=0, progress=False,
    ...                             population=4, cycles=2, mutations=2, batch_size=4, width=2, cells=1)
    >>> len(res.arch)
    6
"""
from __future__ import annotations

import math
import time
from typing import Any, Sequence

import torch

from ..errors import NaslibSwapError
from ..proxies.base import ProxyCall
from ..registry import register_search
from ..rng import derive_seed, make_generator
from ..scoring import ArchScorer
from ..spaces.base import EvolvableSpace, SearchSpace, require
from .base import SearchResult
from .evolution import elitist_evolution
from .fanout import Fanout, Scatter, ScorerRecipe, scatter
from .shared_scores import shared


def _first_score(scorer: ArchScorer, arch: Any) -> float:
    """The fitness proxy's raw value of one arch (in this process or a worker: seeded by ``(seed, arch)``)."""
    return scorer.score_arch(arch)[0].score


class _Fitness:
    """Cached reg-SWAP fitness; counts distinct archs scored against the budget.

    ``prefetch(archs)`` scores a batch on the workers of ``scatter`` (the archs the search will ask for next, at most
    what the budget still allows); a later call takes its value instead of scoring, so the cache, the budget and the
    answer are those of a serial run."""

    def __init__(self, scorer: ArchScorer, budget: int | None, higher_is_better: bool,
                 scatter: Scatter | None = None) -> None:
        self.scorer, self.budget, self.sign = scorer, budget, 1.0 if higher_is_better else -1.0
        self.scatter = scatter
        self.cache: dict[str, float] = {}
        self.ready: dict[str, float] = {}
        self.time_s = 0.0

    def exhausted(self) -> bool:
        return self.budget is not None and len(self.cache) >= self.budget

    def prefetch(self, archs: Sequence[Any]) -> None:
        if self.scatter is None:
            return
        key = self.scorer.space.key
        room = math.inf if self.budget is None else self.budget - len(self.cache)
        todo: dict[str, Any] = {}
        for a in archs:
            k = key(a)
            if k not in self.cache and k not in self.ready and k not in todo and len(todo) < room:
                todo[k] = a
        if todo:
            t = time.perf_counter()
            self.ready.update(zip(todo, self.scatter.map(_first_score, list(todo.values()), describe=key)))
            self.time_s += time.perf_counter() - t

    def __call__(self, arch: Any) -> float:
        key = self.scorer.space.key(arch)
        if key not in self.cache:
            if self.exhausted():
                raise _Budget
            if key in self.ready:
                v = self.ready.pop(key)
            else:
                t = time.perf_counter()
                v = _first_score(self.scorer, arch)
                self.time_s += time.perf_counter() - t
            self.cache[key] = self.sign * v if math.isfinite(v) else -math.inf
        return self.cache[key]


class _Budget(Exception):
    pass


def _check(space: SearchSpace, population: int, cycles: int, mutations: int, crossover_prob: float) -> None:
    require(space, EvolvableSpace, "swap-nas")
    if population < 2 or cycles < 0 or mutations < 1 or not 0.0 <= crossover_prob <= 1.0:
        raise NaslibSwapError(f"swap-nas needs population >= 2, cycles >= 0, mutations >= 1 and 0 <= crossover_prob "
                              f"<= 1; got {population}, {cycles}, {mutations}, {crossover_prob}")


def _proxy_call(proxy: str | ProxyCall, mu: float | None, sigma: float | None) -> ProxyCall:
    """The fitness proxy with the size prior merged in (``sigma`` defaults to ``mu``, as the paper sets them)."""
    call = ProxyCall.parse(proxy)
    popts = dict(call.options)
    if mu is not None:
        popts["mu"] = float(mu)
        popts.setdefault("sigma", float(mu) if sigma is None else float(sigma))
    if sigma is not None:
        popts["sigma"] = float(sigma)
    return ProxyCall.make(call.spec, popts)


class _Breeder:
    """One SWAP-NAS cycle's variation: an optional crossover of the sample's best two, then ``mutations`` children of
    the parent, each by an op or a connectivity mutation (equal odds)."""

    def __init__(self, space: Any, fit: _Fitness, g: torch.Generator, mutations: int, crossover_prob: float,
                 tick: Any) -> None:
        self.space, self.fit, self.g, self.tick = space, fit, g, tick
        self.mutations, self.crossover_prob = mutations, crossover_prob

    def __call__(self, ranked: list[Any]) -> tuple[Any, list[Any], dict[str, Any]]:
        used_crossover = bool(torch.rand(1, generator=self.g) < self.crossover_prob)
        if used_crossover:
            pair = self.space.crossover(ranked[0], ranked[1], self.g)
            self.fit.prefetch(pair)
            parent = max(pair, key=self.fit)
            self.tick(2)
        else:
            parent = ranked[0]
        # the children are drawn first, then scored (as a batch when fanned out): scoring draws nothing from g
        children: list[Any] = []
        for _ in range(self.mutations):
            op = bool(torch.rand(1, generator=self.g) < 0.5)
            children.append((self.space.op_mutation if op else self.space.connectivity_mutation)(parent, self.g))
        self.fit.prefetch(children)
        for child in children:
            self.fit(child)
            self.tick()
        return parent, children, {"crossover": used_crossover}


def _progress_bar(progress: bool, total: int, fit: _Fitness, pop: list[Any]) -> tuple[Any, Any]:
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="swap-nas", unit="arch")

    def tick(n: int = 1) -> None:
        if bar is not None:
            bar.update(n)
            bar.set_postfix(scored=len(fit.cache), best=f"{max(map(fit, pop)) if pop else float('nan'):.4g}")

    return bar, tick


@register_search("swap-nas", budget_unit="distinct architectures scored (reg-SWAP, one minibatch each)")
def swap_nas(space: SearchSpace, dataset: str, *, seed: int, budget: int | None = None, device: str = "cpu",
             data_root: str | None = None, progress: bool = True, proxy: str = "reg_swap", mu: float | None = None,
             sigma: float | None = None, population: int = 20, cycles: int = 20, mutations: int = 5,
             crossover_prob: float = 0.5, batch_size: int | None = 16, width: int | None = None,
             cells: int | None = None, backend: Fanout | None = None) -> SearchResult:
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
        width, cells: network sizes for quick runs (None: the benchmark's; NB201 C=16, N=5; NB301 C=32, 8 cells).
        backend: where batches are scored (:class:`~naslib_swap.search.fanout.Fanout`; None: this process): the
            initial population, a crossover's two children, a cycle's ``mutations`` children. Same answer and
            history as a serial run.
    """
    t0 = time.perf_counter()
    _check(space, population, cycles, mutations, crossover_prob)
    call = _proxy_call(proxy, mu, sigma)
    sizes: dict[str, Any] = {k: v for k, v in (("width", width), ("cells", cells)) if v is not None}
    space.net_options(**sizes)  # a size the space cannot honour fails here, in one line
    scorer = shared(ArchScorer(space, dataset, [call], batch_size=batch_size, seed=seed, device=device,
                               data_root=data_root, net_options=sizes))
    recipe = ScorerRecipe(ArchScorer, dict(space=space, dataset=dataset, proxies=[call.label], batch_size=batch_size,
                                           seed=seed, device=device, data_root=data_root, net_options=sizes))
    with scatter(backend, lambda: recipe, device=device, data_root=data_root) as fan:
        return _search(space, scorer, call, sizes, fan, seed=seed, dataset=dataset, budget=budget,
                       progress=progress, population=population, cycles=cycles, mutations=mutations,
                       crossover_prob=crossover_prob, t0=t0)


def _search(space: Any, scorer: ArchScorer, call: ProxyCall, sizes: dict[str, Any], fan: Scatter | None, *,
            seed: int, dataset: str, budget: int | None, progress: bool, population: int, cycles: int,
            mutations: int, crossover_prob: float, t0: float) -> SearchResult:
    fit = _Fitness(scorer, budget, scorer.jobs[0].spec.higher_is_better, fan)
    g = make_generator(derive_seed(seed, "swap-nas", space, dataset))
    history: list[dict[str, Any]] = []
    pop: list[Any] = []
    bar, tick = _progress_bar(progress, population + cycles * (mutations + 2), fit, pop)

    def record(c: int, parent: Any, child: Any, removed: Any, info: dict[str, Any]) -> None:
        history.append({"cycle": c, "parent": space.key(parent), "crossover": info["crossover"],
                        "child": space.key(child), "child_score": fit(child), "removed": space.key(removed),
                        "best_score": max(map(fit, pop)), "scored": len(fit.cache)})

    stopped = False
    try:
        elitist_evolution(pop, size=population, cycles=cycles, sample_size=max(2, population // 2), generator=g,
                          sample=space.sample, fitness=fit, on_member=lambda a: tick(), on_cycle=record,
                          breed=_Breeder(space, fit, g, mutations, crossover_prob, tick),
                          on_population=fit.prefetch if fan is not None else None)
    except _Budget:
        stopped = True
    finally:
        if bar is not None:
            bar.close()
    if not pop:
        raise NaslibSwapError(f"swap-nas: budget {budget} allowed no architecture to be scored; use a budget >= 1")
    best = max(pop, key=fit)
    extra = {**space.result_extra(best), "proxy": call.label, "population": population, "cycles": cycles,
             "mutations": mutations, "crossover_prob": crossover_prob, "batch_size": scorer.batch_size,
             "budget_stopped": stopped, "best_score": fit(best), "scoring_time_s": fit.time_s, "net_overrides": sizes,
             "scoring_tasks": 0 if fan is None else fan.n_tasks}
    return SearchResult(arch=best, search_time_s=time.perf_counter() - t0, n_scored=len(fit.cache),
                        history=history, extra=extra, truncated=stopped)
