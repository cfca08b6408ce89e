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

import fnmatch
import importlib
import inspect
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Generic, Iterator, TypeVar

from .errors import DuplicateNameError, NaslibSwapError, UnknownNameError

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
    """

    def __init__(self, kind: str, group: str, builtin_modules: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.group = group
        self._builtin_modules = builtin_modules
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
                importlib.import_module(mod)
            for ep in _entry_points(self.group):
                obj = ep.load()
                src = f"entry point '{ep.name}' ({ep.value}) of {_dist_name(ep)}"
                # A module-valued entry point registers through its decorators on import; so does an object that a
                # decorator already registered (a decorated proxy function, space class or search). Anything else is
                # added under the entry point's name: a ProxySpec, a space class, a search callable.
                if inspect.ismodule(obj):
                    continue
                spec = getattr(obj, "proxy_spec", None)
                if any(e is obj or (spec is not None and e is spec) for e in self._entries.values()):
                    continue
                if self.kind == "proxy" and not isinstance(obj, ProxySpec):
                    raise NaslibSwapError(
                        f"{src} is neither a module, a ProxySpec nor a function decorated with "
                        f"@register_proxy; point it at one of those"
                    )
                self.add(ep.name, obj, src)
            self._loaded = True
        finally:
            self._loading = False

    def reload_entry_points(self) -> None:
        """Forget that entry points were loaded (after installing a plugin into a running process)."""
        self._loaded = False

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


def _entry_points(group: str) -> list[metadata.EntryPoint]:
    return list(metadata.entry_points(group=group))


def _dist_name(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"{dist.metadata['Name']} {dist.version}" if dist is not None else "an unknown distribution"


# ---------------------------------------------------------------------------------------------------------------
# Proxies
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProxySpec:
    """A registered proxy and what callers need to know about it (never branch on the name: read these fields).

    Attributes:
        name: registry name.
        fn: ``fn(net, batch, ctx, **options) -> float``; see :mod:`naslib_swap.proxies.base`.
        higher_is_better: whether a larger score predicts a better architecture.
        needs_grad: runs a backward pass / per-sample gradients.
        needs_labels: uses ``batch.targets`` (else labels may be absent).
        needs_population: the score of one arch depends on others (e.g. ``teg``'s rank sum). Such a proxy has
            ``combine(list[dict[str, float]]) -> list[float]`` and lists in ``population_inputs`` the per-arch
            proxies it combines; callers score those and call ``combine``.
        bn_mode: "train" or "eval": the mode the net is put in before scoring.
        needs_arch_builder: needs ``ctx.build_net`` (e.g. a thin variant of the same architecture).
        batch_size: the default batch size the paper uses (None: the caller's).
        description: one line.
        reference: the paper (and code) the definition follows.
        options: default keyword options of ``fn`` (named variants, e.g. ``formula="paper"|"code"``).
    """

    name: str
    fn: Callable[..., float]
    higher_is_better: bool = True
    needs_grad: bool = False
    needs_labels: bool = False
    needs_population: bool = False
    bn_mode: str = "train"
    needs_arch_builder: bool = False
    batch_size: int | None = None
    description: str = ""
    reference: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    combine: Callable[..., list[float]] | None = None
    population_inputs: tuple[str, ...] = ()

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
            "options": {k: _plain(v) for k, v in self.options.items()},
            "description": self.description,
            "reference": self.reference,
        }


def _plain(v: Any) -> Any:
    return v if isinstance(v, (int, float, str, bool, type(None), list, dict)) else repr(v)


PROXIES: Registry[ProxySpec] = Registry("proxy", "naslib_swap.proxies", ("naslib_swap.proxies",))


def register_proxy(
    name: str | None = None,
    *,
    higher_is_better: bool = True,
    needs_grad: bool = False,
    needs_labels: bool = False,
    needs_population: bool = False,
    bn_mode: str = "train",
    needs_arch_builder: bool = False,
    batch_size: int | None = None,
    description: str = "",
    reference: str = "",
    options: dict[str, Any] | None = None,
    combine: Callable[..., list[float]] | None = None,
    population_inputs: tuple[str, ...] = (),
    registry: Registry[ProxySpec] | None = None,
) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Decorator: register ``fn(net, batch, ctx, **options) -> float`` as a proxy.

    Example:
        >>> from naslib_swap.registry import register_proxy, PROXIES
        >>> @register_proxy("my_depth", description="number of modules")
        ... def my_depth(net, batch, ctx):
        ...     return float(len(list(net.modules())))
        >>> PROXIES.get("my_depth").higher_is_better
        True
        >>> PROXIES.remove("my_depth")
    """
    if bn_mode not in ("train", "eval"):
        raise ValueError(f"bn_mode must be 'train' or 'eval', got {bn_mode!r}")

    def deco(fn: Callable[..., float]) -> Callable[..., float]:
        pname = name or fn.__name__
        spec = ProxySpec(
            name=pname,
            fn=fn,
            higher_is_better=higher_is_better,
            needs_grad=needs_grad,
            needs_labels=needs_labels,
            needs_population=needs_population,
            bn_mode=bn_mode,
            needs_arch_builder=needs_arch_builder,
            batch_size=batch_size,
            description=description or ((fn.__doc__ or "").strip().splitlines() or [""])[0],
            reference=reference,
            options=dict(options or {}),
            combine=combine,
            population_inputs=tuple(population_inputs),
        )
        (registry or PROXIES).add(pname, spec, _source_of(fn))
        fn.proxy_spec = spec  # type: ignore[attr-defined]
        return fn

    return deco


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
SEARCHES: Registry[Any] = Registry("search method", "naslib_swap.optimizers", ("naslib_swap.search",))


def register_space(cls: type) -> type:
    """Class decorator: register a :class:`~naslib_swap.spaces.base.SearchSpace` subclass under ``cls.name``."""
    SPACES.add(cls.name, cls, _source_of(cls))
    return cls


def get_space(name: str) -> Any:
    """An instance of the search space ``name`` (NASLib spelling: ``nasbench201``, ...)."""
    return SPACES.get(name)()


def list_spaces(pattern: str = "*") -> list[str]:
    return SPACES.names(pattern)


def register_search(name: str) -> Callable[[T], T]:
    """Decorator: register a search method (a callable ``run(space, dataset, *, seed, budget, ...)``)."""

    def deco(obj: T) -> T:
        SEARCHES.add(name, obj, _source_of(obj))
        return obj

    return deco


def get_search(name: str) -> Any:
    return SEARCHES.get(name)


def list_searches(pattern: str = "*") -> list[str]:
    return SEARCHES.names(pattern)
