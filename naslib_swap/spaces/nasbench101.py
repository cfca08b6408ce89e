"""NAS-Bench-101 in NASLib's encoding, with the network NASLib builds for NAS-Bench-Suite-Zero.

Encodings:

* NASLib tuple (the key of ``zc_nasbench101.json``): the ``n x n`` upper-triangular adjacency matrix flattened row by
  row, then the ``n`` op ids (``0 input, 1 output, 2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu``); ``n = 7``
  gives NASLib's 56-tuple. The tuple is kept as given (unpruned), so keys match the suite's files.
* spec form: ``{"matrix": [[...]], "ops": ["input", ..., "output"]}`` or a ``(matrix, ops)`` pair (op names or ids).

Validity (NAS-Bench-101's rules): at most 7 vertices, first op ``input``, last ``output``, interior ops among the
three; the matrix is strictly upper triangular; after pruning the vertices that are not on an input->output path
(:func:`prune`) the output must still be reachable and at most 9 edges remain.

Network (NASLib ``zerocost`` branch = archai's ``nasbench101.model_builder.build``): stem ConvBnRelu 3x3 (3->128);
3 stacks of 3 cells with 128/256/512 channels, 2x2 max-pool between stacks; each cell is built from the PRUNED spec:
interior channels from NB101's ``ComputeVertexChannels`` (output channels split among the vertices feeding the output,
other vertices take the max of their successors), 1x1 ConvBnRelu projections of the cell input into every vertex it
feeds, channel truncation on interior edges, concat at the output (plus the projected input when input->output);
global mean, linear head. Every parameter runs, so a plain count equals the suite's ``params``.

Example:
    >>> sp = NasBench101()
    >>> m = [[0, 1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0],
    ...      [0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0] * 7]
    >>> a = sp.parse({"matrix": m, "ops": ["input"] + ["conv3x3-bn-relu"] * 5 + ["output"]})
    >>> len(a), a[-7:]
    (56, (0, 4, 4, 4, 4, 4, 1))
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Mapping

import numpy as np
import torch
import torch.nn as nn

from ..registry import register_space
from .base import SearchSpace, parse_int_tuple

ALL_OPS: tuple[str, ...] = ("input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")
INTERIOR_OPS: tuple[str, ...] = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")  # NASLib's sampling order
NUM_VERTICES, MAX_EDGES = 7, 9


def prune(matrix: np.ndarray, ops: list[str]) -> tuple[np.ndarray, list[str]] | None:
    """Drop the vertices not on an input->output path (NAS-Bench-101's ``ModelSpec``); None when none remains."""
    n = matrix.shape[0]
    from_in, to_out = {0}, {n - 1}
    for v in range(n):  # topological order: upper-triangular
        if v in from_in:
            from_in.update(int(w) for w in np.nonzero(matrix[v])[0])
    for v in range(n - 1, -1, -1):
        if v in to_out:
            to_out.update(int(u) for u in np.nonzero(matrix[:, v])[0])
    keep = sorted(from_in & to_out)
    if 0 not in keep or n - 1 not in keep or len(keep) < 2:
        return None
    return matrix[np.ix_(keep, keep)], [ops[k] for k in keep]


def vertex_channels(c_in: int, c_out: int, matrix: np.ndarray) -> list[int]:
    """NAS-Bench-101's ``ComputeVertexChannels``: channels of every vertex of a (pruned) cell."""
    n = matrix.shape[0]
    ch = [0] * n
    ch[0], ch[n - 1] = c_in, c_out
    if n == 2:
        return ch
    in_degree = matrix[1:].sum(axis=0)
    interior, extra = divmod(c_out, int(in_degree[n - 1]))
    for v in range(1, n - 1):
        if matrix[v, n - 1]:
            ch[v] = interior + (1 if extra else 0)
            extra -= 1 if extra else 0
    for v in range(n - 3, 0, -1):
        if not matrix[v, n - 1]:
            for dst in range(v + 1, n - 1):
                if matrix[v, dst]:
                    ch[v] = max(ch[v], ch[dst])
    return ch


class ConvBnRelu(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int = 1, stride: int = 1, padding: int = 0) -> None:
        super().__init__()
        self.conv_bn_relu = nn.Sequential(
            nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=False),  # NASLib turns archai's in-place ReLUs off
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_bn_relu(x)


def _vertex_op(name: str, c: int) -> nn.Module:
    if name == "conv3x3-bn-relu":
        return ConvBnRelu(c, c, 3, 1, 1)
    if name == "conv1x1-bn-relu":
        return ConvBnRelu(c, c, 1, 1, 0)
    if name == "maxpool3x3":
        return nn.MaxPool2d(3, 1, 1)
    raise ValueError(f"unknown NB101 op {name!r}")


class Cell(nn.Module):
    """One NB101 module built from a pruned ``(matrix, ops)``."""

    def __init__(self, matrix: np.ndarray, ops: list[str], c_in: int, c_out: int) -> None:
        super().__init__()
        self.matrix = matrix
        self.n = matrix.shape[0]
        self.ch = vertex_channels(c_in, c_out, matrix)
        self.vertex_op = nn.ModuleList([nn.Identity()] + [_vertex_op(ops[t], self.ch[t]) for t in range(1, self.n - 1)])
        self.input_op = nn.ModuleList(
            [nn.Identity()] + [ConvBnRelu(c_in, self.ch[t], 1) if matrix[0, t] else nn.Identity()
                               for t in range(1, self.n)]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m, n = self.matrix, self.n
        tensors = [x]
        concat = []
        for t in range(1, n - 1):
            fan_in = [tensors[s][:, :self.ch[t]] for s in range(1, t) if m[s, t]]
            if m[0, t]:
                fan_in.append(self.input_op[t](x))
            tensors.append(self.vertex_op[t](sum(fan_in)))
            if m[t, n - 1]:
                concat.append(tensors[t])
        if not concat:
            return self.input_op[n - 1](x)
        out = concat[0] if len(concat) == 1 else torch.cat(concat, 1)
        if m[0, n - 1]:
            out = out + self.input_op[n - 1](x)
        return out


class NB101Network(nn.Module):
    """Stem, ``num_stacks`` stacks of ``num_cells`` cells (channels doubling, max-pool between), mean, linear."""

    def __init__(self, matrix: np.ndarray, ops: list[str], *, stem_channels: int = 128, num_stacks: int = 3,
                 num_cells: int = 3, num_classes: int = 10, in_channels: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = [ConvBnRelu(in_channels, stem_channels, 3, 1, 1)]
        c_in = c_out = stem_channels
        for s in range(num_stacks):
            if s > 0:
                layers.append(nn.MaxPool2d(2, 2))
                c_out *= 2
            for _ in range(num_cells):
                layers.append(Cell(matrix, ops, c_in, c_out))
                c_in = c_out
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Linear(c_out, num_classes)
        self._init()

    def _init(self) -> None:
        # archai's initialisation (He normal convs, N(0, 0.01) linear), drawn from the current (seeded) RNG
        for mod in self.modules():
            if isinstance(mod, nn.Conv2d):
                nn.init.normal_(mod.weight, 0.0,
                                (2.0 / (mod.kernel_size[0] * mod.kernel_size[1] * mod.out_channels)) ** 0.5)
            elif isinstance(mod, nn.Linear):
                nn.init.normal_(mod.weight, 0.0, 0.01)
                nn.init.zeros_(mod.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last cell's output, before the global mean (timm's name; zen reads it)."""
        return self.layers(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.forward_features(x).mean(dim=(2, 3)))


@register_space
class NasBench101(SearchSpace):
    name: ClassVar[str] = "nasbench101"
    datasets: ClassVar[tuple[str, ...]] = ("cifar10",)
    arch_format: ClassVar[str] = (
        "a NASLib tuple of n*n matrix entries then n op ids (n = 7: 56 entries; ops 0 input, 1 output, "
        "2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu) or a spec {'matrix': [[0, 1, ...], ...], "
        "'ops': ['input', 'conv3x3-bn-relu', ..., 'output']}; upper-triangular, <= 9 edges after pruning"
    )
    # reg-SWAP paper, NAS-Bench-101
    proxy_option_defaults: ClassVar[dict[str, dict[str, Any]]] = {"reg_swap": {"mu": 40.0, "sigma": 40.0}}
    naslib_pre_draw: ClassVar[int] = 1
    # width: the stem's channels (stack 1 has them, each later stack doubles); cells: cells per stack
    sizing: ClassVar[Mapping[str, str]] = {"width": "stem_channels", "cells": "num_cells", "in_channels": "in_channels"}

    # -- encodings ------------------------------------------------------------------------------------------------
    def parse(self, arch: Any) -> tuple[int, ...]:
        matrix, ops = self._to_spec(arch)
        n = matrix.shape[0]
        if n > NUM_VERTICES or n < 2:
            raise self.arch_error(arch, f"it has {n} vertices (2..{NUM_VERTICES} allowed)")
        if not set(np.unique(matrix)) <= {0, 1}:
            raise self.arch_error(arch, "matrix entries must be 0 or 1")
        if np.any(np.tril(matrix)):
            raise self.arch_error(arch, "the matrix must be strictly upper triangular")
        if ops[0] != "input" or ops[-1] != "output" or any(o not in INTERIOR_OPS for o in ops[1:-1]):
            raise self.arch_error(arch, "ops must be 'input', then maxpool3x3/conv1x1-bn-relu/conv3x3-bn-relu, "
                                        "then 'output'")
        pruned = prune(matrix, ops)
        if pruned is None:
            raise self.arch_error(arch, "the output is not reachable from the input")
        if int(pruned[0].sum()) > MAX_EDGES:
            raise self.arch_error(arch, f"it has {int(pruned[0].sum())} edges after pruning (at most {MAX_EDGES})")
        return tuple(int(v) for v in matrix.flatten()) + tuple(ALL_OPS.index(o) for o in ops)

    def _to_spec(self, arch: Any) -> tuple[np.ndarray, list[str]]:
        if isinstance(arch, str) and arch.strip().startswith("{"):
            import ast

            try:
                arch = ast.literal_eval(arch.strip())  # the spec string of to_string(); literals only
            except (ValueError, SyntaxError):
                raise self.arch_error(arch, "cannot parse the spec dict") from None
        if isinstance(arch, dict):
            if "matrix" not in arch or "ops" not in arch:
                raise self.arch_error(arch, "a spec dict needs 'matrix' and 'ops'")
            return self._spec_parts(arch, arch["matrix"], arch["ops"])
        if isinstance(arch, (tuple, list)) and len(arch) == 2:
            return self._spec_parts(arch, arch[0], arch[1])
        t = parse_int_tuple(arch)
        if t is None or not all(isinstance(v, int) for v in t):
            raise self.arch_error(arch, "cannot parse it")
        n = int(round((-1 + (1 + 4 * len(t)) ** 0.5) / 2))
        if n * n + n != len(t):
            raise self.arch_error(arch, f"{len(t)} entries is not n*n + n for any n")
        if any(not 0 <= v < len(ALL_OPS) for v in t[-n:]):
            raise self.arch_error(arch, "op ids must be 0..4")
        return np.array(t[:-n], dtype=np.int64).reshape(n, n), [ALL_OPS[v] for v in t[-n:]]

    def _spec_parts(self, arch: Any, matrix: Any, ops: Any) -> tuple[np.ndarray, list[str]]:
        try:
            m = np.asarray(matrix, dtype=np.int64)
        except (TypeError, ValueError):
            raise self.arch_error(arch, "the matrix must be a square 0/1 integer matrix") from None
        if m.ndim != 2 or m.shape[0] != m.shape[1] or len(ops) != m.shape[0]:
            raise self.arch_error(arch, "the matrix must be square with one op per vertex")
        names = []
        for o in ops:
            if isinstance(o, str) and o in ALL_OPS:
                names.append(o)
            elif isinstance(o, (int, np.integer)) and 0 <= int(o) < len(ALL_OPS):
                names.append(ALL_OPS[int(o)])
            else:
                raise self.arch_error(arch, f"unknown op {o!r} (known: {', '.join(ALL_OPS)})")
        return m, names

    def spec(self, arch: Any) -> dict[str, Any]:
        """The spec form ``{"matrix": ndarray, "ops": [names]}`` (unpruned)."""
        m, ops = self._to_spec(self.parse(arch))
        return {"matrix": m, "ops": ops}

    def to_string(self, arch: Any) -> str:
        s = self.spec(arch)
        return str({"matrix": s["matrix"].tolist(), "ops": s["ops"]})

    # -- sampling -------------------------------------------------------------------------------------------------
    def _valid(self, matrix: np.ndarray, ops: list[str]) -> bool:
        pruned = prune(matrix, ops)
        return pruned is not None and int(pruned[0].sum()) <= MAX_EDGES

    def sample(self, generator: torch.Generator) -> tuple[int, ...]:
        """NASLib's sampler: uniform 0/1 upper triangle and uniform interior ops, redrawn until valid."""
        while True:
            m = torch.randint(0, 2, (NUM_VERTICES, NUM_VERTICES), generator=generator).numpy()
            m = np.triu(m, 1)
            idx = torch.randint(0, len(INTERIOR_OPS), (NUM_VERTICES,), generator=generator).tolist()
            ops = ["input"] + [INTERIOR_OPS[i] for i in idx[1:-1]] + ["output"]
            if self._valid(m, ops):
                return self.parse((m, ops))

    def mutate(self, arch: Any, generator: torch.Generator) -> tuple[int, ...]:
        """NASLib's mutation: flip each upper-triangle edge with prob 1/7 and change each interior op with prob 1/3,
        redrawn until the result is valid and differs from ``arch``."""
        a = self.parse(arch)
        m0, ops0 = self._to_spec(a)
        n = m0.shape[0]
        while True:
            m = m0.copy()
            flips = torch.rand(n, n, generator=generator).numpy() < 1.0 / NUM_VERTICES
            m = np.where(np.triu(flips, 1), 1 - m, m)
            ops = list(ops0)
            change = torch.rand(n, generator=generator).tolist()
            for i in range(1, n - 1):
                if change[i] < 1.0 / len(INTERIOR_OPS):
                    avail = [o for o in INTERIOR_OPS if o != ops[i]]
                    ops[i] = avail[int(torch.randint(0, len(avail), (1,), generator=generator))]
            if self._valid(m, ops):
                b = self.parse((m, ops))
                if b != a:
                    return b

    # -- datasets -------------------------------------------------------------------------------------------------
    def num_classes(self, dataset: str) -> int:
        self.check_dataset(dataset)
        return 10

    def input_shape(self, dataset: str) -> tuple[int, ...]:
        self.check_dataset(dataset)
        return (3, 32, 32)

    # -- networks -------------------------------------------------------------------------------------------------
    def _build(self, arch: Any, dataset: str, *, stem_channels: int = 128, num_stacks: int = 3, num_cells: int = 3,
               num_classes: int | None = None, in_channels: int = 3) -> nn.Module:
        m, ops = self._to_spec(arch)
        pruned = prune(m, ops)
        assert pruned is not None  # parse() checked it
        return NB101Network(pruned[0], pruned[1], stem_channels=stem_channels, num_stacks=num_stacks,
                            num_cells=num_cells, num_classes=num_classes or self.num_classes(dataset),
                            in_channels=in_channels)

    # -- ground truth ---------------------------------------------------------------------------------------------
    def ground_truth(self, dataset: str, *, data_root: str | Path | None = None,
                     metric: str = "val") -> dict[str, float]:
        """``val``: NB101's validation accuracy of the 500 preview archs (``zc_nasbench101.json``)."""
        from ..data.groundtruth import preview_zc

        self.check_dataset(dataset)
        if metric != "val":
            raise ValueError(f"nasbench101 has only metric 'val' (the preview file's val_accuracy), got {metric!r}")
        rows = preview_zc(self.name, data_root)["nasbench101"][dataset]
        return {k: float(v["val_accuracy"]) for k, v in rows.items()}
