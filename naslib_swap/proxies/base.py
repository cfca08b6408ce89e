"""The proxy calling convention, the one factory of proxy contexts, and the one way every caller runs a proxy.

A proxy is ``fn(net, batch, ctx, *, **options) -> float`` registered with
:func:`naslib_swap.registry.register_proxy`. It works on any ``nn.Module`` and never imports a space; what it needs
from the outside comes through :class:`ProxyContext`, built by :meth:`ProxyContext.for_space` wherever a space is at
hand. A user's label (``reg_swap[mu=1.2,sigma=1.2]``) becomes a checked :class:`ProxyCall` once, at the edge; callers
run it through :func:`compute_proxy`, which reads the proxy's metadata (BN mode, labels, gradients), never its name.
Population proxies (a score that depends on the other archs scored) run through :class:`PopulationScore`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch
import torch.nn as nn

from ..errors import ProxyInputError
from ..grammar import format_call, parse_call, split_list
from ..protocols import PROTOCOL_OPTION, Protocol, get_protocol
from ..registry import ProxySpec, get_proxy
from ..rng import make_generator
from ..sizes import sampled_param_counts
from ..types import Batch
from .passes import pass_net

__all__ = ["Batch", "PopulationScore", "ProxyCall", "ProxyContext", "apply_protocol", "check_call", "compute_proxy",
           "resolve_options"]

BN_MODES = ("train", "eval")
PSEUDO_OPTIONS = ("bn_mode", PROTOCOL_OPTION)  # accepted by every proxy; compute_proxy consumes them


@dataclass
class ProxyContext:
    """What a proxy may need beyond the net and the batch. One context belongs to one (architecture, batch).

    Build it with :meth:`for_space` when a space is at hand; a bare ``ProxyContext()`` serves a lone ``nn.Module``.

    Attributes:
        device: where to compute.
        generator: the only source of randomness (re-initialisations, random inputs).
        space: the name of the benchmark space, for messages and stored settings (never to branch on in a proxy).
        dataset: the dataset / task name.
        option_defaults: per-proxy option defaults of the space (``{"reg_swap": {"mu": 1.5, "sigma": 1.5}}``);
            they sit between a proxy's own defaults and the options a user sets.
        build_net: ``build_net(**sizes) -> nn.Module``, the same architecture with other sizes in the spaces' sizing
            vocabulary (``width``, ``cells``, ...) or a named build profile (``profile="teg-thin"``).
        make_batches: ``make_batches(sizes) -> list[Batch]``, more disjoint batches of the same data (TEG MSE).
        sampled_sizes: ``sampled_sizes() -> parameter counts (M)`` of 1000 archs sampled from the space (reg-SWAP's
            ``auto`` prior).
        cache: work shared between proxies of the same (architecture, batch), e.g. the SWAP count for reg-SWAP.
    """

    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    generator: torch.Generator = field(default_factory=lambda: torch.Generator().manual_seed(0))
    space: str | None = None
    dataset: str | None = None
    option_defaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    build_net: Callable[..., nn.Module] | None = None
    make_batches: Callable[[Sequence[int]], list[Batch]] | None = None
    sampled_sizes: Callable[[], Sequence[float]] | None = None
    cache: dict[Any, Any] = field(default_factory=dict)

    @classmethod
    def for_space(
        cls,
        space: Any,
        dataset: str,
        *,
        generator: torch.Generator,
        device: torch.device | str = "cpu",
        arch: Any = None,
        net_seed: int | None = None,
        net_options: Mapping[str, Any] | None = None,
        batch_generator: torch.Generator | None = None,
        data_root: str | Path | None = None,
        build_net: Callable[..., nn.Module] | None = None,
        make_batches: Callable[[Sequence[int]], list[Batch]] | None = None,
    ) -> "ProxyContext":
        """The context of one architecture (or supernet) of ``space`` on ``dataset``: every caller builds it here.

        Args:
            generator: the proxies' randomness.
            arch, net_seed, net_options: with ``arch``, ``build_net(**sizes)`` rebuilds it with weights drawn from
                ``net_seed`` and the sizes over ``net_options`` (a request naming a ``profile`` is built as the
                profile says); ``build_net`` replaces that (supernets, searches).
            batch_generator, data_root: with ``batch_generator``, ``make_batches(sizes)`` draws more batches of the
                dataset from it; ``make_batches`` replaces that.
        """
        dev = torch.device(device)
        if build_net is None and arch is not None:
            base = dict(net_options or {})
            seed = 0 if net_seed is None else int(net_seed)

            def build_net(**sizes: Any) -> nn.Module:
                # a named profile (TEG's thin net) is a net of its own: the caller's sizes do not apply to it
                request = sizes if "profile" in sizes else {**base, **sizes}
                return space.build(arch, dataset, generator=make_generator(seed), device=dev, **request)

        if make_batches is None and batch_generator is not None:
            def make_batches(sizes: Sequence[int]) -> list[Batch]:
                return space.make_batches(dataset, sizes, batch_generator, data_root=data_root, device=dev)

        def sampled_sizes() -> Sequence[float]:
            return sampled_param_counts(space, dataset)

        return cls(device=dev, generator=generator, space=str(space), dataset=dataset,
                   option_defaults=space.proxy_defaults(dataset), build_net=build_net, make_batches=make_batches,
                   sampled_sizes=sampled_sizes)


@dataclass(frozen=True)
class ProxyCall:
    """A proxy with checked options: what a label such as ``reg_swap[mu=1.2,sigma=1.2]`` means, parsed once.

    ``options`` holds only what the user set to something other than the proxy's default; ``label`` is the one
    canonical spelling (options sorted, defaults dropped), used for results and stores.

    Example:
        >>> c = ProxyCall.parse("swap[reinits=1,init=normal]")
        >>> c.label, c.spec.higher_is_better
        ("swap[init='normal']", True)
        >>> ProxyCall.parse("swap[reinits='many']")
        Traceback (most recent call last):
        ...
        naslib_swap.errors.OptionError: proxy 'swap' option reinits='many': expected an integer
    """

    spec: ProxySpec
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, call: "str | ProxyCall | ProxySpec") -> "ProxyCall":
        """A call from a label, a spec (no options) or a call; unknown names and options are one-line errors."""
        if isinstance(call, ProxyCall):
            return call
        if isinstance(call, ProxySpec):
            return cls(call, {})
        name, opts = parse_call(call)
        return cls.make(get_proxy(name), opts)

    @classmethod
    def make(cls, spec: ProxySpec, options: Mapping[str, Any]) -> "ProxyCall":
        """A call of ``spec`` with ``options`` (checked by name and type; ``bn_mode`` and ``protocol`` are accepted
        by every proxy: ``protocol`` names the protocol that set the options, the default ``suite`` is dropped)."""
        opts = dict(options)
        bn = opts.get("bn_mode")
        if bn is not None and bn not in BN_MODES:
            raise ProxyInputError(f"proxy '{spec.name}' option bn_mode={bn!r}: expected 'train' or 'eval'")
        if PROTOCOL_OPTION in opts:
            proto = get_protocol(opts[PROTOCOL_OPTION])
            if proto.is_default:
                del opts[PROTOCOL_OPTION]
            else:
                opts[PROTOCOL_OPTION] = proto.name
        spec.declared.check({k: v for k, v in opts.items() if k not in PSEUDO_OPTIONS})
        kept = {k: v for k, v in opts.items() if not (k in spec.options and _same(spec.options[k], v))}
        return cls(spec, kept)

    def with_options(self, **options: Any) -> "ProxyCall":
        """The same proxy with more options set."""
        return self.make(self.spec, {**self.options, **options})

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def protocol(self) -> Protocol:
        """The protocol that set this call's options (``suite`` when none did)."""
        return get_protocol(self.options.get(PROTOCOL_OPTION))

    def proxy_options(self) -> dict[str, Any]:
        """The options for the proxy's function (without the pseudo-options ``bn_mode`` and ``protocol``)."""
        return {k: v for k, v in self.options.items() if k not in PSEUDO_OPTIONS}

    @property
    def label(self) -> str:
        return format_call(self.spec.name, self.options)

    def __str__(self) -> str:
        return self.label


def _same(a: Any, b: Any) -> bool:
    return bool(a == b)  # as the stores always spelled it: swap[reinits=1] is swap


def parse_calls(calls: "str | ProxyCall | Sequence[str | ProxyCall]", protocol: "str | Protocol | None" = None
                ) -> list[ProxyCall]:
    """A list of calls from a comma-separated string (bracket-aware), a list of labels or calls, or one call; with
    ``protocol``, each under that protocol (:func:`apply_protocol`)."""
    if isinstance(calls, (str, ProxyCall, ProxySpec)):
        items: Sequence[Any] = split_list(calls) if isinstance(calls, str) else [calls]
    else:
        items = list(calls)
    if protocol is None:
        return [ProxyCall.parse(c) for c in items]
    proto = get_protocol(protocol)
    return [apply_protocol(proto, c) for c in items]


def apply_protocol(protocol: "str | Protocol | None", call: "str | ProxyCall | ProxySpec") -> ProxyCall:
    """The call of a user's label under a protocol: the protocol's options for that proxy, then the label's own
    options over them (explicit options win). A call that already names a protocol (a stored label) is kept as it is.

    Example:
        >>> apply_protocol("swap-paper", "swap").label
        "swap[init='normal',protocol='swap-paper',reinits=32]"
        >>> apply_protocol("swap-paper", "swap[reinits=2,init=default]").label   # explicit options win
        "swap[protocol='swap-paper',reinits=2]"
        >>> apply_protocol("suite", "swap").label
        'swap'
    """
    proto = get_protocol(protocol)
    if isinstance(call, ProxySpec):
        call = ProxyCall(call, {})
    if isinstance(call, ProxyCall):
        if PROTOCOL_OPTION in call.options:
            return call
        return ProxyCall.make(call.spec, {**proto.options_for(call.name), **call.options})
    name, opts = parse_call(call)
    if PROTOCOL_OPTION in opts:
        return ProxyCall.make(get_proxy(name), opts)
    return ProxyCall.make(get_proxy(name), {**proto.options_for(name), **opts})


def resolve_options(spec: ProxySpec, options: Mapping[str, Any], space_defaults: Mapping[str, Any] | None = None
                    ) -> dict[str, Any]:
    """The options a proxy runs with: its defaults < the space's defaults for it < ``options`` (checked)."""
    spec.declared.check(options)
    return {**spec.options, **(space_defaults or {}), **options}


def compute_proxy(
    proxy: str | ProxySpec | ProxyCall,
    net: nn.Module,
    batch: Batch,
    ctx: ProxyContext | None = None,
    *,
    copy_net: bool = True,
    **options: Any,
) -> float:
    """Score ``net`` on ``batch`` with one proxy.

    The net is deep-copied (proxies may re-initialise it), moved to ``ctx.device`` and put in the BN mode the proxy
    declares (``bn_mode="train"|"eval"`` overrides it); a proxy whose tap is read-only with these options (SWAP,
    NWOT, L-SWAG with the net's own weights) scores the net itself instead, its modes and BN statistics restored
    after (:func:`naslib_swap.proxies.passes.borrowed`). Options are the proxy's defaults, then the space's
    (``ctx.option_defaults``), then the call's, then ``options``. The result is a float; NaN/inf are returned as they
    are (the suite runner maps them to -1e8).

    Example:
        >>> import torch, torch.nn as nn
        >>> from naslib_swap.proxies.base import Batch, compute_proxy
        >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
        >>> b = Batch(torch.randn(8, 3, 8, 8, generator=torch.Generator().manual_seed(0)), None)
        >>> compute_proxy("swap", net, b) > 0
        True
    """
    call = ProxyCall.parse(proxy)
    if options:
        call = call.with_options(**options)
    spec = call.spec
    ctx = ctx or ProxyContext()
    check_call(call, batch, ctx)
    bn_mode = call.options.get("bn_mode") or spec.bn_mode
    opts = resolve_options(spec, call.proxy_options(), ctx.option_defaults.get(spec.name))
    batch = batch.to(ctx.device)
    read_only = copy_net and _reads_only(spec, ctx, opts)  # with these options the proxy changes nothing: no copy
    with pass_net(net, ctx.device, bn_mode == "train", read_only=read_only, copy_net=copy_net) as model:
        if spec.needs_grad:
            return float(spec.fn(model, batch, ctx, **opts))
        with torch.no_grad():
            return float(spec.fn(model, batch, ctx, **opts))


def _reads_only(spec: ProxySpec, ctx: ProxyContext, opts: dict[str, Any]) -> bool:
    """Whether the proxy, with these options, only reads the net: its tap (the same code as its function) says so."""
    if spec.tap is None or spec.needs_population:
        return False
    tap = spec.tap(ctx, **opts)
    return tap is not None and tap.read_only


def check_call(call: ProxyCall, batch: Batch, ctx: ProxyContext) -> None:
    """What :func:`compute_proxy` refuses before it runs a proxy (the planner checks the same, first)."""
    spec = call.spec
    if spec.needs_population:
        raise ProxyInputError(
            f"proxy '{spec.name}' combines a population of architectures: score its inputs "
            f"({', '.join(spec.population_inputs)}) per arch and combine them with PopulationScore "
            f"(naslib_swap.score does both)"
        )
    if spec.needs_labels and batch.targets is None:
        raise ProxyInputError(f"proxy '{spec.name}' needs labels but the batch has none; pass a labelled batch")
    if spec.needs_arch_builder and ctx.build_net is None:
        raise ProxyInputError(
            f"proxy '{spec.name}' needs to build variants of the architecture; score it through a space "
            f"(naslib_swap.score) or pass ProxyContext(build_net=...)"
        )


class PopulationScore:
    """The running state of a population proxy over a set of archs (torchmetrics-style ``update``/``compute``).

    ``update(key, scores)`` records one arch's scores of the proxy's inputs (a dict keyed by input name);
    ``compute()`` combines them over every arch recorded, in the order recorded.

    Example:
        >>> pop = PopulationScore(ProxyCall.parse("teg"))
        >>> pop.update("a", {"teg_ntk": 10.0, "teg_lr": 50.0, "teg_mse": 1.0})
        >>> pop.update("b", {"teg_ntk": 20.0, "teg_lr": 40.0, "teg_mse": 2.0})
        >>> pop.compute()
        {'a': 0.0, 'b': -3.0}
    """

    def __init__(self, call: "ProxyCall | str") -> None:
        self.call = ProxyCall.parse(call)
        if not self.call.spec.needs_population:
            raise ProxyInputError(f"proxy '{self.call.name}' scores one net at a time; run it with compute_proxy")
        # the inputs are scored under the population proxy's protocol
        proto = self.call.protocol
        self.inputs: tuple[ProxyCall, ...] = tuple(apply_protocol(proto, n) for n in self.call.spec.population_inputs)
        self._rows: dict[str, dict[str, float]] = {}

    def update(self, key: str, scores: Mapping[str, float]) -> None:
        missing = [c.label for c in self.inputs if c.label not in scores]
        if missing:
            raise ProxyInputError(f"proxy '{self.call.name}' needs {', '.join(missing)} for arch {key}")
        self._rows[key] = {c.label: float(scores[c.label]) for c in self.inputs}

    def compute(self) -> dict[str, float]:
        keys = list(self._rows)
        spec = self.call.spec
        combined = spec.fn([self._rows[k] for k in keys], **resolve_options(spec, self.call.proxy_options()))
        if len(combined) != len(keys):
            raise ProxyInputError(f"population proxy '{spec.name}' returned {len(combined)} scores "
                                  f"for {len(keys)} archs")
        return {k: float(v) for k, v in zip(keys, combined)}

    def reset(self) -> None:
        self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)
