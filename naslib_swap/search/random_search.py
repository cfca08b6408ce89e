"""Random search: draw ``budget`` distinct architectures uniformly (``space.sample``), score each with one proxy and
return the best, the baseline an evolutionary search with the same budget and proxy must beat.

* Draws: ``space.sample`` from a generator seeded by ``(seed, "random-search", space, dataset)``; a repeat is drawn
  again (at most ``50 x budget`` draws; a small space may end with fewer distinct archs, ``truncated`` says so).
* Scoring: :class:`~naslib_swap.scoring.ArchScorer` (per-arch seeds, one minibatch; shared across searches inside
  :func:`~naslib_swap.search.shared_scores.shared_scores`). ``proxy="params"`` makes the size-guided baseline.
* Result: the arch of the best score (the proxy's own direction of better; NaN/inf count as worst; the first drawn
  wins a tie).

Example:
    >>> from naslib_swap.registry import get_search, get_space
    >>> res = get_search("random-search")(get_space("nasbench201"), "cifar10", seed=0, budget=3, proxy="params",
    ...                                   progress=False)
    >>> res.n_scored, len(res.history)
    (3, 3)
"""
from __future__ import annotations

import math
import time
from typing import Any

from ..errors import NaslibSwapError
from ..registry import register_search
from ..rng import derive_seed, make_generator
from ..scoring import ArchScorer
from .base import SearchResult
from .shared_scores import shared


@register_search("random-search", budget_unit="distinct architectures drawn and scored (default 100)")
def random_search(space: Any, dataset: str, *, seed: int, budget: int | None = None, device: str = "cpu",
                  data_root: str | None = None, progress: bool = True, proxy: str = "swap",
                  batch_size: int | None = 16) -> SearchResult:
    """Best of ``budget`` random archs by ``proxy`` (see the module doc).

    Args:
        proxy: the proxy label that ranks the draws (options allowed, e.g. ``reg_swap[mu=6,sigma=6]``).
        batch_size: minibatch of each score (None: the proxy's / space's default).
    """
    t0 = time.perf_counter()
    budget = 100 if budget is None else int(budget)
    if budget < 1:
        raise NaslibSwapError(f"random-search needs a budget >= 1, got {budget}")
    scorer = shared(ArchScorer(space, dataset, [proxy], batch_size=batch_size, seed=seed, device=device,
                               data_root=data_root))
    sign = 1.0 if scorer.jobs[0].spec.higher_is_better else -1.0
    g = make_generator(derive_seed(seed, "random-search", space, dataset))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=budget, desc=f"random-search {space}/{dataset}", unit="arch")
    seen: dict[str, float] = {}
    history: list[dict[str, Any]] = []
    draws = 0
    while len(seen) < budget and draws < 50 * budget:
        arch = space.sample(g)
        draws += 1
        key = space.key(arch)
        if key in seen:
            continue
        v = scorer.score_arch(arch)[0].score
        seen[key] = sign * v if math.isfinite(v) else -math.inf
        history.append({"draw": draws, "arch": key, "score": v})
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    best = max(seen, key=lambda k: seen[k])  # max keeps the first of equals
    extra = {**space.result_extra(space.parse(best)), "proxy": scorer.jobs[0].label, "batch_size": scorer.batch_size,
             "best_score": sign * seen[best], "draws": draws, "score_seed": scorer.seed}
    return SearchResult(arch=space.parse(best), search_time_s=time.perf_counter() - t0, n_scored=len(seen),
                        history=history, extra=extra, truncated=len(seen) < budget)
