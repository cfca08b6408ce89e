"""Where a search scores its populations: this process, ``workers`` local processes, or a Ray cluster.

A search that has a batch of independent evaluations (an initial population, a cycle's children, a pruning round's
perturbations) hands the batch to :meth:`Scatter.map`; every evaluation runs in a worker on a scorer the worker built
from the same recipe as the search's own (:class:`ScorerRecipe`), so a value does not depend on where it was computed
(bit for bit on CPU with the same torch thread count: one, the default of both). The search then consumes the values
in its own order, as if it had computed them itself: counters, budgets, caches, "worst so far" rules and progress run
in the driver exactly as in a serial run, so a search gives the same answer and history for a fixed seed whatever the
backend. What a search cannot batch without changing its semantics (an aging-evolution child whose fitness decides
the next parent, a REINFORCE step) stays in the driver, one at a time.

The engines are the suite runner's (:mod:`naslib_swap.suite.backends`): ``ProcessEngine`` (``workers``) and
``RayEngine`` (``backend="ray"``, ``address``, ``cpus_per_task``, ``gpus_per_task``). An evaluation that raises is a
one-line :class:`SearchScoringError` naming the item; a local worker process that dies is a one-line error; a Ray
worker that dies is retried by Ray.

Example:
    >>> fan = Fanout.make(workers=1)
    >>> fan.parallel
    False
    >>> Fanout.make(backend="local", workers=0)
    Traceback (most recent call last):
    ...
    naslib_swap.errors.NaslibSwapError: workers must be >= 1, got 0; use 1 (this process) or more local processes
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

from ..errors import NaslibSwapError
from ..suite.backends import BackendError, ProcessEngine, RayEngine, check_ray_settings, failure_message

BACKENDS = ("local", "ray")


class SearchScoringError(NaslibSwapError):
    """An evaluation of a search's batch raised in a worker."""


@dataclass(frozen=True)
class Fanout:
    """A search's scoring backend, parsed once at the edge (:meth:`make`).

    Attributes:
        backend: ``local`` (this process, or ``workers`` processes) or ``ray``.
        workers: local processes (``local``), or the CPUs of a Ray started here (``ray`` without ``address``).
        address: Ray: ``auto``, ``HOST:PORT``, or None to start Ray on this machine.
        cpus_per_task, gpus_per_task: Ray: resources (and torch threads) of one evaluation.
    """

    backend: str = "local"
    workers: int = 1
    address: str | None = None
    cpus_per_task: float = 1.0
    gpus_per_task: float = 0.0

    @classmethod
    def make(cls, backend: str | None = None, workers: int | None = None, address: str | None = None,
             cpus_per_task: float | None = None, gpus_per_task: float | None = None,
             device: str = "cpu") -> "Fanout":
        """Validated settings; every bad value is a one-line error (Ray: installed, address reachable, GPUs asked
        with ``device`` cuda), checked before a search starts."""
        backend = backend or "local"
        if backend not in BACKENDS:
            raise NaslibSwapError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}", param="backend")
        w = 1 if workers is None else workers
        if not isinstance(w, int) or isinstance(w, bool) or w < 1:
            raise NaslibSwapError(f"workers must be >= 1, got {w}; use 1 (this process) or more local processes",
                                  param="workers")
        cpus = 1.0 if cpus_per_task is None else float(cpus_per_task)
        gpus = 0.0 if gpus_per_task is None else float(gpus_per_task)
        if not (math.isfinite(cpus) and cpus > 0) or not (math.isfinite(gpus) and gpus >= 0):
            raise NaslibSwapError(f"cpus_per_task must be > 0 and gpus_per_task >= 0, got {cpus:g} and {gpus:g}",
                                  param="cpus_per_task")
        if backend == "local" and (address is not None or cpus_per_task is not None or gpus_per_task is not None):
            raise NaslibSwapError("address, cpus_per_task and gpus_per_task are settings of the ray backend; add "
                                  "backend ray (or use workers for local processes)", param="backend")
        fan = cls(backend, w, address, cpus, gpus)
        if backend == "ray":
            check_ray_settings(fan.engine_cfg(device, None))
        return fan

    @property
    def parallel(self) -> bool:
        """Whether batches leave this process."""
        return self.backend == "ray" or self.workers > 1

    def engine_cfg(self, device: str | Any, data_root: Any) -> dict[str, Any]:
        """The settings the suite's engines read."""
        return {"backend": self.backend, "workers": self.workers, "address": self.address,
                "cpus_per_task": self.cpus_per_task, "gpus_per_task": self.gpus_per_task, "device": str(device),
                "data_root": data_root, "threads": 1}


@dataclass(frozen=True)
class ScorerRecipe:
    """How a worker builds its copy of a search's scorer: ``make(**kwargs)`` (``make`` importable by name; a
    ``data_root`` keyword is replaced by the absolute path the driver resolved). ``make`` must build a scorer whose
    values do not depend on what it scored before (seeded per item)."""

    make: Callable[..., Any]
    kwargs: dict[str, Any] = field(default_factory=dict)


_WORKER: dict[str, Any] = {}


def _init_worker(cfg: dict[str, Any], recipe: ScorerRecipe) -> None:
    import torch

    torch.set_num_threads(int(cfg.get("threads") or 1))
    kwargs = dict(recipe.kwargs)
    if "data_root" in kwargs and cfg.get("data_root") is not None:
        kwargs["data_root"] = cfg["data_root"]
    _WORKER["scorer"] = recipe.make(**kwargs)


def _work(unit: tuple[int, Callable[[Any, Any], Any], Any]) -> tuple[int, Any, str | None]:
    """One evaluation in a worker: ``(index, value, None)``, or ``(index, None, message)`` if it raised."""
    index, fn, item = unit
    try:
        return index, fn(_WORKER["scorer"], item), None
    except Exception as e:  # the driver turns it into one line naming the item
        return index, None, failure_message(e)


class Scatter:
    """The engine of one search run; ``map(fn, items)`` computes ``fn(scorer, item)`` for every item in the
    workers and returns the values in the items' order. Use as a context manager (it stops the workers).

    ``fn`` must be importable by name (a module-level function); with no fan-out (``fanout`` None or serial) the
    search keeps its own in-process path and never calls ``map``.
    """

    def __init__(self, fanout: Fanout, recipe: ScorerRecipe, *, device: Any = "cpu", data_root: Any = None) -> None:
        cfg = fanout.engine_cfg(device, data_root)
        self.engine: Any
        if fanout.backend == "ray":
            self.engine = RayEngine(cfg, recipe, work=_work, init=_init_worker,
                                    failed=lambda unit, message: (unit[0], None, message))
            self.threads = max(1, math.floor(fanout.cpus_per_task))
        else:
            self.engine = ProcessEngine(fanout.workers, work=_work, init=_init_worker, initargs=(cfg, recipe))
            self.threads = 1
        self.n_tasks = 0

    def __enter__(self) -> "Scatter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.engine.close()

    @property
    def slots(self) -> int:
        return int(self.engine.slots)

    def map(self, fn: Callable[[Any, Any], Any], items: Sequence[Any],
            describe: Callable[[Any], str] = repr) -> list[Any]:
        """``[fn(scorer, item) for item in items]``, computed by the workers (two items queued per slot)."""
        items = list(items)
        out: list[Any] = [None] * len(items)
        nxt, running = 0, 0
        while nxt < len(items) or running:
            while nxt < len(items) and running < 2 * self.slots:
                self.engine.submit((nxt, fn, items[nxt]))
                nxt, running = nxt + 1, running + 1
            for index, value, error in self.engine.wait():
                running -= 1
                if error is not None:
                    raise SearchScoringError(f"scoring {describe(items[index])} failed in a worker: {error}")
                out[index] = value
        self.n_tasks += len(items)
        return out


@contextlib.contextmanager
def scatter(fanout: Fanout | None, recipe: Callable[[], ScorerRecipe], *, device: Any = "cpu",
            data_root: Any = None) -> Iterator[Scatter | None]:
    """A :class:`Scatter` for the run when ``fanout`` sends work out of this process, else None (the search runs in
    this process, as without a backend); the workers stop when the block ends. Inside the block this process runs
    torch with the workers' thread count (1, or ``cpus_per_task``)."""
    if fanout is None or (isinstance(fanout, Fanout) and not fanout.parallel):
        yield None
        return
    if not isinstance(fanout, Fanout):
        raise BackendError(f"backend must be a Fanout (Fanout.make(...)), got {type(fanout).__name__}",
                           param="backend")
    from .shared_scores import memo_active

    if memo_active():
        raise BackendError("scores shared across searches (shared_scores) are kept in this process; run the search "
                           "serially (no workers, no ray backend)", param="backend")
    import torch

    with Scatter(fanout, recipe(), device=device, data_root=data_root) as fan:
        # what the driver scores itself is scored with the workers' thread count: one set of values, a serial
        # run's with that many threads
        threads = torch.get_num_threads()
        torch.set_num_threads(fan.threads)
        try:
            yield fan
        finally:
            torch.set_num_threads(threads)
