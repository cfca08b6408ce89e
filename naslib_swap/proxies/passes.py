"""Shared passes: several proxies served by one forward (and backward) of one copy of the net on one batch.

A proxy that can share registers a *tap* factory beside its function (``register_proxy(..., tap=factory)``):
``factory(ctx, **options) -> Tap | None`` (None: with these options it cannot share, e.g. SWAP with several
re-initialisations, and runs alone). A :class:`Tap` hooks the pass, says which gradient it needs (``grad``: none,
the task loss's gradient w.r.t. the weights, or the summed output's gradient w.r.t. the input) and turns what it
saw into a score. :func:`run_pass` runs one forward of the batch with every tap's hooks, then at most two
backward passes, in an order that gives each tap exactly the tensors it would get alone:

1. forward (under ``torch.no_grad`` when no tap needs a gradient), then every module hook is removed; the
   forward-only taps finish here;
2. the task loss backward (``retain_graph`` when 3. follows); the loss taps read ``.grad`` and drop their tensor
   hooks; a tap that runs passes of its own on top (GraSP's Hessian-vector product) finishes last;
3. the summed output's gradient w.r.t. the input for the input-gradient taps (``autograd.grad(y, x, ones)``: the
   suite's ``y.backward(ones_like(y))`` without the weights' gradients, which no input tap reads).

The proxies' own functions run through the same taps (``run_pass(net, batch, [tap])``), so a proxy scored alone
and the same proxy planned with others are one code path; ``tests/test_planner.py`` checks every proxy both ways.
Taps with equal ``key`` compute one product (SWAP and reg-SWAP count the patterns once).

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> from naslib_swap.proxies.nwot import NwotTap
    >>> from naslib_swap.proxies.swap import SwapTap
    >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    >>> b = Batch(torch.randn(8, 3, 8, 8, generator=torch.Generator().manual_seed(0)), None)
    >>> both = run_pass(net, b, [SwapTap(), NwotTap()])   # one forward serves both
    >>> both == [compute_proxy("swap", net, b), compute_proxy("nwot", net, b)]
    True
"""
from __future__ import annotations

import contextlib
import copy
import time
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterator, Literal, Sequence

import torch
import torch.nn as nn

from ..errors import ProxyInputError
from ..types import Batch

GradKind = Literal["none", "loss", "input"]

# how a pass that needs no gradient switches autograd off (scripts/bench_proxies.py measures torch.inference_mode
# against it; docs/results.md says which won)
grad_off: Callable[[], Any] = torch.no_grad


@dataclass
class PassOutput:
    """What a pass leaves for its taps: the net's output, and the input's gradient when an input tap asked."""

    output: Any = None
    input_grad: torch.Tensor | None = None
    targets: torch.Tensor | None = None
    batch: Batch | None = None
    # with a second-order tap: each parameter's loss gradient, still attached to its graph (keyed by id(param))
    loss_grads: dict[int, torch.Tensor] | None = None
    retain_graph: bool = False  # a later backward of this pass still needs the forward graph


class Tap:
    """One proxy's share of a pass. Subclasses set ``key`` and ``grad`` and override :meth:`attach` /
    :meth:`finish` (and :meth:`score` when two proxies share one product)."""

    key: Hashable = None
    grad: GradKind = "none"
    needs_labels: bool = False
    rewrites_grads: bool = False  # a loss tap whose finish runs passes of its own (it finishes after the others)
    # a loss tap that differentiates the loss gradients once more (GraSP's Hessian-vector product): the pass keeps
    # their graph (``create_graph``) in ``PassOutput.loss_grads`` instead of running a second forward for it
    second_order: bool = False
    # the tap only observes the forward and reads the weights (no gradient into the net, no change to it): a pass
    # whose taps are all read-only may run on the caller's net itself instead of a copy (see :func:`borrowed`)
    read_only: bool = False

    def attach(self, net: nn.Module, stack: contextlib.ExitStack) -> None:
        """Register module hooks on ``net`` (remove them through ``stack``: they are removed after the forward)."""

    def finish(self, net: nn.Module, out: PassOutput) -> Any:
        """The product of the pass for this tap (called once per key; no module hook is attached any more)."""
        raise NotImplementedError

    def score(self, product: Any, net: nn.Module) -> float:
        """The proxy's score from the product (several taps may share one product)."""
        return float(product)


class _Clock:
    """CPU seconds between laps, added to ``timings`` under each lap's name (nothing when ``timings`` is None)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.t = time.process_time()

    def lap(self, name: str) -> None:
        if self.timings is not None:
            now = time.process_time()
            self.timings[name] = self.timings.get(name, 0.0) + now - self.t
            self.t = now


def _loss_backward(net: nn.Module, loss_value: torch.Tensor, out: PassOutput, *, second_order: bool,
                   retain_graph: bool) -> None:
    """The task loss's backward into the weights' ``.grad``; with a second-order tap, the gradients keep their graph
    in ``out.loss_grads`` (the same values: the same backward kernels, recorded; tests/test_planner.py checks every
    proxy bit for bit) so that tap differentiates them without a second forward."""
    if not second_order:
        loss_value.backward(retain_graph=retain_graph)
        return
    params = [p for p in net.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss_value, params, create_graph=True, allow_unused=True)
    out.loss_grads = {id(p): g for p, g in zip(params, grads) if g is not None}
    out.retain_graph = retain_graph
    for p, g in zip(params, grads):
        if g is not None:
            p.grad = g.detach()


def borrowable(net: nn.Module, device: torch.device | str) -> bool:
    """Whether a read-only pass may use ``net`` itself (:func:`borrowed`): every tensor of it is on ``device``
    and its only buffers are BatchNorm statistics (whose updates :func:`borrowed` switches off; any other buffer
    might be changed by a forward, so such a net is copied as before)."""
    dev = torch.device(device)
    for m in net.modules():
        own_buffers = list(m.buffers(recurse=False))
        if own_buffers and not isinstance(m, nn.modules.batchnorm._BatchNorm):
            return False
        for t in [*m.parameters(recurse=False), *own_buffers]:
            if t.device.type != dev.type or (dev.index is not None and t.device.index != dev.index):
                return False
    return True


@contextlib.contextmanager
def borrowed(net: nn.Module, train: bool) -> Iterator[nn.Module]:
    """``net`` itself for a read-only pass, in train or eval BN mode, with its BatchNorm running statistics left
    unchanged; every module's mode and flag is restored on exit.

    Saves the deep copy a pass otherwise makes (5-10% of a SWAP score on NB201). In train mode BatchNorm normalises
    with the batch's statistics whether or not it also updates its running ones (bit for bit: tests/test_planner.py
    checks every read-only proxy against the copy), so switching the update off changes no output.
    """
    modes = [(m, m.training) for m in net.modules()]
    frozen = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    try:
        net.train(train)
        for m in frozen:
            m.track_running_stats = False
        yield net
    finally:
        for bn in frozen:
            bn.track_running_stats = True
        for module, mode in modes:
            module.training = mode


@contextlib.contextmanager
def pass_net(net: nn.Module, device: torch.device | str, train: bool, *, read_only: bool,
             copy_net: bool = True) -> Iterator[nn.Module]:
    """The net a proxy or a shared pass runs on: the caller's own (:func:`borrowed`) when everything it runs is
    read-only and the net can be borrowed, else a deep copy (``copy_net=False``: the net itself), on ``device`` and
    in train or eval BN mode."""
    if copy_net and read_only and borrowable(net, device):
        with borrowed(net, train) as model:
            yield model
        return
    model = (copy.deepcopy(net) if copy_net else net).to(device)
    model.train(train)
    yield model


def run_pass(net: nn.Module, batch: Batch, taps: Sequence[Tap],
             timings: dict[str, float] | None = None) -> list[float]:
    """One shared pass of ``net`` (used as it is: the caller copies it and sets its BN mode) over ``batch``; one
    score per tap, in order. Raises the first tap's one-line error (a proxy that cannot score this net).
    ``timings`` (optional) receives this process's CPU seconds per phase (``scripts/profile_plan.py``)."""
    clock = _Clock(timings)
    unique: dict[Hashable, Tap] = {}
    for t in taps:
        unique.setdefault(t.key if t.key is not None else id(t), t)
    firsts = list(unique.values())
    # taps that change the weights' gradients (GraSP's second pass) read them last
    loss = sorted((t for t in firsts if t.grad == "loss"), key=lambda t: t.rewrites_grads)
    wrt_input = [t for t in firsts if t.grad == "input"]
    if any(t.needs_labels for t in firsts) and batch.targets is None:
        raise ProxyInputError("this proxy needs labels but the batch has none; pass a labelled batch")
    products: dict[int, Any] = {}
    out = PassOutput(targets=batch.targets, batch=batch)
    x = batch.inputs
    if wrt_input:
        x = x.detach().clone().requires_grad_(True)  # a leaf copy: the caller's tensor is left untouched
    with contextlib.ExitStack() as stack:  # the module hooks live for the forward only
        for t in firsts:
            t.attach(net, stack)
        if loss or wrt_input:
            net.zero_grad()
            with torch.enable_grad():
                y = net(x)
        else:
            with grad_off():
                y = net(x)
    clock.lap("forward")
    out.output = y
    for t in firsts:
        if t.grad == "none":
            products[id(t)] = t.finish(net, out)
            clock.lap(f"finish|{t.key}")
    if loss:
        assert batch.targets is not None
        _loss_backward(net, batch.loss_fn(y, batch.targets), out, second_order=any(t.second_order for t in loss),
                       retain_graph=bool(wrt_input))
        clock.lap("loss_backward")
        for t in loss:
            products[id(t)] = t.finish(net, out)
            clock.lap(f"finish|{t.key}")
    if wrt_input:
        # the input's gradient only: the same values as the suite's y.backward(ones) then x.grad (the same backward
        # kernels for the input), without the weights' gradients nobody reads (a third less time, docs/results.md)
        out.input_grad = torch.autograd.grad(y, x, torch.ones_like(y))[0].detach()
        out.output = y.detach()
        clock.lap("input_backward")
        for t in wrt_input:
            products[id(t)] = t.finish(net, out)
            clock.lap(f"finish|{t.key}")
    return [t.score(products[id(unique[t.key if t.key is not None else id(t)])], net) for t in taps]
