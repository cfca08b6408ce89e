"""AutoFormer ViT spaces: encodings, one-line errors, AutoFormer's evolution operators, the network's structure,
GELU activation patterns, every proxy on a tiny ViT, and the tables' ground truth."""
import math

import pytest
import torch
import torch.nn as nn

from conftest import NEEDS_DATA
from naslib_swap import get_space
from naslib_swap.errors import ArchFormatError, NaslibSwapError
from naslib_swap.modelstats import model_stats
from naslib_swap.proxies.base import ProxyContext, compute_proxy
from naslib_swap.proxies.swap import auto_size_prior, size_regulariser, swap_count
from naslib_swap.registry import get_proxy, list_proxies
from naslib_swap.spaces.autoformer.network import AutoFormerViT
from naslib_swap.types import Batch

TINY, SMALL, BASE = (get_space(n) for n in ("autoformer_tiny", "autoformer_small", "autoformer_base"))
ALL = [TINY, SMALL, BASE]
# a small variant for speed: 16x16 images in 8x8 patches (5 tokens), one block, embed dim 16
MINI = {"img_size": 16, "patch_size": 8, "depth": 1, "width": 16}


def test_hand_counted_structure():
    # Tiny, depth 12, every block mlp ratio 4 and 3 heads, embed 192; each term written out by hand
    a = (12,) + (4.0,) * 12 + (3,) * 12 + (192,)
    e, hidden, q = 192, 768, 3 * 64
    block = (2 * 2 * e                      # two LayerNorms
             + e * 3 * q + 3 * q            # qkv with bias
             + q * e + e                    # proj
             + 2 * 2 * (2 * 14 + 2) * 64    # relative position tables: (k, v) x (vertical, horizontal)
             + e * hidden + hidden + hidden * e + e)  # fc1, fc2
    total = (768 * e + e) + 198 * e + 12 * block + 2 * e + (e * 1000 + 1000)
    assert total == 5_809_576
    with torch.device("meta"):
        net = TINY.build(a, "imagenet", device="meta")
    assert sum(p.numel() for p in net.parameters()) == total
    # every parameter is in a leaf module that runs: the suite's leaf-module count agrees (on a small input)
    small = TINY.build(a, "imagenet", generator=torch.Generator().manual_seed(0), img_size=32)
    assert model_stats(small, (1, 3, 32, 32)).params == sum(p.numel() for p in small.parameters())


@NEEDS_DATA
@pytest.mark.parametrize("space", ALL, ids=lambda s: s.name)
def test_params_and_flops_equal_the_table(space):
    params, flops = space.table_column("params_m"), space.table_column("flops_m")
    for a in space.table_archs()[:5]:
        with torch.device("meta"):
            net = space.build(a, "imagenet", device="meta")
        assert round(sum(p.numel() for p in net.parameters()) / 1e6, 6) == params[space.key(a)]
        assert abs(net.autoformer_flops() / 1e6 - flops[space.key(a)]) < 5e-7


def test_forward_shape_and_determinism():
    a = TINY.sample(torch.Generator().manual_seed(0))
    nets = [TINY.build(a, "imagenet", generator=torch.Generator().manual_seed(3), **MINI) for _ in range(2)]
    x = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        y0, y1 = nets[0](x), nets[1](x)
    assert y0.shape == (2, 1000) and torch.equal(y0, y1)
    assert len(nets[0].activation_points()) == 1 and isinstance(nets[0].activation_points()[0], nn.GELU)


@pytest.mark.parametrize("space", ALL, ids=lambda s: s.name)
def test_encodings_round_trip(space):
    g = torch.Generator().manual_seed(1)
    for _ in range(5):
        a = space.sample(g)
        d = space.decode(a)
        assert space.parse(space.key(a)) == a
        assert space.parse(space.to_string(a)) == a
        assert space.parse(list(a)) == a
        row = {"depth": d["depth"], "embed_dim": d["embed_dim"], "mlp_ratio": " ".join(map(str, d["mlp_ratio"])),
               "num_heads": " ".join(map(str, d["num_heads"]))}
        assert space.parse(row) == a
        assert space.parse({**row, "mlp_ratio": d["mlp_ratio"], "num_heads": d["num_heads"]}) == a


@pytest.mark.parametrize("bad, problem", [
    ("embed=200 depth=12 mlp=" + ",".join(["4"] * 12) + " heads=" + ",".join(["3"] * 12), "embed_dim 200"),
    ("embed=192 depth=11 mlp=" + ",".join(["4"] * 11) + " heads=" + ",".join(["3"] * 11), "depth 11"),
    ("embed=192 depth=12 mlp=4 heads=3", "needs 12 mlp ratios"),
    ("embed=192 depth=12 mlp=" + ",".join(["3"] * 12) + " heads=" + ",".join(["3"] * 12), "mlp ratio(s) [3.0]"),
    ("embed=192 depth=12 mlp=" + ",".join(["4"] * 12) + " heads=" + ",".join(["5"] * 12), "head count(s) [5]"),
    ("embed=192 depth=12", "lacks mlp_ratio, num_heads"),
    ((12, 4.0, 3, 192), "needs 26 entries"),
    ("not an arch", "cannot parse"),
    ({"depth": 12, "embed_dim": 192}, "lacks mlp_ratio, num_heads"),
    ({"depth": 12, "embed_dim": 192, "mlp_ratio": "a b", "num_heads": "3"}, "lists of numbers"),
    ((3.5,) * 26, "first entry"),
])
def test_malformed_archs_are_one_line_errors(bad, problem):
    with pytest.raises(ArchFormatError) as e:
        TINY.parse(bad)
    msg = str(e.value)
    assert problem in msg and "\n" not in msg and msg.startswith("bad autoformer_tiny architecture")


@pytest.mark.parametrize("space", ALL, ids=lambda s: s.name)
def test_sampling_and_evolution_are_seeded_and_valid(space):
    def run(seed):
        g = torch.Generator().manual_seed(seed)
        a, b = space.sample(g), space.sample(g)
        return a, b, space.mutate(a, g), space.op_mutation(a, g), space.connectivity_mutation(a, g), \
            space.crossover(a, b, g)

    first = run(7)
    assert first == run(7)
    a, b, m, om, cm, (c1, c2) = first
    for x in (a, b, m, om, cm, c1, c2):
        assert space.parse(x) == x
    assert m != a and om != a and cm != a
    assert om[0] == a[0] and om[-1] == a[-1]  # the per-block mutation keeps depth and embed dim
    da, db = space.decode(a), space.decode(b)
    d1 = space.decode(c1)
    assert d1["depth"] == da["depth"] and d1["embed_dim"] in (da["embed_dim"], db["embed_dim"])
    for i in range(min(da["depth"], db["depth"])):
        assert d1["mlp_ratio"][i] in (da["mlp_ratio"][i], db["mlp_ratio"][i])


def test_sampling_covers_the_space_uniformly_per_gene():
    g = torch.Generator().manual_seed(0)
    archs = [SMALL.sample(g) for _ in range(600)]
    depths = [a[0] for a in archs]
    assert {12, 13, 14} == set(depths) and all(150 < depths.count(d) < 250 for d in (12, 13, 14))
    assert SMALL.choices.size() == 3 * sum(9 ** d for d in (12, 13, 14))


class _Gelu3d(nn.Module):
    """x (S, tokens, 1) -> GELU of two units w = (1, -1): a hand-countable pattern set."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(1, 2, bias=False)
        self.act = nn.GELU()
        with torch.no_grad():
            self.fc.weight.copy_(torch.tensor([[1.0], [-1.0]]))

    def forward(self, x):
        return self.act(self.fc(x))

    def activation_points(self):
        return [self.act]


def test_gelu_pattern_count_by_hand():
    # samples x tokens: s1 (1, 3), s2 (2, 1), s3 (-1, -2). Unit +x is on for samples (1, 1, 0) at both tokens, unit -x
    # for (0, 0, 1) at both: 2 distinct sample-wise patterns over the 4 token x unit values
    x = torch.tensor([[1.0, 3.0], [2.0, 1.0], [-1.0, -2.0]]).unsqueeze(-1)
    net = _Gelu3d()
    assert swap_count(net, x) == 2
    assert compute_proxy("swap", net, Batch(x, None)) == 2.0
    x[0, 1, 0] = -3.0  # token 1 of s1 flips: (0, 1, 0) and (1, 0, 1) are new patterns
    assert swap_count(net, x) == 4
    plain = nn.Sequential(nn.Linear(1, 2), nn.GELU())  # declares nothing: SWAP's ReLU feature maps are absent
    with pytest.raises(NaslibSwapError, match="ReLU"):
        compute_proxy("swap", plain, Batch(x, None))


def _mini_batches(sizes, g):
    return [Batch(torch.randn(s, 3, 16, 16, generator=g), torch.randint(0, 1000, (s,), generator=g),
                  nn.CrossEntropyLoss(), 1000, "synthetic N(0,1) inputs") for s in sizes]


def _mini_ctx(arch, seed):
    ctx = ProxyContext.for_space(TINY, "imagenet", generator=torch.Generator().manual_seed(seed), arch=arch,
                                 net_seed=seed, net_options=MINI,
                                 make_batches=lambda sizes: _mini_batches(sizes, torch.Generator().manual_seed(9)))
    ctx.sampled_sizes = lambda: (5.0, 6.0, 7.0, 8.0)  # the space's histogram takes 1000 builds; see the next test
    return ctx


@pytest.mark.parametrize("name", [n for n in list_proxies() if not get_proxy(n).needs_population])
def test_every_proxy_runs_on_a_tiny_vit_or_says_why(name):
    a = TINY.sample(torch.Generator().manual_seed(0))
    outs = []
    for _ in range(2):
        net = TINY.build(a, "imagenet", generator=torch.Generator().manual_seed(0), **MINI)
        batch = _mini_batches([8], torch.Generator().manual_seed(1))[0]
        try:
            outs.append(compute_proxy(name, net, batch, _mini_ctx(a, 0), interval=(0, 10))
                        if name.startswith("lswag") else compute_proxy(name, net, batch, _mini_ctx(a, 0)))
        except NaslibSwapError as e:
            # one line naming what it cannot score: the space, or the network's class
            assert "\n" not in str(e) and ("autoformer_tiny" in str(e) or "AutoFormerViT" in str(e)), str(e)
            return
    assert math.isfinite(outs[0]) and outs[0] == outs[1]


def test_reg_swap_defaults_to_the_auto_prior_on_vit_spaces():
    a = TINY.sample(torch.Generator().manual_seed(0))
    net = TINY.build(a, "imagenet", generator=torch.Generator().manual_seed(0), **MINI)
    batch = _mini_batches([8], torch.Generator().manual_seed(1))[0]
    ctx = _mini_ctx(a, 0)
    sw = compute_proxy("swap", net, batch, ctx)
    mu, sigma = auto_size_prior(ctx.sampled_sizes())
    theta = sum(p.numel() for p in net.parameters()) / 1e6
    assert compute_proxy("reg_swap", net, batch, ctx) == pytest.approx(sw * size_regulariser(theta, mu, sigma))


@pytest.mark.parametrize("space", ALL, ids=lambda s: s.name)
def test_param_count_without_a_build_equals_the_built_net(space):
    g = torch.Generator().manual_seed(4)
    for _ in range(3):
        a = space.sample(g)
        with torch.device("meta"):
            net = space.build(a, "imagenet", device="meta")
        assert space.param_count(a, "imagenet") == sum(p.numel() for p in net.parameters())


def test_sampled_sizes_of_a_vit_space():
    from naslib_swap.sizes import sampled_param_counts

    sizes = sampled_param_counts(TINY, "imagenet", n=20, seed=0)
    assert len(sizes) == 20 and 4.0 < min(sizes) <= max(sizes) < 11.0


@NEEDS_DATA
@pytest.mark.parametrize("space", ALL, ids=lambda s: s.name)
def test_ground_truth_keys_and_baselines(space):
    keys = space.table_keys("imagenet")
    gt = space.ground_truth("imagenet")
    assert len(keys) == len(set(keys)) == 1001 and set(keys) == set(gt)
    assert all(70 < v < 90 for v in gt.values())
    assert space.ground_truth("imagenet", metric="imagenet_top1") == gt
    with pytest.raises(ValueError):
        space.ground_truth("imagenet", metric="test")
    bl = space.table_baselines("imagenet", keys[:3])
    assert sorted(bl.proxy.unique()) == ["flops", "params"] and len(bl) == 6


@NEEDS_DATA
def test_imagenet_stand_in_batches():
    b = TINY.make_batch("imagenet", 4, torch.Generator().manual_seed(0))
    assert b.inputs.shape == (4, 3, 224, 224) and "stand-in" in b.source and "224x224" in b.source
    assert int(b.targets.max()) < 1000


def test_small_vit_class_is_usable_directly():
    net = AutoFormerViT(16, [4.0], [1], num_classes=3, img_size=16, patch_size=8)
    assert net(torch.zeros(1, 3, 16, 16)).shape == (1, 3)


def test_lswag_layer_groups_change_cost_not_values():
    from naslib_swap.proxies.lswag import grouped_layer_terms

    a = TINY.sample(torch.Generator().manual_seed(0))
    net = TINY.build(a, "imagenet", generator=torch.Generator().manual_seed(0), **MINI).train()
    batch = _mini_batches([6], torch.Generator().manual_seed(1))[0]
    names = [n for n, p in net.named_parameters() if n.endswith("weight") and p.dim() >= 2]
    whole = grouped_layer_terms(net, batch, names, ("one", "mean"))
    one_at_a_time = grouped_layer_terms(net, batch, names, ("one", "mean"), max_bytes=1)
    assert whole == one_at_a_time and len(whole["one"]) == len(names)


@NEEDS_DATA
def test_suite_protocol_draws_from_the_table_with_its_baselines():
    from naslib_swap.suite.baselines import baseline_scores, baseline_source
    from naslib_swap.suite.sampler import sample_archs, suite_keys

    keys = suite_keys(SMALL, "imagenet")
    assert keys == SMALL.table_keys("imagenet")
    drawn = sample_archs(keys, 50, 9000, space=SMALL)
    assert drawn == sample_archs(keys, 50, 9000, space=SMALL) and set(drawn) <= set(keys)
    bl = baseline_scores(SMALL, "imagenet", drawn)
    assert set(bl.proxy) == {"params", "flops"} and set(bl.arch) == set(drawn)
    assert "params_m" in baseline_source(SMALL, "imagenet")
