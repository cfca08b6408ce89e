"""Real image minibatches, and named stand-ins where the real set is not available.

| dataset          | images                                                  | normalisation              |
|------------------|---------------------------------------------------------|----------------------------|
| ``cifar10``      | the first 1,017 CIFAR-10 test images (real)             | CIFAR-10 mean/std          |
| ``cifar100``     | the first 916 CIFAR-100 test images (real)              | CIFAR-100 mean/std         |
| ``ImageNet16-120`` | **stand-in**: the CIFAR-100 images resized to 16x16   | ImageNet16 mean/std        |

Any other input size a space asks for (TransNAS-Bench-101's 256x256 Taskonomy tasks, say) is a **stand-in** made by
resizing the real CIFAR-10 images; :attr:`Batch.source` always names what was used, and result tables print it.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ProxyInputError
from ..types import Batch
from .paths import data_file


@dataclass(frozen=True)
class ImageSet:
    file: str
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    size: int | None  # resize to this (None: keep 32x32)
    description: str


CIFAR10_MEAN, CIFAR10_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
CIFAR100_MEAN, CIFAR100_STD = (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
IMAGENET16_MEAN = (122.68 / 255, 116.66 / 255, 104.01 / 255)
IMAGENET16_STD = (63.22 / 255, 61.26 / 255, 65.09 / 255)

IMAGE_SETS: dict[str, ImageSet] = {
    "cifar10": ImageSet("images/cifar10_test_first1017.npz", CIFAR10_MEAN, CIFAR10_STD, None,
                        "CIFAR-10 test images (real)"),
    "cifar100": ImageSet("images/cifar100_test_first916.npz", CIFAR100_MEAN, CIFAR100_STD, None,
                         "CIFAR-100 test images (real)"),
    # no ImageNet images are here: the AutoFormer spaces' inputs (224x224) are CIFAR-10 images resized, normalised as
    # ImageNet (the resize to the space's input shape happens per batch in image_batches and is named there)
    "imagenet": ImageSet("images/cifar10_test_first1017.npz", IMAGENET_MEAN, IMAGENET_STD, None,
                         "stand-in: CIFAR-10 test images with ImageNet normalisation (no ImageNet images here)"),
    "ImageNet16-120": ImageSet("images/cifar100_test_first916.npz", IMAGENET16_MEAN, IMAGENET16_STD, 16,
                               "stand-in: CIFAR-100 test images resized to 16x16 (ImageNet16-120 not available)"),
}


@functools.lru_cache(maxsize=8)
def _load(path: str) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as z:
        return z["x"], z["y"]


def load_images(name: str, data_root: str | os.PathLike[str] | None = None) -> tuple[torch.Tensor, torch.Tensor, str]:
    """All images of an image set as normalised float tensors ``(N, 3, H, W)``, labels, and the set's description."""
    spec = IMAGE_SETS.get(name, IMAGE_SETS["cifar10"])
    x, y = _load(str(data_file(spec.file, data_root)))
    xt = torch.from_numpy(x).float().div_(255.0)
    if spec.size is not None:
        xt = F.interpolate(xt, size=(spec.size, spec.size), mode="bilinear", antialias=True, align_corners=False)
    mean = torch.tensor(spec.mean).view(1, 3, 1, 1)
    std = torch.tensor(spec.std).view(1, 3, 1, 1)
    desc = spec.description if name in IMAGE_SETS else f"stand-in for {name}: {spec.description}"
    return (xt - mean) / std, torch.from_numpy(y.astype(np.int64)), desc


def check_batch_sizes(sizes: Sequence[int], available: int, what: str) -> None:
    """Each batch size >= 1 and together no more than the images available; else a one-line error."""
    if any(s < 1 for s in sizes) or int(sum(sizes)) > available:
        raise ProxyInputError(
            f"batch size(s) {list(sizes)} out of range for {what}: each must be >= 1 and together <= {available} "
            f"(the images available); use a smaller batch size", param="batch_size"
        )


def image_batches(
    dataset: str,
    sizes: Sequence[int],
    generator: torch.Generator,
    *,
    data_root: str | os.PathLike[str] | None = None,
    device: torch.device | str = "cpu",
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    loss_fn: Callable | None = None,
) -> list[Batch]:
    """Disjoint random minibatches of real images (or the named stand-in), drawn with ``generator``.

    Args:
        dataset: ``cifar10``, ``cifar100``, ``ImageNet16-120``; any other name uses CIFAR-10 images as a stand-in.
        sizes: batch sizes; the batches share no image.
        generator: the only source of randomness.
        input_shape: per-sample ``(C, H, W)`` wanted; images are resized to it (and the change named).
        num_classes: labels are taken modulo this (stand-ins may have fewer classes than the head).

    Raises:
        ProxyInputError: a batch size below 1 or more images asked for than the set holds.
    """
    x, y, desc = load_images(dataset, data_root)
    check_batch_sizes(sizes, x.shape[0], dataset)
    size = None
    if input_shape is not None and len(input_shape) == 3 and tuple(x.shape[1:]) != tuple(input_shape):
        c, h, w = input_shape
        if c != x.shape[1]:
            raise ProxyInputError(f"{dataset} wants {c}-channel inputs; the image stand-ins have {x.shape[1]}")
        size = (h, w)
        desc = f"{desc}, resized to {h}x{w} (stand-in)" if "stand-in" not in desc else f"{desc}, resized to {h}x{w}"
    idx = torch.randperm(x.shape[0], generator=generator)
    out, start = [], 0
    for s in sizes:
        sel = idx[start:start + s]
        start += s
        xs = x[sel]
        if size is not None:  # resize only the images drawn (each image is resized on its own: same values)
            xs = F.interpolate(xs, size=size, mode="bilinear", antialias=True, align_corners=False)
        t = y[sel] % num_classes if num_classes else y[sel]
        out.append(Batch(xs.to(device), t.to(device), loss_fn or torch.nn.CrossEntropyLoss(), num_classes, desc))
    return out
