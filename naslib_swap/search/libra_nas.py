"""LIBRA-NAS: aging evolution whose fitness is the LIBRA-combined score of the proxies LIBRA chose.

The paper (Sec. 4.2) plugs LIBRA into "an evolutionary algorithm" without details; this module fixes them:

* **Proxies**: ``proxies="a+b+c"`` (``+``-separated, since search options cannot hold commas on the command line);
  else LIBRA (:func:`naslib_swap.ensemble.libra.libra_select`) is fitted on the sample of ``fit_seed`` of the
  benchmark table: the suite runner's store ``db`` if given, else the suite's baseline files, with the pool cut to
  the proxies this package can compute live (registered proxies). Like the paper, that uses the ground truth of
  the fit sample (a benchmark-level choice made once), never the ground truth of the searched archs.
* **Scoring** of every arch goes through :class:`naslib_swap.scoring.ArchScorer` (per-arch seeds, one batch).
* **Fitness of one arch** is a rank sum (``combine``: any of :data:`COMBINE_METHODS`), which needs a reference
  population: an arch is ranked *within the current population plus itself*; a parent is the arch of best fitness
  among ``sample_size`` members drawn from the population (each ranked against the whole current population).
* **Evolution** (Real et al.'s aging evolution, :func:`naslib_swap.search.evolution.aging_evolution`): a population
  of ``population`` random archs; each cycle draws ``sample_size`` members, mutates the best once (``space.mutate``),
  scores the child, adds it and removes the oldest. ``budget`` caps the archs scored (default 200; the initial
  population counts).
* **Result**: the arch of best fitness over *every* arch scored (ranked within that whole set).

Example:
    >>> from naslib_swap.registry import get_search, get_space
    >>> res = get_search("libra-nas")(get_space("nasbench201"), "cifar10", seed=0, budget=4, population=3,
    ...                               proxies="params+flops", progress=False)  # doctest: +SKIP
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..ensemble.libra import COMBINE_METHODS, TARGET, combine, libra_select, split_samples, store_table, suite_table
from ..errors import NaslibSwapError
from ..grammar import parse_call, split_list
from ..registry import list_proxies, register_search
from ..rng import make_generator
from ..scoring import ArchScorer
from .base import SearchResult
from .evolution import aging_evolution
from .fanout import Fanout, Scatter, ScorerRecipe, scatter
from .shared_scores import shared


def _fitness(rows: Sequence[dict[str, float]], proxies: Sequence[str], method: str) -> np.ndarray:
    return combine(pd.DataFrame(list(rows), columns=list(proxies)), list(proxies), method)


def choose_proxies(space: str, dataset: str, *, db: str | Path | None = None, fit_seed: int = 9000, n: int = 1000,
                   data_root: str | Path | None = None,
                   tolerance: float | None = None) -> tuple[list[str], dict[str, Any]]:
    """LIBRA's choice for (space, dataset) among the proxies this package computes live."""
    from ..ensemble.libra import default_tolerance

    table = store_table(db, space, dataset, data_root=data_root) if db else suite_table(space, dataset, data_root)
    live = set(list_proxies())
    pool = [c for c in table.columns if c != TARGET and parse_call(str(c))[0] in live]
    if not pool:
        raise NaslibSwapError(f"no proxy of the {space}/{dataset} table can be computed live; pass proxies='a+b+c' "
                              f"or a store (db=...) scored with registered proxies")
    df = table.dropna(subset=[*pool, TARGET, "params"]) if "params" in table.columns else None
    if df is None:
        raise NaslibSwapError("LIBRA needs a params column in the table; score the params proxy too")
    df.index = df.index.astype(str)
    fit_keys, _, notes = split_samples(list(df.index), n, fit_seed, [])
    tol = default_tolerance(space, dataset) if tolerance is None else tolerance
    fit = libra_select(df.loc[fit_keys], pool, tolerance=tol)
    return fit.chosen, {"libra_pool": pool, "libra_fit_spearman": {p: fit.spearman[p] for p in fit.chosen},
                        "libra_notes": notes + fit.notes}


def _proxy_list(space: Any, dataset: str, proxies: str | Sequence[str] | None, db: str | None, fit_seed: int,
                data_root: str | None) -> tuple[list[str], dict[str, Any]]:
    """The proxies to combine: as given (``a+b+c``, ``a,b`` with brackets kept whole, or a list), else LIBRA's
    choice."""
    if proxies is None:
        return choose_proxies(str(space), dataset, db=db, fit_seed=fit_seed, data_root=data_root)
    items = split_list(proxies, seps=",+") if isinstance(proxies, str) else [str(p) for p in proxies]
    return items, {}


@register_search("libra-nas", budget_unit="architectures scored, the search's length (default 200)")
def libra_nas(space: Any, dataset: str, *, seed: int, budget: int | None = None, device: str = "cpu",
              data_root: str | None = None, progress: bool = True, proxies: str | Sequence[str] | None = None,
              db: str | None = None, population: int = 20, sample_size: int = 5, combine_method: str = "rank_sum",
              batch_size: int | None = None, fit_seed: int = 9000, backend: Fanout | None = None) -> SearchResult:
    """Aging evolution with LIBRA's combined score as fitness; see the module docstring.

    ``backend`` (:class:`~naslib_swap.search.fanout.Fanout`; None: this process) scores the initial population as
    one batch; each later child's fitness decides the next parent, so the cycles score one child at a time here."""
    t0 = time.perf_counter()
    budget = 200 if budget is None else int(budget)
    if budget < 1 or population < 1 or not 1 <= sample_size:
        raise NaslibSwapError("libra-nas needs budget >= 1, population >= 1 and sample_size >= 1")
    if combine_method not in COMBINE_METHODS:
        raise NaslibSwapError(f"unknown combine_method '{combine_method}'; known: {', '.join(COMBINE_METHODS)}")
    chosen, extra = _proxy_list(space, dataset, proxies, db, fit_seed, data_root)
    scorer = shared(ArchScorer(space, dataset, chosen, batch_size=batch_size, seed=seed, device=device,
                               data_root=data_root))
    recipe = ScorerRecipe(ArchScorer, dict(space=space, dataset=dataset, proxies=chosen, batch_size=batch_size,
                                           seed=seed, device=device, data_root=data_root))
    with scatter(backend, lambda: recipe, device=device, data_root=data_root) as fan:
        return _search(space, scorer, fan, extra, seed=seed, budget=budget, progress=progress, population=population,
                       sample_size=sample_size, combine_method=combine_method, t0=t0, desc=f"{space}/{dataset}")


def _all_scores(scorer: ArchScorer, arch: Any) -> dict[str, float]:
    """Every chosen proxy's value of one arch (in this process or a worker: seeded by ``(seed, arch)``)."""
    return {r.proxy: r.score for r in scorer.score_arch(arch)}


def _search(space: Any, scorer: ArchScorer, fan: Scatter | None, extra: dict[str, Any], *, seed: int, budget: int,
            progress: bool, population: int, sample_size: int, combine_method: str, t0: float,
            desc: str) -> SearchResult:
    labels = [j.label for j in scorer.jobs]
    scored: dict[str, dict[str, float]] = {}
    order: list[str] = []
    history: list[dict[str, Any]] = []
    bar = _progress(progress, budget, f"libra-nas {desc}")
    ready: dict[str, dict[str, float]] = {}

    def prefetch(archs: list[Any]) -> None:  # the initial population, on the workers (at most the budget's room)
        if fan is None:
            return
        todo: dict[str, Any] = {}
        for a in archs:
            if space.key(a) not in scored and len(todo) < budget - len(scored):
                todo.setdefault(space.key(a), a)
        ready.update(zip(todo, fan.map(_all_scores, list(todo.values()), describe=space.key)))

    def evaluate(arch: Any) -> str:
        key = space.key(arch)
        if key not in scored:
            scored[key] = ready.pop(key) if key in ready else _all_scores(scorer, arch)
            order.append(key)
            if bar is not None:
                bar.update(1)
        return key

    def fitness(archs: Sequence[Any]) -> np.ndarray:
        return _fitness([scored[space.key(a)] for a in archs], labels, combine_method)

    def on_child(step: int, parent: Any, child: Any, members: Sequence[Any]) -> None:
        before = len(scored)
        key = evaluate(child)
        # the child's fitness: its rank sum within the current population (which now holds it)
        history.append({"step": step, "child": key, "new": len(scored) > before,
                        "fitness": float(fitness(list(members))[-1])})

    def select(members: Sequence[Any], idx: list[int]) -> int:  # the best fitness within the whole population
        fit_pop = fitness(list(members))
        return max(idx, key=lambda i: fit_pop[i])

    aging_evolution(size=min(population, budget), sample_size=sample_size, steps=None, generator=make_generator(seed),
                    sample=space.sample, mutate=space.mutate, select=select, on_member=evaluate, on_child=on_child,
                    on_population=prefetch if fan is not None else None,
                    # a space whose mutations keep returning scored archs stops after 50 x budget steps
                    exhausted=lambda: len(scored) >= budget or len(history) > 50 * budget)
    if bar is not None:
        bar.close()
    final_fit = _fitness([scored[k] for k in order], labels, combine_method)
    best = order[int(np.argmax(final_fit))]
    extra.update({"proxies": labels, "combine": combine_method, "best_scores": scored[best],
                  "scoring_tasks": 0 if fan is None else fan.n_tasks})
    return SearchResult(arch=space.parse(best), search_time_s=time.perf_counter() - t0, n_scored=len(scored),
                        history=history, extra=extra)


def _progress(progress: bool, total: int, desc: str) -> Any:
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="arch")
