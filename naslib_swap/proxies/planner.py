"""Plan the passes of one architecture: the proxies that can share a pass get one copy of the net and one pass.

Each proxy declares what it consumes (:class:`naslib_swap.registry.Need`) and, where it can share, a tap factory
(:mod:`naslib_swap.proxies.passes`). :func:`plan` groups the calls of one architecture whose taps exist for their
options and that run on the same batch (size) in the same BN mode: each group is one :class:`Step` served by one
deep copy of the net and :func:`~naslib_swap.proxies.passes.run_pass` (one forward, then the task-loss backward
and/or the summed-output backward as the group needs). Every other call is a step of its own, run by
:func:`~naslib_swap.proxies.base.compute_proxy` as before. The scores are those of each proxy scored alone
(``tests/test_planner.py`` checks every registered proxy both ways, bit for bit on CPU).

Example:
    >>> from naslib_swap.proxies.base import ProxyCall, ProxyContext
    >>> calls = [ProxyCall.parse(n) for n in ("swap", "nwot", "grad_norm", "snip", "zen", "swap[reinits=2]")]
    >>> [([calls[i].label for i in s.jobs], s.shared) for s in plan(calls, ProxyContext(), lambda c: 64)]
    [(['swap', 'nwot', 'grad_norm', 'snip'], True), (['zen'], False), (['swap[reinits=2]'], False)]
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch.nn as nn

from ..types import Batch
from .base import ProxyCall, ProxyContext, check_call, compute_proxy, resolve_options
from .passes import Tap, pass_net, run_pass


@dataclass
class Step:
    """Calls served together: ``jobs`` index the planned calls; ``taps`` (one per job) when they share a pass."""

    jobs: list[int]
    batch_size: int
    bn_mode: str
    taps: list[Tap] = field(default_factory=list)

    @property
    def shared(self) -> bool:
        return bool(self.taps)


def bn_mode_of(call: ProxyCall) -> str:
    return str(call.options.get("bn_mode") or call.spec.bn_mode)


def tap_of(call: ProxyCall, ctx: ProxyContext) -> Tap | None:
    """The call's tap for its options (None: it runs alone)."""
    spec = call.spec
    if spec.tap is None or spec.needs_population:
        return None
    opts = resolve_options(spec, call.proxy_options(), ctx.option_defaults.get(spec.name))
    tap: Tap | None = spec.tap(ctx, **opts)
    return tap


def plan(calls: Sequence[ProxyCall], ctx: ProxyContext, batch_size_for: Callable[[ProxyCall], int],
         *, share: bool = True) -> list[Step]:
    """The steps that score ``calls`` on one architecture, in the order of their first call. ``share=False``
    gives one step per call (each proxy alone)."""
    steps: list[Step] = []
    groups: dict[tuple[int, str], Step] = {}
    for i, call in enumerate(calls):
        size, mode = batch_size_for(call), bn_mode_of(call)
        tap = tap_of(call, ctx) if share else None
        if tap is None:
            steps.append(Step([i], size, mode))
            continue
        step = groups.get((size, mode))
        if step is None:
            step = groups[(size, mode)] = Step([], size, mode)
            steps.append(step)
        step.jobs.append(i)
        step.taps.append(tap)
    for step in steps:
        if len(step.taps) == 1:  # nothing to share with: the proxy's own function (the same tap inside)
            step.taps = []
    return steps


def run_step(step: Step, calls: Sequence[ProxyCall], net: nn.Module, batch: Batch,
             ctx_for: Callable[[ProxyCall], ProxyContext]) -> list[tuple[float, float]]:
    """``(score, seconds)`` per job of ``step``; a shared pass's time is split equally between its jobs."""
    if not step.shared:
        out = []
        for i in step.jobs:
            t0 = time.perf_counter()
            value = compute_proxy(calls[i], net, batch, ctx_for(calls[i]))
            out.append((value, time.perf_counter() - t0))
        return out
    ctxs = [ctx_for(calls[i]) for i in step.jobs]
    for i, c in zip(step.jobs, ctxs):
        check_call(calls[i], batch, c)  # validate first: a refused call fails before any pass runs
    t0 = time.perf_counter()
    device = ctxs[0].device
    # one copy of the net for the pass (none when every tap is read-only); it goes before the next step
    with pass_net(net, device, step.bn_mode == "train", read_only=all(t.read_only for t in step.taps)) as model:
        values = run_pass(model, batch.to(device), step.taps)
    share = (time.perf_counter() - t0) / len(step.jobs)
    return [(float(v), share) for v in values]
