"""TEG indicators: kappa vs a loop of backward passes, linear regions on hand-built nets, MSE in closed form."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn as nn

from naslib_swap.errors import ProxyInputError
from naslib_swap.proxies.base import Batch, ProxyContext, compute_proxy
from naslib_swap.proxies.hooks import reinitialise
from naslib_swap.proxies.teg import (
    condition_number,
    distinct_rows,
    fill_bad,
    linear_region_count,
    per_sample_grads,
    per_sample_grads_loop,
    random_crops,
    teg,
    teg_ranks,
)
from naslib_swap.registry import get_proxy


def _tiny_bn_net() -> nn.Module:
    torch.manual_seed(0)  # test-local construction; the proxy re-initialises from its own generator
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 5),
    )


def test_per_sample_grads_match_backward_loop_with_train_bn() -> None:
    net = _tiny_bn_net().train()
    x = torch.randn(12, 3, 6, 6, generator=torch.Generator().manual_seed(1))
    got = per_sample_grads(net, x)
    ref = per_sample_grads_loop(copy.deepcopy(net), x)
    assert got.shape == ref.shape
    torch.testing.assert_close(got, ref, rtol=1e-4, atol=1e-5)


def test_teg_ntk_equals_loop_reference() -> None:
    net = _tiny_bn_net()
    x = torch.randn(10, 3, 6, 6, generator=torch.Generator().manual_seed(2))
    got = compute_proxy("teg_ntk", net, Batch(x, None), ProxyContext(generator=torch.Generator().manual_seed(7)),
                        reinits=1)
    ref_net = copy.deepcopy(net).train()
    reinitialise(ref_net, torch.Generator().manual_seed(7), "kaiming")  # the same draw as the proxy's
    j = per_sample_grads_loop(ref_net, x).double()
    ev = np.linalg.eigvalsh((j @ j.t()).numpy())
    assert got == pytest.approx(ev[-1] / ev[0], rel=1e-3)
    assert got >= 1.0


def test_teg_ntk_averages_reinits_and_is_seeded() -> None:
    net = _tiny_bn_net()
    x = torch.randn(8, 3, 6, 6, generator=torch.Generator().manual_seed(3))
    a = compute_proxy("teg_ntk", net, Batch(x, None), ProxyContext(generator=torch.Generator().manual_seed(5)))
    b = compute_proxy("teg_ntk", net, Batch(x, None), ProxyContext(generator=torch.Generator().manual_seed(5)))
    g = torch.Generator().manual_seed(5)
    singles = []
    for _ in range(3):  # the default reinits=3 draws three nets one after the other from the same generator
        n = copy.deepcopy(net).train()
        reinitialise(n, g, "kaiming")
        singles.append(condition_number(per_sample_grads(n, x)))
    assert a == b
    assert a == pytest.approx(float(np.mean(singles)), rel=1e-6)


def test_teg_ntk_nan_policies() -> None:
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    zeros = Batch(torch.zeros(6, 3, 2, 2), None)  # all weight gradients are 0: the NTK is singular
    assert math.isnan(compute_proxy("teg_ntk", net, zeros, reinits=1))
    assert compute_proxy("teg_ntk", net, zeros, reinits=1, nan_policy="te-nas") == 1e5
    with pytest.raises(ProxyInputError, match="nan_policy"):
        compute_proxy("teg_ntk", net, zeros, nan_policy="zero")


def test_condition_number_known_matrix() -> None:
    assert condition_number(torch.diag(torch.tensor([3.0, 1.0, 2.0]))) == pytest.approx(9.0)
    assert math.isnan(condition_number(torch.zeros(3, 4)))


# -- linear regions ----------------------------------------------------------------------------------------------

def test_distinct_rows_matches_python_set() -> None:
    g = torch.Generator().manual_seed(0)
    a = torch.rand(500, 130, generator=g) > 0.5
    a[250:] = a[:250]  # duplicates
    a[:, 70:] = False  # words that are all zero must not merge distinct rows
    want = len({tuple(r) for r in a.tolist()})
    assert distinct_rows(a) == want


def test_linear_regions_of_a_hand_built_one_layer_net() -> None:
    # y_j = relu(x - b_j) with breakpoints b = 0.5, 1.5, 2.5, 3.5 splits the line into 5 regions
    layer = nn.Linear(1, 4)
    with torch.no_grad():
        layer.weight.fill_(1.0)
        layer.bias.copy_(-torch.tensor([0.5, 1.5, 2.5, 3.5]))
    net = nn.Sequential(layer, nn.ReLU())
    x = torch.linspace(0.0, 4.0, 3000).view(-1, 1)
    assert linear_region_count(net, x) == 5
    assert linear_region_count(net, torch.linspace(0.0, 1.0, 50).view(-1, 1)) == 2  # only regions (-inf,.5), (.5,1.5)


def test_teg_lr_counts_distinct_crop_patterns_on_the_thin_net() -> None:
    images = torch.randn(6, 3, 8, 8, generator=torch.Generator().manual_seed(4))
    built = []

    def build_net(**kw):  # a "thin net" of one ReLU: its regions are the sign patterns of the 9 crop pixels
        built.append(kw)
        return nn.Sequential(nn.ReLU())

    ctx = ProxyContext(generator=torch.Generator().manual_seed(9), build_net=build_net)
    got = compute_proxy("teg_lr", nn.Identity(), Batch(images, None), ctx, init="none", reinits=1, crops=400)
    crops = random_crops(images, 400, 3, torch.Generator().manual_seed(9))
    want = len({tuple((c.reshape(-1) > 0).tolist()) for c in crops})
    assert got == want
    assert built == [{"profile": "teg-thin"}]


def test_random_crops_are_single_channel_windows_of_the_images() -> None:
    images = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).view(2, 3, 5, 5)
    crops = random_crops(images, 50, 3, torch.Generator().manual_seed(0))
    assert crops.shape == (50, 1, 3, 3)
    windows = {tuple(images[b, c, i:i + 3, j:j + 3].reshape(-1).tolist())
               for b in range(2) for c in range(3) for i in range(3) for j in range(3)}
    assert all(tuple(c.reshape(-1).tolist()) in windows for c in crops)


def test_teg_lr_needs_the_builder() -> None:
    with pytest.raises(ProxyInputError, match="build"):
        compute_proxy("teg_lr", nn.Sequential(nn.ReLU()), Batch(torch.randn(2, 3, 4, 4), None))


def test_nb201_thin_net_runs_on_3x3_single_channel_inputs() -> None:
    from naslib_swap.registry import get_space
    from naslib_swap.rng import make_generator

    sp = get_space("nasbench201")
    thin = sp.build((2, 2, 3, 0, 4, 2), "cifar10", generator=make_generator(0), C=1, N=1, stem=False, in_channels=1)
    out = thin.train()(torch.randn(16, 1, 3, 3, generator=torch.Generator().manual_seed(0)))
    assert out.shape == (16, 10)
    assert 1 <= linear_region_count(thin, torch.randn(64, 1, 3, 3, generator=torch.Generator().manual_seed(1))) <= 64


# -- generalization MSE ------------------------------------------------------------------------------------------

def _mse_setup(n_tr: int = 6, n_te: int = 5, d: int = 12, k: int = 3, same: bool = False):
    g = torch.Generator().manual_seed(11)
    x_tr = torch.randn(n_tr, d, generator=g)
    x_te = x_tr.clone() if same else torch.randn(n_te, d, generator=g)
    t_tr = torch.tensor([i % k for i in range(n_tr)])
    t_te = t_tr.clone() if same else torch.tensor([(i + 1) % k for i in range(n_te)])
    tr, te = Batch(x_tr, t_tr, num_classes=k), Batch(x_te, t_te, num_classes=k)
    return tr, te, ProxyContext(make_batches=lambda sizes: [tr, te])


def _closed_form(tr: Batch, te: Batch, k: int, squared: bool) -> float:
    # a linear head y = W x + b: the gradient of sum_c y_c w.r.t. W is (x, ..., x), so Theta = k X X^T and k cancels
    xtr, xte = tr.inputs.double().numpy(), te.inputs.double().numpy()
    ytr = np.eye(k)[tr.targets.numpy()]
    yte = np.eye(k)[te.targets.numpy()]
    ytr, yte = ytr - ytr.mean(0), yte - yte.mean(0)
    pred = xte @ xtr.T @ np.linalg.solve(xtr @ xtr.T, ytr)
    per = ((pred - yte) ** 2).sum(1)
    return float(per.mean() if squared else np.sqrt(per).mean())


class _CellNet(nn.Module):
    def __init__(self, d: int, k: int) -> None:
        super().__init__()
        self.cell = nn.Linear(d, k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cell(x)


def test_teg_mse_paper_variant_closed_form() -> None:
    tr, te, ctx = _mse_setup()
    got = compute_proxy("teg_mse", nn.Linear(12, 3), tr, ctx, reinits=1)
    assert got == pytest.approx(_closed_form(tr, te, 3, squared=False), rel=1e-6)


def test_teg_mse_code_variant_closed_form() -> None:
    tr, te, ctx = _mse_setup()
    got = compute_proxy("teg_mse", _CellNet(12, 3), tr, ctx, reinits=1, variant="code")
    assert got == pytest.approx(_closed_form(tr, te, 3, squared=True), rel=1e-6)


def test_teg_mse_is_zero_when_test_equals_train() -> None:
    tr, _te, ctx = _mse_setup(same=True)
    assert compute_proxy("teg_mse", nn.Linear(12, 3), tr, ctx, reinits=2) == pytest.approx(0.0, abs=1e-9)


def test_teg_mse_bad_variant_and_failed_kernel() -> None:
    tr, te, ctx = _mse_setup()
    with pytest.raises(ProxyInputError, match="variant"):
        compute_proxy("teg_mse", nn.Linear(12, 3), tr, ctx, variant="other")
    zero_tr = Batch(torch.zeros_like(tr.inputs), tr.targets, num_classes=3)  # all-zero gradients: a failed kernel
    ctx0 = ProxyContext(make_batches=lambda sizes: [zero_tr, te])
    assert math.isnan(compute_proxy("teg_mse", nn.Linear(12, 3), tr, ctx0, reinits=1))
    assert compute_proxy("teg_mse", nn.Linear(12, 3), tr, ctx0, reinits=1, nan_policy="te-nas") == 1e5


# -- population ----------------------------------------------------------------------------------------------------

def test_teg_metadata() -> None:
    spec = get_proxy("teg")
    assert spec.needs_population and spec.higher_is_better and spec.fn is teg
    assert spec.population_inputs == ("teg_ntk", "teg_lr", "teg_mse")
    assert not get_proxy("teg_ntk").higher_is_better and get_proxy("teg_ntk").batch_size == 64
    assert get_proxy("teg_lr").higher_is_better and get_proxy("teg_lr").needs_arch_builder
    assert not get_proxy("teg_mse").higher_is_better and get_proxy("teg_mse").needs_labels
    with pytest.raises(ProxyInputError, match="population"):
        compute_proxy("teg", nn.Linear(2, 2), Batch(torch.randn(2, 2), None))


def test_teg_rank_sum_and_bad_values() -> None:
    rows = [
        {"teg_ntk": 10.0, "teg_lr": 50.0, "teg_mse": 1.0},  # best on all three
        {"teg_ntk": 30.0, "teg_lr": 40.0, "teg_mse": 2.0},
        {"teg_ntk": float("nan"), "teg_lr": 45.0, "teg_mse": 3.0},  # failed kappa -> worst so far (30)
    ]
    assert teg_ranks(rows).tolist() == [0.0, 1.0 + 2.0 + 1.0, 1.0 + 1.0 + 2.0]
    assert teg(rows) == [0.0, -4.0, -4.0]
    with pytest.raises(ProxyInputError, match="teg_mse"):
        teg_ranks([{"teg_ntk": 1.0, "teg_lr": 1.0}])


def test_fill_bad_uses_worst_seen_so_far() -> None:
    # leading: worst overall
    assert fill_bad([float("nan"), 2.0, 1.0, float("nan"), 4.0], lower_is_better=True) == [4.0, 2.0, 1.0, 2.0, 4.0]
    assert fill_bad([5.0, float("nan"), 3.0, float("nan")], lower_is_better=False) == [5.0, 5.0, 3.0, 3.0]
