r"""L-SWAG (Casarin et al., "L-SWAG: Layer-Sample Wise Activation with Gradients information for Zero-Shot NAS on
Vision Transformers", CVPR 2025, Eq. 1, 7, 8; App. D.2). No public code exists; every choice below is documented.

.. math::

    \text{L-SWAG} = \Lambda \cdot \Psi, \qquad
    \Lambda = \sum_{l = l_{lo}}^{l_{hi}} \Lambda_l, \qquad
    \Lambda_l = \log \sum_{w \in \theta_l} \frac{1}{\sqrt{\operatorname{Var}_i |\partial_w \mathcal{L}(x_i, y_i)|}}

with the variance over the samples :math:`i` of the batch (ZiCo with its mean numerator replaced by 1), and
:math:`\Psi` the SWAP count of the sample-wise activation patterns of the layers :math:`1..l_{hi}` (ReLU or GELU,
an activation is "on" where its output is > 0).

* **Layers.** A layer is a module of type Conv1d/2d/3d, ConvTranspose2d or Linear that runs in the forward pass
  (its ``weight``; biases are not used), numbered in the order of its first call; a module called twice counts once.
  The percentile bin of a layer and the interval come from :mod:`naslib_swap.proxies.lswag_interval`.
* **Per-sample gradients** come from ``torch.func`` (``functional_call`` + ``vmap`` + ``grad``): the loss of
  sample :math:`i` is the loss of the net on :math:`x_i` alone, so in train-mode BN a sample is normalised by its own
  statistics (BN modules get ``track_running_stats=False`` on a private copy so ``vmap`` can run them);
  ``bn_mode="eval"`` uses the running statistics instead.
* **Variance** is the population variance (ddof 0, as ZiCo's numpy code). **Zero variance**: a weight whose
  :math:`|\partial_w \mathcal{L}|` is the same for every sample (typically identically zero, e.g. behind a ``none``
  op) carries no sample-wise information and would give :math:`1/\sqrt{0}`: it is left out of the sum, as ZiCo's
  code keeps only nonzero standard deviations. A layer with no such weight has no :math:`\Lambda_l` and is skipped.
* **Psi's activations**: every ReLU/GELU module output (any rank) that runs before the first layer beyond bin
  ``hi``; counted exactly with the bit-packed counter of :mod:`naslib_swap.proxies.hooks` (as ``swap_count``).
* **Interval**: the option ``interval=(lo, hi)`` (bins; ``interval=2-7`` or ``all`` on the command line), else the
  one stored for ``(ctx.space, ctx.dataset)`` by the user's ``naslib-swap lswag-interval``, else the interval this
  package measured and ships (``lswag_intervals.json``: NB201 x3, NB101, NB301, TransNAS class_scene), else every
  layer ``(0, 10)`` (the paper's "ALL") with a warning.

Variants (both measured in ``docs/results/lswag_libra.md``):

* ``lswag`` (default, NOTES): product of totals :math:`\Lambda \cdot \Psi`.
* ``lswag_layerwise`` (App. D.2): the dot product :math:`\sum_{l} \Lambda_l \Psi_l` over the interval, where
  :math:`\Psi_l` counts the patterns of the activations feeding layer :math:`l` (those run after layer
  :math:`l - 1` and before layer :math:`l`; activations after the last layer feed the last layer). A layer with no
  activation of its own contributes nothing.

``init="default"`` (the paper: "our codebase is based on NASBench-SuiteZero", so the net as built) or the SWAP code's
``init="normal"`` (conv/linear weights N(0, 1), biases 0, norm layers weight 1 bias 0, drawn from the proxy's
generator) or TE-NAS's ``init="kaiming"``: a factor of the gap study in ``docs/results.md``, not a paper setting.

``numerator="mean"`` puts ZiCo's :math:`\mathbb{E}_i|\partial_w \mathcal{L}|` back in the numerator (Tab. 3's
ablation). Batch 64 (the paper; pass 32 on TransNAS-Bench-101, where the paper used 32 for memory).

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> g = torch.Generator().manual_seed(0)
    >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
    >>> b = Batch(torch.randn(16, 3, 8, 8, generator=g), torch.randint(0, 10, (16,), generator=g))
    >>> compute_proxy("lswag", net, b, interval=(0, 10)) > 0
    True
"""
from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import torch
import torch.nn as nn

from ..errors import ProxyInputError
from ..registry import Need, register_proxy
from . import persample
from .base import Batch, ProxyContext
from .hooks import PatternCounter, activation_hooks, reinitialise, unique_rows
from .lswag_interval import DEFAULT_INTERVAL, check_interval, percentile_bin, stored_interval
from .passes import PassOutput, Tap

REFERENCE = "Casarin et al., L-SWAG, CVPR 2025 (Eq. 1, 7, 8; App. D.2); no public code"
WEIGHT_TYPES: tuple[type[nn.Module], ...] = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.Linear)
ACT_TYPES: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "gelu": nn.GELU}


@dataclass
class Trace:
    """One forward pass: the weight layers in first-call order and the packed patterns of each activation."""

    layers: list[tuple[str, nn.Module]]  # (name, module), forward order
    feeds: list[int]  # per activation module: index of the layer it feeds (0-based)
    patterns: list[torch.Tensor]  # per activation module: distinct packed sample-wise patterns

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def bins(self) -> list[int]:
        return [percentile_bin(i + 1, self.num_layers) for i in range(self.num_layers)]


def act_types(acts: str | Sequence[str]) -> tuple[type[nn.Module], ...]:
    text = acts.replace("+", ",") if isinstance(acts, str) else ",".join(acts)  # "relu+gelu" on the CLI
    names = [a.strip().lower() for a in text.split(",") if a.strip()]
    bad = [a for a in names if a not in ACT_TYPES]
    if bad or not names:
        raise ProxyInputError(f"unknown L-SWAG activation(s) {bad or acts!r}; known: {', '.join(ACT_TYPES)}")
    return tuple(ACT_TYPES[a] for a in names)


class TraceTap(Tap):
    """The hooks of :func:`trace_forward` as a tap of a (shared) forward pass; ``trace()`` after the forward."""

    def __init__(self, acts: tuple[type[nn.Module], ...] = (nn.ReLU, nn.GELU)) -> None:
        self.acts = acts
        self.events: list[tuple[str, nn.Module]] = []
        self.counters: dict[int, PatternCounter] = {}

    def attach(self, net: nn.Module, stack: contextlib.ExitStack) -> None:
        self.names = {m: n for n, m in net.named_modules()}
        seen: set[int] = set()
        events, counters = self.events, self.counters

        def pre(module: nn.Module, _inp: Any) -> None:
            if id(module) not in seen:
                seen.add(id(module))
                events.append(("w", module))

        def on_act(module: nn.Module, out: torch.Tensor) -> None:
            if id(module) not in counters:
                counters[id(module)] = PatternCounter()
                events.append(("a", module))
            counters[id(module)].add(out)

        for m in net.modules():
            if isinstance(m, WEIGHT_TYPES) and getattr(m, "weight", None) is not None:
                stack.callback(m.register_forward_pre_hook(pre).remove)
        stack.enter_context(activation_hooks(net, on_act, types=self.acts, ndim=None))

    def trace(self, net: nn.Module) -> Trace:
        layers = [(self.names[m], m) for kind, m in self.events if kind == "w"]
        if not layers:
            raise ProxyInputError(f"L-SWAG found no conv/linear layer that runs in {type(net).__name__}")
        feeds, patterns, n_before = [], [], 0
        for kind, m in self.events:
            if kind == "w":
                n_before += 1
            else:
                # an activation run after n_before layers feeds layer n_before (0-based), or the last one
                feeds.append(min(n_before, len(layers) - 1))
                patterns.append(self.counters[id(m)].rows())
        return Trace(layers, feeds, patterns)

    def finish(self, net: nn.Module, out: PassOutput) -> Any:
        return self.trace(net)


@torch.no_grad()
def trace_forward(net: nn.Module, inputs: torch.Tensor,
                  acts: tuple[type[nn.Module], ...] = (nn.ReLU, nn.GELU)) -> Trace:
    """Run ``net`` once, recording the order of its weight layers and the patterns of every activation output."""
    tap = TraceTap(acts)
    with contextlib.ExitStack() as stack:
        tap.attach(net, stack)
        net(inputs)
    return tap.trace(net)


def _distinct(parts: list[torch.Tensor]) -> int:
    return int(unique_rows(torch.cat(parts)).shape[0]) if parts else 0


def per_sample_grads(net: nn.Module, batch: Batch, param_names: Sequence[str], *, chunk_size: int | None = None
                     ) -> dict[str, torch.Tensor]:
    """Per-sample gradients ``(B, *shape)`` of the loss w.r.t. the named parameters (torch.func vmap + grad, through
    :func:`naslib_swap.proxies.persample.per_sample_grads`; ``chunk_size`` None: chosen from the free memory).

    The loss of sample ``i`` is ``batch.loss_fn(net(x_i[None]), y_i[None])``. In train mode the BN modules of a copy
    of ``net`` stop tracking running statistics (``vmap`` cannot update them in place).
    """
    if batch.targets is None:
        raise ProxyInputError("L-SWAG needs labels: pass a labelled batch")
    try:
        return persample.per_sample_grads(net, batch.inputs, param_names, targets=batch.targets,
                                          loss_fn=batch.loss_fn, chunk_size=chunk_size)
    except ValueError as e:  # e.g. BatchNorm1d on a single sample in train mode
        raise ProxyInputError(f"L-SWAG's per-sample forward failed ({str(e).splitlines()[0]}); "
                              f"try lswag[bn_mode=eval]") from None


def layer_terms(grads: torch.Tensor, numerator: str = "one") -> float:
    r""":math:`\Lambda_l = \log \sum_w n_w / \sqrt{\operatorname{Var}_i |g_{i,w}|}` over the weights with nonzero
    variance (:math:`n_w = 1`, or :math:`\mathbb{E}_i |g_{i,w}|` with ``numerator="mean"``); NaN if none."""
    a = grads.detach().abs().flatten(1).double()
    var = a.var(dim=0, unbiased=False)
    keep = var > 0
    if not bool(keep.any()):
        return float("nan")
    inv = var[keep].rsqrt()
    if numerator == "mean":
        inv = inv * a.mean(dim=0)[keep]
    elif numerator != "one":
        raise ProxyInputError(f"L-SWAG numerator must be 'one' (paper) or 'mean' (ZiCo), got {numerator!r}")
    total = float(inv.sum())
    return math.log(total) if total > 0 else float("nan")


MAX_GRAD_BYTES = 2 * 2**30  # per-sample gradients held at once (at most; less when less memory is free)


def grouped_layer_terms(net: nn.Module, batch: Batch, names: Sequence[str], numerators: Sequence[str], *,
                        chunk_size: int | None = None, max_bytes: int = MAX_GRAD_BYTES) -> dict[str, list[float]]:
    r""":math:`\Lambda_l` of the named weights for each numerator, with the per-sample gradients taken for as many
    layers at a time as fit in ``max_bytes`` (a 224x224 ViT-Base at batch 64 would need 22 GB at once). Each layer's
    term depends only on its own gradients, so the grouping changes the cost, not the values."""
    params = dict(net.named_parameters())
    per_sample = batch.inputs.shape[0]
    max_bytes = min(max_bytes, int(persample.available_bytes(batch.inputs.device) * persample.MEMORY_FRACTION))
    groups: list[list[str]] = [[]]
    used = 0
    for n in names:
        size = per_sample * params[n].numel() * params[n].element_size()
        if groups[-1] and used + size > max_bytes:
            groups.append([])
            used = 0
        groups[-1].append(n)
        used += size
    out: dict[str, dict[str, float]] = {num: {} for num in numerators}
    for group in groups:
        if not group:
            continue
        g = per_sample_grads(net, batch, group, chunk_size=chunk_size)
        for n in group:
            for num in numerators:
                out[num][n] = layer_terms(g[n], num)
        del g
    return {num: [out[num][n] for n in names] for num in numerators}


def all_layer_terms(net: nn.Module, batch: Batch, *, acts: str | Sequence[str] = "relu+gelu", numerator: str = "one",
                    chunk_size: int | None = None, trace: Trace | None = None) -> tuple[Trace, list[float]]:
    """The trace and :math:`\\Lambda_l` of every layer (forward order); used by ``naslib-swap lswag-interval``."""
    tr, terms = all_layer_terms_multi(net, batch, (numerator,), acts=acts, chunk_size=chunk_size, trace=trace)
    return tr, terms[numerator]


def all_layer_terms_multi(net: nn.Module, batch: Batch, numerators: Sequence[str], *,
                          acts: str | Sequence[str] = "relu+gelu", chunk_size: int | None = None,
                          trace: Trace | None = None) -> tuple[Trace, dict[str, list[float]]]:
    """Like :func:`all_layer_terms` for several numerators from one set of per-sample gradients (the costly part)."""
    tr = trace or trace_forward(net, batch.inputs, act_types(acts))
    pnames = {id(p): n for n, p in net.named_parameters()}
    names = [pnames[id(m.weight)] for _, m in tr.layers]
    return tr, grouped_layer_terms(net, batch, names, numerators, chunk_size=chunk_size)


_warned: set[tuple[Any, Any]] = set()


def _resolve_interval(interval: Any, ctx: ProxyContext) -> tuple[int, int]:
    if interval is not None:
        return check_interval(interval)
    stored = stored_interval(ctx.space, ctx.dataset)
    if stored is not None:
        return stored
    key = (ctx.space, ctx.dataset)
    if key not in _warned:
        _warned.add(key)
        warnings.warn(f"no L-SWAG interval is stored for {ctx.space}/{ctx.dataset}: "
                      f"using every layer {DEFAULT_INTERVAL} "
                      f"(not a measured interval); run `naslib-swap lswag-interval` or pass lswag[interval=(lo,hi)]",
                      stacklevel=3)
    return DEFAULT_INTERVAL


def _lambdas(net: nn.Module, batch: Batch, tr: Trace, lo: int, hi: int, numerator: str,
             chunk_size: int | None) -> dict[int, float]:
    r""":math:`\Lambda_l` of the layers in bins ``lo..hi`` (by forward index)."""
    inside = [i for i, b in enumerate(tr.bins()) if lo <= b <= hi]
    if not inside:
        raise ProxyInputError(f"no layer of this {tr.num_layers}-layer net falls in the L-SWAG bins {lo}..{hi}; "
                              f"widen the interval")
    pnames = {id(p): n for n, p in net.named_parameters()}
    names = [pnames[id(tr.layers[i][1].weight)] for i in inside]
    terms = grouped_layer_terms(net, batch, names, (numerator,), chunk_size=chunk_size)[numerator]
    return dict(zip(inside, terms))


def _combine(net: nn.Module, tr: Trace, lam: dict[int, float], hi: int, layerwise: bool) -> float:
    bins = tr.bins()
    inside = sorted(lam)
    if layerwise:
        total = 0.0
        for i in inside:
            parts = [p for p, f in zip(tr.patterns, tr.feeds) if f == i]
            if parts and math.isfinite(lam[i]):
                total += lam[i] * _distinct(parts)
        return total
    last = max(i for i, b in enumerate(bins) if b <= hi)  # bins grow with depth: the last layer of bin <= hi
    psi_parts = [p for p, f in zip(tr.patterns, tr.feeds) if f <= last]
    if not psi_parts:
        raise ProxyInputError(f"L-SWAG found no ReLU/GELU activation before layer {last + 1} of {type(net).__name__}; "
                              f"use activation modules (nn.ReLU / nn.GELU), not functional calls")
    finite = [v for v in lam.values() if math.isfinite(v)]
    lam_total = sum(finite) if finite else float("nan")
    return lam_total * _distinct(psi_parts)


INITS = ("default", "normal", "kaiming")


def _lswag(net: nn.Module, batch: Batch, ctx: ProxyContext, *, interval: Any, acts: str, numerator: str,
           chunk_size: int | None, layerwise: bool, init: str = "default") -> float:
    if init not in INITS:
        raise ProxyInputError(f"L-SWAG init must be one of {', '.join(INITS)}, got {init!r}")
    lo, hi = _resolve_interval(interval, ctx)
    # lswag and lswag_layerwise on the same (arch, batch) share the forward trace and the per-sample gradients
    key = ("lswag", acts, numerator, net.training, lo, hi, tuple(batch.inputs.shape), init)
    if key in ctx.cache:
        tr, lam = ctx.cache[key]
    else:
        if init != "default":
            with torch.no_grad():  # the net is this proxy's own copy (compute_proxy deep-copies it)
                reinitialise(net, ctx.generator, init)
        tr = trace_forward(net, batch.inputs, act_types(acts))
        lam = _lambdas(net, batch, tr, lo, hi, numerator, chunk_size)
        ctx.cache[key] = (tr, lam)
    return _combine(net, tr, lam, hi, layerwise)


class LswagTap(TraceTap):
    """L-SWAG in a shared pass: the trace hooks ride on the arch's forward; the per-sample gradients (torch.func,
    on a copy) follow in ``finish``. lswag and lswag_layerwise with the same settings share one product."""

    needs_labels = True
    read_only = True  # the per-sample gradients are taken functionally (on a copy in train mode): the net is unchanged

    def __init__(self, lo: int, hi: int, acts: str, numerator: str, chunk_size: int | None, layerwise: bool) -> None:
        super().__init__(act_types(acts))
        self.key = ("lswag", acts, numerator, lo, hi, chunk_size)
        self.lo, self.hi, self.numerator, self.chunk_size, self.layerwise = lo, hi, numerator, chunk_size, layerwise

    def finish(self, net: nn.Module, out: PassOutput) -> Any:
        assert out.batch is not None
        tr = self.trace(net)
        return tr, _lambdas(net, out.batch, tr, self.lo, self.hi, self.numerator, self.chunk_size)

    def score(self, product: Any, net: nn.Module) -> float:
        tr, lam = product
        return _combine(net, tr, lam, self.hi, self.layerwise)


def _tap_factory(layerwise: bool) -> Any:
    def make(ctx: ProxyContext, *, interval: Any = None, acts: str = "relu+gelu", numerator: str = "one",
             chunk_size: int | None = None, init: str = "default") -> Tap | None:
        if init != "default":  # re-drawn weights cannot ride on the arch's shared forward
            return None
        lo, hi = _resolve_interval(interval, ctx)
        return LswagTap(lo, hi, acts, numerator, chunk_size, layerwise)
    return make


@register_proxy("lswag", higher_is_better=True, needs_grad=True, needs_labels=True, batch_size=64, reference=REFERENCE,
                needs=(Need.ACTIVATIONS, Need.PER_SAMPLE_GRAD,), tap=_tap_factory(False),
                description="L-SWAG: (sum over the layer interval of log sum 1/std|grad|) x SWAP of layers 1..hi")
def lswag(net: nn.Module, batch: Batch, ctx: ProxyContext, *, interval: Any = None, acts: str = "relu+gelu",
          numerator: str = "one", chunk_size: int | None = None, init: str = "default") -> float:
    """L-SWAG, product of totals: Lambda over the interval x Psi over layers 1..hi."""
    return _lswag(net, batch, ctx, interval=interval, acts=acts, numerator=numerator, chunk_size=chunk_size,
                  layerwise=False, init=init)


@register_proxy("lswag_layerwise", higher_is_better=True, needs_grad=True, needs_labels=True, batch_size=64,
                needs=(Need.ACTIVATIONS, Need.PER_SAMPLE_GRAD,), tap=_tap_factory(True),
                reference=REFERENCE,
                description="L-SWAG, layer-wise product (App. D.2): sum over the interval of Lambda_l x Psi_l")
def lswag_layerwise(net: nn.Module, batch: Batch, ctx: ProxyContext, *, interval: Any = None, acts: str = "relu+gelu",
                    numerator: str = "one", chunk_size: int | None = None, init: str = "default") -> float:
    """L-SWAG, layer-wise product: sum over the interval of Lambda_l x Psi_l."""
    return _lswag(net, batch, ctx, interval=interval, acts=acts, numerator=numerator, chunk_size=chunk_size,
                  layerwise=True, init=init)
