"""Explicit randomness: everything random takes a ``torch.Generator``; nothing reads or changes global state."""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch
import torch.nn as nn


def make_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A generator seeded with ``seed`` (on ``device``'s type for CUDA, else CPU)."""
    dev = torch.device(device)
    g = torch.Generator(device=dev.type if dev.type == "cuda" else "cpu")
    return g.manual_seed(int(seed))


def draw_seed(generator: torch.Generator) -> int:
    """A fresh 62-bit seed drawn from ``generator``."""
    return int(torch.randint(0, 2**62, (1,), generator=generator).item())


@contextlib.contextmanager
def seeded(generator: torch.Generator | None) -> Iterator[None]:
    """Run the block with the CPU RNG seeded from ``generator`` and restore the global RNG afterwards.

    Module constructors and ``reset_parameters`` draw PyTorch's default initialisation from the global RNG; forking
    it makes a network reproducible from an explicit generator without changing anyone else's random state.
    """
    if generator is None:
        yield
        return
    seed = draw_seed(generator)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


@torch.no_grad()
def reset_default_init(net: nn.Module, generator: torch.Generator) -> None:
    """Re-draw PyTorch's default initialisation of every module that has ``reset_parameters``, from ``generator``."""
    with seeded(generator):
        for m in net.modules():
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()
