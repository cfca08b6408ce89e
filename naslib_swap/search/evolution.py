"""The evolution engine the evolutionary searches share: tournament sampling, aging and elitist replacement.

* :func:`aging_evolution` (Real et al., "Regularized Evolution for Image Classifier Architecture Search", AAAI 2019):
  a population of ``size`` random archs; each step draws ``sample_size`` members without replacement, mutates the one
  ``select`` picks, adds the child and removes the oldest member. Used by ``teg-evolution`` and ``libra-nas``.
* :func:`elitist_evolution` (SWAP-NAS, Peng et al., ICLR 2024, Algorithm 1): each cycle draws a sample, ranks it by
  fitness, lets ``breed`` make children from it, adds the best child and removes the worst member (not the oldest).

Randomness comes only from the ``generator`` given, in a fixed order: the tournament's ``randperm`` first, then
whatever ``select``/``mutate``/``breed`` draw. Scoring is up to the callbacks (it must not draw from ``generator``).

Example:
    >>> g = torch.Generator().manual_seed(0)
    >>> draws = iter(range(100))
    >>> members, stopped = aging_evolution(size=3, sample_size=2, steps=4, generator=g,
    ...     sample=lambda g: next(draws), mutate=lambda a, g: a + 10,
    ...     select=lambda m, idx: max(idx, key=lambda i: m[i]))
    >>> len(members), stopped
    (3, False)
"""
from __future__ import annotations

import collections
from typing import Any, Callable, Sequence

import torch

Sampler = Callable[[torch.Generator], Any]
Mutator = Callable[[Any, torch.Generator], Any]


def tournament(n: int, k: int, generator: torch.Generator) -> list[int]:
    """``k`` distinct member indices out of ``n``, drawn uniformly (one ``randperm`` on ``generator``)."""
    return torch.randperm(n, generator=generator)[:k].tolist()


def _fill(members: collections.deque | list, size: int, generator: torch.Generator, sample: Sampler,
          exhausted: Callable[[], bool], on_member: Callable[[Any], object] | None,
          on_population: Callable[[list[Any]], object] | None = None) -> bool:
    """Adds random archs until ``size`` members (``on_member`` sees each before it joins); False if ``exhausted()``
    stopped it first.

    With ``on_population`` the missing members are drawn first and shown to it as one list (to score them as a
    batch), then join one by one as without it: the draws are the same (nothing else draws from ``generator``
    meanwhile), and a run that ``exhausted()`` stops ends there, so the extra draws change nothing."""
    todo: collections.deque = collections.deque()
    if on_population is not None and len(members) < size:
        todo.extend(sample(generator) for _ in range(size - len(members)))
        on_population(list(todo))
    while len(members) < size:
        if exhausted():
            return False
        arch = todo.popleft() if todo else sample(generator)
        if on_member is not None:
            on_member(arch)
        members.append(arch)
    return True


def aging_evolution(*, size: int, sample_size: int, steps: int | None, generator: torch.Generator, sample: Sampler,
                    mutate: Mutator, select: Callable[[Sequence[Any], list[int]], int],
                    exhausted: Callable[[], bool] = lambda: False, on_member: Callable[[Any], object] | None = None,
                    on_child: Callable[[int, Any, Any, Sequence[Any]], None] | None = None,
                    on_population: Callable[[list[Any]], object] | None = None) -> tuple[list[Any], bool]:
    """Aging (regularized) evolution; see the module doc.

    Args:
        size: the population size.
        sample_size: members drawn per step (capped at the population's size).
        steps: the number of children, or None for "until ``exhausted()``".
        generator: the only source of randomness.
        sample, mutate: the space's random arch and its mutation.
        select: ``select(members, idx) -> i``, the parent's index among ``members`` given the drawn indices ``idx``.
        exhausted: checked before every new member and every step (a budget).
        on_member: called with each initial member before it joins (score it here).
        on_child: ``on_child(step, parent, child, members)`` after the child joined and the oldest left.
        on_population: called once with the initial members before the first joins (score them as a batch).
            Each child's fitness decides the next step's parent, so the steps themselves stay one child at a time.

    Returns:
        (the final population, oldest first; whether ``exhausted()`` stopped the run before its ``steps``).
    """
    members: collections.deque = collections.deque()
    if not _fill(members, size, generator, sample, exhausted, on_member, on_population):
        return list(members), True
    step = 0
    while steps is None or step < steps:
        if exhausted() or not members:
            return list(members), steps is not None
        idx = tournament(len(members), min(sample_size, len(members)), generator)
        parent = members[select(members, idx)]
        child = mutate(parent, generator)
        members.append(child)
        members.popleft()
        if on_child is not None:
            on_child(step, parent, child, members)
        step += 1
    return list(members), False


def elitist_evolution(members: list[Any], *, size: int, cycles: int, sample_size: int, generator: torch.Generator,
                      sample: Sampler, fitness: Callable[[Any], float],
                      breed: Callable[[list[Any]], tuple[Any, list[Any], dict[str, Any]]],
                      on_member: Callable[[Any], object] | None = None,
                      on_cycle: Callable[[int, Any, Any, Any, dict[str, Any]], None] | None = None,
                      on_population: Callable[[list[Any]], object] | None = None) -> list[Any]:
    """Elitist evolution (SWAP-NAS); ``members`` is filled and updated in place (so a caller that stops the run by an
    exception still sees the population).

    Args:
        size: the population size.
        cycles: the number of cycles.
        sample_size: members drawn per cycle (without replacement).
        sample: the space's random arch.
        fitness: higher is better (cached by the caller).
        breed: ``breed(sample sorted by fitness, best first) -> (parent, children, info)``.
        on_member: called with each initial member after it is scored.
        on_cycle: ``on_cycle(cycle, parent, best child, removed member, info)``.
        on_population: called once with the initial members before they are scored (score them as a batch).
    """
    def scored(arch: Any) -> None:
        fitness(arch)
        if on_member is not None:
            on_member(arch)

    _fill(members, size, generator, sample, lambda: False, scored, on_population)
    for c in range(cycles):
        ranked = sorted((members[i] for i in tournament(len(members), sample_size, generator)), key=fitness,
                        reverse=True)
        parent, children, info = breed(ranked)
        best_child = max(children, key=fitness)
        members.append(best_child)
        # the worst member leaves; among equals the latest one (the child before an older tie)
        removed = members.pop(min(range(len(members)), key=lambda i: (fitness(members[i]), -i)))
        if on_cycle is not None:
            on_cycle(c, parent, best_child, removed, info)
    return members
