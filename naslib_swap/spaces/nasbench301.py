"""NAS-Bench-301 (the DARTS space) in NASLib's encodings, with the network NASLib builds for NAS-Bench-Suite-Zero.

Encodings:

* compact (NASLib's hash): a pair ``(normal, reduce)`` of 8-tuples of ``(input, op)``; pairs ``2i, 2i+1`` feed
  intermediate node ``i`` (0..3), input 0/1 are the two cell inputs and ``k >= 2`` is node ``k - 2`` (so input
  ``< i + 2``, the two inputs of a node differ); op ids follow :data:`~naslib_swap.spaces._darts.COMPACT_OPS`
  (0 max_pool_3x3, 1 avg_pool_3x3, 2 skip_connect, 3 sep_conv_3x3, 4 sep_conv_5x5, 5 dil_conv_3x3, 6 dil_conv_5x5).
* the key in ``zc_nasbench301.json`` is ``str`` of the list form: ``"[[(0, 0), (1, 5), ...], [...]]"``.
* genotype: ``Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...],
  reduce_concat=[2, 3, 4, 5])`` (DARTS' form, accepted and produced by :meth:`NasBench301.to_string`).

Network (NASLib ``NasBench301SearchSpace`` on the ``zerocost`` branch): stem conv3x3 to 96 channels; 8 cells
(normal, normal, reduce, normal, normal, reduce, normal, normal) with C = 32/64/128, affine ReLUConvBN/FactorizedReduce
preprocessing, non-affine op BNs, pools followed by a non-affine BN; no auxiliary head; global pool, linear(512, 10).
Its params/flops equal the suite's on every preview arch (``scripts/check_suite_structure.py``).

Sizes for searches (overrides of :meth:`NasBench301.build`, documented for SWAP-NAS and Zero-Cost-PT): the suite's
network ``C=32, layers=8``; the DARTS evaluation network ``C=36, layers=20, auxiliary=True, affine=True,
pool_bn=False``; the DARTS search supernet :class:`~naslib_swap.spaces._darts.DartsSuperNet` ``C=16, layers=8``
(:meth:`NasBench301.supernet`); TEG-NAS's indicator networks (:mod:`naslib_swap.search.teg`, the authors' DARTS
``C=1, N=1, depth=2, stem_multiplier=1``) ``C=1, layers=3, depth=2, stem_multiplier=1, affine=True, pool_bn=False,
lastact=True`` (one normal and one reduction cell), and for linear regions the same with ``stem=False,
in_channels=1``.

Example:
    >>> from naslib_swap.rng import make_generator
    >>> sp = NasBench301()
    >>> a = sp.sample(make_generator(0))
    >>> sp.parse(sp.key(a)) == a == sp.parse(sp.to_string(a))
    True
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn as nn

from ..registry import register_space
from ._darts import COMPACT_OPS, NUM_NODES, DartsNetwork, DartsSuperNet
from .base import SearchSpace

Compact = tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]
_GENOTYPE_RE = re.compile(r"^\s*Genotype\s*\((.*)\)\s*$", re.S)


@register_space
class NasBench301(SearchSpace):
    name: ClassVar[str] = "nasbench301"
    datasets: ClassVar[tuple[str, ...]] = ("cifar10",)
    arch_format: ClassVar[str] = (
        "a NASLib NB301 compact pair of 8 (input, op) pairs, e.g. '[[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), "
        "(1, 3), (3, 2)], [...8 more...]]' (pair 2i,2i+1 feeds node i, input < i+2 and the two differ; ops 0 max_pool, "
        "1 avg_pool, 2 skip, 3 sep3x3, 4 sep5x5, 5 dil3x3, 6 dil5x5) or a DARTS 'Genotype(normal=[(op, input), ...], "
        "normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])'"
    )
    proxy_option_defaults: ClassVar[dict[str, dict[str, Any]]] = {"reg_swap": {"mu": 1.8, "sigma": 1.8}}  # reg-SWAP paper, DARTS space
    naslib_pre_draw: ClassVar[int] = 8

    # -- encodings ------------------------------------------------------------------------------------------------
    def parse(self, arch: Any) -> Compact:
        value = arch
        if isinstance(arch, str):
            text = arch.strip()
            if _GENOTYPE_RE.match(text):
                return self.from_genotype(text)
            try:
                value = ast.literal_eval(text)  # literals only
            except (ValueError, SyntaxError):
                raise self.arch_error(arch, "cannot parse it") from None
        if hasattr(value, "normal") and hasattr(value, "reduce"):  # a Genotype namedtuple
            return self._from_cells(arch, value.normal, value.reduce)
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise self.arch_error(arch, "it must be a pair (normal cell, reduction cell)")
        cells = []
        for c, cell in enumerate(value):
            if not isinstance(cell, (tuple, list)) or len(cell) != 2 * NUM_NODES:
                raise self.arch_error(arch, f"cell {c} must have {2 * NUM_NODES} (input, op) pairs")
            pairs = []
            for k, pair in enumerate(cell):
                if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                    raise self.arch_error(arch, f"cell {c} entry {k} is not an (input, op) pair")
                try:
                    inp, op = int(pair[0]), int(pair[1])
                except (TypeError, ValueError):
                    raise self.arch_error(arch, f"cell {c} entry {k} must hold integers") from None
                pairs.append((inp, op))
            cells.append(tuple(pairs))
        compact: Compact = (cells[0], cells[1])
        self._validate(arch, compact)
        return compact

    def _validate(self, arch: Any, compact: Compact) -> None:
        for c, cell in enumerate(compact):
            for i in range(NUM_NODES):
                (a, oa), (b, ob) = cell[2 * i], cell[2 * i + 1]
                for inp, op in ((a, oa), (b, ob)):
                    if not 0 <= inp < i + 2:
                        raise self.arch_error(arch, f"cell {c} node {i} input {inp} must be in 0..{i + 1}")
                    if not 0 <= op < len(COMPACT_OPS):
                        raise self.arch_error(arch, f"cell {c} op {op} must be in 0..{len(COMPACT_OPS) - 1}")
                if a == b:
                    raise self.arch_error(arch, f"cell {c} node {i} takes input {a} twice (the two must differ)")

    def _from_cells(self, arch: Any, normal: Any, reduce: Any) -> Compact:
        cells = []
        for c, cell in enumerate((normal, reduce)):
            if len(cell) != 2 * NUM_NODES:
                raise self.arch_error(arch, f"genotype cell {c} must have {2 * NUM_NODES} (op, input) pairs")
            pairs = []
            for op, inp in cell:
                if op not in COMPACT_OPS:
                    raise self.arch_error(arch, f"unknown op '{op}' (known: {', '.join(COMPACT_OPS)})")
                pairs.append((int(inp), COMPACT_OPS.index(op)))
            cells.append(tuple(pairs))
        compact: Compact = (cells[0], cells[1])
        self._validate(arch, compact)
        return compact

    def from_genotype(self, text: str) -> Compact:
        """Parse a DARTS ``Genotype(...)`` string (keyword arguments ``normal``, ``reduce``; concats ignored)."""
        body = _GENOTYPE_RE.match(text)
        if body is None:
            raise self.arch_error(text, "not a Genotype(...) string")
        try:
            call = ast.parse(f"f({body.group(1)})", mode="eval").body
            kw = {k.arg: ast.literal_eval(k.value) for k in call.keywords}  # type: ignore[attr-defined]
        except (ValueError, SyntaxError):
            raise self.arch_error(text, "cannot parse the Genotype's fields") from None
        if "normal" not in kw or "reduce" not in kw:
            raise self.arch_error(text, "a Genotype needs normal=... and reduce=...")
        return self._from_cells(text, kw["normal"], kw["reduce"])

    def key(self, arch: Any) -> str:
        """The key of ``zc_nasbench301.json``: ``str`` of the list of two lists of ``(input, op)`` tuples."""
        c = self.parse(arch)
        return str([list(c[0]), list(c[1])])

    def genotype(self, arch: Any) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """``(normal, reduce)`` lists of 8 ``(op name, input)`` pairs."""
        c = self.parse(arch)
        return ([(COMPACT_OPS[o], i) for i, o in c[0]], [(COMPACT_OPS[o], i) for i, o in c[1]])

    def to_string(self, arch: Any) -> str:
        normal, reduce = self.genotype(arch)
        return (f"Genotype(normal={normal}, normal_concat=[2, 3, 4, 5], "
                f"reduce={reduce}, reduce_concat=[2, 3, 4, 5])")

    # -- sampling -------------------------------------------------------------------------------------------------
    def sample(self, generator: torch.Generator) -> Compact:
        """NASLib's sampler: per node 4 uniform ops and, per cell, 2 distinct uniform inputs among ``0..i+1``."""
        cells: list[list[tuple[int, int]]] = [[], []]
        for i in range(NUM_NODES):
            ops = torch.randint(0, len(COMPACT_OPS), (4,), generator=generator).tolist()
            for c in range(2):
                inputs = torch.randperm(i + 2, generator=generator)[:2].tolist()
                cells[c].extend([(inputs[0], ops[2 * c]), (inputs[1], ops[2 * c + 1])])
        return (tuple(cells[0]), tuple(cells[1]))

    def mutate(self, arch: Any, generator: torch.Generator) -> Compact:
        """One uniformly chosen pair of one uniformly chosen cell changes either its op (to another op) or its input
        (to another valid input, not the node's other input); when no other input exists the op changes."""
        c = self.parse(arch)
        cells = [list(c[0]), list(c[1])]
        t = int(torch.randint(0, 2, (1,), generator=generator))
        k = int(torch.randint(0, 2 * NUM_NODES, (1,), generator=generator))
        inp, op = cells[t][k]
        other = cells[t][k ^ 1][0]
        inputs = [j for j in range(k // 2 + 2) if j not in (inp, other)]
        connectivity = bool(torch.randint(0, 2, (1,), generator=generator)) and inputs
        if connectivity:
            inp = inputs[int(torch.randint(0, len(inputs), (1,), generator=generator))]
        else:
            ops = [o for o in range(len(COMPACT_OPS)) if o != op]
            op = ops[int(torch.randint(0, len(ops), (1,), generator=generator))]
        cells[t][k] = (inp, op)
        return (tuple(cells[0]), tuple(cells[1]))

    # -- datasets -------------------------------------------------------------------------------------------------
    def num_classes(self, dataset: str) -> int:
        self.check_dataset(dataset)
        return 10

    def input_shape(self, dataset: str) -> tuple[int, ...]:
        self.check_dataset(dataset)
        return (3, 32, 32)

    # -- networks -------------------------------------------------------------------------------------------------
    def _build(self, arch: Any, dataset: str, *, C: int = 32, layers: int = 8, auxiliary: bool = False,
               affine: bool = False, pool_bn: bool = True, num_classes: int | None = None,
               in_channels: int = 3, stem_multiplier: int = 3, stem: bool = True, depth: int | None = None,
               lastact: bool = False) -> nn.Module:
        """The DARTS network of ``arch``; the defaults are the suite's network (see the module doc for the sizes
        searches use; ``stem_multiplier``, ``stem``, ``depth``, ``lastact`` build TEG's indicator networks)."""
        normal, reduce = self.genotype(arch)
        return DartsNetwork(normal, reduce, C=C, layers=layers, num_classes=num_classes or self.num_classes(dataset),
                            auxiliary=auxiliary, in_channels=in_channels, affine=affine, pool_bn=pool_bn,
                            stem_multiplier=stem_multiplier, stem=stem, depth=depth, lastact=lastact)

    def supernet(self, dataset: str, *, generator: torch.Generator | None = None, device: torch.device | str = "cpu",
                 C: int = 16, layers: int = 8, **kw: Any) -> DartsSuperNet:
        """The untrained DARTS search supernet (all 8 ops on all 14 edges); weights drawn from ``generator``."""
        from ..rng import seeded

        with seeded(generator):
            net = DartsSuperNet(C=C, layers=layers, num_classes=self.num_classes(dataset), **kw)
        return net.to(device)

    def from_genotype_cells(self, normal: Any, reduce: Any) -> Compact:
        """Compact arch from two genotype cells (e.g. :meth:`DartsSuperNet.discretise`'s output)."""
        return self._from_cells((normal, reduce), normal, reduce)

    # -- ground truth ---------------------------------------------------------------------------------------------
    def ground_truth(self, dataset: str, *, data_root: str | Path | None = None, metric: str = "val") -> dict[str, float]:
        """``val``: the NB301 surrogate's validation accuracy of the 725 preview archs (``zc_nasbench301.json``)."""
        from ..data.groundtruth import preview_zc

        self.check_dataset(dataset)
        if metric != "val":
            raise ValueError(f"nasbench301 has only metric 'val' (the preview file's val_accuracy), got {metric!r}")
        return {k: float(v["val_accuracy"]) for k, v in preview_zc(self.name, data_root)[dataset].items()}
