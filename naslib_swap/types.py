"""Small shared value types (the lowest floor: imports nothing from the package)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch


@dataclass
class Batch:
    """One minibatch and how to compute the task's loss on it.

    Attributes:
        inputs: the network input, ``(B, C, H, W)`` (jigsaw: ``(B, 9, C, H, W)``).
        targets: labels / regression targets (may be None for label-free proxies).
        loss_fn: ``loss_fn(output, targets) -> scalar`` for the task.
        num_classes: head size (classification) or output channels.
        source: the images used, named (``"CIFAR-10 test images"``, ``"stand-in: CIFAR-100 resized to 16x16"``).
    """

    inputs: torch.Tensor
    targets: torch.Tensor | None
    loss_fn: Callable[[Any, torch.Tensor], torch.Tensor] = field(default_factory=torch.nn.CrossEntropyLoss)
    num_classes: int | None = None
    source: str = ""

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(
            self.inputs.to(device),
            None if self.targets is None else self.targets.to(device),
            self.loss_fn,
            self.num_classes,
            self.source,
        )

    def __len__(self) -> int:
        return int(self.inputs.shape[0])
