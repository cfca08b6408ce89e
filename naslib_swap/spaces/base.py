"""The interface every benchmark search space implements.

A space knows its architecture encodings (NASLib's hashable tuple is the canonical form; ``key`` is the string NASLib
uses in its ``zc_<space>.json`` files), seeded sampling and mutation, the networks exactly as NASLib builds them for
the suite, the datasets/tasks it is evaluated on, and where its ground truth lives. It knows nothing of proxies.

Sizes and variants of a network are asked for in one vocabulary every space maps to its own builder (:data:`SIZES`:
``width``, ``cells``, ``depth``, ``stem``, ``in_channels``; see :meth:`SearchSpace.net_options`) plus named build
profiles (``"supernet"``, ``"teg-indicator"``, ``"teg-thin"``). What a search needs beyond this contract is an
explicit capability (:mod:`naslib_swap.spaces.capabilities`, re-exported here) checked with ``isinstance``.

Randomness always comes from an explicit ``torch.Generator``; network weights are initialised from it too (see
:meth:`SearchSpace.build`), never from the global RNG.
"""
from __future__ import annotations

import abc
import itertools
import operator
from pathlib import Path
from typing import Any, Callable, ClassVar, Hashable, Iterator, Mapping, Sequence

import torch
import torch.nn as nn

from ..errors import ArchFormatError, UnknownNameError
from ..rng import seeded
from ..types import Batch
from .capabilities import (
    BudgetExhausted,
    EvolvableSpace,
    MissingCapabilityError,
    NodeInputs,
    PolicySpace,
    SizeError,
    Supernet,
    SupernetSpace,
    mixing_weights,
    require,
    require_profiles,
)

Arch = Hashable  # a space's canonical architecture (a tuple for all NASLib spaces)

# The sizing vocabulary every space's build understands (a space maps each word it can honour to its own builder
# keyword through ``SearchSpace.sizing``):
#   width        channels of the first stage (NB201 C, NB301 C, NB101 stem channels, TransNAS base channels)
#   cells        the space's cell-count knob (NB201 cells per stage N, NB301 cells in all ``layers``, NB101 cells
#                per stack)
#   depth        keep only the first ``depth`` cells (TEG's indicator nets on DARTS)
#   stem         False: no stem, the first cell sees the raw input (TEG's thin net)
#   in_channels  input channels (TEG's thin net: 1)
SIZES: tuple[str, ...] = ("width", "cells", "depth", "stem", "in_channels")


class SearchSpace(abc.ABC):
    """Base class of benchmark spaces.

    Class attributes:
        name: NASLib's spelling (``nasbench201``).
        datasets: dataset / task names as NASLib spells them.
        arch_format: one line describing the accepted architecture formats (shown in errors).
        proxy_option_defaults: per-proxy option defaults on this space, read through :meth:`proxy_defaults`
            (reg-SWAP's size prior ``{"reg_swap": {"mu": 1.5, "sigma": 1.5}}`` in millions of parameters).
        default_batch_size: the minibatch the suite scores this space with (64).
        naslib_pre_draw: ``random.random()`` calls NASLib (branch zerocost) makes between ``utils.set_seed`` and the
            suite's first draw (one per ``Graph`` its ``get_search_space`` builds; see
            :mod:`naslib_swap.suite.sampler`).
        suite_final_files: dataset -> stem of the suite's final score table ``nb201/suite_zero_<stem>.csv`` where
            the data folder holds one (else the suite's preview ``zc_<space>.json`` is the source).
        sizing: the sizing-vocabulary words (:data:`SIZES`) the space honours -> its builder keyword.
        profiles: named build variants -> their sizes (vocabulary words or builder keywords): ``"supernet"`` (the
            stand-alone net matching the search supernet), ``"teg-indicator"`` and ``"teg-thin"`` (TEG-NAS's kappa /
            MSE net and its thin linear-regions net).
        ground_truth_note: why a search result may have no ground truth on this space (None: it has one).
    """

    name: ClassVar[str]
    datasets: ClassVar[tuple[str, ...]]
    arch_format: ClassVar[str]
    proxy_option_defaults: ClassVar[dict[str, dict[str, Any]]] = {}
    default_batch_size: ClassVar[int] = 64
    naslib_pre_draw: ClassVar[int] = 0
    suite_final_files: ClassVar[dict[str, str]] = {}
    sizing: ClassVar[Mapping[str, str]] = {}
    profiles: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    ground_truth_note: ClassVar[str | None] = None

    def proxy_defaults(self, dataset: str) -> dict[str, dict[str, Any]]:
        """Option defaults this space sets for proxies on ``dataset``: ``{proxy name: {option: value}}``.

        They sit between a proxy's own defaults and what a user sets (see
        :func:`naslib_swap.proxies.base.compute_proxy`).
        """
        return {k: dict(v) for k, v in self.proxy_option_defaults.items()}

    # -- encodings ----------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def parse(self, arch: Any) -> Arch:
        """Canonical architecture from any accepted form (tuple, list, tuple string, native string).

        Raises:
            ArchFormatError: one line naming the problem and showing :attr:`arch_format`.
        """

    def key(self, arch: Any) -> str:
        """The string NASLib uses as the key of this architecture in ``zc_<space>.json`` (``str(tuple)``)."""
        return str(_plain_tuple(self.parse(arch)))

    def to_string(self, arch: Any) -> str:
        """A human-readable native form (the NB201 string, a DARTS genotype, ...); defaults to :meth:`key`."""
        return self.key(arch)

    def result_extra(self, arch: Any) -> dict[str, Any]:
        """What a search result adds for a final ``arch`` of this space (NB301: its DARTS genotype); default none."""
        return {}

    def arch_error(self, arch: Any, problem: str) -> ArchFormatError:
        text = repr(arch)
        if len(text) > 80:
            text = text[:77] + "..."
        return ArchFormatError(f"bad {self.name} architecture {text}: {problem}; expected {self.arch_format}")

    # -- sampling -----------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def sample(self, generator: torch.Generator) -> Arch:
        """A uniformly random valid architecture."""

    @abc.abstractmethod
    def mutate(self, arch: Any, generator: torch.Generator) -> Arch:
        """A valid architecture that differs from ``arch`` by one mutation."""

    def enumerate(self) -> Iterator[Arch]:
        """Every architecture of the space (only for small, enumerable spaces)."""
        raise NotImplementedError(f"{self.name} cannot be enumerated")

    # -- datasets -----------------------------------------------------------------------------------------------
    def __str__(self) -> str:
        """The space's name: its identity in seeds (:func:`naslib_swap.rng.derive_seed`), messages and results."""
        return self.name

    def check_dataset(self, dataset: str) -> str:
        if dataset not in self.datasets:
            raise UnknownNameError(
                f"unknown dataset '{dataset}' for space {self.name}; known: {', '.join(self.datasets)}"
            )
        return dataset

    @abc.abstractmethod
    def num_classes(self, dataset: str) -> int:
        """Output size of the head for this dataset / task."""

    @abc.abstractmethod
    def input_shape(self, dataset: str) -> tuple[int, ...]:
        """Shape of one input sample (no batch dimension) as the suite scores it, e.g. ``(3, 32, 32)``."""

    def loss_fn(self, dataset: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        """The task's training loss (cross-entropy for classification)."""
        return nn.CrossEntropyLoss()

    def make_batches(
        self,
        dataset: str,
        sizes: Sequence[int],
        generator: torch.Generator,
        *,
        data_root: str | Path | None = None,
        device: torch.device | str = "cpu",
    ) -> list[Batch]:
        """Disjoint minibatches for this dataset/task (real images or the named stand-in), drawn from ``generator``."""
        from ..data.images import image_batches

        self.check_dataset(dataset)
        return image_batches(
            dataset, sizes, generator, data_root=data_root, device=device,
            input_shape=self.input_shape(dataset), num_classes=self.num_classes(dataset),
            loss_fn=self.loss_fn(dataset),
        )

    def make_batch(
        self,
        dataset: str,
        batch_size: int,
        generator: torch.Generator,
        *,
        data_root: str | Path | None = None,
        device: torch.device | str = "cpu",
    ) -> Batch:
        """One minibatch for this dataset/task; see :meth:`make_batches`."""
        return self.make_batches(dataset, [batch_size], generator, data_root=data_root, device=device)[0]

    # -- networks -----------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def _build(self, arch: Arch, dataset: str, *args: Any, **overrides: Any) -> nn.Module:
        """Construct the network (weights from the current torch RNG; callers use :meth:`build`).

        Subclasses take their builder options as keyword-only parameters (:meth:`build` passes them by keyword,
        never positionally); the ``*args: Any, **overrides: Any`` tail makes this signature gradual for the type
        checker, so such overrides are accepted.
        """

    def net_options(self, profile: str | None = None, **sizes: Any) -> dict[str, Any]:
        """Builder keywords for a build ``profile`` and ``sizes``.

        ``sizes`` are words of the sizing vocabulary (:data:`SIZES`, mapped through :attr:`sizing`) or the space's
        own builder keywords (passed as they are); None means "the default" and is dropped. Sizes override the
        profile; among sizes a later key wins (so an explicit builder keyword after ``width`` overrides it).

        Raises:
            SizeError: an unknown profile, a vocabulary word the space cannot honour, or a size below 1.

        Example:
            >>> from naslib_swap.registry import get_space
            >>> get_space("nasbench201").net_options(width=4, cells=None)
            {'C': 4}
            >>> get_space("transbench101_micro").net_options(cells=2)
            Traceback (most recent call last):
            ...
            naslib_swap.spaces.capabilities.SizeError: transbench101_micro cannot set cells; it understands width
        """
        if profile is not None and profile not in self.profiles:
            known = ", ".join(self.profiles) or "none"
            raise SizeError(f"{self.name} has no build profile '{profile}'; its profiles: {known}")
        given = {k: v for k, v in sizes.items() if v is not None}
        out: dict[str, Any] = {}
        for source in (self.profiles.get(profile, {}) if profile else {}, given):
            for k, v in source.items():
                if k not in SIZES:
                    out[k] = v
                    continue
                if k not in self.sizing:
                    raise SizeError(f"{self.name} cannot set {k}; it understands {', '.join(self.sizing) or 'no size'}")
                if k in ("width", "cells", "depth") and not (isinstance(v, int) and v >= 1):
                    raise SizeError(f"{k} must be an integer >= 1, got {v!r}")
                out[self.sizing[k]] = v
        return out

    def build(
        self,
        arch: Any,
        dataset: str,
        *,
        generator: torch.Generator | None = None,
        device: torch.device | str = "cpu",
        profile: str | None = None,
        **sizes: Any,
    ) -> nn.Module:
        """The network for ``arch`` on ``dataset``; with no ``profile`` or ``sizes`` exactly as NASLib builds it for
        the suite.

        Weights get PyTorch's default initialisation drawn from ``generator`` (the global RNG is left untouched).
        ``profile`` and ``sizes`` select a variant (see :meth:`net_options`), e.g. ``build(a, d, width=2, cells=1)``
        for a tiny net or ``build(a, d, profile="teg-thin")`` for TEG's thin net.
        """
        arch = self.parse(arch)
        self.check_dataset(dataset)
        options = self.net_options(profile, **sizes)
        with seeded(generator):
            net = self._build(arch, dataset, **options)
        return net.to(device)

    def param_count(self, arch: Any, dataset: str) -> int | None:
        """The parameter count of ``arch``'s network without building it, where the space can say it exactly (size
        histograms of 1000 archs use it); None (default): build the network on the meta device and count."""
        return None

    def stats_input_shape(self, dataset: str) -> tuple[int, ...]:
        """Input shape (batch 1 included) for the suite's params/flops counting."""
        return (1, *self.input_shape(dataset))

    # -- ground truth -------------------------------------------------------------------------------------------
    def ground_truth_source(self, dataset: str, metric: str = "val") -> str:
        """Where :meth:`ground_truth` reads ``metric`` from, for result tables."""
        return f"{self.name}.ground_truth(metric='{metric}')"

    def ground_truth(self, dataset: str, *, data_root: str | Path | None = None,
                     metric: str = "val") -> dict[str, float]:
        """Map :meth:`key` -> ground-truth figure (``val``: the suite's ``val_accuracy``; ``test`` where known)."""
        raise NotImplementedError(f"{self.name} has no ground-truth reader yet")

    # -- a space evaluated on a table of its own (no suite zc file) ---------------------------------------------
    def table_keys(self, dataset: str, data_root: str | Path | None = None) -> list[str] | None:
        """The keys the suite protocol samples from when the space has a table of its own (the AutoFormer spaces'
        1,001 subnets), in file order; None (default): the suite's files list them."""
        return None

    def table_baselines(self, dataset: str, archs: Sequence[str], data_root: str | Path | None = None) -> Any:
        """``DataFrame[arch, proxy, score, seconds]`` of the baselines the space's own table holds for ``archs``;
        None (default): the suite's files hold them."""
        return None

    def table_baseline_source(self, dataset: str) -> str | None:
        """Where :meth:`table_baselines` reads from, for result tables (None: no table of its own)."""
        return None


class OpTupleSampling:
    """Sampling and mutation for spaces whose archs are fixed-length tuples of op indices, every position free
    (NB201, TransNAS-Bench-101 micro). Subclasses set ``n_positions`` and ``n_ops``."""

    n_positions: ClassVar[int]
    n_ops: ClassVar[int]

    def parse_op_tuple(self, arch: Any, noun: str = "op indices") -> tuple[int, ...]:
        """A tuple (or tuple string) of ``n_positions`` ints in ``0..n_ops-1``; else a one-line ArchFormatError."""
        t = parse_int_tuple(arch)
        if t is None:
            raise self.arch_error(arch, "cannot parse it")  # type: ignore[attr-defined]
        if len(t) != self.n_positions:
            raise self.arch_error(arch, f"it has {len(t)} entries, not {self.n_positions}")  # type: ignore[attr-defined]
        if not all(isinstance(v, int) and 0 <= v < self.n_ops for v in t):
            raise self.arch_error(arch, f"{noun} must be integers 0..{self.n_ops - 1}")  # type: ignore[attr-defined]
        return t

    def sample(self, generator: torch.Generator) -> tuple[int, ...]:
        """Each position's op drawn uniformly (uniform over the space)."""
        return tuple(int(v) for v in torch.randint(0, self.n_ops, (self.n_positions,), generator=generator))

    def mutate(self, arch: Any, generator: torch.Generator) -> tuple[int, ...]:
        """NASLib's mutation: one uniformly chosen position gets a different op, uniformly chosen."""
        t = list(self.parse(arch))  # type: ignore[attr-defined]
        e = int(torch.randint(0, self.n_positions, (1,), generator=generator))
        choices = [o for o in range(self.n_ops) if o != t[e]]
        t[e] = choices[int(torch.randint(0, len(choices), (1,), generator=generator))]
        return tuple(t)

    def neighbours(self, arch: Any) -> list[tuple[int, ...]]:
        """All one-op mutations (positions x (ops - 1))."""
        t = self.parse(arch)  # type: ignore[attr-defined]
        return [t[:e] + (o,) + t[e + 1:] for e in range(self.n_positions) for o in range(self.n_ops) if o != t[e]]

    def enumerate(self) -> Iterator[tuple[int, ...]]:
        return iter(itertools.product(range(self.n_ops), repeat=self.n_positions))


def _plain_tuple(x: Any) -> Any:
    """Nested tuples of Python ints (never numpy scalars: NASLib keys are ``str`` of plain ints)."""
    if isinstance(x, (tuple, list)):
        return tuple(_plain_tuple(v) for v in x)
    try:
        return operator.index(x)  # ints and numpy integers, never floats
    except TypeError:
        return x


def parse_int_tuple(text: Any) -> tuple[Any, ...] | None:
    """Parse ``"(0, 2, 3)"``, ``"[0,2,3]"``, ``"0,2,3"`` or a sequence into a (nested) tuple of ints; None if not."""
    import ast

    if isinstance(text, (tuple, list)):
        try:
            return _plain_tuple(text)
        except Exception:  # noqa: BLE001
            return None
    if not isinstance(text, str):
        return None
    s = text.strip()
    if not s:
        return None
    if s[0] not in "([":
        s = f"({s},)"
    try:
        v = ast.literal_eval(s)  # literals only: never eval()
    except (ValueError, SyntaxError):
        return None
    if not isinstance(v, (tuple, list)):
        return None
    return _plain_tuple(v)



__all__ = ["Arch", "BudgetExhausted", "EvolvableSpace", "MissingCapabilityError", "NodeInputs", "OpTupleSampling",
           "PolicySpace", "SIZES", "SearchSpace", "SizeError", "Supernet", "SupernetSpace", "mixing_weights",
           "parse_int_tuple", "require", "require_profiles"]
