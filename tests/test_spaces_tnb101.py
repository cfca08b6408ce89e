import random

import pytest
import torch

from conftest import NEEDS_DATA
from naslib_swap import get_space
from naslib_swap.errors import ArchFormatError
from naslib_swap.modelstats import model_stats
from naslib_swap.spaces import _transbench101 as tnb

MICRO = get_space("transbench101_micro")
MACRO = get_space("transbench101_macro")
TASKS = tnb.TASKS



def _preview(space):
    from naslib_swap.data.groundtruth import preview_zc

    return preview_zc(space.name)


@NEEDS_DATA
@pytest.mark.parametrize("space", [MICRO, MACRO], ids=["micro", "macro"])
def test_params_and_flops_equal_suite_one_arch_per_task(space):
    data = _preview(space)
    assert set(data) == set(TASKS)
    rng = random.Random(2)
    for task in TASKS:
        key = rng.choice(list(data[task]))
        assert space.key(key) == key
        with torch.device("meta"):
            net = space._build(space.parse(key), task)
        s = model_stats(net, space.stats_input_shape(task))
        assert round(s.params_m, 6) == round(data[task][key]["params"]["score"], 6), (task, key)
        assert round(s.flops_m, 6) == round(data[task][key]["flops"]["score"], 6), (task, key)


def test_encodings_and_net_codes():
    assert MICRO.parse("64-41414-3_13_123") == (3, 1, 3, 1, 2, 3)
    assert MICRO.to_string((0, 1, 2, 3, 0, 1)) == "64-41414-0_12_301"
    assert MACRO.parse("64-1242-basic") == (1, 2, 4, 2, 0, 0)
    assert MACRO.to_string("(1, 2, 4, 2, 3, 0)") == "64-12423-basic"
    assert len(list(MICRO.enumerate())) == 4096
    assert len(list(MACRO.enumerate())) == 3256


@pytest.mark.parametrize("space,bad", [
    (MICRO, "(0, 1, 2, 4, 0, 1)"), (MICRO, "(0, 1, 2)"), (MICRO, "64-41414-3_13_12"), (MICRO, "x"),
    (MACRO, "(1, 1, 1, 1, 0, 0)"),  # no downsampling, no channel doubling
    (MACRO, "(1, 0, 2, 4, 0, 0)"),  # padding in the middle
    (MACRO, "(4, 4, 4, 4, 4, 0)"),  # 5 halvings
    (MACRO, "(1, 2, 4, 0, 0, 0)"),  # 3 layers
    (MACRO, "(1, 2, 4)"),  # 3 layers, unpadded
    (MACRO, "64-125-basic"),
])
def test_malformed_arch_gives_one_line_error_with_format(space, bad):
    with pytest.raises(ArchFormatError) as e:
        space.parse(bad)
    msg = str(e.value)
    assert "\n" not in msg and "expected" in msg and "64-" in msg


@pytest.mark.parametrize("space", [MICRO, MACRO], ids=["micro", "macro"])
def test_sampling_seeded_and_mutation_valid(space):
    g1, g2 = torch.Generator().manual_seed(4), torch.Generator().manual_seed(4)
    s1 = [space.sample(g1) for _ in range(30)]
    assert s1 == [space.sample(g2) for _ in range(30)]
    valid = set(space.enumerate())
    g = torch.Generator().manual_seed(0)
    for a in s1:
        assert a in valid
        b = space.mutate(a, g)
        assert b in valid and b != a
        assert b in space.neighbours(a)


def test_macro_neighbours_are_one_edit_away():
    a = (1, 2, 4, 2, 0, 0)
    nb = MACRO.neighbours(a)
    assert len(nb) == len(set(nb)) > 10
    lengths = {sum(1 for v in b if v) for b in nb}
    assert lengths == {4, 5}  # changed codes (4 layers) and insertions (5); deletions would leave 3


@NEEDS_DATA
@pytest.mark.parametrize("task", TASKS)
def test_stand_in_batches_and_losses(task):
    space = MICRO
    b1, b2 = space.make_batches(task, [2, 3], torch.Generator().manual_seed(0))
    assert b1.inputs.shape == (2, *space.input_shape(task)) and len(b2) == 3
    assert "stand-in" in b1.source and "CIFAR" in b1.source
    again = space.make_batch(task, 2, torch.Generator().manual_seed(0))
    assert torch.equal(again.inputs, b1.inputs)
    with torch.device("meta"):
        net = space._build((3, 3, 1, 2, 3, 1), task)
        out = net(b1.inputs.to("meta"))
        loss = b1.loss_fn(out, b1.targets.to("meta"))
    assert loss.dim() == 0
    if task in ("class_object", "class_scene", "jigsaw", "room_layout"):
        assert out.shape == (2, space.num_classes(task))
    else:
        assert out.shape == (2, space.num_classes(task), 256, 256)
        assert b1.targets.shape[-2:] == (256, 256)


@NEEDS_DATA
def test_jigsaw_tiles_are_a_permutation_of_the_image():
    b = MICRO.make_batch("jigsaw", 1, torch.Generator().manual_seed(1))
    perm = tnb.jigsaw_permutations()[int(b.targets[0])]
    assert sorted(perm.tolist()) == list(range(9))
    # un-shuffle and check the tiles join into one image continuous across the tile border
    tiles = torch.empty_like(b.inputs[0])
    tiles[perm] = b.inputs[0]
    img = tiles.reshape(3, 3, 3, 64, 64).permute(2, 0, 3, 1, 4).reshape(3, 192, 192)
    assert (img[:, :, 63] - img[:, :, 64]).abs().mean() < (img[:, :, 63] - img[:, :, 128]).abs().mean()


def test_small_real_network_trains_a_step():
    net = MICRO.build((3, 1, 3, 1, 2, 3), "class_object", generator=torch.Generator().manual_seed(0), base=8)
    x = torch.randn(2, 3, 64, 64)
    loss = MICRO.loss_fn("class_object")(net(x), torch.tensor([3, 99]))
    loss.backward()
    assert torch.isfinite(loss)
    jig = MACRO.build((1, 2, 4, 2, 0, 0), "jigsaw", generator=torch.Generator().manual_seed(0), base=8)
    assert jig(torch.randn(1, 9, 3, 32, 32)).shape == (1, 1000)


@NEEDS_DATA
def test_ground_truth_all_tasks_and_sign_convention():
    for space, n in ((MICRO, 4096), (MACRO, 3256)):
        for task in TASKS:
            gt = space.ground_truth(task)
            assert len(gt) == n, (space.name, task)
        assert all(v < 0 for v in space.ground_truth("room_layout").values())  # negative loss: higher is better
        assert all(0 < v <= 1 for v in space.ground_truth("autoencoder").values())  # SSIM
    assert set(MICRO.ground_truth("jigsaw")) == {MICRO.key(a) for a in MICRO.enumerate()}
    assert set(MACRO.ground_truth("jigsaw")) == {MACRO.key(a) for a in MACRO.enumerate()}
