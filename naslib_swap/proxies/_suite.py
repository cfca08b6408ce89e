"""What the suite's (NAS-Bench-Suite-Zero's) pruning-style measures share: the layers they read, the way they sum.

NASLib's ``zerocost`` branch (``naslib/predictors/pruners/``) computes each measure as a list of per-layer tensors over
the ``nn.Conv2d`` and ``nn.Linear`` modules of the net, in ``net.modules()`` order, and ``find_measures`` sums them
into one number: ``sum += torch.sum(arr[i])`` starting from the Python float 0.0, so the running sum is a tensor of the
layers' dtype (float32 for these nets) and ``.item()`` ends it. :func:`suite_sum` adds up the same way, so our score
and the suite's are equal to the last float32 bit on the same tensors.

The suite's ``bn=False`` copy (synflow) replaces every ``BatchNorm1d/2d`` forward by the identity:
:func:`bypass_batchnorm`.
"""
from __future__ import annotations

import types
from typing import Callable, Iterable, Union

import torch
import torch.nn as nn

from ..errors import ProxyInputError
from ..types import Batch
from .passes import PassOutput, Tap

SUITE_REFERENCE = ("Krishnakumar et al., NAS-Bench-Suite-Zero, NeurIPS 2022 Datasets and Benchmarks; NASLib branch "
                   "zerocost, naslib/predictors/pruners/measures/")

WEIGHT_LAYERS = (nn.Conv2d, nn.Linear)
WeightLayer = Union[nn.Conv2d, nn.Linear]


def weight_layers(net: nn.Module) -> list[WeightLayer]:
    """The ``nn.Conv2d`` and ``nn.Linear`` modules of ``net`` in ``net.modules()`` order (the suite's layers)."""
    return [m for m in net.modules() if isinstance(m, WEIGHT_LAYERS)]


def suite_sum(per_layer: Iterable[torch.Tensor]) -> float:
    """Sum of the per-layer tensors as the suite adds them (a running tensor sum from 0.0, then ``.item()``)."""
    total: float | torch.Tensor = 0.0
    for t in per_layer:
        total = total + torch.sum(t)
    return float(total.item()) if isinstance(total, torch.Tensor) else float(total)


def per_layer(net: nn.Module, metric: Callable[[WeightLayer], torch.Tensor]) -> list[torch.Tensor]:
    """``metric(layer)`` for every suite layer of ``net``."""
    return [metric(m) for m in weight_layers(net)]


def task_loss(net: nn.Module, batch: Batch) -> torch.Tensor:
    """The task's loss of ``net`` on ``batch`` (one forward pass)."""
    if batch.targets is None:
        raise ProxyInputError("this proxy needs labels but the batch has none; pass a labelled batch")
    return batch.loss_fn(net(batch.inputs), batch.targets)


class LossGradTap(Tap):
    """A suite measure of the weights' task-loss gradients: ``suite_sum`` of ``metric(layer)`` after the loss
    backward of the shared pass (grad_norm, snip, plain)."""

    grad = "loss"
    needs_labels = True

    def __init__(self, name: str, metric: Callable[[WeightLayer], torch.Tensor]) -> None:
        self.key = ("loss_grad", name)
        self.metric = metric

    def finish(self, net: nn.Module, out: PassOutput) -> float:
        return suite_sum(per_layer(net, self.metric))


class InputGradTap(Tap):
    """A suite measure of the input Jacobian (jacov, epe_nas): ``score(jacobian, output, batch)`` after the
    summed-output backward of the shared pass (the input's gradient of ``y.backward(ones_like(y))``, as the suite's);
    ``score(jacobian, output, targets)``."""

    grad = "input"

    def __init__(self, name: str, score_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], float],
                 needs_labels: bool = False) -> None:
        self.key = ("input_grad", name)
        self.score_fn = score_fn
        self.needs_labels = needs_labels

    def finish(self, net: nn.Module, out: PassOutput) -> float:
        assert out.input_grad is not None
        return self.score_fn(out.input_grad, out.output, out.targets)


def _identity(self: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return x


def bypass_batchnorm(net: nn.Module) -> None:
    """Make every ``BatchNorm1d/2d`` of ``net`` an identity, as the suite's ``get_prunable_copy(bn=False)`` does."""
    for m in net.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.forward = types.MethodType(_identity, m)  # type: ignore[method-assign]

