"""NB201's avg_pool_3x3 op pools channels-last when autograd is off (faster on CPU): the same values bit for bit."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from naslib_swap.spaces.nasbench201 import AvgPool


@pytest.mark.parametrize("shape", [(8, 16, 32, 32), (4, 32, 16, 16), (4, 64, 8, 8), (3, 3, 7, 5), (1, 1, 1, 1)])
def test_channels_last_pool_equals_the_default_layout(shape: tuple[int, ...]) -> None:
    g = torch.Generator().manual_seed(sum(shape))
    x = torch.randn(shape, generator=g)
    ref = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)(x)
    with torch.no_grad():
        fast = AvgPool()(x)
    with torch.inference_mode():
        fast_inf = AvgPool()(x)
    assert torch.equal(fast, ref) and torch.equal(fast_inf, ref)
    assert fast.is_contiguous()  # the next op sees the default layout


def test_with_autograd_the_default_path_runs() -> None:
    x = torch.randn(2, 4, 6, 6, generator=torch.Generator().manual_seed(0), requires_grad=True)
    y = AvgPool()(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    ref = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    (g_ref,) = torch.autograd.grad(ref(x).sum(), x)
    assert torch.equal(y, ref(x)) and torch.equal(g, g_ref)
