"""The one small interface every search method implements.

A search is a callable registered with :func:`naslib_swap.registry.register_search`::

    @register_search("swap-nas")
    def swap_nas(space: SearchSpace, dataset: str, *, seed: int, budget: int | None = None,
                 device: str = "cpu", data_root: str | None = None, progress: bool = True,
                 **options) -> SearchResult: ...

A search talks to a space only through :class:`~naslib_swap.spaces.base.SearchSpace` and the capabilities of
:mod:`naslib_swap.spaces.capabilities` (it calls ``require(space, Capability, "method")`` for one it needs, which fails
in one line naming the capability); it never tests a space's name. Network sizes are options in the sizing vocabulary
(``width``, ``cells``). ``budget`` caps the number of architectures (or perturbations) scored, for quick runs.
Randomness comes only from ``torch.Generator`` objects seeded from ``seed``. The CLI (``naslib-swap search``) adds the
benchmark's ground truth (``val_acc``, ``test_acc``) and ``params`` of the final architecture; searches do not look
them up.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SearchResult:
    """What a search returns.

    Attributes:
        arch: the final architecture in the space's canonical form.
        search_time_s: wall time of the search.
        n_scored: architectures (or perturbations) scored.
        history: optional per-step records (plain data) for plots.
        extra: method-specific plain data (e.g. a DARTS genotype string).
        truncated: the budget stopped the search before its own end (its answer is the best found so far).
    """

    arch: Any
    search_time_s: float
    n_scored: int
    history: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    truncated: bool = False
