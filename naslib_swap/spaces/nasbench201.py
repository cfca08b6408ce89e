"""NAS-Bench-201 in NASLib's encoding, with the network NASLib builds for NAS-Bench-Suite-Zero.

Encoding (NASLib): a tuple of 6 op indices, ops ``0 skip_connect, 1 none, 2 nor_conv_3x3, 3 nor_conv_1x1,
4 avg_pool_3x3``, edges in the order ``0->1, 0->2, 0->3, 1->2, 1->3, 2->3``. The NB201 string lists the same edges
grouped by target node: ``|o0~0|+|o1~0|o3~1|+|o2~0|o4~1|o5~2|`` (tuple positions 0 | 1 3 | 2 4 5).

Network (NASLib ``NasBench201SearchSpace`` after ``set_spec``): stem conv3x3(3->C)+BN; 3 stages of N cells with
channels C, 2C, 4C separated by ResNet basic blocks (stride 2); BN, ReLU, global average pool, linear head. Every
chosen op with a BatchNorm gets an affine, running-stats BN (NASLib's ``update_batchnorms``); ``none`` multiplies by
zero and stays in the graph; each node is the sum of its incoming edges. With C=16, N=5 its parameter count equals
the suite's ``params`` for all 9,445 archs of the suite files (``scripts/check_params.py``).

Capabilities (:mod:`naslib_swap.spaces.capabilities`): SWAP-NAS's operators (:class:`EvolvableSpace`, see
:meth:`NasBench201.op_mutation`), the supernet :class:`NB201SuperNet` (:class:`SupernetSpace`; 6 edges x 5 ops, no
topology step) and a 6 x 5 categorical policy (:class:`PolicySpace`). Sizing vocabulary: ``width`` = C, ``cells`` = N
(cells per stage), ``stem``, ``in_channels``; profiles ``supernet`` (C=16, N=5), ``teg-indicator`` (C=3, N=1) and
``teg-thin`` (C=1, N=1, no stem, 1 input channel).

Example:
    >>> from naslib_swap.spaces.nasbench201 import NasBench201
    >>> sp = NasBench201()
    >>> sp.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|")
    (2, 2, 0, 4, 2, 0)
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Mapping, Sequence

import torch
import torch.nn as nn

from ..registry import register_space
from ..rng import seeded
from .base import OpTupleSampling, SearchSpace
from .capabilities import EvolvableSpace, PolicySpace, SupernetSpace

OPS: tuple[str, ...] = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
# NB201 string position -> tuple position
STRING_ORDER: tuple[int, ...] = (0, 1, 3, 2, 4, 5)
NUM_EDGES, NUM_OPS = 6, 5
NONE_OP = OPS.index("none")
INCOMING: dict[int, tuple[int, ...]] = {1: (0,), 2: (1, 3), 3: (2, 4, 5)}  # node -> tuple positions of its edges


# --- SWAP-NAS's operators (Peng et al., ICLR 2024, Appendix C; every 6-tuple is a valid cell) ---------------------

def _randint(n: int, g: torch.Generator) -> int:
    return int(torch.randint(n, (1,), generator=g))


def op_mutation(arch: tuple[int, ...], g: torch.Generator) -> tuple[int, ...]:
    """Change the op of one edge (Fig. 13a changes the type of an existing connection). A connected edge gets
    another non-``none`` op; a ``none`` edge any other op (the space's one-op mutation).

    Example:
        >>> a = op_mutation((2, 2, 2, 2, 2, 2), torch.Generator().manual_seed(0))
        >>> sum(x != y for x, y in zip(a, (2, 2, 2, 2, 2, 2))), NONE_OP in a
        (1, False)
    """
    t = list(arch)
    e = _randint(len(t), g)
    if t[e] == NONE_OP:
        choices = [o for o in range(NUM_OPS) if o != NONE_OP]
    else:
        choices = [o for o in range(NUM_OPS) if o not in (t[e], NONE_OP)]
    t[e] = choices[_randint(len(choices), g)]
    return tuple(t)


def connectivity_mutation(arch: tuple[int, ...], g: torch.Generator) -> tuple[int, ...]:
    """Shift one connection to a disconnected edge (Fig. 13b): a connected edge (op != none) hands its op to a
    disconnected one and becomes ``none``. A cell without a ``none`` edge disconnects one random edge; a cell without
    any connection connects one random edge with a random op. So it always switches an edge between ``none`` and an op.

    Example:
        >>> connectivity_mutation((2, 1, 1, 1, 1, 1), torch.Generator().manual_seed(0)).count(2)
        1
    """
    t = list(arch)
    on = [e for e, o in enumerate(t) if o != NONE_OP]
    off = [e for e, o in enumerate(t) if o == NONE_OP]
    if on and off:
        a, b = on[_randint(len(on), g)], off[_randint(len(off), g)]
        t[b], t[a] = t[a], NONE_OP
    elif on:  # fully connected: drop one connection
        t[on[_randint(len(on), g)]] = NONE_OP
    else:  # nothing connected: add one
        ops = [o for o in range(NUM_OPS) if o != NONE_OP]
        t[off[_randint(len(off), g)]] = ops[_randint(len(ops), g)]
    return tuple(t)


def crossover(a: tuple[int, ...], b: tuple[int, ...], g: torch.Generator) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Swap the incoming edges of one random node (1, 2 or 3) between two cells (Fig. 14); returns both children.

    Example:
        >>> c1, c2 = crossover((0,) * 6, (2,) * 6, torch.Generator().manual_seed(0))
        >>> sorted(c1 + c2) == sorted((0,) * 6 + (2,) * 6)
        True
    """
    node = 1 + _randint(3, g)
    x, y = list(a), list(b)
    for p in INCOMING[node]:
        x[p], y[p] = y[p], x[p]
    return tuple(x), tuple(y)


# --- operations (module structure mirrors NASLib so hooks and counts see the same layers) -------------------------

class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv (no bias) -> BN, NASLib's ``ReLUConvBN``."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int = 1, affine: bool = True,
                 track_running_stats: bool = True) -> None:
        pad = 0 if kernel_size == 1 else 1
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=pad, bias=False),
            nn.BatchNorm2d(c_out, affine=affine, track_running_stats=track_running_stats),
        )


class Zero(nn.Module):
    """The ``none`` op: multiplies by zero (NASLib keeps it in the graph)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


class AvgPool(nn.Module):
    """3x3 average pooling, stride 1, ``count_include_pad=False``."""

    def __init__(self) -> None:
        super().__init__()
        self.avgpool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type == "cpu" and x.dim() == 4 and not torch.is_grad_enabled():
            # PyTorch's CPU kernel pools channels-last inputs about 4x faster, with the same sums in the same order
            # (bit for bit, forward only: tests/test_nb201_avgpool.py); the output goes back to the default layout
            # so the next op sees what it would have. With autograd on, the gradient's kernels stay as they were.
            return self.avgpool(x.contiguous(memory_format=torch.channels_last)).contiguous()
        return self.avgpool(x)


def make_op(index: int, c: int, *, affine: bool = True, track_running_stats: bool = True) -> nn.Module:
    """Op ``index`` (NASLib order) on ``c`` channels. The supernet uses ``affine=False``, as NASLib's search graph."""
    if index == 0:
        return nn.Identity()
    if index == 1:
        return Zero()
    if index == 2:
        return ReLUConvBN(c, c, 3, affine=affine, track_running_stats=track_running_stats)
    if index == 3:
        return ReLUConvBN(c, c, 1, affine=affine, track_running_stats=track_running_stats)
    if index == 4:
        return AvgPool()
    raise ValueError(f"op index {index} out of range 0..4")


class Cell(nn.Module):
    """A 4-node NB201 cell: node j = sum of edge(i, j)(node i) over i < j; the output is node 3."""

    def __init__(self, edge_ops: list[nn.Module]) -> None:
        super().__init__()
        self.edges = nn.ModuleList(edge_ops)  # in EDGES order

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in (1, 2, 3):
            nodes.append(sum(self.edges[k](nodes[i]) for k, (i, t) in enumerate(EDGES) if t == j))
        return nodes[3]


class ResNetBasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        self.downsample = (
            nn.Sequential(nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
                          nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False))
            if stride == 2 else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv_b(self.conv_a(x))
        return (self.downsample(x) if self.downsample is not None else x) + y


class NB201Network(nn.Module):
    """The NB201 macro network around a cell builder.

    Args:
        cell_factory: ``cell_factory(channels) -> nn.Module`` (one call per cell: cells share no weights).
        num_classes: head size.
        C: channels of the first stage (16 in the benchmark).
        N: cells per stage (5 in the benchmark).
        stem: with False the first cell sees the raw input, which must then have C channels (TEG's thin net).
        in_channels: input channels of the stem.
    """

    def __init__(self, cell_factory: Any, num_classes: int, C: int = 16, N: int = 5, stem: bool = True,
                 in_channels: int = 3) -> None:
        super().__init__()
        chans = [C, 2 * C, 4 * C]
        self.stem = (nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
                     if stem else nn.Identity())
        layers: list[nn.Module] = []
        for s, c in enumerate(chans):
            if s > 0:
                layers.append(ResNetBasicBlock(chans[s - 1], c, 2))
            layers.extend(cell_factory(c) for _ in range(N))
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(chans[-1]), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(chans[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.lastact(self.cells(self.stem(x)))
        return self.classifier(torch.flatten(self.global_pooling(x), 1))


class MixedEdge(nn.Module):
    """All 5 ops on one edge, output = sum_o w[o] * op_o(x) with ``w`` a row of the supernet's ``op_weights``.

    Ops whose weight is exactly 0 are skipped (removing an op costs nothing and changes nothing numerically).
    """

    def __init__(self, c: int, weights: torch.Tensor, edge: int, affine: bool) -> None:
        super().__init__()
        self.ops = nn.ModuleList(make_op(o, c, affine=affine, track_running_stats=affine) for o in range(NUM_OPS))
        self._weights = [weights]  # a list: the supernet owns the buffer; not registered twice
        self.edge = edge

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self._weights[0][self.edge]
        out = None
        for o, op in enumerate(self.ops):
            if float(w[o]) != 0.0:
                y = w[o] * op(x)
                out = y if out is None else out + y
        return out if out is not None else x.mul(0.0)


class NB201SuperNet(NB201Network):
    """The NB201 supernet: every edge holds all 5 ops, mixed by ``op_weights`` (6 x 5), shared by all cells.

    Used by Zero-Cost-PT (weights = softmax(alpha), an op removed by setting its weight to 0) and TE-NAS-style
    pruning (weights 1 for the ops still present, 0 for pruned ones). Like NASLib's search graph, the cell BNs are
    not affine.

    Example:
        >>> net = NB201SuperNet(10, C=4, N=1)
        >>> net.op_weights.shape
        torch.Size([6, 5])
        >>> net(torch.randn(2, 3, 8, 8)).shape
        torch.Size([2, 10])
    """

    op_weights: torch.Tensor  # a registered buffer (declared for the type checker)

    def __init__(self, num_classes: int, C: int = 16, N: int = 5, affine: bool = False,
                 op_weights: torch.Tensor | None = None, stem: bool = True, in_channels: int = 3) -> None:
        weights = torch.ones(NUM_EDGES, NUM_OPS) if op_weights is None else op_weights.detach().clone().float()
        holder: list[torch.Tensor] = [weights]

        def cell(c: int) -> nn.Module:
            return Cell([MixedEdge(c, holder[0], e, affine) for e in range(NUM_EDGES)])

        super().__init__(cell, num_classes, C=C, N=N, stem=stem, in_channels=in_channels)
        self.register_buffer("op_weights", weights)
        # edges read the buffer through this shared tensor: keep them the same object after .to()
        self._holder = holder

    def _apply(self, fn, recurse=True):
        super()._apply(fn, recurse)
        for m in self.modules():
            if isinstance(m, MixedEdge):
                m._weights[0] = self.op_weights
        return self

    def set_op_weights(self, weights: torch.Tensor) -> None:
        """Replace all mixing weights (6 x 5) in place."""
        self.op_weights.copy_(weights.to(self.op_weights))

    def discretise(self) -> tuple[int, ...]:
        """The arch keeping, on each edge, the op of largest weight (DARTS' rule on NB201)."""
        return tuple(int(i) for i in self.op_weights.argmax(dim=1))


# --- the space ---------------------------------------------------------------------------------------------------

@register_space
class NasBench201(OpTupleSampling, EvolvableSpace, SupernetSpace, PolicySpace, SearchSpace):
    n_positions: ClassVar[int] = NUM_EDGES
    n_ops: ClassVar[int] = NUM_OPS
    name: ClassVar[str] = "nasbench201"
    datasets: ClassVar[tuple[str, ...]] = ("cifar10", "cifar100", "ImageNet16-120")
    arch_format: ClassVar[str] = (
        "a NASLib tuple of 6 op indices 0..4 such as '(0, 2, 3, 2, 3, 1)' "
        "(0 skip_connect, 1 none, 2 nor_conv_3x3, 3 nor_conv_1x1, 4 avg_pool_3x3; "
        "edges 0->1,0->2,0->3,1->2,1->3,2->3) "
        "or an NB201 string such as "
        "'|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|'"
    )
    # reg-SWAP paper
    proxy_option_defaults: ClassVar[dict[str, dict[str, Any]]] = {"reg_swap": {"mu": 1.5, "sigma": 1.5}}
    naslib_pre_draw: ClassVar[int] = 17
    suite_final_files: ClassVar[dict[str, str]] = {"cifar10": "cifar10", "ImageNet16-120": "ImageNet16-120"}

    def ground_truth_source(self, dataset: str, metric: str = "val") -> str:
        if metric == "val":
            return f"suite val accuracy (nb201/accuracy.csv val_acc_{dataset})"
        return f"200-epoch test accuracy (nb201/accuracy.csv test_acc_{dataset})"
    _classes: ClassVar[dict[str, int]] = {"cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}
    sizing: ClassVar[Mapping[str, str]] = {"width": "C", "cells": "N", "stem": "stem", "in_channels": "in_channels"}
    profiles: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "supernet": {"width": 16, "cells": 5},  # the benchmark's sizes, as NASLib's search graph
        "teg-indicator": {"width": 3, "cells": 1},  # the TEG authors' kappa / MSE net
        "teg-thin": {"width": 1, "cells": 1, "stem": False, "in_channels": 1},  # TEG's linear-regions net
    }
    # capabilities
    mixing_shape: ClassVar[tuple[int, ...]] = (NUM_EDGES, NUM_OPS)
    none_op: ClassVar[int | None] = NONE_OP
    archs_have_none: ClassVar[bool] = True
    supernet_batch_size: ClassVar[int] = 256  # Zero-Cost-PT's NB201 minibatch
    fixed_order: ClassVar[tuple[int, ...]] = STRING_ORDER  # by target node: from the cell input to its output
    policy_shape: ClassVar[tuple[int, ...]] = (NUM_EDGES, NUM_OPS)
    reinforce_lr: ClassVar[float] = 0.04  # TEG-NAS, Sec. 5.2.1

    # encodings
    def parse(self, arch: Any) -> tuple[int, ...]:
        if isinstance(arch, str) and "~" in arch:
            return self.from_string(arch)
        return self.parse_op_tuple(arch, "op indices")

    def from_string(self, text: str) -> tuple[int, ...]:
        """NB201 string -> NASLib tuple."""
        nodes = text.strip().split("+")
        if len(nodes) != 3:
            raise self.arch_error(text, "an NB201 string has 3 node groups joined by '+'")
        ops_by_pos: list[int] = []
        for j, group in enumerate(nodes, start=1):
            g = group.strip()
            if not (g.startswith("|") and g.endswith("|")):
                raise self.arch_error(text, f"node group {j} must start and end with '|'")
            items = g[1:-1].split("|")
            if len(items) != j:
                raise self.arch_error(text, f"node {j} must have {j} incoming edge(s), found {len(items)}")
            for i, item in enumerate(items):
                op, _, src = item.partition("~")
                if op not in OPS:
                    raise self.arch_error(text, f"unknown op '{op}' (known: {', '.join(OPS)})")
                if src != str(i):
                    raise self.arch_error(text, f"edge '{item}' must come from node {i}")
                ops_by_pos.append(OPS.index(op))
        t = [0] * NUM_EDGES
        for pos, tpos in enumerate(STRING_ORDER):
            t[tpos] = ops_by_pos[pos]
        return tuple(t)

    def to_string(self, arch: Any) -> str:
        t = self.parse(arch)
        s = [f"{OPS[t[tpos]]}~{EDGES[tpos][0]}" for tpos in STRING_ORDER]
        return f"|{s[0]}|+|{s[1]}|{s[2]}|+|{s[3]}|{s[4]}|{s[5]}|"

    # SWAP-NAS's operators (EvolvableSpace)
    def op_mutation(self, arch: Any, generator: torch.Generator) -> tuple[int, ...]:
        return op_mutation(arch, generator)

    def connectivity_mutation(self, arch: Any, generator: torch.Generator) -> tuple[int, ...]:
        return connectivity_mutation(arch, generator)

    def crossover(self, a: Any, b: Any, generator: torch.Generator) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return crossover(a, b, generator)

    # the policy (PolicySpace): one categorical per edge
    def sample_action(self, logits: torch.Tensor, generator: torch.Generator) -> tuple[tuple[int, ...], torch.Tensor]:
        """One op per edge drawn from ``softmax(logits)``; the log-probability sums over the 6 edges."""
        with torch.no_grad():
            choice = torch.multinomial(torch.softmax(logits, dim=1), 1, generator=generator).view(-1)
        log_prob = torch.log_softmax(logits, dim=-1).gather(-1, choice.unsqueeze(-1)).squeeze(-1).sum()
        return tuple(int(c) for c in choice), log_prob

    def action_key(self, action: Any) -> str:
        return self.key(action)

    def build_action(self, action: Any, dataset: str, **kw: Any) -> nn.Module:
        return self.build(action, dataset, **kw)

    def derive(self, logits: torch.Tensor) -> tuple[int, ...]:
        """The most likely op on each edge."""
        return self.parse(tuple(int(i) for i in logits.argmax(dim=1)))

    # datasets
    def num_classes(self, dataset: str) -> int:
        return self._classes[self.check_dataset(dataset)]

    def input_shape(self, dataset: str) -> tuple[int, ...]:
        return (3, 16, 16) if self.check_dataset(dataset) == "ImageNet16-120" else (3, 32, 32)

    # networks
    def supernet_module(self, dataset: str, *, generator: torch.Generator | None = None,
                        device: torch.device | str = "cpu", op_weights: torch.Tensor | None = None,
                        profile: str | None = None, **sizes: Any) -> NB201SuperNet:
        """The untrained :class:`NB201SuperNet` (all ops on every edge) for ``dataset``; weights drawn from
        ``generator``; ``sizes`` as :meth:`build` (e.g. ``width=4, cells=1``)."""
        options = self.net_options(profile, **sizes)
        with seeded(generator):
            net = NB201SuperNet(self.num_classes(dataset), op_weights=op_weights, **options)
        return net.to(device)

    def arch_from_choice(self, choice: Sequence[int], kept: Sequence[Sequence[int]] | None = None) -> tuple[int, ...]:
        """The op kept on each edge is the arch (NB201 has no topology step)."""
        return self.parse(tuple(int(c) for c in choice))

    def _build(self, arch: Any, dataset: str, *, C: int = 16, N: int = 5, stem: bool = True,
               num_classes: int | None = None, in_channels: int = 3) -> nn.Module:
        ops: tuple[int, ...] = arch

        def cell(c: int) -> nn.Module:
            return Cell([make_op(o, c) for o in ops])

        return NB201Network(cell, num_classes or self.num_classes(dataset), C=C, N=N, stem=stem,
                            in_channels=in_channels)

    # ground truth
    def ground_truth(self, dataset: str, *, data_root: str | Path | None = None,
                     metric: str = "val") -> dict[str, float]:
        """``val``: the suite's validation accuracy (``val_acc_<dataset>``); ``test``: 200-epoch test accuracy."""
        from ..data.groundtruth import nb201_table

        self.check_dataset(dataset)
        if metric not in ("val", "test"):
            raise ValueError(f"metric must be 'val' or 'test', got {metric!r}")
        df = nb201_table(data_root)
        return dict(zip(df["arch"], df[f"{metric}_acc_{dataset}"].astype(float)))
