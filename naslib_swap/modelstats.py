"""Parameter and FLOP counts in NAS-Bench-Suite-Zero's convention.

The suite's ``params`` and ``flops`` figures come from NASLib's ``find_measures``, which runs tensorwatch's model
stats: a deep copy of the net in eval mode, one forward pass at batch 1, hooks on the leaf modules. This module
reimplements those counting rules (it does not use tensorwatch):

* params: the parameters of every leaf module that ran during the pass, each module once, divided by 1e6. Modules
  that never run (e.g. a GAN discriminator kept beside a decoder) are not counted; parameters held directly by a
  container module are not counted either.
* flops, per leaf module, from its input and output shapes (batch included); a module called several times keeps
  only its last call:

  - ``Conv2d``: ``k_h * k_w * C_in * (C_out // groups) * B * H_out * W_out`` (+ ``C_out * B * H_out * W_out`` with
    bias). Note the rule ignores ``groups`` in ``C_in``, so depthwise convs are over-counted, as in the suite.
  - ``BatchNorm2d``: ``numel(input)``, doubled when affine.
  - ``AvgPool2d``/``MaxPool2d``: ``B * C * H_out * W_out * k_h * k_w`` with ``H_out`` from the floor formula.
  - ``AdaptiveAvg/MaxPool2d``: a sum over output cells of ``B * C * (h_span + 1) * (w_span + 1)``.
  - ``ReLU``, ``ReLU6``, ``PReLU``, ``ELU``, ``LeakyReLU``: ``numel(input)``.
  - ``Linear``: ``B * in_features * out_features`` (no bias term).
  - ``Upsample``: ``numel(output)``.
  - anything else (``ConvTranspose2d`` included): 0.

Example:
    >>> import torch.nn as nn
    >>> s = model_stats(nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.ReLU()), (1, 3, 8, 8))
    >>> s.params, s.flops
    (216, 14336)
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Sequence

import torch
import torch.nn as nn


@dataclass(frozen=True)
class ModelStats:
    params: int
    flops: int

    @property
    def params_m(self) -> float:
        """Parameters in millions (the suite's ``params`` column)."""
        return self.params / 1e6

    @property
    def flops_m(self) -> float:
        """Mega-FLOPs (the suite's ``flops`` column)."""
        return self.flops / 1e6


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def leaf_flops(module: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> int:
    """FLOPs of one call of a leaf module under the suite's (tensorwatch's) rules."""
    if isinstance(module, nn.Conv2d):
        k_h, k_w = module.kernel_size
        b, (c_out, h, w) = inp.shape[0], out.shape[1:]
        active = b * h * w
        flops = k_h * k_w * inp.shape[1] * (c_out // module.groups) * active
        return flops + (c_out * active if module.bias is not None else 0)
    if isinstance(module, nn.BatchNorm2d):
        return inp.numel() * (2 if module.affine else 1)
    if isinstance(module, (nn.AvgPool2d, nn.MaxPool2d)):
        k, s, p = _pair(module.kernel_size), _pair(module.stride), _pair(module.padding)
        h_in, w_in = inp.shape[2], inp.shape[3]
        # tensorwatch: padding[0] with width, padding[1] with height, stride[0] for both
        w_out = math.floor((w_in + 2 * p[0] - k[0]) / float(s[0]) + 1)
        h_out = math.floor((h_in + 2 * p[1] - k[1]) / float(s[0]) + 1)
        return inp.shape[0] * inp.shape[1] * w_out * h_out * k[0] * k[1]
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        h_in, w_in = inp.shape[2], inp.shape[3]
        h_o, w_o = out.shape[2], out.shape[3]
        total = 0
        for i in range(h_o):
            dy = math.ceil((i + 1) * h_in / h_o) - math.floor(i * h_in / h_o)
            for j in range(w_o):
                dx = math.ceil((j + 1) * w_in / w_o) - math.floor(j * w_in / w_o)
                total += (dy + 1) * (dx + 1)
        return inp.shape[0] * inp.shape[1] * total
    if isinstance(module, (nn.ReLU, nn.ReLU6, nn.PReLU, nn.ELU, nn.LeakyReLU)):
        return inp.numel()
    if isinstance(module, nn.Linear):
        return inp.shape[0] * inp.shape[-1] * out.shape[-1]
    if isinstance(module, nn.Upsample):
        return out.numel()
    return 0


def _first_tensor(x: Any) -> torch.Tensor | None:
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (list, tuple)):
        for v in x:
            t = _first_tensor(v)
            if t is not None:
                return t
    return None


@torch.no_grad()
def model_stats(
    net: nn.Module,
    input_shape: Sequence[int],
    *,
    device: torch.device | str | None = None,
    copy_net: bool = True,
    forward: Any = None,
) -> ModelStats:
    """Count parameters and FLOPs of ``net`` as NAS-Bench-Suite-Zero does.

    Args:
        net: the network.
        input_shape: the full input shape at batch 1, e.g. ``(1, 3, 32, 32)`` (jigsaw: ``(1, 9, 3, 64, 64)``).
        device: where to run the pass (default: where the net's parameters are).
        copy_net: run on a deep copy (the suite does), leaving ``net``'s mode untouched.
        forward: optional callable ``forward(net, x)`` for nets whose call is not ``net(x)``.

    Returns:
        :class:`ModelStats` with integer ``params`` and ``flops``; ``params_m``/``flops_m`` are the suite's figures.
    """
    model = copy.deepcopy(net) if copy_net else net
    if device is None:
        p = next(model.parameters(), None)
        device = p.device if p is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    ran_params: dict[str, int] = {}
    flops: dict[str, int] = {}
    handles = []

    def hook(name: str):
        def fn(module: nn.Module, inputs: Any, output: Any) -> None:
            i, o = _first_tensor(inputs), _first_tensor(output)
            ran_params[name] = sum(p.numel() for p in module.parameters(recurse=False))
            flops[name] = leaf_flops(module, i, o) if i is not None and o is not None else 0

        return fn

    try:
        for name, m in model.named_modules():  # named_modules lists a shared module once
            if next(m.children(), None) is None:
                handles.append(m.register_forward_hook(hook(name)))
        # the values do not matter for the counts; a private generator keeps the global RNG untouched
        x = torch.rand(*input_shape, generator=torch.Generator().manual_seed(0)).to(device)
        if forward is None:
            model(x)
        else:
            forward(model, x)
    finally:
        for h in handles:
            h.remove()
        if not copy_net:
            model.train(was_training)
    return ModelStats(params=sum(ran_params.values()), flops=int(sum(flops.values())))


def count_parameters(net: nn.Module, *, exclude: Sequence[str] = ()) -> int:
    """Plain parameter count (each shared tensor once), skipping parameters whose name contains any of ``exclude``."""
    return sum(p.numel() for n, p in net.named_parameters() if not any(e in n for e in exclude))
