"""NAS-Bench-301 (the DARTS space) in NASLib's encodings, with the network NASLib builds for NAS-Bench-Suite-Zero.

Encodings:

* compact (NASLib's hash): a pair ``(normal, reduce)`` of 8-tuples of ``(input, op)``; pairs ``2i, 2i+1`` feed
  intermediate node ``i`` (0..3), input 0/1 are the two cell inputs and ``k >= 2`` is node ``k - 2`` (so input
  ``< i + 2``, the two inputs of a node differ); op ids follow :data:`~naslib_swap.spaces.darts.genotype.COMPACT_OPS`
  (0 max_pool_3x3, 1 avg_pool_3x3, 2 skip_connect, 3 sep_conv_3x3, 4 sep_conv_5x5, 5 dil_conv_3x3, 6 dil_conv_5x5).
* the key in ``zc_nasbench301.json`` is ``str`` of the list form: ``"[[(0, 0), (1, 5), ...], [...]]"``.
* genotype: ``Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...],
  reduce_concat=[2, 3, 4, 5])`` (DARTS' form, accepted and produced by :meth:`NasBench301.to_string`).

Network (NASLib ``NasBench301SearchSpace`` on the ``zerocost`` branch): stem conv3x3 to 96 channels; 8 cells
(normal, normal, reduce, normal, normal, reduce, normal, normal) with C = 32/64/128, affine ReLUConvBN/FactorizedReduce
preprocessing, non-affine op BNs, pools followed by a non-affine BN; no auxiliary head; global pool, linear(512, 10).
Its params/flops equal the suite's on every preview arch (``scripts/check_suite_structure.py``).

Sizing vocabulary: ``width`` = C, ``cells`` = ``layers`` (cells in all), ``depth`` (keep the first cells), ``stem``,
``in_channels``; the builder also takes ``auxiliary``, ``affine``, ``pool_bn``, ``stem_multiplier``, ``lastact``. Sizes
searches use: the suite's network ``C=32, layers=8`` (the default); the DARTS evaluation network ``C=36, layers=20,
auxiliary=True, affine=True, pool_bn=False``; profiles ``supernet`` (the DARTS search supernet's sizes ``C=16,
layers=8``, :class:`~naslib_swap.spaces.darts.DartsSuperNet`), ``teg-indicator`` (TEG-NAS's indicator networks, the
authors' DARTS ``C=1, N=1, depth=2, stem_multiplier=1``: ``C=1, layers=3, stem_multiplier=1, affine=True,
pool_bn=False, lastact=True`` and ``depth = layers // 3 + 1``, the first stage and the first reduction cell, so one
normal and one reduction cell) and ``teg-thin`` (the same with ``stem=False, in_channels=1`` for linear regions).

Capabilities (:mod:`naslib_swap.spaces.capabilities`): SWAP-NAS's operators (:mod:`.darts.operators`), the DARTS
supernet (28 edges x 8 ops, ``none`` never kept; after the op selection every node keeps 2 of its ``i + 2`` inputs)
and the TEG authors' REINFORCE policy ``(2, 14, 8)`` (:func:`.darts.genotype.sample_action`; the final genotype by
DARTS' derivation, :func:`.darts.genotype.derive_genotype`).

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
from typing import Any, ClassVar, Mapping, Sequence

import torch
import torch.nn as nn

from ..registry import register_space
from ..rng import seeded
from .base import SearchSpace
from .capabilities import EvolvableSpace, NodeInputs, PolicySpace, SizeError, SupernetSpace
from .darts import operators
from .darts.genotype import (
    COMPACT_OPS,
    DARTS_EDGES,
    DARTS_NONE,
    DARTS_OPS,
    NUM_NODES,
    action_cells,
    cells_from_choice,
    derive_genotype,
    edge_index,
    genotype_str,
    sample_action,
)
from .darts.network import DartsNetwork
from .darts.supernet import DartsSuperNet

Compact = tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]
_GENOTYPE_RE = re.compile(r"^\s*Genotype\s*\((.*)\)\s*$", re.S)
# the authors' DARTS indicator supernet besides its sizes: stem to C channels, affine BNs, plain pools, final BN+ReLU
_TEG_NET = {"stem_multiplier": 1, "affine": True, "pool_bn": False, "lastact": True}
_TEG_PROFILES = ("teg-indicator", "teg-thin")


@register_space
class NasBench301(EvolvableSpace, SupernetSpace, PolicySpace, SearchSpace):
    name: ClassVar[str] = "nasbench301"
    datasets: ClassVar[tuple[str, ...]] = ("cifar10",)
    arch_format: ClassVar[str] = (
        "a NASLib NB301 compact pair of 8 (input, op) pairs, e.g. '[[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), "
        "(1, 3), (3, 2)], [...8 more...]]' (pair 2i,2i+1 feeds node i, input < i+2 and the two differ; ops 0 max_pool, "
        "1 avg_pool, 2 skip, 3 sep3x3, 4 sep5x5, 5 dil3x3, 6 dil5x5) or a DARTS 'Genotype(normal=[(op, input), ...], "
        "normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])'"
    )
    # reg-SWAP paper, DARTS space
    proxy_option_defaults: ClassVar[dict[str, dict[str, Any]]] = {"reg_swap": {"mu": 1.8, "sigma": 1.8}}
    naslib_pre_draw: ClassVar[int] = 8
    sizing: ClassVar[Mapping[str, str]] = {"width": "C", "cells": "layers", "depth": "depth", "stem": "stem",
                                           "in_channels": "in_channels"}
    profiles: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "supernet": {"width": 16, "cells": 8},  # DARTS search; Zero-Cost-PT validates on this size too
        "teg-indicator": {"width": 1, "cells": 3, **_TEG_NET},
        "teg-thin": {"width": 1, "cells": 3, **_TEG_NET, "stem": False, "in_channels": 1},
    }
    ground_truth_note: ClassVar[str | None] = (
        "nasbench301 has no accuracy for arbitrary archs here (no surrogate; only the 725 preview archs have a "
        "val_accuracy): val_acc/test_acc are None unless the arch is one of them")
    # capabilities
    mixing_shape: ClassVar[tuple[int, ...]] = (2, DARTS_EDGES, DARTS_OPS)
    none_op: ClassVar[int | None] = DARTS_NONE
    archs_have_none: ClassVar[bool] = False
    supernet_batch_size: ClassVar[int] = 64  # Zero-Cost-PT's DARTS minibatch
    fixed_order: ClassVar[tuple[int, ...]] = tuple(range(2 * DARTS_EDGES))  # DARTS' (input, node) order per cell
    topology: ClassVar[tuple[NodeInputs, ...]] = tuple(
        NodeInputs(t, i, tuple(range(i + 2)), tuple(t * DARTS_EDGES + edge_index(i, j) for j in range(i + 2)))
        for t in range(2) for i in range(NUM_NODES))
    policy_shape: ClassVar[tuple[int, ...]] = (2, DARTS_EDGES, DARTS_OPS)
    reinforce_lr: ClassVar[float] = 0.07  # TEG-NAS, Sec. 5.2.1

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
        return genotype_str(self.genotype(arch))

    def result_extra(self, arch: Any) -> dict[str, Any]:
        return {"genotype": self.to_string(arch)}

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

    # -- SWAP-NAS's operators (EvolvableSpace) ----------------------------------------------------------------------
    def op_mutation(self, arch: Any, generator: torch.Generator) -> Compact:
        return operators.op_mutation(arch, generator)

    def connectivity_mutation(self, arch: Any, generator: torch.Generator) -> Compact:
        return operators.connectivity_mutation(arch, generator)

    def crossover(self, a: Any, b: Any, generator: torch.Generator) -> tuple[Compact, Compact]:
        return operators.crossover(a, b, generator)

    # -- the REINFORCE policy (PolicySpace): actions are genotype cells that may hold 'none' -----------------------
    def sample_action(self, logits: torch.Tensor, generator: torch.Generator) -> tuple[Any, torch.Tensor]:
        """The TEG authors' ``select_action``; log pi(a) sums the op log-probabilities of the kept edges only."""
        choice = sample_action(logits, generator)
        chosen = torch.log_softmax(logits, dim=-1).gather(-1, choice.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        return action_cells(choice), chosen[choice >= 0].sum()

    def action_key(self, action: Any) -> str:
        return genotype_str(action)

    def build_action(self, action: Any, dataset: str, *, generator: torch.Generator | None = None,
                     device: torch.device | str = "cpu", profile: str | None = None, **sizes: Any) -> nn.Module:
        """A :class:`DartsNetwork` of sampled cells built directly (a sampled ``none`` is a zero edge; the parser
        rejects ``none``)."""
        options = self.net_options(profile, **sizes)
        with seeded(generator):
            net = DartsNetwork(action[0], action[1], num_classes=self.num_classes(dataset), **options)
        return net.to(device)

    def derive(self, logits: torch.Tensor) -> Compact:
        """DARTS' derivation (:func:`~naslib_swap.spaces.darts.genotype.derive_genotype`) on ``softmax(logits)``."""
        with torch.no_grad():
            normal, reduce = derive_genotype(torch.softmax(logits, dim=-1))
        return self.from_genotype_cells(normal, reduce)

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

    def net_options(self, profile: str | None = None, **sizes: Any) -> dict[str, Any]:
        """As :meth:`SearchSpace.net_options`; TEG's profiles default ``depth`` to ``layers // 3 + 1`` (the first
        stage and the first reduction cell), and the thin net cuts a deeper ``depth`` to its own cells."""
        opts = super().net_options(profile, **sizes)
        if profile in _TEG_PROFILES:
            layers, depth = opts["layers"], opts.get("depth")
            if depth is not None and depth > layers and profile != "teg-thin":
                raise SizeError(f"depth {depth} exceeds the {layers} cells of the net; use 1 <= depth <= cells")
            opts["depth"] = min(layers // 3 + 1 if depth is None else depth, layers)
        return opts

    def supernet_module(self, dataset: str, *, generator: torch.Generator | None = None,
                        device: torch.device | str = "cpu", op_weights: torch.Tensor | None = None,
                        profile: str | None = None, **sizes: Any) -> DartsSuperNet:
        """The untrained DARTS search supernet (all 8 ops on all 14 edges, C=16 and 8 cells by default); weights
        drawn from ``generator``; ``sizes`` as :meth:`build`."""
        options = self.net_options(profile, **sizes)
        with seeded(generator):
            net = DartsSuperNet(num_classes=self.num_classes(dataset), op_weights=op_weights, **options)
        return net.to(device)

    def arch_from_choice(self, choice: Sequence[int], kept: Sequence[Sequence[int]] | None = None) -> Compact:
        """The compact arch of an op per edge (28 rows, ops in ``DARTS_PRIMITIVES`` order, never ``none``) and the
        inputs each node keeps (None: inputs 0 and 1)."""
        cells = cells_from_choice(choice, [(0, 1)] * len(self.topology) if kept is None else kept)
        return self.from_genotype_cells(*cells)

    def from_genotype_cells(self, normal: Any, reduce: Any) -> Compact:
        """Compact arch from two genotype cells (e.g. :func:`~naslib_swap.spaces.darts.genotype.derive_genotype`)."""
        return self._from_cells((normal, reduce), normal, reduce)

    # -- ground truth ---------------------------------------------------------------------------------------------
    def ground_truth(self, dataset: str, *, data_root: str | Path | None = None,
                     metric: str = "val") -> dict[str, float]:
        """``val``: the NB301 surrogate's validation accuracy of the 725 preview archs (``zc_nasbench301.json``)."""
        from ..data.groundtruth import preview_zc

        self.check_dataset(dataset)
        if metric != "val":
            raise ValueError(f"nasbench301 has only metric 'val' (the preview file's val_accuracy), got {metric!r}")
        return {k: float(v["val_accuracy"]) for k, v in preview_zc(self.name, data_root)[dataset].items()}
