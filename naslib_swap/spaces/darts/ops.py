"""DARTS operations (module layout follows NASLib so counts and hooks see the same leaves)."""
from __future__ import annotations

import torch
import torch.nn as nn

from .genotype import DARTS_PRIMITIVES


class ReLUConvBN(nn.Module):
    """ReLU -> Conv -> BN."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int = 1, affine: bool = True) -> None:
        super().__init__()
        pad = 0 if kernel_size == 1 else 1
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=pad, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class FactorizedReduce(nn.Module):
    """Halve the resolution with two offset stride-2 1x1 convs (NASLib's version: no padding, always stride 2).

    An odd height or width (e.g. TEG's 3x3 crops on the thin net) is first padded by one zero row/column at the
    bottom/right, as the TE-NAS/TEG code's version does, so both halves have ``ceil(H / 2)`` rows; even sizes (every
    size of the suite's network) take the unpadded path unchanged.
    """

    def __init__(self, c_in: int, c_out: int, affine: bool = True) -> None:
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even C_out, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        if x.shape[-2] % 2 or x.shape[-1] % 2:  # odd size: the offset half would lose a row/column
            y = nn.functional.pad(x, (0, x.shape[-1] % 2, 0, x.shape[-2] % 2))
            return self.bn(torch.cat([self.conv_1(x), self.conv_2(y[:, :, 1:, 1:])], dim=1))
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


class SepConv(nn.Module):
    """Two stacked (ReLU, depthwise conv, 1x1 conv, BN) blocks, the first with the stride."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int, padding: int, affine: bool) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel_size, stride=stride, padding=padding, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_in, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_in, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel_size, stride=1, padding=padding, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class DilConv(nn.Module):
    """ReLU, dilated depthwise conv, 1x1 conv, BN."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int, padding: int, dilation: int,
                 affine: bool) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel_size, stride=stride, padding=padding, dilation=dilation, groups=c_in,
                      bias=False),
            nn.Conv2d(c_in, c_out, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Pool(nn.Module):
    """3x3 max or average pooling (padding 1), optionally followed by a non-affine BN (NASLib's ``use_bn=True``)."""

    def __init__(self, kind: str, c: int, stride: int, bn: bool = True) -> None:
        super().__init__()
        pool = (nn.MaxPool2d(3, stride=stride, padding=1) if kind == "max"
                else nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False))
        self.pool = nn.Sequential(pool, nn.BatchNorm2d(c, affine=False)) if bn else pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


class Zero(nn.Module):
    """The ``none`` op: zeros of the output shape (strided when reducing)."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            return x.mul(0.0)
        return x[:, :, ::self.stride, ::self.stride].mul(0.0)


def make_darts_op(name: str, C: int, stride: int, affine: bool = False, *, pool_bn: bool = True) -> nn.Module:
    """One DARTS op on ``C`` channels.

    Args:
        name: one of :data:`DARTS_PRIMITIVES`.
        C: input = output channels.
        stride: 1, or 2 on the input edges of a reduction cell (``skip_connect`` then is a FactorizedReduce).
        affine: affine BNs inside the op (False in NASLib's NB301 network and in DARTS search, True in DARTS eval).
        pool_bn: follow pooling by a non-affine BN (NASLib: True; DARTS: True in search, False in eval).

    Raises:
        ValueError: an unknown op name.
    """
    if name == "none":
        return Zero(stride)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(C, C, affine=affine)
    if name in ("max_pool_3x3", "avg_pool_3x3"):
        return Pool(name[:3], C, stride, bn=pool_bn)
    if name == "sep_conv_3x3":
        return SepConv(C, C, 3, stride, 1, affine)
    if name == "sep_conv_5x5":
        return SepConv(C, C, 5, stride, 2, affine)
    if name == "dil_conv_3x3":
        return DilConv(C, C, 3, stride, 2, 2, affine)
    if name == "dil_conv_5x5":
        return DilConv(C, C, 5, stride, 4, 2, affine)
    raise ValueError(f"unknown DARTS op '{name}'; known: {', '.join(DARTS_PRIMITIVES)}")
