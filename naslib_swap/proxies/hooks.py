"""Activation hooks and exact, bit-packed counting of sample-wise activation patterns.

A sample-wise pattern is, for one activation value v (one channel at one position of one layer), the binary vector
``(a_1(v) > 0, ..., a_S(v) > 0)`` over the S samples of the batch. SWAP counts the distinct such vectors. Instead of
an S x V float matrix we pack each vector into ``ceil(S / 64)`` 64-bit words, drop duplicates layer by layer and
count the distinct packed rows at the end: exact for any S, memory O(V * S / 64).
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch
import torch.nn as nn

_BYTE_WEIGHTS = torch.tensor([1, 2, 4, 8, 16, 32, 64, 128], dtype=torch.uint8)


def pack_patterns(active: torch.Tensor) -> torch.Tensor:
    """Pack a boolean ``(S, V)`` matrix column-wise into ``(V, W)`` int64 words, ``W = ceil(S / 64)``.

    Sample ``i`` becomes bit ``i % 64`` of word ``i // 64``; two columns are equal iff their packed rows are equal.
    """
    s, v = active.shape
    w = (s + 63) // 64
    if s < 64 * w:  # pad with inactive samples: equal columns stay equal, distinct stay distinct
        active = torch.cat([active, active.new_zeros(64 * w - s, v)])
    bits = active.view(w, 8, 8, v).to(torch.uint8)  # word, byte, bit, value
    weights = _BYTE_WEIGHTS.to(active.device).view(1, 1, 8, 1)
    # multiply-and-sum in uint8 (the result of each byte is < 256): 8x fewer ops than int64 arithmetic
    byts = (bits * weights).sum(dim=2, dtype=torch.uint8)  # (w, 8, v)
    return byts.permute(2, 0, 1).contiguous().view(torch.int64).view(v, w)


def unique_rows(packed: torch.Tensor) -> torch.Tensor:
    """Distinct rows of a ``(V, W)`` int64 matrix."""
    if packed.shape[1] == 1:
        return torch.unique(packed.view(-1)).view(-1, 1)
    return torch.unique(packed, dim=0)


def count_distinct_rows(packed: torch.Tensor) -> int:
    """Number of distinct rows of a ``(V, W)`` int64 matrix.

    One-word rows on the CPU are counted with numpy's SIMD sort (about 4x faster than ``torch.unique`` here);
    other cases use ``torch.unique``.
    """
    if packed.numel() == 0:
        return 0
    if packed.shape[1] == 1:
        if packed.device.type == "cpu":
            s = np.sort(packed.numpy().ravel())
            return int(np.count_nonzero(s[1:] != s[:-1])) + 1
        t = torch.sort(packed.view(-1)).values
        return int((t[1:] != t[:-1]).sum().item()) + 1
    return int(torch.unique(packed, dim=0).shape[0])


class PatternCounter:
    """Accumulates packed sample-wise patterns of several layers and counts the distinct ones.

    Packed rows are kept as they come (at batch 64 nearly all of a layer's columns are distinct, so deduplicating
    per layer costs more than it saves) and compacted only when they exceed ``max_rows``.
    """

    def __init__(self, max_rows: int = 1 << 25) -> None:
        self._parts: list[torch.Tensor] = []
        self._rows = 0
        self.max_rows = max_rows
        self.layers = 0
        self.repeats = 0  # outputs skipped by the caller as exact repeats of an added one (they add no pattern)

    def add(self, act: torch.Tensor) -> None:
        """Add one layer's output ``(S, ...)``; a value is active where it is > 0."""
        flat = act.detach().reshape(act.shape[0], -1) > 0
        packed = pack_patterns(flat)
        self._parts.append(packed)
        self._rows += packed.shape[0]
        self.layers += 1
        if self._rows > self.max_rows:  # bound memory on very large nets
            merged = unique_rows(torch.cat(self._parts))
            self._parts, self._rows = [merged], merged.shape[0]

    def rows(self) -> torch.Tensor:
        """The packed pattern rows gathered so far (one row per sample and position), in order."""
        return torch.cat(self._parts)

    def count(self) -> int:
        if not self._parts:
            return 0
        return count_distinct_rows(torch.cat(self._parts) if len(self._parts) > 1 else self._parts[0])


def reference_pattern_count(acts: Sequence[torch.Tensor]) -> int:
    """Plain reference: distinct columns of the float S x V matrix (for tests; slow and memory-hungry)."""
    mat = torch.cat([(a.detach().reshape(a.shape[0], -1) > 0).float() for a in acts], dim=1)
    return int(torch.unique(mat.t(), dim=0).shape[0])


def declared_activations(net: nn.Module) -> list[nn.Module] | None:
    """The activation modules ``net`` declares as its pattern points, or None when it declares none.

    A network whose activations are not the conv-feature-map ReLUs SWAP was defined on (a Vision Transformer's MLP
    GELUs, say) says where its patterns are with a method ``activation_points() -> list[nn.Module]``. Proxies then
    hook exactly those modules, keep outputs of any rank (a transformer's are ``(batch, tokens, hidden)``) and
    binarise them at > 0, as for ReLU; a proxy never needs to know what kind of network it scores.

    Example:
        >>> class Net(nn.Sequential):
        ...     def activation_points(self):
        ...         return [self[1]]
        >>> net = Net(nn.Linear(2, 2), nn.GELU())
        >>> declared_activations(net) == [net[1]], declared_activations(nn.ReLU())
        (True, None)
    """
    points = getattr(net, "activation_points", None)
    return list(points()) if callable(points) else None


@contextlib.contextmanager
def activation_hooks(
    net: nn.Module,
    callback: Callable[..., None],
    *,
    types: tuple[type[nn.Module], ...] = (nn.ReLU,),
    ndim: int | None = 4,
    modules: Sequence[nn.Module] | None = None,
    with_input: bool = False,
) -> Iterator[list[nn.Module]]:
    """Call ``callback(module, output)`` after every forward of the chosen activation modules
    (``callback(module, output, input)`` with ``with_input``: the module's first positional input).

    Args:
        types: module classes to hook (``nn.ReLU``; L-SWAG adds ``nn.GELU``).
        ndim: keep only outputs of this rank (4: conv feature maps, as SWAP does); None keeps all.
        modules: hook exactly these modules instead of every module of ``types``.

    A net that declares its activation points (:func:`declared_activations`) has those hooked, at any rank, in place
    of ``types`` and ``ndim`` (unless ``modules`` is given).

    Yields:
        the hooked modules, in ``net.modules()`` order (the declared order for a declaring net).
    """
    declared = declared_activations(net) if modules is None else None
    if declared is not None:
        chosen, ndim = declared, None
    else:
        chosen = list(modules) if modules is not None else [m for m in net.modules() if isinstance(m, types)]

    def hook(module: nn.Module, inp: tuple[Any, ...], out: torch.Tensor) -> None:
        if isinstance(out, torch.Tensor) and (ndim is None or out.dim() == ndim):
            if with_input:
                callback(module, out, inp[0] if inp else None)
            else:
                callback(module, out)

    handles = [m.register_forward_hook(hook) for m in chosen]
    try:
        yield chosen
    finally:
        for h in handles:
            h.remove()


@torch.no_grad()
def reinitialise(net: nn.Module, generator: torch.Generator, scheme: str = "normal") -> None:
    """Re-initialise weights in place from ``generator``.

    ``normal``: the SWAP authors' scheme: conv/linear weights N(0, 1), biases 0, BN weight 1 and bias 0.
    ``kaiming``: TE-NAS's scheme: conv/linear weights Kaiming-normal (fan-in), biases 0, BN weight 1 and bias 0.
    """
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.Conv1d, nn.ConvTranspose2d)):
            if scheme == "normal":
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator).to(m.weight))
            elif scheme == "kaiming":
                fan_in = m.weight[0].numel()
                std = (2.0 / fan_in) ** 0.5
                m.weight.copy_((torch.randn(m.weight.shape, generator=generator) * std).to(m.weight))
            else:
                raise ValueError(f"unknown init scheme {scheme!r}; known: normal, kaiming")
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d, nn.LayerNorm, nn.GroupNorm)):
            if getattr(m, "weight", None) is not None:
                m.weight.fill_(1.0)
            if getattr(m, "bias", None) is not None:
                m.bias.zero_()
