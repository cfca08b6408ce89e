"""Name -> object registries with wildcard listing and lazily loaded entry points.

One :class:`Registry` holds proxies, one spaces, one searches. Built-in entries register with a decorator when their
module is imported; third-party packages declare entries in the entry-point groups ``naslib_swap.proxies``,
``naslib_swap.spaces`` and ``naslib_swap.optimizers`` and are loaded on the first lookup or listing. A name claimed
twice is rejected with a message naming both sources.

Example:
    >>> from naslib_swap.registry import list_proxies, get_proxy
    >>> "swap" in list_proxies("*swap*")
    True
    >>> get_proxy("reg_swap").higher_is_better
    True
"""
from __future__ import annotations

import enum
import fnmatch
import importlib
import inspect
import types
import typing
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Generic, Iterator, Literal, Mapping, TypeVar, Union

from .errors import DuplicateNameError, NaslibSwapError, OptionError, UnknownNameError

T = TypeVar("T")


def _source_of(obj: Any) -> str:
    mod = getattr(obj, "__module__", None) or type(obj).__module__
    qual = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{mod}:{qual}"


class Registry(Generic[T]):
    """A named collection of entries of one kind.

    Args:
        kind: what the entries are, for messages ("proxy", "space", ...).
        group: the entry-point group third parties use to add entries.
        builtin_modules: modules imported before the first lookup; importing them registers the built-ins.
        adapt: ``adapt(name, obj, source) -> entry`` turns an object an entry point names into an entry (or raises a
            one-line error saying what the entry point should name instead).
    """

    def __init__(self, kind: str, group: str, builtin_modules: tuple[str, ...] = (),
                 adapt: Callable[[str, Any, str], T] | None = None) -> None:
        self.kind = kind
        self.group = group
        self._builtin_modules = builtin_modules
        self._adapt = adapt
        self._entries: dict[str, T] = {}
        self._sources: dict[str, str] = {}
        self._loaded = False
        self._loading = False

    # -- registration -------------------------------------------------------------------------------------------
    def add(self, name: str, entry: T, source: str) -> T:
        """Register ``entry`` under ``name``; re-adding the same object from the same source is a no-op."""
        if name in self._entries:
            if self._sources[name] == source:
                return self._entries[name]  # re-import of the same module: idempotent
            raise DuplicateNameError(
                f"{self.kind} '{name}' is registered twice: by {self._sources[name]} and by {source}; "
                f"rename one of them or uninstall one package"
            )
        self._entries[name] = entry
        self._sources[name] = source
        return entry

    def remove(self, name: str) -> None:
        """Drop an entry (tests and plugin reloading)."""
        self._entries.pop(name, None)
        self._sources.pop(name, None)

    # -- loading ------------------------------------------------------------------------------------------------
    def _ensure_loaded(self) -> None:
        if self._loaded or self._loading:
            return
        self._loading = True
        try:
            for mod in self._builtin_modules:
                _import_package(mod)
            for ep in _entry_points(self.group):
                obj = ep.load()
                src = f"entry point '{ep.name}' ({ep.value}) of {_dist_name(ep)}"
                # A module-valued entry point registers through its decorators on import; so does an object that a
                # decorator already registered (a decorated proxy function, space class or search). Anything else is
                # added under the entry point's name: a ProxySpec, a space class, a search callable.
                if inspect.ismodule(obj):
                    continue
                if any(e is obj or getattr(e, "fn", None) is obj or getattr(obj, "proxy_spec", None) is e
                       for e in self._entries.values()):
                    continue
                self.add(ep.name, self._adapt(ep.name, obj, src) if self._adapt else obj, src)
            self._loaded = True
        finally:
            self._loading = False

    # -- lookup -------------------------------------------------------------------------------------------------
    def get(self, name: str) -> T:
        """The entry called ``name``; an unknown name raises an error listing the known ones."""
        self._ensure_loaded()
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "(none)"
            raise UnknownNameError(f"unknown {self.kind} '{name}'; known: {known}") from None

    def names(self, pattern: str = "*") -> list[str]:
        """Sorted names matching a shell-style wildcard (``*swap*``); comma-separated patterns are OR-ed."""
        self._ensure_loaded()
        pats = [p.strip() for p in pattern.split(",") if p.strip()] or ["*"]
        return sorted(n for n in self._entries if any(fnmatch.fnmatchcase(n, p) for p in pats))

    def source(self, name: str) -> str:
        self.get(name)
        return self._sources[name]

    def __contains__(self, name: object) -> bool:
        self._ensure_loaded()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def items(self) -> list[tuple[str, T]]:
        return [(n, self._entries[n]) for n in self.names()]


def _import_package(name: str) -> None:
    """Import a package of built-ins and every public module in it: adding a file is all it takes to add one."""
    import pkgutil

    pkg = importlib.import_module(name)
    for info in sorted(pkgutil.iter_modules(getattr(pkg, "__path__", [])), key=lambda i: i.name):
        if not info.name.startswith("_") and info.name != "base":
            importlib.import_module(f"{name}.{info.name}")


def _entry_points(group: str) -> list[metadata.EntryPoint]:
    return list(metadata.entry_points(group=group))


def _dist_name(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"{dist.metadata['Name']} {dist.version}" if dist is not None else "an unknown distribution"


class PluginError(NaslibSwapError):
    """A proxy, space or search whose signature breaks its contract (found when it registers, not when it runs)."""


@dataclass(frozen=True)
class Options:
    """The keyword options a proxy or search declares, read from its signature once, at registration.

    Attributes:
        owner: ``"proxy 'swap'"``, for messages.
        defaults: option name -> default value.
        types: option name -> resolved annotation (absent: not checked).
        open: the function also takes ``**kwargs`` (it checks the rest itself).
    """

    owner: str
    defaults: dict[str, Any]
    types: dict[str, Any]
    open: bool = False

    @classmethod
    def of(cls, fn: Callable[..., Any], owner: str, skip: tuple[str, ...] = ()) -> "Options":
        params = inspect.signature(fn).parameters
        try:
            hints = typing.get_type_hints(fn)
        except Exception:  # noqa: BLE001 - an annotation that cannot be resolved is simply not checked
            hints = {}
        defaults, kinds = {}, {}
        for n, p in params.items():
            if p.kind != p.KEYWORD_ONLY or n in skip:
                continue
            if p.default is p.empty:
                raise PluginError(f"{owner}: option '{n}' has no default; give every keyword option a default")
            defaults[n] = p.default
            if n in hints:
                kinds[n] = hints[n]
        return cls(owner, defaults, kinds, any(p.kind == p.VAR_KEYWORD for p in params.values()))

    def check(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """``options`` checked by name and type; an unknown name or a value of the wrong type is a one-line error
        that names the known options (or the expected type)."""
        for k, v in options.items():
            if k not in self.defaults:
                if self.open:
                    continue
                known = ", ".join(sorted(self.defaults)) or "(none)"
                raise OptionError(f"{self.owner} has no option '{k}'; its options: {known}")
            if k in self.types and not accepts(self.types[k], v):
                raise OptionError(f"{self.owner} option {k}={v!r}: expected {describe(self.types[k])}")
        return dict(options)


def accepts(annotation: Any, value: Any) -> bool:
    """Whether ``value`` fits a (resolved) annotation; what cannot be told is accepted.

    Example:
        >>> accepts(float | None, 3), accepts(int, 2.5), accepts(Literal["auto"] | float, "auto")
        (True, False, True)
    """
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(accepts(a, value) for a in typing.get_args(annotation))
    if origin is Literal:
        return value in typing.get_args(annotation)
    if annotation is type(None) or annotation is None:
        return value is None
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation in (str, bool):
        return isinstance(value, annotation)
    if origin in (tuple, list) or annotation in (tuple, list):
        return isinstance(value, (tuple, list))
    return True


def describe(annotation: Any) -> str:
    """A short human name of an annotation (``float or None``, ``one of 'paper', 'code'``)."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        return " or ".join(describe(a) for a in typing.get_args(annotation))
    if origin is Literal:
        return "one of " + ", ".join(map(repr, typing.get_args(annotation)))
    if annotation is type(None):
        return "None"
    if origin is not None:
        return getattr(origin, "__name__", str(origin))
    return {float: "a number", int: "an integer", str: "a string", bool: "True or False"}.get(
        annotation, getattr(annotation, "__name__", str(annotation)))


# ---------------------------------------------------------------------------------------------------------------
# Proxies
# ---------------------------------------------------------------------------------------------------------------

class Need(str, enum.Enum):
    """What a proxy consumes of an (architecture, batch): declared metadata the scorer plans passes from.

    ``ACTIVATIONS``: outputs/inputs of the net's activation points in one forward of the batch; ``LOSS_GRAD``: the
    task loss's gradient w.r.t. the weights (one forward + backward); ``INPUT_GRAD``: the gradient of the summed
    outputs w.r.t. the input; ``PER_SAMPLE_GRAD``: per-sample gradients (torch.func); ``SECOND_ORDER``: a
    Hessian-vector product; ``OWN_INPUT``: an input of its own (all-ones in float64, Gaussian noise, one sample,
    crops) rather than the batch; ``REINIT``: weights re-drawn from the proxy's generator; ``OTHER_NETS``: other
    builds of the architecture (``ctx.build_net``); ``SPLIT_BATCH``: passes over parts of the batch; ``WEIGHTS``:
    the weights only, no pass over the batch (``params``/``flops`` run one batch-1 forward of their own).
    """

    ACTIVATIONS = "activations"
    LOSS_GRAD = "loss_grad"
    INPUT_GRAD = "input_grad"
    PER_SAMPLE_GRAD = "per_sample_grad"
    SECOND_ORDER = "second_order"
    OWN_INPUT = "own_input"
    REINIT = "reinit"
    OTHER_NETS = "other_nets"
    SPLIT_BATCH = "split_batch"
    WEIGHTS = "weights"


@dataclass(frozen=True)
class ProxySpec:
    """A registered proxy and what callers need to know about it (never branch on the name: read these fields).

    Attributes:
        name: registry name.
        fn: ``fn(net, batch, ctx, *, **options) -> float`` (see :mod:`naslib_swap.proxies.base`); for a population
            proxy ``fn(rows, *, **options) -> list[float]``, one score per row of ``{input label: score}``.
        higher_is_better: whether a larger score predicts a better architecture.
        needs_grad: runs a backward pass / per-sample gradients.
        needs_labels: uses ``batch.targets`` (else labels may be absent).
        needs_population: the score of one arch depends on others (e.g. ``teg``'s rank sum): ``fn`` combines the
            per-arch scores of the proxies listed in ``population_inputs`` over a population
            (:class:`naslib_swap.proxies.base.PopulationScore` runs it).
        bn_mode: "train" or "eval": the mode the net is put in before scoring.
        needs_arch_builder: needs ``ctx.build_net`` (e.g. a thin variant of the same architecture).
        batch_size: the default batch size the paper uses (None: the caller's).
        description: one line.
        reference: the paper (and code) the definition follows.
        options: default keyword options of ``fn``, read from its signature (named variants, e.g.
            ``formula="paper"|"code"``).
        declared: the options with their types, checked whenever a user sets them.
        needs: what the proxy consumes (:class:`Need`); empty when undeclared (a third-party proxy: run alone).
        tap: ``tap(**options) -> Tap | None``: the proxy as a consumer of a pass shared with other proxies
            (:mod:`naslib_swap.proxies.passes`); None (or a None result for some options) runs it alone.
    """

    name: str
    fn: Callable[..., Any]
    higher_is_better: bool = True
    needs_grad: bool = False
    needs_labels: bool = False
    needs_population: bool = False
    bn_mode: str = "train"
    needs_arch_builder: bool = False
    batch_size: int | None = None
    description: str = ""
    reference: str = ""
    population_inputs: tuple[str, ...] = ()
    needs: frozenset[Need] = frozenset()
    tap: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    options: dict[str, Any] = field(default_factory=dict, init=False)
    declared: Options = field(init=False, repr=False)

    def __post_init__(self) -> None:
        owner = f"proxy '{self.name}'"
        if self.bn_mode not in ("train", "eval"):
            raise PluginError(f"{owner}: bn_mode must be 'train' or 'eval', got {self.bn_mode!r}")
        bad = [n for n in self.needs if not isinstance(n, Need)]
        if bad:
            raise PluginError(f"{owner}: needs must be naslib_swap.registry.Need values, got {bad!r}")
        positional = [n for n, p in inspect.signature(self.fn).parameters.items()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        want = 1 if self.needs_population else 3
        if len(positional) != want:
            shape = "fn(rows, *, **options)" if self.needs_population else "fn(net, batch, ctx, *, **options)"
            raise PluginError(f"{owner} ({_source_of(self.fn)}) takes positional {positional}; a proxy is {shape} "
                              f"with its options keyword-only")
        if self.needs_population and not self.population_inputs:
            raise PluginError(f"{owner}: a population proxy lists the per-arch proxies it combines (population_inputs)")
        declared = Options.of(self.fn, owner)
        object.__setattr__(self, "declared", declared)
        object.__setattr__(self, "options", dict(declared.defaults))

    def metadata(self) -> dict[str, Any]:
        """The spec as plain data (for ``naslib-swap list --format json``)."""
        return {
            "name": self.name,
            "higher_is_better": self.higher_is_better,
            "needs_grad": self.needs_grad,
            "needs_labels": self.needs_labels,
            "needs_population": self.needs_population,
            "population_inputs": list(self.population_inputs),
            "bn_mode": self.bn_mode,
            "needs_arch_builder": self.needs_arch_builder,
            "batch_size": self.batch_size,
            "needs": sorted(n.value for n in self.needs),
            "shares_passes": self.tap is not None,
            "options": {k: plain_value(v) for k, v in self.options.items()},
            "description": self.description,
            "reference": self.reference,
        }


def plain_value(v: Any) -> Any:
    return v if isinstance(v, (int, float, str, bool, type(None), list, dict)) else repr(v)


def _proxy_entry(name: str, obj: Any, source: str) -> ProxySpec:
    if not isinstance(obj, ProxySpec):
        raise PluginError(f"{source} is neither a module, a ProxySpec nor a function decorated with @register_proxy; "
                          f"point it at one of those")
    return obj


PROXIES: Registry[ProxySpec] = Registry("proxy", "naslib_swap.proxies", ("naslib_swap.proxies",), _proxy_entry)


def register_proxy(
    name: str | None = None,
    *,
    higher_is_better: bool = True,
    needs_grad: bool = False,
    needs_labels: bool = False,
    bn_mode: str = "train",
    needs_arch_builder: bool = False,
    batch_size: int | None = None,
    description: str = "",
    reference: str = "",
    needs: "tuple[Need, ...] | frozenset[Need]" = (),
    tap: Callable[..., Any] | None = None,
    registry: Registry[ProxySpec] | None = None,
) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Decorator: register ``fn(net, batch, ctx, *, **options) -> float`` as a proxy.

    The options are the keyword-only parameters of ``fn`` with their defaults and annotations; users set them as
    ``name[key=value]``. The signature is checked here, when the proxy registers. ``needs`` declares what it
    consumes (:class:`Need`); ``tap`` gives its shared-pass form (see :mod:`naslib_swap.proxies.passes`).

    Example:
        >>> from naslib_swap.registry import register_proxy, PROXIES
        >>> @register_proxy("my_depth", description="number of modules")
        ... def my_depth(net, batch, ctx, *, scale: float = 1.0):
        ...     return scale * len(list(net.modules()))
        >>> PROXIES.get("my_depth").options
        {'scale': 1.0}
        >>> PROXIES.remove("my_depth")
    """

    def deco(fn: Callable[..., float]) -> Callable[..., float]:
        pname = name or fn.__name__
        spec = ProxySpec(
            name=pname, fn=fn, higher_is_better=higher_is_better, needs_grad=needs_grad, needs_labels=needs_labels,
            bn_mode=bn_mode, needs_arch_builder=needs_arch_builder, batch_size=batch_size,
            description=description or _first_line(fn), reference=reference, needs=frozenset(needs), tap=tap,
        )
        (registry or PROXIES).add(pname, spec, _source_of(fn))
        fn.proxy_spec = spec  # type: ignore[attr-defined]
        return fn

    return deco


def register_population_proxy(
    name: str,
    *,
    inputs: tuple[str, ...],
    higher_is_better: bool = True,
    description: str = "",
    reference: str = "",
    registry: Registry[ProxySpec] | None = None,
) -> Callable[[Callable[..., list[float]]], Callable[..., list[float]]]:
    """Decorator: register ``combine(rows, *, **options) -> list[float]`` as a population proxy over ``inputs``.

    ``rows`` holds one ``{input: score}`` dict per architecture of the population; ``combine`` returns one score per
    row. Callers score the inputs per architecture and run the combination through
    :class:`naslib_swap.proxies.base.PopulationScore`.

    Example:
        >>> from naslib_swap.registry import register_population_proxy, PROXIES
        >>> @register_population_proxy("size_rank", inputs=("params",))
        ... def size_rank(rows):
        ...     order = sorted(range(len(rows)), key=lambda i: rows[i]["params"])
        ...     return [float(order.index(i)) for i in range(len(rows))]
        >>> PROXIES.get("size_rank").needs_population
        True
        >>> PROXIES.remove("size_rank")
    """

    def deco(fn: Callable[..., list[float]]) -> Callable[..., list[float]]:
        spec = ProxySpec(name=name, fn=fn, higher_is_better=higher_is_better, needs_population=True,
                         population_inputs=tuple(inputs), description=description or _first_line(fn),
                         reference=reference)
        (registry or PROXIES).add(name, spec, _source_of(fn))
        fn.proxy_spec = spec  # type: ignore[attr-defined]
        return fn

    return deco


def _first_line(fn: Callable[..., Any]) -> str:
    return ((fn.__doc__ or "").strip().splitlines() or [""])[0]


def get_proxy(name: str) -> ProxySpec:
    """The registered proxy ``name``; an unknown name raises an error that lists the known ones."""
    return PROXIES.get(name)


def list_proxies(pattern: str = "*") -> list[str]:
    """Names of the registered proxies matching a wildcard pattern (``"*swap*"``, ``"teg_*"``)."""
    return PROXIES.names(pattern)


# ---------------------------------------------------------------------------------------------------------------
# Spaces and searches
# ---------------------------------------------------------------------------------------------------------------

SPACES: Registry[Any] = Registry("space", "naslib_swap.spaces", ("naslib_swap.spaces",))
SEARCHES: Registry["SearchSpec"] = Registry("search method", "naslib_swap.optimizers", ("naslib_swap.search",),
                                            lambda name, fn, source: _search_spec(name, fn))

# what every search takes besides its own options (see naslib_swap.search.base)
SEARCH_COMMON = ("seed", "budget", "device", "data_root", "progress")


def register_space(cls: Any) -> Any:
    """Class decorator: register a :class:`~naslib_swap.spaces.base.SearchSpace` subclass under ``cls.name``."""
    SPACES.add(cls.name, cls, _source_of(cls))
    return cls


def get_space(name: str) -> Any:
    """An instance of the search space ``name`` (NASLib spelling: ``nasbench201``, ...)."""
    return SPACES.get(name)()


def list_spaces(pattern: str = "*") -> list[str]:
    return SPACES.names(pattern)


@dataclass(frozen=True)
class SearchSpec:
    """A registered search method: ``fn(space, dataset, *, seed, budget, device, data_root, progress, **options)``.

    Calling the spec checks the options against the ones ``fn`` declares (its other keyword-only parameters, with
    their defaults and annotations) and runs it; an unknown option or a value of the wrong type is a one-line error.
    """

    name: str
    fn: Callable[..., Any]
    declared: Options
    budget_unit: str = "architectures scored"

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.declared.defaults)

    def check(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return self.declared.check(options)

    def __call__(self, space: Any, dataset: str, **kwargs: Any) -> Any:
        self.check({k: v for k, v in kwargs.items() if k not in SEARCH_COMMON})
        return self.fn(space, dataset, **kwargs)


def register_search(name: str, *, options_from: Callable[..., Any] | None = None,
                    budget_unit: str = "architectures scored") -> Callable[[T], T]:
    """Decorator: register a search method ``run(space, dataset, *, seed, budget=None, device="cpu",
    data_root=None, progress=True, **options) -> SearchResult``; the signature is checked here.

    The search's options are its other keyword-only parameters. A search that passes ``**kwargs`` on to a helper
    names it in ``options_from``: that callable's keyword-only options are declared too (beside ``seed``, ``device``,
    ``data_root`` and ``nan_policy``, which the search sets itself). ``budget_unit`` says what ``budget`` counts, in
    a user's words (shown by ``naslib-swap list`` and in every search result).
    """

    def deco(fn: T) -> T:
        SEARCHES.add(name, _search_spec(name, fn, options_from, budget_unit), _source_of(fn))
        return fn

    return deco


def _search_spec(name: str, fn: Any, options_from: Callable[..., Any] | None = None,
                 budget_unit: str = "architectures scored") -> SearchSpec:
    owner = f"search '{name}'"
    params = inspect.signature(fn).parameters
    positional = [n for n, p in params.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    missing = [n for n in SEARCH_COMMON if n not in params]
    if len(positional) != 2 or missing:
        raise PluginError(f"{owner} ({_source_of(fn)}) must be run(space, dataset, *, {', '.join(SEARCH_COMMON)}, "
                          f"**options); it takes positional {positional} and lacks {missing or 'nothing'}")
    declared = Options.of(fn, owner, skip=SEARCH_COMMON)
    if options_from is not None:
        more = Options.of(options_from, owner, skip=(*SEARCH_COMMON, "nan_policy"))
        declared = Options(owner, {**more.defaults, **declared.defaults}, {**more.types, **declared.types}, more.open)
    return SearchSpec(name, fn, declared, budget_unit)


def get_search(name: str) -> SearchSpec:
    """The search method ``name``; call it as ``get_search(name)(space, dataset, seed=0, ...)``."""
    return SEARCHES.get(name)


def list_searches(pattern: str = "*") -> list[str]:
    return SEARCHES.names(pattern)
