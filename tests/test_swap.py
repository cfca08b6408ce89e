import math

import pytest
import torch
import torch.nn as nn

from naslib_swap import get_space
from naslib_swap.errors import OptionError, ProxyInputError
from naslib_swap.modelstats import count_parameters
from naslib_swap.proxies.base import Batch, ProxyContext, compute_proxy
from naslib_swap.proxies.hooks import PatternCounter, activation_hooks, pack_patterns, reference_pattern_count
from naslib_swap.proxies.swap import auto_size_prior, size_regulariser, swap_count


def _conv(weights: list[float], cin: int = 1) -> nn.Sequential:
    net = nn.Sequential(nn.Conv2d(cin, len(weights), 1, bias=False), nn.ReLU())
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor(weights).view(len(weights), 1, 1, 1))
    return net


def test_swap_hand_counted_two_channels():
    x = torch.tensor([1.0, -1.0, 2.0]).view(3, 1, 1, 1)
    # channel 0 -> relu(x): pattern (1,0,1); channel 1 -> relu(-x): (0,1,0)
    assert compute_proxy("swap", _conv([1.0, -1.0]), Batch(x, None)) == 2.0


def test_swap_hand_counted_pixels():
    x = torch.tensor([[[1.0, -1.0], [1.0, 1.0]], [[-1.0, -1.0], [1.0, -1.0]]]).view(2, 1, 2, 2)
    # per pixel (sample0, sample1): (1,0) (0,0) (1,1) (1,0) -> 3 distinct
    assert compute_proxy("swap", _conv([1.0]), Batch(x, None)) == 3.0
    # two identical channels add no new pattern; a negated one adds (0,1) (1,1)->(0,0) dup, (0,0)->(0,0)...
    assert compute_proxy("swap", _conv([1.0, 2.0]), Batch(x, None)) == 3.0
    # negated channel patterns: (0,1) (1,1) (0,0) (0,1) -> union with the above {10,00,11,01} = 4
    assert compute_proxy("swap", _conv([1.0, -1.0]), Batch(x, None)) == 4.0


def test_swap_skips_non_4d_relu_and_errors_without_relu():
    flat = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU())
    x = torch.randn(5, 1, 2, 2)
    with pytest.raises(ProxyInputError, match="no 4-D"):
        compute_proxy("swap", flat, Batch(x, None))
    with pytest.raises(ProxyInputError, match="has none"):
        compute_proxy("swap", nn.Sequential(nn.Conv2d(1, 2, 1)), Batch(x, None))


def test_gelu_types():
    net = nn.Sequential(nn.Conv2d(1, 3, 1), nn.GELU())
    x = torch.randn(6, 1, 3, 3, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = net(x)
    assert swap_count(net, x, types=(nn.GELU,)) == reference_pattern_count([out])


@pytest.mark.parametrize("batch", [8, 64, 100])
def test_packed_equals_reference_on_nb201(batch):
    space = get_space("nasbench201")
    g = torch.Generator().manual_seed(batch)
    net = space.build((2, 3, 4, 0, 2, 3), "cifar10", generator=g, C=4, N=1).train()
    x = torch.randn(batch, 3, 8, 8, generator=g)
    acts = []
    with torch.no_grad():
        with activation_hooks(net, lambda m, o: acts.append(o.clone())):
            net(x)
        assert len(acts) > 3
        assert swap_count(net, x) == reference_pattern_count(acts)


@pytest.mark.parametrize("batch", [1, 63, 64, 65, 128, 130])
def test_pack_patterns_is_injective_on_columns(batch):
    g = torch.Generator().manual_seed(1)
    a = torch.rand(batch, 50, generator=g) > 0.5
    a[:, 10] = a[:, 3]  # a duplicate column
    packed = pack_patterns(a)
    assert packed.shape == (50, (batch + 63) // 64)
    ref = torch.unique(a.t().to(torch.uint8), dim=0).shape[0]
    assert torch.unique(packed, dim=0).shape[0] == ref
    c = PatternCounter()
    c.add(a.float().view(batch, 5, 10) - 0.5)  # active where > 0
    assert c.count() == ref


def test_reg_swap_formula_paper_and_code():
    space = get_space("nasbench201")
    g = torch.Generator().manual_seed(0)
    net = space.build((2, 2, 3, 3, 4, 0), "cifar10", generator=g, C=4, N=1)
    b = Batch(torch.randn(16, 3, 8, 8, generator=g), None)
    s = compute_proxy("swap", net, b)
    theta = count_parameters(net) / 1e6
    r = compute_proxy("reg_swap", net, b, ProxyContext(option_defaults={"reg_swap": {"mu": 1.5, "sigma": 1.5}}))
    assert r == pytest.approx(s * math.exp(-(((theta - 1.5) / 1.5) ** 2)))
    rc = compute_proxy("reg_swap", net, b, mu=2.0, sigma=3.0, formula="code")
    assert rc == pytest.approx(s * math.exp(-((count_parameters(net) / 1e3 - 2.0) ** 2) / 3.0))


def test_reg_swap_needs_a_prior_and_bad_options_fail():
    net = _conv([1.0])
    b = Batch(torch.randn(4, 1, 2, 2), None)
    with pytest.raises(ProxyInputError, match="needs mu and sigma"):
        compute_proxy("reg_swap", net, b)
    with pytest.raises(OptionError, match="formula='nope': expected one of 'paper', 'code'"):
        compute_proxy("reg_swap", net, b, mu=1.0, sigma=1.0, formula="nope")
    with pytest.raises(OptionError, match="mu='abc': expected a number or one of 'auto' or None"):
        compute_proxy("reg_swap", net, b, mu="abc")
    with pytest.raises(OptionError, match="has no option 'muu'"):
        compute_proxy("reg_swap", net, b, muu=1.0)
    with pytest.raises(ProxyInputError, match="sigma must be > 0"):
        size_regulariser(1.0, 1.0, 0.0)


def test_authors_init_is_seeded_and_reused_by_reg_swap():
    space = get_space("nasbench201")
    net = space.build((2, 2, 3, 3, 4, 0), "cifar10", generator=torch.Generator().manual_seed(0), C=4, N=1)
    b = Batch(torch.randn(16, 3, 8, 8, generator=torch.Generator().manual_seed(1)), None)

    def run(seed):
        ctx = ProxyContext(generator=torch.Generator().manual_seed(seed),
                           option_defaults={"reg_swap": {"mu": 1.5, "sigma": 1.5}})
        return compute_proxy("swap", net, b, ctx, init="normal", reinits=2), ctx

    (a, ctx), (a2, _) = run(5), run(5)
    assert a == a2
    # reg_swap in the same context reuses the cached count rather than drawing new weights
    r = compute_proxy("reg_swap", net, b, ctx, init="normal", reinits=2)
    assert r == pytest.approx(a * size_regulariser(count_parameters(net) / 1e6, 1.5, 1.5))


def test_auto_size_prior_rules():
    sizes = [0.1 * i for i in range(1, 11)]
    assert auto_size_prior(sizes, "max") == (1.0, 1.0)
    mu, sigma = auto_size_prior(sizes)
    assert mu == sigma == pytest.approx(0.91)
    with pytest.raises(ProxyInputError, match="unknown size-prior rule"):
        auto_size_prior(sizes, "median")


def test_reg_swap_auto_prior_comes_from_the_contexts_sampled_sizes():
    space = get_space("nasbench201")
    net = space.build((2, 2, 3, 3, 4, 0), "cifar10", generator=torch.Generator().manual_seed(0), C=4, N=1)
    b = Batch(torch.randn(16, 3, 8, 8, generator=torch.Generator().manual_seed(1)), None)
    sizes = [0.1 * i for i in range(1, 11)]
    auto = compute_proxy("reg_swap[mu='auto',sigma='auto']", net, b, ProxyContext(sampled_sizes=lambda: sizes))
    mu, sigma = auto_size_prior(sizes)
    assert auto == compute_proxy("reg_swap", net, b, mu=mu, sigma=sigma)
    with pytest.raises(ProxyInputError, match="needs the space's size histogram"):
        compute_proxy("reg_swap[mu='auto']", net, b)


def test_sampled_sizes_are_the_param_counts_of_the_spaces_own_draw(tmp_path, monkeypatch):
    from naslib_swap import sizes as sz
    from naslib_swap.rng import make_generator

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(sz, "_MEMO", {})
    space = get_space("nasbench201")
    got = sz.sampled_param_counts(space, "cifar10", n=4, seed=3)
    g = make_generator(3)
    want = tuple(count_parameters(space.build(space.sample(g), "cifar10")) / 1e6 for _ in range(4))
    assert got == want and list(tmp_path.rglob("sizes_nasbench201_cifar10_4_3_*.json"))  # cached on disk
