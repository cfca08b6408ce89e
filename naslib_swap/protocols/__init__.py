"""Named evaluation protocols: each seed paper's setting as data, one small table per protocol.

A protocol fixes what a paper (or its authors' code) fixed: batch size, initialisation and re-initialisations, BN
mode, the image split, L-SWAG's layer interval, TEG's MSE variant, search budgets, and the evaluation scale (archs
per seed, seeds). Each protocol is one module of this package holding one :class:`Protocol`; every field names its
source (paper section / table, or the authors' code) in ``sources``.

How a protocol reaches a score: :func:`naslib_swap.proxies.base.apply_protocol` turns a user's proxy label into a
checked call with the protocol's options *under* the ones the user wrote (explicit options win), plus the
pseudo-option ``protocol``, so
the call's canonical label names it (``swap[init='normal',protocol='swap-paper',reinits=32]``): stores key results
by label, so scores of two protocols live side by side and a label alone says how it was scored. ``suite`` (the
default) adds nothing: its labels and scores are those of a run without a protocol.

Example:
    >>> p = get_protocol("swap-paper")
    >>> p.options_for("swap"), p.batch_for("swap")
    ({'init': 'normal', 'reinits': 32, 'protocol': 'swap-paper'}, 16)
    >>> get_protocol("suite").options_for("swap")
    {}
    >>> get_protocol("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    naslib_swap.protocols.UnknownProtocolError: unknown protocol 'nope'; known: suite, swap-paper, lswag-paper, ...
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import UnknownNameError

__all__ = ["Protocol", "UnknownProtocolError", "get_protocol", "protocol_names", "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = "suite"
PROTOCOL_OPTION = "protocol"  # the pseudo-option every proxy call accepts (as bn_mode)


class UnknownProtocolError(UnknownNameError):
    """A protocol name that is not one of the built-in protocols."""


@dataclass(frozen=True)
class Protocol:
    """One paper's evaluation setting. Fields left empty mean "as the suite protocol" (the proxy's or space's own
    defaults).

    Attributes:
        name: the name users write (``--protocol swap-paper``).
        title: one line saying whose setting it is.
        batch_size: minibatch of every proxy (None: the proxy's paper default, else the space's, 64).
        proxy_batch_size: per-proxy minibatch (over ``batch_size``).
        space_batch_size: per-space minibatch (over both), where the paper changes it for one benchmark.
        proxy_options: per proxy name, the options it runs with (``init``, ``reinits``, ``bn_mode``, ``interval``,
            ``variant``, ``numerator``, ...); checked against the proxy's signature when applied.
        image_split: the image split the paper draws its minibatch from (``train``/``test``); the shared data folder
            holds only test images, so a protocol asking for ``train`` runs on test images and says so
            (:attr:`images_note`).
        search_options: per search method, its options (population, steps, proposals, ...).
        archs: architectures per seed of the paper's correlation runs.
        seeds: seeds (runs) the paper averages over.
        sources: field name -> where the value comes from (paper section / table, or the authors' code).
        notes: what the protocol cannot reproduce and why.
    """

    name: str
    title: str
    batch_size: int | None = None
    proxy_batch_size: Mapping[str, int] = field(default_factory=dict)
    space_batch_size: Mapping[str, int] = field(default_factory=dict)
    proxy_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    image_split: str = "test"
    search_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    archs: int = 1000
    seeds: tuple[int, ...] = (9000, 9001, 9002, 9003, 9004)
    sources: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_PROTOCOL

    @property
    def images_note(self) -> str:
        if self.image_split == "test":
            return "test images (as the suite)"
        return (f"paper: {self.image_split} images; here the shared folder's test images (the {self.image_split} "
                f"split is not in it)")

    def options_for(self, proxy: str) -> dict[str, Any]:
        """The options this protocol gives ``proxy``, with the ``protocol`` tag (none for the default protocol)."""
        opts = dict(self.proxy_options.get(proxy, {}))
        if not self.is_default:
            opts[PROTOCOL_OPTION] = self.name
        return opts

    def batch_for(self, proxy: str, space: str | None = None) -> int | None:
        """This protocol's minibatch for ``proxy`` on ``space`` (None: no opinion, the caller's default)."""
        if space is not None and space in self.space_batch_size:
            return int(self.space_batch_size[space])
        return self.proxy_batch_size.get(proxy, self.batch_size)

    def search_defaults(self, method: str) -> dict[str, Any]:
        """The options this protocol gives a search method (the user's ``--option`` values go over them)."""
        return dict(self.search_options.get(method, {}))

    def describe(self) -> list[dict[str, Any]]:
        """Rows ``{field, value, source}`` for printing."""
        rows = []
        for f in ("batch_size", "proxy_batch_size", "space_batch_size", "proxy_options", "image_split",
                  "search_options", "archs", "seeds"):
            v = getattr(self, f)
            if v in (None, {}, ()):
                continue
            rows.append({"field": f, "value": _plain(v), "source": self.sources.get(f, "")})
        return rows


def _plain(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _builtins() -> dict[str, Protocol]:
    from . import lswag_paper, suite, swap_paper, teg_paper, zcpt_paper

    return {m.PROTOCOL.name: m.PROTOCOL for m in (suite, swap_paper, lswag_paper, teg_paper, zcpt_paper)}


_PROTOCOLS: dict[str, Protocol] = {}


def protocol_names() -> list[str]:
    if not _PROTOCOLS:
        _PROTOCOLS.update(_builtins())
    return list(_PROTOCOLS)


def get_protocol(name: "str | Protocol | None") -> Protocol:
    """A protocol by name (None: the default, ``suite``); an unknown name is a one-line error listing the known."""
    if isinstance(name, Protocol):
        return name
    known = protocol_names()
    key = DEFAULT_PROTOCOL if name is None else str(name).strip()
    if key not in _PROTOCOLS:
        raise UnknownProtocolError(f"unknown protocol {name!r}; known: {', '.join(known)}", param="protocol")
    return _PROTOCOLS[key]
