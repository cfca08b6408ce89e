import random

import pytest
import torch

from conftest import NEEDS_DATA
from naslib_swap import get_space
from naslib_swap.errors import ArchFormatError
from naslib_swap.modelstats import model_stats
from naslib_swap.spaces.darts import DARTS_PRIMITIVES, DartsSuperNet, derive_genotype, make_darts_op

SPACE = get_space("nasbench301")



def _preview():
    from naslib_swap.data.groundtruth import preview_zc

    return preview_zc("nasbench301")["cifar10"]


@NEEDS_DATA
def test_preview_keys_roundtrip_all_725():
    entries = _preview()
    assert len(entries) == 725
    for key in entries:
        a = SPACE.parse(key)
        assert SPACE.key(a) == key
        assert SPACE.parse(SPACE.to_string(a)) == a


@NEEDS_DATA
def test_params_and_flops_equal_suite_on_a_sample():
    entries = _preview()
    for key in random.Random(1).sample(list(entries), 4):
        with torch.device("meta"):
            net = SPACE._build(SPACE.parse(key), "cifar10")
        s = model_stats(net, SPACE.stats_input_shape("cifar10"))
        assert round(s.params_m, 6) == round(entries[key]["params"]["score"], 6), key
        assert round(s.flops_m, 6) == round(entries[key]["flops"]["score"], 6), key


def test_real_network_counts_equal_meta_counts():
    a = SPACE.sample(torch.Generator().manual_seed(3))
    real = model_stats(SPACE.build(a, "cifar10", generator=torch.Generator().manual_seed(0)), (1, 3, 32, 32))
    with torch.device("meta"):
        meta = model_stats(SPACE._build(a, "cifar10"), (1, 3, 32, 32))
    assert real == meta


@pytest.mark.parametrize("bad", [
    "nonsense", "[[(0, 0)], [(0, 0)]]", [[(0, 0)] * 8], "[[(0, 7)] * 8, [(0, 0)] * 8]",
    [[(0, 0), (1, 1), (0, 2), (3, 3), (0, 1), (1, 1), (0, 1), (1, 1)]] * 2,  # node 1 input 3 out of range
    [[(0, 0), (0, 1)] + [(0, 1), (1, 1)] * 3] * 2,  # node 0 takes input 0 twice
    "Genotype(normal=[('conv_7x7', 0)] * 8, reduce=[])",
])
def test_malformed_arch_gives_one_line_error_with_format(bad):
    with pytest.raises(ArchFormatError) as e:
        SPACE.parse(bad)
    msg = str(e.value)
    assert "\n" not in msg and "expected" in msg and "Genotype" in msg


def test_genotype_string_parses():
    g = ("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
         "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], "
         "normal_concat=[2, 3, 4, 5], "
         "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), "
         "('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], "
         "reduce_concat=[2, 3, 4, 5])")
    a = SPACE.parse(g)  # DARTS-V2
    assert a[0][:2] == ((0, 3), (1, 3)) and a[1][0] == (0, 0)
    assert SPACE.parse(SPACE.to_string(a)) == a


def test_sampling_is_seeded_and_valid():
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    s1 = [SPACE.sample(g1) for _ in range(20)]
    assert s1 == [SPACE.sample(g2) for _ in range(20)]
    assert len(set(s1)) == 20
    for a in s1:
        assert SPACE.parse(a) == a


def test_mutation_changes_one_pair_and_covers_both_kinds():
    g = torch.Generator().manual_seed(0)
    kinds = set()
    for _ in range(60):
        a = SPACE.sample(g)
        b = SPACE.mutate(a, g)
        assert SPACE.parse(b) == b
        diffs = [(c, k) for c in range(2) for k in range(8) if a[c][k] != b[c][k]]
        assert len(diffs) == 1
        c, k = diffs[0]
        kinds.add("op" if a[c][k][0] == b[c][k][0] else "input")
    assert kinds == {"op", "input"}


def test_tiny_network_forward_and_seeded_weights():
    a = SPACE.sample(torch.Generator().manual_seed(1))
    n1 = SPACE.build(a, "cifar10", generator=torch.Generator().manual_seed(7), C=4, layers=3)
    n2 = SPACE.build(a, "cifar10", generator=torch.Generator().manual_seed(7), C=4, layers=3)
    for p1, p2 in zip(n1.parameters(), n2.parameters()):
        assert torch.equal(p1, p2)
    assert n1(torch.randn(2, 3, 16, 16)).shape == (2, 10)
    aux = SPACE.build(a, "cifar10", C=4, layers=6, auxiliary=True).train()
    aux(torch.randn(2, 3, 32, 32))
    assert aux.aux_logits is not None and aux.aux_logits.shape == (2, 10)


def test_op_factory_and_supernet():
    for name in DARTS_PRIMITIVES:
        for stride in (1, 2):
            y = make_darts_op(name, 4, stride, affine=False)(torch.randn(1, 4, 8, 8))
            assert y.shape == (1, 4, 8 // stride, 8 // stride), name
    with pytest.raises(ValueError):
        make_darts_op("conv_7x7", 4, 1)
    net = DartsSuperNet(C=4, layers=3, num_classes=10)
    w = torch.rand(2, 14, 8)
    net.set_op_weights(w)
    assert net(torch.randn(2, 3, 16, 16)).shape == (2, 10)
    normal, reduce = derive_genotype(net.op_weights)
    a = SPACE.from_genotype_cells(normal, reduce)
    assert SPACE.parse(a) == a


@NEEDS_DATA
def test_ground_truth_covers_preview():
    gt = SPACE.ground_truth("cifar10")
    assert len(gt) == 725 and all(80 < v < 100 for v in gt.values())
