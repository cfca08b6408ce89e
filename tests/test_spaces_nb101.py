import random

import numpy as np
import pytest
import torch

from conftest import NEEDS_DATA
from naslib_swap import get_space
from naslib_swap.errors import ArchFormatError
from naslib_swap.modelstats import count_parameters, model_stats
from naslib_swap.spaces.nasbench101 import prune, vertex_channels

SPACE = get_space("nasbench101")
CHAIN = [[0, 1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0],
         [0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0] * 7]
OPS = ["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3", "conv3x3-bn-relu", "conv3x3-bn-relu", "output"]



def _preview():
    from naslib_swap.data.groundtruth import preview_zc

    return preview_zc("nasbench101")["nasbench101"]["cifar10"]


@NEEDS_DATA
def test_params_and_flops_equal_suite_on_a_sample():
    entries = _preview()
    assert len(entries) == 500
    for key in random.Random(3).sample(list(entries), 4):
        assert SPACE.key(key) == key
        with torch.device("meta"):
            net = SPACE._build(SPACE.parse(key), "cifar10")
        s = model_stats(net, SPACE.stats_input_shape("cifar10"))
        assert round(s.params_m, 6) == round(entries[key]["params"], 6), key
        assert round(s.flops_m, 6) == round(entries[key]["flops"], 6), key
        assert count_parameters(net) == s.params  # every parameter runs


def test_spec_and_tuple_forms_agree():
    a = SPACE.parse({"matrix": CHAIN, "ops": OPS})
    assert len(a) == 56 and a[-7:] == (0, 4, 3, 2, 4, 4, 1)
    assert SPACE.parse((np.array(CHAIN), [0, 4, 3, 2, 4, 4, 1])) == a
    assert SPACE.parse(SPACE.key(a)) == a
    s = SPACE.spec(a)
    assert s["matrix"].tolist() == CHAIN and s["ops"] == OPS


def test_pruning_and_channels():
    m = np.array(CHAIN)
    m[1, 6] = 1  # vertex 1 also feeds the output
    m[0, 3] = 1
    m2 = m.copy()
    m2[2, 3] = 0  # vertex 2 is now a dead end: pruned
    pm, pops = prune(m2, OPS)
    assert pm.shape == (6, 6) and pops == [o for i, o in enumerate(OPS) if i != 2]
    ch = vertex_channels(128, 256, pm)
    assert ch[0] == 128 and ch[-1] == 256 and sum(ch[v] for v in range(1, 5) if pm[v, -1]) == 256


@pytest.mark.parametrize("bad", [
    "nonsense",
    "(0, 1, 2)",  # not n*n + n
    {"matrix": CHAIN},  # no ops
    {"matrix": [[0, 0], [1, 0]], "ops": ["input", "output"]},  # lower triangular
    {"matrix": CHAIN, "ops": ["input"] + ["conv5x5"] * 5 + ["output"]},
    {"matrix": [[0, 1, 0], [0, 0, 0], [0, 0, 0]], "ops": ["input", "maxpool3x3", "output"]},  # output unreachable
    {"matrix": np.triu(np.ones((7, 7), dtype=int), 1).tolist(), "ops": OPS},  # 21 edges
])
def test_malformed_arch_gives_one_line_error_with_format(bad):
    with pytest.raises(ArchFormatError) as e:
        SPACE.parse(bad)
    msg = str(e.value)
    assert "\n" not in msg and "expected" in msg and "56" in msg


def test_sampling_seeded_valid_and_mutation_differs():
    g1, g2 = torch.Generator().manual_seed(2), torch.Generator().manual_seed(2)
    s1 = [SPACE.sample(g1) for _ in range(15)]
    assert s1 == [SPACE.sample(g2) for _ in range(15)]
    g = torch.Generator().manual_seed(0)
    for a in s1:
        assert SPACE.parse(a) == a and len(a) == 56
        m, ops = SPACE._to_spec(a)
        pm, _ = prune(m, ops)
        assert pm.sum() <= 9
        b = SPACE.mutate(a, g)
        assert b != a and SPACE.parse(b) == b


def test_tiny_network_forward_and_seeded_weights():
    a = SPACE.parse({"matrix": CHAIN, "ops": OPS})
    n1 = SPACE.build(a, "cifar10", generator=torch.Generator().manual_seed(1), stem_channels=8, num_cells=1)
    n2 = SPACE.build(a, "cifar10", generator=torch.Generator().manual_seed(1), stem_channels=8, num_cells=1)
    assert all(torch.equal(p, q) for p, q in zip(n1.parameters(), n2.parameters()))
    assert n1(torch.randn(2, 3, 16, 16)).shape == (2, 10)


@NEEDS_DATA
def test_ground_truth_covers_preview():
    gt = SPACE.ground_truth("cifar10")
    assert len(gt) == 500 and all(SPACE.key(k) == k for k in gt)


def test_spec_string_roundtrip():
    a = SPACE.parse({"matrix": CHAIN, "ops": OPS})
    assert SPACE.parse(SPACE.to_string(a)) == a
