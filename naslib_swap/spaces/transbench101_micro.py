"""TransNAS-Bench-101 micro space in NASLib's encoding, with the networks the benchmark (and NASLib) builds.

Encoding (NASLib): a tuple of 6 op codes ``(a, b, c, d, e, f)``, ``0 none, 1 skip_connect, 2 conv1x1, 3 conv3x3``,
on the cell edges ``0->1 | 0->2, 1->2 | 0->3, 1->3, 2->3``; the benchmark's net code is ``64-41414-a_bc_def``
(accepted too). All 4,096 tuples are in the benchmark. NASLib's sampler rejects a few tuples with a rule written for
NB201's op order (where 1 is ``none``); here sampling is uniform over all 4,096 (documented deviation).

Network: see :mod:`naslib_swap.spaces._transbench101` (encoder ``MacroNet`` with the fixed macro skeleton ``41414``
and two micro cells per layer, task-specific head). Tasks, input shapes, losses and the image stand-ins are there too.

Ground truth (``tnb101/micro_accuracy.csv``, the suite's ``val_accuracy``): top-1 accuracy (%) for class_object,
class_scene, jigsaw; mIoU-style accuracy (%) for segmentsemantic; SSIM for autoencoder and normal; and the NEGATIVE
L2 loss for room_layout (the suite's sign convention: higher is better everywhere).

Example:
    >>> sp = TransBench101Micro()
    >>> sp.parse("64-41414-3_13_123")
    (3, 1, 3, 1, 2, 3)
"""
from __future__ import annotations

import re
from typing import Any, ClassVar

import torch.nn as nn

from ..registry import register_space
from . import _transbench101 as tnb
from .base import OpTupleSampling

NUM_EDGES, NUM_OPS = 6, 4
OPS: tuple[str, ...] = ("none", "skip_connect", "conv1x1", "conv3x3")
_NET_CODE = re.compile(r"^\s*64-41414-([0-3])_([0-3]{2})_([0-3]{3})\s*$")


@register_space
class TransBench101Micro(OpTupleSampling, tnb.TransBenchBase):
    n_positions: ClassVar[int] = NUM_EDGES
    n_ops: ClassVar[int] = NUM_OPS
    name: ClassVar[str] = "transbench101_micro"
    kind: ClassVar[str] = "micro"
    arch_format: ClassVar[str] = (
        "a NASLib tuple of 6 op codes 0..3 such as '(3, 1, 3, 1, 2, 3)' (0 none, 1 skip, 2 conv1x1, 3 conv3x3; "
        "edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3) or a net code such as '64-41414-3_13_123'"
    )

    def parse(self, arch: Any) -> tuple[int, ...]:
        if isinstance(arch, str) and "-" in arch:
            m = _NET_CODE.match(arch)
            if m is None:
                raise self.arch_error(arch, "a micro net code is '64-41414-a_bc_def' with digits 0..3")
            return tuple(int(c) for c in "".join(m.groups()))
        return self.parse_op_tuple(arch, "op codes")

    def to_string(self, arch: Any) -> str:
        """The benchmark's net code ``64-41414-a_bc_def``."""
        a = self.parse(arch)
        return "64-41414-{}_{}{}_{}{}{}".format(*a)

    def cell_code(self, arch: Any) -> list[str]:
        a = [str(v) for v in self.parse(arch)]
        return ["", a[0], a[1] + a[2], a[3] + a[4] + a[5]]

    def _build(self, arch: Any, dataset: str, *, base: int = tnb.BASE_CHANNELS,
               num_classes: int | None = None) -> nn.Module:
        return tnb.build_task_net(tnb.MICRO_MACRO_CODE, self.cell_code(arch), dataset, base=base,
                                  num_outputs=num_classes)
