"""A third-party space and search, written only against naslib-swap's public API (docs/design.md's worked examples).

``ToyChain``: a chain of three conv layers, each 3x3, 1x1 or skip, on synthetic 8x8 images; ``random_search``:
score ``trials`` random archs with one proxy and keep the best. ``tests/test_extending.py`` registers them in
process and through entry points.
"""
from __future__ import annotations

import time
from typing import Any, ClassVar, Sequence

import torch
import torch.nn as nn

import naslib_swap as ns
from naslib_swap.spaces.base import parse_int_tuple

OPS = ("conv3x3", "conv1x1", "skip")


class ToyChain(ns.SearchSpace):
    """Three positions, each one of :data:`OPS`; archs are tuples of op indices, e.g. ``(0, 2, 1)``."""

    name: ClassVar[str] = "toy_chain"
    datasets: ClassVar[tuple[str, ...]] = ("synthetic",)
    arch_format: ClassVar[str] = "a tuple of 3 op indices in 0..2, e.g. (0, 2, 1)"
    proxy_option_defaults: ClassVar[dict[str, dict[str, Any]]] = {"reg_swap": {"mu": 0.001, "sigma": 0.001}}

    def parse(self, arch: Any) -> tuple[int, ...]:
        t = parse_int_tuple(arch)
        if t is None or len(t) != 3 or not all(isinstance(v, int) and 0 <= v < len(OPS) for v in t):
            raise self.arch_error(arch, "it is not 3 op indices in 0..2")
        return t

    def sample(self, generator: torch.Generator) -> tuple[int, ...]:
        return tuple(int(v) for v in torch.randint(0, len(OPS), (3,), generator=generator))

    def mutate(self, arch: Any, generator: torch.Generator) -> tuple[int, ...]:
        t = list(self.parse(arch))
        i = int(torch.randint(0, 3, (1,), generator=generator))
        t[i] = (t[i] + 1 + int(torch.randint(0, len(OPS) - 1, (1,), generator=generator))) % len(OPS)
        return tuple(t)

    def num_classes(self, dataset: str) -> int:
        return 4

    def input_shape(self, dataset: str) -> tuple[int, ...]:
        return (3, 8, 8)

    def make_batches(self, dataset: str, sizes: Sequence[int], generator: torch.Generator, *, data_root: Any = None,
                     device: Any = "cpu") -> list[ns.Batch]:
        return [ns.Batch(torch.randn(s, 3, 8, 8, generator=generator).to(device),
                         torch.randint(0, 4, (s,), generator=generator).to(device), nn.CrossEntropyLoss(), 4,
                         "synthetic N(0,1) images") for s in sizes]

    def _build(self, arch: Any, dataset: str, *, width: int = 8) -> nn.Module:
        layers: list[nn.Module] = [nn.Conv2d(3, width, 3, padding=1)]
        for op in arch:
            if OPS[op] == "skip":
                layers.append(nn.Identity())
            else:
                k = 3 if OPS[op] == "conv3x3" else 1
                layers += [nn.Conv2d(width, width, k, padding=k // 2), nn.BatchNorm2d(width), nn.ReLU()]
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, 4)]
        return nn.Sequential(*layers)


def random_search(space: ns.SearchSpace, dataset: str, *, seed: int, budget: int | None = None, device: str = "cpu",
                  data_root: Any = None, progress: bool = True, proxy: str = "swap", trials: int = 8
                  ) -> ns.SearchResult:
    """Score ``trials`` random archs (at most ``budget``) with ``proxy``; the best by the proxy's direction wins."""
    t0 = time.perf_counter()
    scorer = ns.ArchScorer(space, dataset, [proxy], seed=seed, device=device, data_root=data_root, batch_size=8)
    sign = 1.0 if scorer.jobs[0].spec.higher_is_better else -1.0
    g = torch.Generator().manual_seed(seed)
    archs = [space.sample(g) for _ in range(min(trials, budget or trials))]
    scores = {space.key(a): scorer.score_arch(a)[0].score for a in archs}
    best = max(archs, key=lambda a: sign * scores[space.key(a)])
    return ns.SearchResult(arch=best, search_time_s=time.perf_counter() - t0, n_scored=len(scores),
                           history=[{"arch": k, "score": v} for k, v in scores.items()])
