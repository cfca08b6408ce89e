"""nwot: the binary-code kernel log-determinant on hand-computable cases."""
import math

import pytest
import torch
import torch.nn as nn

from naslib_swap.errors import ProxyInputError
from naslib_swap.proxies.base import Batch, compute_proxy
from naslib_swap.proxies.nwot import binary_code_kernel
from naslib_swap.registry import get_proxy


def test_registered_metadata():
    spec = get_proxy("nwot")
    assert spec.higher_is_better and not spec.needs_grad and spec.bn_mode == "train"


def test_two_samples_by_hand():
    # ReLU inputs (1, -1) and (1, 1): codes (1, 0), (1, 1); agreements: K = [[2, 1], [1, 2]], det 3
    net = nn.Sequential(nn.Identity(), nn.ReLU())
    x = torch.tensor([[1.0, -1.0], [1.0, 1.0]])
    assert compute_proxy("nwot", net, Batch(x, None)) == pytest.approx(math.log(3.0))


def test_hooks_relu_inputs_not_outputs():
    # the second ReLU sees the first ReLU's output (all >= 0): its input codes differ from the raw input's
    net = nn.Sequential(nn.ReLU(), nn.Linear(2, 2, bias=False), nn.ReLU())
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, -1.0]]))
    x = torch.tensor([[1.0, -1.0], [-1.0, 2.0], [3.0, 1.0]])
    c1 = (x > 0).float()
    c2 = (net[1](torch.relu(x)) > 0).float()
    k = sum(c @ c.t() + (1 - c) @ (1 - c).t() for c in (c1, c2))
    expected = float(torch.linalg.slogdet(k.double())[1])
    assert compute_proxy("nwot", net, Batch(x, None)) == pytest.approx(expected)


def test_kernel_matches_two_matmuls():
    g = torch.Generator().manual_seed(0)
    c = (torch.rand(7, 33, generator=g) > 0.5).float()
    ref = (c @ c.t() + (1 - c) @ (1 - c).t()).double()
    assert torch.equal(binary_code_kernel(c), ref)


def test_shared_input_counted_per_relu():
    # two ReLUs reading the same tensor contribute twice (K doubles: log det grows by n log 2)
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.ReLU(), nn.ReLU()

        def forward(self, x):
            return self.a(x) + self.b(x)

    x = torch.tensor([[1.0, -1.0], [1.0, 1.0]])
    one = compute_proxy("nwot", nn.Sequential(nn.ReLU()), Batch(x, None))
    assert compute_proxy("nwot", Two(), Batch(x, None)) == pytest.approx(one + 2 * math.log(2.0))


def test_identical_samples_are_singular():
    x = torch.ones(3, 4)
    assert compute_proxy("nwot", nn.Sequential(nn.ReLU()), Batch(x, None)) == -math.inf


def test_no_relu_is_an_error():
    with pytest.raises(ProxyInputError, match="nn.ReLU"):
        compute_proxy("nwot", nn.Sequential(nn.Linear(2, 2)), Batch(torch.randn(2, 2), None))
