"""The sizing vocabulary and build profiles every space understands (``SearchSpace.net_options`` / ``build``)."""
import pytest
import torch

from naslib_swap.errors import NaslibSwapError
from naslib_swap.registry import get_space
from naslib_swap.spaces.base import SIZES, SizeError

SPACES = ["nasbench101", "nasbench201", "nasbench301", "transbench101_micro", "transbench101_macro"]


@pytest.mark.parametrize("name", SPACES)
def test_vocabulary_maps_to_builder_keywords_or_says_it_cannot(name):
    sp = get_space(name)
    assert set(sp.sizing) <= set(SIZES) and "width" in sp.sizing
    for word in SIZES:
        value = False if word == "stem" else 1
        if word in sp.sizing:
            assert sp.net_options(**{word: value}) == {sp.sizing[word]: value}
        else:
            with pytest.raises(SizeError, match=rf"^{name} cannot set {word}; it understands "):
                sp.net_options(**{word: value})
    assert sp.net_options(width=None, cells=None) == {}  # None: the default, dropped
    with pytest.raises(NaslibSwapError, match="no build profile 'nope'"):
        sp.net_options("nope")
    with pytest.raises(SizeError, match="width must be an integer >= 1"):
        sp.net_options(width=0)


@pytest.mark.parametrize("name", SPACES)
def test_width_builds_a_smaller_net(name):
    sp = get_space(name)
    dataset = sp.datasets[0]
    arch = sp.sample(torch.Generator().manual_seed(0))
    small = sp.build(arch, dataset, generator=torch.Generator().manual_seed(0), width=8)
    big = sp.build(arch, dataset, generator=torch.Generator().manual_seed(0))
    assert sum(p.numel() for p in small.parameters()) < sum(p.numel() for p in big.parameters())


def test_explicit_builder_keywords_still_work_and_win():
    sp = get_space("nasbench201")
    assert sp.net_options(width=4, C=2) == {"C": 2}
    a, b = (sp.build((2,) * 6, "cifar10", generator=torch.Generator().manual_seed(3), **kw)
            for kw in ({"width": 4, "cells": 1}, {"C": 4, "N": 1}))
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))


def test_cells_means_each_spaces_own_knob():
    assert get_space("nasbench201").net_options(cells=2) == {"N": 2}  # cells per stage
    assert get_space("nasbench301").net_options(cells=5) == {"layers": 5}  # cells in all
    assert get_space("nasbench101").net_options(cells=2) == {"num_cells": 2}  # cells per stack


def test_teg_profiles_on_darts():
    sp = get_space("nasbench301")
    ind = sp.net_options("teg-indicator")
    assert (ind["C"], ind["layers"], ind["depth"], ind["stem_multiplier"]) == (1, 3, 2, 1)
    assert sp.net_options("teg-indicator", cells=6)["depth"] == 3  # the first stage and the first reduction cell
    assert sp.net_options("teg-thin", depth=5)["depth"] == 3  # cut to the thin net's own cells
    with pytest.raises(SizeError, match="depth 5 exceeds the 3 cells"):
        sp.net_options("teg-indicator", depth=5)
    assert sp.net_options("supernet") == {"C": 16, "layers": 8}
