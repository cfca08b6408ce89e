import pytest
import torch

from conftest import NEEDS_DATA
from naslib_swap import get_space
from naslib_swap.errors import ArchFormatError, UnknownNameError
from naslib_swap.modelstats import model_stats

SPACE = get_space("nasbench201")


@NEEDS_DATA
def test_tuple_string_roundtrip_all_15625():
    from naslib_swap.data.groundtruth import nb201_table

    df = nb201_table()
    assert len(df) == 15625
    for key, s in zip(df["arch"], df["arch_str"]):
        t = SPACE.parse(key)
        assert SPACE.to_string(t) == s
        assert SPACE.parse(s) == t
        assert SPACE.key(s) == key


@NEEDS_DATA
@pytest.mark.parametrize("dataset", ["cifar10", "ImageNet16-120"])
def test_params_and_flops_equal_suite_on_a_sample(dataset):
    from naslib_swap.data.groundtruth import nb201_suite_table

    df = nb201_suite_table(dataset).sample(5, random_state=0)
    for key, p, f in zip(df["arch"], df["params"], df["flops"]):
        with torch.no_grad():
            net = SPACE.build(key, dataset, generator=torch.Generator().manual_seed(0))
            s = model_stats(net, SPACE.stats_input_shape(dataset))
        assert s.params_m == pytest.approx(p, abs=5e-7), key
        assert s.flops_m == pytest.approx(f, abs=5e-7), key


def test_network_output_shapes():
    g = torch.Generator().manual_seed(0)
    for ds, n in (("cifar10", 10), ("cifar100", 100), ("ImageNet16-120", 120)):
        net = SPACE.build((2, 3, 4, 0, 1, 2), ds, generator=g, C=4, N=1)
        assert net(torch.randn(2, *SPACE.input_shape(ds))).shape == (2, n)


def test_build_is_seeded_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = SPACE.build((2,) * 6, "cifar10", generator=torch.Generator().manual_seed(7), C=4, N=1)
    b = SPACE.build((2,) * 6, "cifar10", generator=torch.Generator().manual_seed(7), C=4, N=1)
    assert torch.equal(torch.get_rng_state(), before)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_sampling_and_mutation():
    g = torch.Generator().manual_seed(0)
    archs = [SPACE.sample(g) for _ in range(200)]
    assert all(len(a) == 6 and all(0 <= o < 5 for o in a) for a in archs)
    assert len(set(archs)) > 150
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert [SPACE.sample(g1) for _ in range(5)] == [SPACE.sample(g2) for _ in range(5)]
    for a in archs[:50]:
        m = SPACE.mutate(a, g)
        assert sum(x != y for x, y in zip(a, m)) == 1
        assert m in SPACE.neighbours(a)
    assert len(SPACE.neighbours(archs[0])) == 24
    assert len(list(SPACE.enumerate())) == 15625


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("(0, 2, 3)", "has 3 entries, not 6"),
        ("(0, 2, 3, 2, 3, 7)", "op indices must be integers 0..4"),
        ("(0, 2, 3, 2, 3, 1.5)", "op indices must be integers 0..4"),
        ("banana", "cannot parse"),
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|", "3 node groups"),
        ("|conv~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
         "unknown op 'conv'"),
        ("|nor_conv_3x3~1|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
         "from node 0"),
    ],
)
def test_malformed_arch_one_line_error_with_expected_format(bad, fragment):
    with pytest.raises(ArchFormatError) as e:
        SPACE.parse(bad)
    msg = str(e.value)
    assert fragment in msg and "expected a NASLib tuple of 6 op indices" in msg and "\n" not in msg


def test_unknown_dataset():
    with pytest.raises(UnknownNameError, match="unknown dataset 'imagenet'.*cifar10"):
        SPACE.num_classes("imagenet")


def test_supernet_op_weights():
    net = SPACE.supernet_module("cifar10", generator=torch.Generator().manual_seed(0), width=4, cells=1)
    x = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    w = torch.zeros(6, 5)
    w[:, 2] = 1.0  # only conv3x3 everywhere
    net.set_op_weights(w)
    assert net.discretise() == (2,) * 6
    y1 = net(x)
    w[0, 0] = 1.0  # add skip on edge 0->1: output changes
    net.set_op_weights(w)
    assert not torch.allclose(net(x), y1)
