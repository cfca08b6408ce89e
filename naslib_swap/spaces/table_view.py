"""A space restricted to the architectures of its own ground-truth table (a "lookup-table" search space).

:class:`TableRestricted` wraps a space that has a table of its own (:meth:`SearchSpace.table_keys`, e.g. the 1,001
subnets of each AutoFormer table) and is itself a :class:`SearchSpace` and :class:`EvolvableSpace`, so every search
runs on it unchanged through the contract, and whatever it finds has a known ground truth.

Rules (every draw comes from the ``generator`` given, nothing else):

* ``sample``: one of the table's distinct archs, uniformly (``torch.randint``).
* ``mutate`` / ``op_mutation`` / ``connectivity_mutation``: the wrapped space's operator makes a child; a child in the
  table is returned as it is, otherwise it is **snapped** to the nearest table arch other than the parent (the
  contract asks a mutation for a change). Re-drawing until a child lands in the table is hopeless here (AutoFormer-Tiny
  alone has ~10^8 subnets for 1,001 table rows), so snapping is the rule.
* ``crossover``: the wrapped space's crossover, each child snapped the same way (a child may equal a parent).
* Distance: Hamming distance between the archs' feature vectors: ``space.arch_features(arch)`` where the space
  defines it (AutoFormer: depth, embed dim, and the MLP ratio and head count of each block position, absent blocks
  padded), else the flattened canonical tuple. Ties are broken uniformly at random from ``generator``.

The view's ``name`` is ``<space>[restrict=table]``: seeds derived from it (network weights, batches) and cached size
histograms (reg-SWAP's ``auto`` prior, drawn by the view's own ``sample``: the table's sizes) never mix with the full
space's. Keys, parsing, networks, datasets and ground truth are the wrapped space's.

Example:
    >>> from naslib_swap.registry import get_space
    >>> view = TableRestricted(get_space("autoformer_tiny"), "imagenet")  # doctest: +SKIP
    >>> view.key(view.mutate(view.sample(g), g)) in view.table  # doctest: +SKIP
    True
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch
import torch.nn as nn

from ..errors import NaslibSwapError
from .base import SearchSpace
from .capabilities import EvolvableSpace

RESTRICTIONS = ("table",)


class TableRestricted(EvolvableSpace, SearchSpace):
    """``space`` restricted to the archs of its own table on ``dataset`` (see the module doc)."""

    def __init__(self, space: SearchSpace, dataset: str, *, data_root: str | Path | None = None,
                 keys: Sequence[str] | None = None) -> None:
        space.check_dataset(dataset)
        table = list(keys) if keys is not None else space.table_keys(dataset, data_root)
        if not table:
            raise NaslibSwapError(f"{space.name} has no table of its own to restrict a search to; use a space with "
                                  f"one (autoformer_tiny, autoformer_small, autoformer_base) or drop the restriction")
        self.inner = space
        self.dataset = dataset
        self.name = f"{space.name}[restrict=table]"  # type: ignore[misc]
        self.datasets = space.datasets  # type: ignore[misc]
        self.arch_format = f"{space.arch_format}, one of the {len(set(table))} archs of its table"  # type: ignore[misc]
        for attr in ("proxy_option_defaults", "default_batch_size", "naslib_pre_draw", "suite_final_files", "sizing",
                     "profiles", "ground_truth_note"):
            setattr(self, attr, getattr(space, attr))
        self.archs: list[Any] = [space.parse(k) for k in dict.fromkeys(table)]  # distinct, file order
        self.table: dict[str, int] = {space.key(a): i for i, a in enumerate(self.archs)}
        self._features = np.array([self._feature(a) for a in self.archs])

    def _feature(self, arch: Any) -> tuple:
        features: Callable[[Any], Sequence[Any]] | None = getattr(self.inner, "arch_features", None)
        if features is not None:
            return tuple(features(arch))
        return tuple(_flat(self.inner.parse(arch)))

    # -- what the view changes ----------------------------------------------------------------------------------
    def sample(self, generator: torch.Generator) -> Any:
        return self.archs[int(torch.randint(len(self.archs), (1,), generator=generator))]

    def snap(self, arch: Any, generator: torch.Generator, exclude: Any = None) -> Any:
        """``arch`` if it is in the table, else the nearest table arch (Hamming over the features; ties at random
        from ``generator``), never ``exclude``."""
        arch = self.inner.parse(arch)
        skip = None if exclude is None else self.table.get(self.inner.key(exclude))
        i = self.table.get(self.inner.key(arch))
        if i is not None and i != skip:
            return self.archs[i]
        f = np.array(self._feature(arch))
        if f.shape != self._features.shape[1:]:
            raise NaslibSwapError(f"{self.inner.name}: features of {self.inner.key(arch)} do not match the table's; "
                                  f"the space's arch_features must have one length for every arch")
        dist = (self._features != f).sum(axis=1).astype(float)
        if skip is not None:
            dist[skip] = np.inf
        ties = np.flatnonzero(dist == dist.min())
        return self.archs[int(ties[int(torch.randint(len(ties), (1,), generator=generator))])]

    def _varied(self, op: Callable[[Any, torch.Generator], Any], arch: Any, generator: torch.Generator) -> Any:
        if len(self.archs) < 2:
            raise NaslibSwapError(f"{self.name} holds one arch: there is nothing to mutate to")
        return self.snap(op(arch, generator), generator, exclude=arch)

    def mutate(self, arch: Any, generator: torch.Generator) -> Any:
        return self._varied(self.inner.mutate, arch, generator)

    def op_mutation(self, arch: Any, generator: torch.Generator) -> Any:
        return self._varied(self._evolvable().op_mutation, arch, generator)

    def connectivity_mutation(self, arch: Any, generator: torch.Generator) -> Any:
        return self._varied(self._evolvable().connectivity_mutation, arch, generator)

    def crossover(self, a: Any, b: Any, generator: torch.Generator) -> tuple[Any, Any]:
        c, d = self._evolvable().crossover(a, b, generator)
        return self.snap(c, generator), self.snap(d, generator)

    def _evolvable(self) -> EvolvableSpace:
        if not isinstance(self.inner, EvolvableSpace):
            raise NaslibSwapError(f"{self.inner.name} has no {EvolvableSpace.what}; a search that needs them cannot "
                                  f"run on its table either")
        return self.inner

    def enumerate(self) -> Iterator[Any]:
        return iter(self.archs)

    def contains(self, arch: Any) -> bool:
        """Whether ``arch`` is one of the table's archs."""
        return self.inner.key(arch) in self.table

    # -- everything else is the wrapped space's -------------------------------------------------------------------
    def parse(self, arch: Any) -> Any:
        return self.inner.parse(arch)

    def key(self, arch: Any) -> str:
        return self.inner.key(arch)

    def to_string(self, arch: Any) -> str:
        return self.inner.to_string(arch)

    def result_extra(self, arch: Any) -> dict[str, Any]:
        return self.inner.result_extra(arch)

    def proxy_defaults(self, dataset: str) -> dict[str, dict[str, Any]]:
        return self.inner.proxy_defaults(dataset)

    def check_dataset(self, dataset: str) -> str:
        return self.inner.check_dataset(dataset)

    def num_classes(self, dataset: str) -> int:
        return self.inner.num_classes(dataset)

    def input_shape(self, dataset: str) -> tuple[int, ...]:
        return self.inner.input_shape(dataset)

    def loss_fn(self, dataset: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        return self.inner.loss_fn(dataset)

    def make_batches(self, dataset: str, sizes: Sequence[int], generator: torch.Generator, *,
                     data_root: str | Path | None = None, device: torch.device | str = "cpu") -> list:
        return self.inner.make_batches(dataset, sizes, generator, data_root=data_root, device=device)

    def _build(self, arch: Any, dataset: str, *args: Any, **overrides: Any) -> nn.Module:
        return self.inner._build(arch, dataset, *args, **overrides)

    def build(self, arch: Any, dataset: str, *, generator: torch.Generator | None = None,
              device: torch.device | str = "cpu", profile: str | None = None, **sizes: Any) -> nn.Module:
        return self.inner.build(arch, dataset, generator=generator, device=device, profile=profile, **sizes)

    def net_options(self, profile: str | None = None, **sizes: Any) -> dict[str, Any]:
        return self.inner.net_options(profile, **sizes)

    def param_count(self, arch: Any, dataset: str) -> int | None:
        return self.inner.param_count(arch, dataset)

    def stats_input_shape(self, dataset: str) -> tuple[int, ...]:
        return self.inner.stats_input_shape(dataset)

    def ground_truth_source(self, dataset: str, metric: str = "val") -> str:
        return self.inner.ground_truth_source(dataset, metric)

    def ground_truth(self, dataset: str, *, data_root: str | Path | None = None,
                     metric: str = "val") -> dict[str, float]:
        return self.inner.ground_truth(dataset, data_root=data_root, metric=metric)

    def table_keys(self, dataset: str, data_root: str | Path | None = None) -> list[str] | None:
        return self.inner.table_keys(dataset, data_root)

    def table_baselines(self, dataset: str, archs: Sequence[str], data_root: str | Path | None = None) -> Any:
        return self.inner.table_baselines(dataset, archs, data_root)

    def table_baseline_source(self, dataset: str) -> str | None:
        return self.inner.table_baseline_source(dataset)

    def __getattr__(self, attr: str) -> Any:
        # the wrapped space's own extras (decode, table_archs, activation points, ...); never for private names
        if attr.startswith("_") or attr == "inner":
            raise AttributeError(attr)
        return getattr(self.inner, attr)


def restrict(space: SearchSpace, dataset: str, restriction: str | None, *,
             data_root: str | Path | None = None) -> SearchSpace:
    """``space`` as it is (``restriction`` None) or its view restricted to ``restriction`` (``"table"``)."""
    if restriction is None:
        return space
    if restriction not in RESTRICTIONS:
        raise NaslibSwapError(f"unknown restriction {restriction!r}; known: {', '.join(RESTRICTIONS)}")
    return TableRestricted(space, dataset, data_root=data_root)


def table_rank(truth: dict[str, float], key: str) -> int | None:
    """1 + the number of table archs with a strictly higher ground truth than ``key`` (None if it has none).

    Example:
        >>> table_rank({"a": 70.0, "b": 80.0, "c": 75.0}, "c")
        2
    """
    v = truth.get(key)
    if v is None:
        return None
    return 1 + sum(1 for x in truth.values() if x > v)


def _flat(x: Any) -> Iterator[Any]:
    if isinstance(x, (tuple, list)):
        for v in x:
            yield from _flat(v)
    else:
        yield x


__all__ = ["RESTRICTIONS", "TableRestricted", "restrict", "table_rank"]
