"""TransNAS-Bench-101's networks, tasks and image stand-ins, shared by the micro and macro spaces (private module).

NASLib (``zerocost`` branch) does not build a NASLib cell graph for TransNAS-Bench-101: it wraps the benchmark's own
model builder (``create_model(net_code, task)``), and so does this module, module for module:

* encoder ``MacroNet(net_code, structure='backbone')``: stem (conv3x3 s2 to 32, BN, ReLUConvBN 3x3 s2 to 64), then one
  layer of two cells per macro code digit (1 keep, 2 double channels, 3 stride 2, 4 both); micro space: net code
  ``64-41414-a_bc_def`` with :class:`MicroCell`; macro space: ``64-<digits>-basic`` with ResNet basic blocks.
  The decoders' input size comes from MacroNet's bookkeeping for a 224x224 input (as in the benchmark), although the
  networks are fed 256x256 images.
* task heads: ``class_object`` (100) / ``class_scene`` (63) / ``room_layout`` (9): global pool + linear;
  ``jigsaw``: the encoder runs on each of 9 tiles (Siamese), features concatenated, pool + linear to 1000
  permutation classes; ``segmentsemantic``: conv/deconv decoder to 17 channels at 256x256; ``autoencoder`` and
  ``normal``: the pix2pix generative decoder to 3 channels (the benchmark's GAN discriminator never runs in a
  forward pass, is not counted by the suite and is not built here).

Input shapes: ``(3, 256, 256)``; jigsaw ``(9, 3, 64, 64)``. Losses (NASLib's ``get_loss_fn``): soft-label
cross-entropy for class_object/class_scene (integer labels are one-hot encoded), L1 for autoencoder/normal, MSE for
room_layout, cross-entropy for jigsaw and (per pixel) segmentsemantic.
"""
from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any, Callable, ClassVar, Mapping, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import SearchSpace

TASKS: tuple[str, ...] = (
    "class_scene", "class_object", "autoencoder", "normal", "jigsaw", "room_layout", "segmentsemantic",
)
NUM_OUTPUTS: dict[str, int] = {
    "class_object": 100, "class_scene": 63, "jigsaw": 1000, "room_layout": 9, "segmentsemantic": 17,
    "autoencoder": 3, "normal": 3,
}
JIGSAW_TILES = 9
JIGSAW_TILE = 64
IMAGE_SIZE = 256
BASE_CHANNELS = 64
MICRO_MACRO_CODE = "41414"  # the micro space's fixed macro skeleton


# --- ops ------------------------------------------------------------------------------------------------------------

class ReLUConvBN(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, dilation: int = 1,
                 affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        self.ops = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, dilation=dilation, bias=False),
            nn.BatchNorm2d(c_out, affine=affine, track_running_stats=track_running_stats),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ops(x)


class Zero(nn.Module):
    """``none``: zeros with the edge's output shape."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.c_in, self.c_out, self.stride = c_in, c_out, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.c_in == self.c_out:
            return x.mul(0.0) if self.stride == 1 else x[:, :, ::self.stride, ::self.stride].mul(0.0)
        b, _, h, w = x.shape
        return x.new_zeros(b, self.c_out, (h + 1) // self.stride, (w + 1) // self.stride)


class FactorizedReduce(nn.Module):
    """The benchmark's skip connection when shape changes: two offset 1x1 convs (stride ``stride``), concat, BN."""

    def __init__(self, c_in: int, c_out: int, stride: int, affine: bool = True,
                 track_running_stats: bool = True) -> None:
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        outs = (c_out // 2, c_out - c_out // 2)
        self.convs = nn.ModuleList(nn.Conv2d(c_in, o, 1, stride=stride, padding=0, bias=False) for o in outs)
        self.pad = nn.ConstantPad2d((0, 1, 0, 1), 0)
        self.bn = nn.BatchNorm2d(c_out, affine=affine, track_running_stats=track_running_stats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        y = self.pad(x)
        return self.bn(torch.cat([self.convs[0](x), self.convs[1](y[:, :, 1:, 1:])], dim=1))


def make_micro_op(code: str, c_in: int, c_out: int, stride: int) -> nn.Module:
    """Micro op by code: ``0`` none, ``1`` skip (FactorizedReduce when the shape changes), ``2`` conv1x1,
    ``3`` conv3x3."""
    if code == "0":
        return Zero(c_in, c_out, stride)
    if code == "1":
        return nn.Identity() if stride == 1 and c_in == c_out else FactorizedReduce(c_in, c_out, stride)
    if code == "2":
        return ReLUConvBN(c_in, c_out, 1, stride, 0)
    if code == "3":
        return ReLUConvBN(c_in, c_out, 3, stride, 1)
    raise ValueError(f"unknown micro op code {code!r}")


class MicroCell(nn.Module):
    """The micro cell: nodes 0..3, node j = sum over i < j of op(i, j)(node i); edges from node 0 carry the stride.

    ``cell_code`` is ``['', 'a', 'bc', 'def']`` (the NASLib tuple ``(a, b, c, d, e, f)``).
    """

    def __init__(self, cell_code: Sequence[str], c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.nodes = len(cell_code)
        self.edges = nn.ModuleList()
        self.sources: list[list[int]] = []
        for node in range(1, self.nodes):
            self.sources.append(list(range(node)))
            for code, src in zip(cell_code[node], range(node)):
                self.edges.append(make_micro_op(code, c_in, c_out, stride) if src == 0
                                  else make_micro_op(code, c_out, c_out, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        e = 0
        for srcs in self.sources:
            outs = []
            for s in srcs:
                outs.append(self.edges[e](feats[s]))
                e += 1
            feats.append(torch.stack(outs).sum(0))
        return feats[-1]


class ResNetBasicBlock(nn.Module):
    """The macro space's cell: two ReLUConvBN 3x3 plus a (projected when the shape changes) residual."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = (nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, padding=0, bias=False),
                                         # the benchmark passes (affine, track_running_stats) positionally, so
                                         # they land on eps and momentum: eps = 1.0, momentum = 1.0 (kept as is)
                                         nn.BatchNorm2d(c_out, 1.0, 1.0))
                           if stride != 1 or c_in != c_out else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv_b(self.conv_a(x))
        return (self.downsample(x) if self.downsample is not None else x) + y


class Encoder(nn.Module):
    """The benchmark's ``MacroNet`` backbone for a macro code (digits 1-4) and a micro cell code (or None: basic)."""

    def __init__(self, macro_code: str, cell_code: Sequence[str] | None, base: int = BASE_CHANNELS) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, base // 2, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(base // 2),
            ReLUConvBN(base // 2, base, 3, 2, 1),
        )
        c = base
        dim = 224 // 4  # the benchmark's bookkeeping assumes 224x224 inputs
        self.layers = nn.ModuleList()
        for digit in macro_code:
            d = int(digit)
            target = c * 2 if d % 2 == 0 else c
            stride = 2 if d > 2 else 1
            dim //= stride
            blocks = []
            for b in range(2):
                c_in, s = (c, stride) if b == 0 else (target, 1)
                blocks.append(MicroCell(cell_code, c_in, target, s) if cell_code is not None
                              else ResNetBasicBlock(c_in, target, s))
            self.layers.append(nn.Sequential(*blocks))
            c = target
        self.out_channels = c
        self.out_width = dim
        self._kaiming_init()

    def _kaiming_init(self) -> None:
        # the benchmark's initialisation (draws from the current RNG, i.e. the build's generator)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d) and m.affine:
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x)
        return x


# --- decoders -------------------------------------------------------------------------------------------------------

class ConvLayer(nn.Module):
    def __init__(self, c_in: int, c_out: int, activation: nn.Module | None, norm: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, stride=1, padding=1)
        self.norm = nn.BatchNorm2d(c_out) if norm else None
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        return self.activation(x) if self.activation is not None else x


class DeconvLayer(nn.Module):
    def __init__(self, c_in: int, c_out: int, activation: nn.Module | None) -> None:
        super().__init__()
        self.conv = nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1)
        self.norm = nn.BatchNorm2d(c_out)
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.conv(x))
        return self.activation(x) if self.activation is not None else x


def _leaky() -> nn.Module:
    return nn.LeakyReLU(0.2, False)


class LinearDecoder(nn.Module):
    """Global average pool + linear (classification, room layout, and jigsaw over the 9 concatenated tiles)."""

    def __init__(self, c_in: int, out: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(c_in, out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.avgpool(x), 1))


class SegmentationDecoder(nn.Module):
    def __init__(self, c_in: int, in_width: int, out_width: int, out_channels: int) -> None:
        super().__init__()
        ups = int(math.log2(out_width / in_width))
        layers: list[nn.Module] = [ConvLayer(c_in, 1024, _leaky(), True)]
        c = 1024
        for _ in range(6 - ups):
            layers.append(ConvLayer(c, c // 2, _leaky(), True))
            c //= 2
        for _ in range(ups - 1):
            layers.append(DeconvLayer(c, c // 2, _leaky()))
            c //= 2
        layers += [DeconvLayer(c, c, _leaky()), ConvLayer(c, out_channels, None, False)]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class GenerativeDecoder(nn.Module):
    """The pix2pix decoder: 14 conv/deconv layers (deconvs where upsampling is needed), tanh output."""

    def __init__(self, c_in: int, in_width: int, out_width: int, out_channels: int = 3) -> None:
        super().__init__()
        ups = int(math.log2(out_width / in_width))

        def layer(a: int, b: int, up: bool) -> nn.Module:
            return DeconvLayer(a, b, _leaky()) if up else ConvLayer(a, b, _leaky(), True)

        self.conv1 = layer(c_in, 1024, False)
        self.conv2 = layer(1024, 1024, False)
        self.conv3 = layer(1024, 512, ups == 6)
        self.conv4 = layer(512, 512, False)
        self.conv5 = layer(512, 256, ups >= 5)
        self.conv6 = layer(256, 128, False)
        self.conv7 = layer(128, 64, ups >= 4)
        self.conv8 = layer(64, 64, False)
        self.conv9 = layer(64, 32, ups >= 3)
        self.conv10 = layer(32, 32, False)
        self.conv11 = layer(32, 16, True)
        self.conv12 = layer(16, 32, False)
        self.conv13 = layer(32, 16, True)
        self.conv14 = ConvLayer(16, out_channels, nn.Tanh(), False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(1, 15):
            x = getattr(self, f"conv{i}")(x)
        return x


class EncoderDecoder(nn.Module):
    """``decoder(encoder(x))`` (the benchmark's FeedForwardNet / Segmentation / GAN generator)."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class SiameseNet(EncoderDecoder):
    """Jigsaw: the shared encoder on each tile of ``(B, 9, 3, H, W)``, features concatenated on channels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5:
            raise ValueError(f"jigsaw input must be (B, 9, 3, H, W), got {tuple(x.shape)}")
        return self.decoder(torch.cat([self.encoder(x[:, i]) for i in range(x.shape[1])], dim=1))


def build_task_net(macro_code: str, cell_code: Sequence[str] | None, task: str, *, base: int = BASE_CHANNELS,
                   num_outputs: int | None = None) -> nn.Module:
    """Encoder + the task's head, as the benchmark's ``create_model`` builds them."""
    enc = Encoder(macro_code, cell_code, base)
    out = num_outputs or NUM_OUTPUTS[task]
    if task in ("class_object", "class_scene", "room_layout"):
        return EncoderDecoder(enc, LinearDecoder(enc.out_channels, out))
    if task == "jigsaw":
        return SiameseNet(enc, LinearDecoder(enc.out_channels * JIGSAW_TILES, out))
    if task == "segmentsemantic":
        return EncoderDecoder(enc, SegmentationDecoder(enc.out_channels, enc.out_width, IMAGE_SIZE, out))
    if task in ("autoencoder", "normal"):
        return EncoderDecoder(enc, GenerativeDecoder(enc.out_channels, enc.out_width, IMAGE_SIZE, out))
    raise ValueError(f"unknown TransNAS-Bench-101 task {task!r}")


# --- losses -----------------------------------------------------------------------------------------------------------

class SoftmaxCrossEntropy(nn.Module):
    """NASLib's ``SoftmaxCrossEntropyWithLogits``: ``-(t * log(softmax(y) + 1e-5)).sum(-1).mean()``.

    Targets are class distributions; integer class labels are one-hot encoded first.
    """

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if not target.is_floating_point():
            # one-hot by comparison, not F.one_hot: its range check reads the data, which torch.func.vmap forbids
            # (L-SWAG's per-sample gradients); a label outside 0..C-1 gives an all-zero row instead of an error
            classes = torch.arange(logits.shape[-1], device=logits.device)
            target = (target.long().unsqueeze(-1) == classes).to(logits.dtype)
        return -(target * torch.log(F.softmax(logits, dim=-1) + 1e-5)).sum(dim=-1).mean()


def task_loss(task: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    if task in ("class_object", "class_scene"):
        return SoftmaxCrossEntropy()
    if task in ("autoencoder", "normal"):
        return nn.L1Loss()
    if task == "room_layout":
        return nn.MSELoss()
    return nn.CrossEntropyLoss()


def input_shape(task: str) -> tuple[int, ...]:
    return (JIGSAW_TILES, 3, JIGSAW_TILE, JIGSAW_TILE) if task == "jigsaw" else (3, IMAGE_SIZE, IMAGE_SIZE)


# --- image stand-ins --------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def jigsaw_permutations(n: int = 1000) -> torch.Tensor:
    """``n`` distinct permutations of the 9 tiles (fixed: drawn from seed 0), the jigsaw classes of the stand-in."""
    g = torch.Generator().manual_seed(0)
    seen: dict[tuple[int, ...], None] = {}
    while len(seen) < n:
        seen.setdefault(tuple(torch.randperm(JIGSAW_TILES, generator=g).tolist()), None)
    return torch.tensor(list(seen))


STAND_IN: dict[str, str] = {
    "class_object": "stand-in for Taskonomy class_object: CIFAR-100 test images resized to 256x256, CIFAR-100 labels",
    "class_scene": "stand-in for Taskonomy class_scene: CIFAR-100 test images resized to 256x256, labels mod 63",
    "jigsaw": ("stand-in for Taskonomy jigsaw: CIFAR-10 test images resized to 192x192, cut into 9 64x64 tiles "
               "shuffled by one of 1000 fixed permutations (the label)"),
    "room_layout": ("stand-in for Taskonomy room_layout: CIFAR-10 test images resized to 256x256, target = the 9 "
                    "mean intensities of a 3x3 grid"),
    "segmentsemantic": ("stand-in for Taskonomy segmentsemantic: CIFAR-10 test images resized to 256x256, per-pixel "
                        "label = grey level quantised into 17 bins"),
    "normal": ("stand-in for Taskonomy normal: CIFAR-10 test images resized to 256x256, target = a pseudo-normal map "
               "(intensity gradients, unit length, in [-1, 1])"),
    "autoencoder": ("stand-in for Taskonomy autoencoder: CIFAR-10 test images resized to 256x256, target = the image "
                    "in [-1, 1]"),
}


def _pseudo_normals(img01: torch.Tensor) -> torch.Tensor:
    grey = img01.mean(dim=1, keepdim=True)
    gx = F.pad(grey[:, :, :, 2:] - grey[:, :, :, :-2], (1, 1, 0, 0), mode="replicate")
    gy = F.pad(grey[:, :, 2:, :] - grey[:, :, :-2, :], (0, 0, 1, 1), mode="replicate")
    n = torch.cat([-gx * 8, -gy * 8, torch.ones_like(grey)], dim=1)
    return n / n.norm(dim=1, keepdim=True)


def task_batches(task: str, sizes: Sequence[int], generator: torch.Generator, *,
                 data_root: str | Path | None = None, device: torch.device | str = "cpu") -> list[Any]:
    """Disjoint minibatches of the named stand-in for ``task`` (see :data:`STAND_IN`), drawn with ``generator``."""
    from ..data.images import CIFAR10_MEAN, CIFAR10_STD, CIFAR100_MEAN, CIFAR100_STD, check_batch_sizes, load_images
    from ..types import Batch

    name = "cifar100" if task in ("class_object", "class_scene") else "cifar10"
    x, y, _ = load_images(name, data_root)
    check_batch_sizes(sizes, x.shape[0], f"{task} (stand-in images)")
    mean, std = (CIFAR100_MEAN, CIFAR100_STD) if name == "cifar100" else (CIFAR10_MEAN, CIFAR10_STD)
    m, s = torch.tensor(mean).view(1, 3, 1, 1), torch.tensor(std).view(1, 3, 1, 1)
    idx = torch.randperm(x.shape[0], generator=generator)
    out, start = [], 0
    for size in sizes:
        sel = idx[start:start + size]
        start += size
        xs = x[sel]  # normalised (B, 3, 32, 32)
        side = JIGSAW_TILE * 3 if task == "jigsaw" else IMAGE_SIZE
        big = F.interpolate(xs, size=(side, side), mode="bilinear", align_corners=False)
        img01 = (big * s + m).clamp(0, 1)
        if task in ("class_object", "class_scene"):
            inputs, targets = big, y[sel] % NUM_OUTPUTS[task]
        elif task == "jigsaw":
            perms = jigsaw_permutations()
            labels = torch.randint(0, perms.shape[0], (size,), generator=generator)
            tiles = big.unfold(2, JIGSAW_TILE, JIGSAW_TILE).unfold(3, JIGSAW_TILE, JIGSAW_TILE)  # B,3,3,3,64,64
            tiles = tiles.permute(0, 2, 3, 1, 4, 5).reshape(size, JIGSAW_TILES, 3, JIGSAW_TILE, JIGSAW_TILE)
            inputs = torch.stack([tiles[b, perms[labels[b]]] for b in range(size)])
            targets = labels
        elif task == "room_layout":
            inputs = big
            targets = F.adaptive_avg_pool2d(img01.mean(dim=1, keepdim=True), 3).flatten(1)
        elif task == "segmentsemantic":
            inputs = big
            targets = (img01.mean(dim=1) * NUM_OUTPUTS[task]).long().clamp_(0, NUM_OUTPUTS[task] - 1)
        elif task == "autoencoder":
            inputs, targets = big, img01 * 2 - 1
        elif task == "normal":
            inputs, targets = big, _pseudo_normals(img01)
        else:
            raise ValueError(f"unknown TransNAS-Bench-101 task {task!r}")
        out.append(Batch(inputs.contiguous().to(device), targets.to(device), task_loss(task), NUM_OUTPUTS[task],
                         STAND_IN[task]))
    return out


# --- the base of the micro and macro spaces ---------------------------------------------------------------------

class TransBenchBase(SearchSpace):
    """What the micro and macro spaces share: tasks, shapes, losses, stand-in batches, ground truth."""

    datasets: ClassVar[tuple[str, ...]] = TASKS
    kind: ClassVar[str]
    # the suite and the SWAP paper score TransNAS-Bench-101 with batch 64
    default_batch_size: ClassVar[int] = 64
    # No reg-SWAP size prior is given for TransNAS-Bench-101 by the SWAP paper: reg_swap needs mu/sigma or 'auto'.
    naslib_pre_draw: ClassVar[int] = 1
    # width: the encoder's base channels; the macro skeleton fixes the number of cells
    sizing: ClassVar[Mapping[str, str]] = {"width": "base"}

    def num_classes(self, dataset: str) -> int:
        return NUM_OUTPUTS[self.check_dataset(dataset)]

    def input_shape(self, dataset: str) -> tuple[int, ...]:
        return input_shape(self.check_dataset(dataset))

    def loss_fn(self, dataset: str):
        return task_loss(self.check_dataset(dataset))

    def make_batches(self, dataset: str, sizes: Sequence[int], generator: torch.Generator, *,
                     data_root: str | Path | None = None, device: torch.device | str = "cpu") -> list[Any]:
        """Batches of the task's named stand-in built from real CIFAR images (Taskonomy is not available)."""
        return task_batches(self.check_dataset(dataset), sizes, generator, data_root=data_root, device=device)

    def ground_truth(self, dataset: str, *, data_root: str | Path | None = None,
                     metric: str = "val") -> dict[str, float]:
        """``val``: the suite's ``val_accuracy`` of every arch for the task (room_layout: negative loss)."""
        from ..data.groundtruth import tnb101_table

        self.check_dataset(dataset)
        if metric != "val":
            raise ValueError(f"{self.name} has only metric 'val' (the suite's val_accuracy), got {metric!r}")
        df = tnb101_table(self.kind, data_root)
        return {self.key(a): float(v) for a, v in zip(df["arch"], df[f"val_{dataset}"])}
