"""Explicit randomness: everything random takes a ``torch.Generator``; nothing reads or changes global state."""
from __future__ import annotations

import contextlib
import hashlib
from typing import Any, Iterator

import torch
import torch.nn as nn


def make_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A generator seeded with ``seed`` (on ``device``'s type for CUDA, else CPU)."""
    dev = torch.device(device)
    g = torch.Generator(device=dev.type if dev.type == "cuda" else "cpu")
    return g.manual_seed(int(seed))


def derive_seed(*parts: Any) -> int:
    """A stable 63-bit seed from any parts (sha256 of their ``str``; independent of PYTHONHASHSEED and of order of
    use), so a score depends only on what it is a score of.

    Example:
        >>> (derive_seed(9000, "nasbench201", "cifar10", "(0, 1, 2, 3, 4, 0)", "net")
        ...  == derive_seed(9000, "nasbench201", "cifar10", "(0, 1, 2, 3, 4, 0)", "net"))
        True
    """
    h = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(h[:8], "little") >> 1


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
            reset = getattr(m, "reset_parameters", None)
            if callable(reset):
                reset()
