"""Score architectures of a benchmark space with registered proxies: the Python API behind ``naslib-swap score``.

Example:
    >>> from naslib_swap import score
    >>> rows = score("nasbench201", "cifar10", ["(0, 2, 3, 2, 3, 1)"], ["swap", "params"], batch_size=8)
    >>> [(r.proxy, r.score > 0) for r in rows]
    [('swap', True), ('params', True)]

Reproducibility: the minibatch, the network's initial weights and the proxy's own randomness for an architecture are
drawn from generators seeded by ``(seed, architecture key)``, so a score does not depend on which other
architectures are scored with it, nor on their order, nor on global random state; each proxy gets its own freshly
seeded generators, so neither does it depend on the other proxies scored. Per arch, the proxies that can share a pass
share one (:mod:`naslib_swap.proxies.planner`), with the scores each gets alone.
"""
from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import torch

from .errors import ProxyInputError
from .protocols import Protocol, get_protocol
from .proxies.base import PopulationScore, ProxyCall, ProxyContext, parse_calls
from .proxies.planner import plan, run_step
from .registry import get_space
from .rng import derive_seed, make_generator
from .spaces.base import SearchSpace
from .types import Batch

MAX_BATCH = 1024

__all__ = ["ArchInputs", "ArchScorer", "ScoreResult", "score", "resolve_device"]


@dataclass
class ScoreResult:
    """One (architecture, proxy) score. ``arch`` is the NASLib key (``str`` of the tuple); ``proxy`` the canonical
    label of the proxy call."""

    arch: str
    proxy: str
    score: float
    time_s: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve_device(device: str | torch.device) -> torch.device:
    """A usable torch device from a name; an unknown or unavailable device is a one-line error."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ProxyInputError(f"unknown device {device!r}; use cpu, cuda or cuda:N", param="device") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ProxyInputError(f"device {device!r} was asked for but no CUDA device is available; use cpu",
                              param="device")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ProxyInputError(f"device {device!r} is not supported; use cpu or cuda", param="device")
    return dev


@dataclass
class ArchInputs:
    """One architecture's network, proxy context and minibatches (made once per batch size, on first use).

    ``fresh_context`` makes the context again with its generators re-seeded: :meth:`context` gives each proxy one
    (sharing the arch's ``cache``), so every proxy draws what it would draw scored alone, whichever run before it."""

    key: str
    net: torch.nn.Module
    ctx: ProxyContext
    make_batch: Callable[[int], Batch]
    batches: dict[int, Batch] = field(default_factory=dict)
    fresh_context: Callable[[], ProxyContext] | None = None

    def batch(self, size: int) -> Batch:
        if size not in self.batches:
            self.batches[size] = self.make_batch(size)
        return self.batches[size]

    def context(self, _call: ProxyCall | None = None) -> ProxyContext:
        """The context of one proxy (see the class doc)."""
        if self.fresh_context is None:
            return self.ctx
        return dataclasses.replace(self.fresh_context(), cache=self.ctx.cache)


class ArchScorer:
    """Scores single architectures of one (space, dataset) with a fixed list of proxy calls; reusable across archs.

    The suite runner and the searches use this directly; :func:`score` wraps it.
    """

    def __init__(
        self,
        space: str | SearchSpace,
        dataset: str,
        proxies: str | ProxyCall | Sequence[str | ProxyCall],
        *,
        batch_size: int | None = None,
        seed: int = 0,
        device: str | torch.device = "cpu",
        data_root: str | Path | None = None,
        net_options: dict[str, Any] | None = None,
        protocol: str | Protocol | None = None,
        share: bool = True,
    ) -> None:
        self.space = get_space(space) if isinstance(space, str) else space
        self.share = bool(share)  # plan shared passes (same scores; False: each proxy alone, for benchmarks)
        self.net_options = dict(net_options or {})
        self.dataset = self.space.check_dataset(dataset)
        self.protocol = get_protocol(protocol)
        self.jobs: list[ProxyCall] = parse_calls(proxies, self.protocol)
        if not self.jobs:
            raise ProxyInputError("no proxy given; name at least one (see `naslib-swap list`)", param="proxies")
        if batch_size is not None and not 1 <= batch_size <= MAX_BATCH:
            raise ProxyInputError(f"batch size {batch_size} out of range; use 1..{MAX_BATCH}", param="batch_size")
        self.batch_size = batch_size
        self.seed = int(seed)
        self.device = resolve_device(device)
        self.data_root = data_root

    def batch_size_for(self, call: ProxyCall) -> int:
        """The batch a proxy is scored on: the scorer's, else the call's protocol's, else the proxy's paper default,
        else the space's."""
        return (self.batch_size or call.protocol.batch_for(call.name, self.space.name) or call.spec.batch_size
                or self.space.default_batch_size)

    def leaf_jobs(self) -> list[ProxyCall]:
        """Per-arch calls, with each population proxy replaced by the per-arch proxies it combines."""
        out: dict[str, ProxyCall] = {}
        for job in self.jobs:
            for c in PopulationScore(job).inputs if job.spec.needs_population else (job,):
                out.setdefault(c.label, c)
        return list(out.values())

    def arch_inputs(self, arch: Any) -> "ArchInputs":
        """What a proxy gets for one architecture: its network, context and (per batch size) minibatch, each drawn
        from generators seeded by ``(seed, arch)`` (so scoring a proxy alone or with others gives the same value)."""
        arch = self.space.parse(arch)
        key = self.space.key(arch)
        seeds = {part: derive_seed(self.seed, self.space, self.dataset, key, part)
                 for part in ("data", "net", "proxy", "extra")}
        net = self.space.build(arch, self.dataset, generator=make_generator(seeds["net"]), device=self.device,
                               **self.net_options)

        def fresh_context() -> ProxyContext:
            return ProxyContext.for_space(
                self.space, self.dataset, generator=make_generator(seeds["proxy"]), device=self.device, arch=arch,
                net_seed=seeds["net"], net_options=self.net_options, batch_generator=make_generator(seeds["extra"]),
                data_root=self.data_root)

        def make_batch(size: int) -> Batch:
            return self.space.make_batch(self.dataset, size, make_generator(seeds["data"]), data_root=self.data_root,
                                         device=self.device)

        return ArchInputs(key, net, fresh_context(), make_batch, fresh_context=fresh_context)

    def score_arch(self, arch: Any, jobs: Sequence[ProxyCall] | None = None, *, share: bool | None = None
                   ) -> list[ScoreResult]:
        """Scores of one architecture for each per-arch call (population proxies excluded), in call order.

        The calls are planned (:mod:`naslib_swap.proxies.planner`): those that can share one pass over the same
        batch get it; each score is the one the proxy gets scored alone. ``share=False`` runs every proxy alone
        (the default is the scorer's ``share``)."""
        inputs = self.arch_inputs(arch)
        calls = list(jobs if jobs is not None else self.leaf_jobs())
        steps = plan(calls, inputs.ctx, self.batch_size_for, share=self.share if share is None else share)
        done: dict[int, tuple[float, float]] = {}
        for step in steps:
            batch = inputs.batch(step.batch_size)
            done.update(zip(step.jobs, run_step(step, calls, inputs.net, batch, inputs.context)))
        return [ScoreResult(inputs.key, c.label, *done[i]) for i, c in enumerate(calls)]

    def combine_population(self, per_arch: dict[str, dict[str, ScoreResult]]) -> list[ScoreResult]:
        """Scores of the population proxies, from the per-arch scores of their inputs (``{arch: {label: result}}``)."""
        out = []
        for job in self.jobs:
            if not job.spec.needs_population:
                continue
            pop = PopulationScore(job)
            for k, rows in per_arch.items():
                pop.update(k, {label: r.score for label, r in rows.items()})
            for k, v in pop.compute().items():
                t = sum(per_arch[k][c.label].time_s for c in pop.inputs)
                out.append(ScoreResult(k, job.label, v, t))
        return out


def score(
    space: str | SearchSpace,
    dataset: str,
    archs: Iterable[Any],
    proxies: str | ProxyCall | Sequence[str | ProxyCall],
    *,
    batch_size: int | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    data_root: str | Path | None = None,
    progress: bool = False,
    net_options: dict[str, Any] | None = None,
    protocol: str | Protocol | None = None,
) -> list[ScoreResult]:
    """Score architectures with proxies.

    Args:
        space: a space instance, or its NASLib name (``nasbench201``, ...).
        dataset: dataset / task name as NASLib spells it.
        archs: architectures in any form the space parses (NASLib tuples, tuple strings, NB201 strings, ...).
        proxies: names, optionally with options (``"reg_swap[mu=1.2,sigma=1.2]"``); a comma-separated string works.
        batch_size: minibatch size (default: the proxy's paper default, else the space's, 64).
        seed: base seed; each architecture's batch and weights derive from ``(seed, arch)``.
        device: ``cpu`` or ``cuda``.
        data_root: the shared data folder (default: ``NASLIB_SWAP_DATA`` or ``../shared/data``).
        progress: show a progress bar.
        net_options: network sizes in the space's vocabulary, e.g. tiny nets for tests.
        protocol: a named protocol (``suite``, the default; ``swap-paper``, ``lswag-paper``, ``teg-paper``,
            ``zcpt-paper``; see :mod:`naslib_swap.protocols`): its batch size and proxy options, under the options
            written in a label and under ``batch_size``. Results are labelled with it.

    Returns:
        one :class:`ScoreResult` per (arch, proxy), in input order then proxy order.
    """
    scorer = ArchScorer(space, dataset, proxies, batch_size=batch_size, seed=seed, device=device,
                        data_root=data_root, net_options=net_options, protocol=protocol)
    arch_list = [scorer.space.parse(a) for a in archs]
    population = [j.label for j in scorer.jobs if j.spec.needs_population]
    if population and len({scorer.space.key(a) for a in arch_list}) < 2:
        raise ProxyInputError(f"{', '.join(population)} ranks a population of architectures: score at least 2 "
                              f"distinct archs with it", param="arch")
    it: Iterable[Any] = arch_list
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(arch_list, desc=f"scoring {scorer.space}/{scorer.dataset}", unit="arch")
    per_arch: dict[str, dict[str, ScoreResult]] = {}
    for arch in it:
        per_arch[scorer.space.key(arch)] = {r.proxy: r for r in scorer.score_arch(arch)}
    pop_by: dict[str, dict[str, ScoreResult]] = {}
    for r in scorer.combine_population(per_arch):
        pop_by.setdefault(r.arch, {})[r.proxy] = r
    out: list[ScoreResult] = []
    for key, rows in per_arch.items():
        for job in scorer.jobs:
            res = pop_by.get(key, {}).get(job.label) if job.spec.needs_population else rows.get(job.label)
            if res is not None:
                out.append(res)
    return out
