"""TransNAS-Bench-101 macro space in NASLib's encoding, with the networks the benchmark (and NASLib) builds.

Encoding (NASLib): a tuple of 6 layer codes, 4 to 6 of them in ``1..4`` followed by ``0`` padding, e.g.
``(1, 2, 4, 2, 0, 0)`` (the unpadded ``(1, 2, 4, 2)`` is accepted); code 1 keeps the shape, 2 doubles the channels,
3 halves the resolution, 4 does both. Valid: 1-4 resolution halvings (codes 3, 4) and 1-3 channel doublings
(codes 2, 4), 3,256 archs in all. The benchmark's net code is ``64-1242-basic`` (accepted too). Each layer is two
ResNet basic blocks.

Sampling follows NASLib (number of layers, halvings and doublings uniform, then their positions shuffled). NASLib's
macro mutation is broken on its ``zerocost`` branch (it indexes a list with a boolean); here a mutation is a uniform
choice among the valid one-step neighbours: change one layer's code, insert a layer, or delete a layer.

Networks, tasks, stand-ins and ground truth: see :mod:`naslib_swap.spaces.transbench101_micro` and
:mod:`naslib_swap.spaces._transbench101`.

Example:
    >>> sp = TransBench101Macro()
    >>> sp.parse("64-1242-basic")
    (1, 2, 4, 2, 0, 0)
"""
from __future__ import annotations

import itertools
import re
from typing import Any, ClassVar, Iterator

import torch
import torch.nn as nn

from ..registry import register_space
from . import _transbench101 as tnb
from .base import parse_int_tuple

LENGTH = 6
MIN_LAYERS, MAX_LAYERS = 4, 6
_NET_CODE = re.compile(r"^\s*64-([1-4]{4,6})-basic\s*$")


def _counts(codes: tuple[int, ...]) -> tuple[int, int]:
    down = sum(1 for c in codes if c in (3, 4))
    double = sum(1 for c in codes if c in (2, 4))
    return down, double


def _valid(codes: tuple[int, ...]) -> bool:
    down, double = _counts(codes)
    return MIN_LAYERS <= len(codes) <= MAX_LAYERS and 1 <= down <= 4 and 1 <= double <= 3


@register_space
class TransBench101Macro(tnb.TransBenchBase):
    name: ClassVar[str] = "transbench101_macro"
    kind: ClassVar[str] = "macro"
    arch_format: ClassVar[str] = (
        "a NASLib tuple of 6 layer codes, 4-6 codes in 1..4 then 0 padding, such as '(1, 2, 4, 2, 0, 0)' "
        "(1 keep, 2 double channels, 3 halve resolution, 4 both; 1-4 halvings, 1-3 doublings) or a net code such as "
        "'64-1242-basic'"
    )

    def parse(self, arch: Any) -> tuple[int, ...]:
        if isinstance(arch, str) and "-" in arch:
            m = _NET_CODE.match(arch)
            if m is None:
                raise self.arch_error(arch, "a macro net code is '64-<4 to 6 digits 1..4>-basic'")
            codes = tuple(int(c) for c in m.group(1))
        else:
            t = parse_int_tuple(arch)
            if t is None:
                raise self.arch_error(arch, "cannot parse it")
            if len(t) < LENGTH and all(isinstance(v, int) and v != 0 for v in t):
                t = t + (0,) * (LENGTH - len(t))  # the unpadded form (tnb101 csv, the benchmark's codes)
            if len(t) != LENGTH:
                raise self.arch_error(arch, f"it has {len(t)} entries, not {LENGTH}")
            if not all(isinstance(v, int) and 0 <= v <= 4 for v in t):
                raise self.arch_error(arch, "codes must be integers 0..4")
            n = sum(1 for v in t if v)
            if any(v == 0 for v in t[:n]) or any(v != 0 for v in t[n:]):
                raise self.arch_error(arch, "the 0 padding must come after all layer codes")
            codes = t[:n]
        if not MIN_LAYERS <= len(codes) <= MAX_LAYERS:
            raise self.arch_error(arch, f"it has {len(codes)} layers, not 4 to 6")
        down, double = _counts(codes)
        if not 1 <= down <= 4:
            raise self.arch_error(arch, f"it halves the resolution {down} times (codes 3/4), allowed 1 to 4")
        if not 1 <= double <= 3:
            raise self.arch_error(arch, f"it doubles the channels {double} times (codes 2/4), allowed 1 to 3")
        return codes + (0,) * (LENGTH - len(codes))

    def codes(self, arch: Any) -> tuple[int, ...]:
        """The layer codes without padding."""
        return tuple(v for v in self.parse(arch) if v)

    def to_string(self, arch: Any) -> str:
        """The benchmark's net code ``64-<codes>-basic``."""
        return "64-{}-basic".format("".join(str(c) for c in self.codes(arch)))

    def sample(self, generator: torch.Generator) -> tuple[int, ...]:
        """NASLib's sampler: ``r`` extra layers in 0..2, ``p`` halvings in 1..4, ``q`` doublings in 1..3 (uniform),
        their positions shuffled independently."""
        r = int(torch.randint(0, 3, (1,), generator=generator))
        p = int(torch.randint(1, 5, (1,), generator=generator))
        q = int(torch.randint(1, 4, (1,), generator=generator))
        n = r + 4
        down = torch.randperm(n, generator=generator)[:p].tolist()
        double = torch.randperm(n, generator=generator)[:q].tolist()
        codes = tuple(1 + 2 * (i in down) + (i in double) for i in range(n))
        return codes + (0,) * (LENGTH - n)

    def neighbours(self, arch: Any) -> list[tuple[int, ...]]:
        """Valid archs one step away: one layer's code changed, one layer inserted or one layer deleted."""
        c = self.codes(arch)
        cands: dict[tuple[int, ...], None] = {}
        for i in range(len(c)):
            for v in range(1, 5):
                if v != c[i]:
                    cands[c[:i] + (v,) + c[i + 1:]] = None
            cands[c[:i] + c[i + 1:]] = None
        for i in range(len(c) + 1):
            for v in range(1, 5):
                cands[c[:i] + (v,) + c[i:]] = None
        cands.pop(c, None)
        return [k + (0,) * (LENGTH - len(k)) for k in cands if _valid(k)]

    def mutate(self, arch: Any, generator: torch.Generator) -> tuple[int, ...]:
        nb = self.neighbours(arch)
        return nb[int(torch.randint(0, len(nb), (1,), generator=generator))]

    def enumerate(self) -> Iterator[tuple[int, ...]]:
        for n in range(MIN_LAYERS, MAX_LAYERS + 1):
            for codes in itertools.product(range(1, 5), repeat=n):
                if _valid(codes):
                    yield codes + (0,) * (LENGTH - n)

    def _build(self, arch: Any, dataset: str, *, base: int = tnb.BASE_CHANNELS,
               num_classes: int | None = None) -> nn.Module:
        macro = "".join(str(c) for c in self.codes(arch))
        return tnb.build_task_net(macro, None, dataset, base=base, num_outputs=num_classes)
