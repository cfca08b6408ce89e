"""The sampler reproduces NASLib's zero-cost evaluator draw (Python ``random`` after ``utils.set_seed``)."""
from __future__ import annotations

import ast
import random

import numpy as np
import pytest

from naslib_swap.data.groundtruth import has_data
from naslib_swap.suite.sampler import SamplerError, sample_archs, suite_keys


def naslib_style_draw(keys, n, seed, without_replacement=False, graphs_built=17):
    """What NASLib does, step by step: set_seed, get_search_space (each Graph.__init__ draws random.random() for
    its _id: 17 Graphs for NB201), labeled_archs from the zc keys, random.choice per arch."""
    state = random.getstate()
    try:
        np.random.seed(seed)  # utils.set_seed seeds numpy and torch too; neither feeds random.choice
        random.seed(seed)
        for _ in range(graphs_built):
            random.random()  # Graph.__init__: self._id = random.random()
        labeled_archs = [ast.literal_eval(k) for k in keys]  # NASLib: [eval(arch) for arch in zc_api.keys()]
        out = []
        while len(out) < n:
            op_indices = random.choice(labeled_archs)
            if without_replacement:
                labeled_archs.pop(labeled_archs.index(op_indices))
            out.append(str(op_indices))
        return out
    finally:
        random.setstate(state)


KEYS = [str(tuple(int(v) for v in np.random.default_rng(0).integers(0, 5, 6)) + (i,)) for i in range(300)]


@pytest.mark.parametrize("seed", [9000, 9004])
def test_with_replacement_matches_naslib(seed):
    ours = sample_archs(KEYS, 120, seed, space="nasbench201")
    assert ours == naslib_style_draw(KEYS, 120, seed)
    assert (sample_archs(KEYS, 120, seed, space="transbench101_micro")
            == naslib_style_draw(KEYS, 120, seed, graphs_built=1))
    assert len(set(ours)) < len(ours)  # with replacement: 120 draws from 300 keys repeat (birthday bound)


def test_unique_matches_naslib_without_replacement():
    ours = sample_archs(KEYS, 150, 9001, unique=True, space="nasbench201")
    assert ours == naslib_style_draw(KEYS, 150, 9001, without_replacement=True)
    assert len(set(ours)) == 150


def test_prefix_property_and_no_global_state():
    random.seed(1)
    before = random.random()
    random.seed(1)
    short = sample_archs(KEYS, 50, 9000)
    assert sample_archs(KEYS, 200, 9000)[:50] == short  # a smaller run is the start of a larger one
    assert random.random() == before  # the global generator was not touched


def test_errors_are_one_line():
    with pytest.raises(SamplerError, match="without replacement of 5 archs"):
        sample_archs(KEYS[:3], 5, 0, unique=True)
    with pytest.raises(SamplerError, match="no architecture keys"):
        sample_archs([], 5, 0)


@pytest.mark.skipif(not has_data(), reason="shared data folder (../shared/data) not found")
def test_nb201_key_lists():
    c10 = suite_keys("nasbench201", "cifar10")
    assert len(c10) == 9445 and len(set(c10)) == 9445
    assert suite_keys("nasbench201", "ImageNet16-120") == c10  # one NB201 list, same file order
    assert suite_keys("nasbench201", "cifar100") == c10  # documented choice: no cifar100 CSV
    prev = suite_keys("nasbench201", "cifar100", source="preview")
    assert len(prev) == 725
    # NASLib's own zerocost code (runner.py flow: set_seed, ZeroCost, get_search_space, labeled_archs from these keys,
    # ZeroCostPredictorEvaluator.load_dataset(load_labeled=True)) run in a NASLib environment drew these first keys:
    assert sample_archs(c10, 25, 9000, space="nasbench201") == NASLIB_NB201_9000
    assert sample_archs(c10, 25, 9001, unique=True, space="nasbench201") == NASLIB_NB201_9001_UNIQUE
    jig = suite_keys("transbench101_micro", "jigsaw")
    assert sample_archs(jig, 10, 9000, space="transbench101_micro") == NASLIB_TNB_MICRO_JIGSAW_9000
    with pytest.raises(SamplerError, match="key_source"):
        suite_keys("nasbench201", "cifar10", source="nope")


# Recorded from NASLib (branch zerocost) itself, 2026-11-23; keys: nb201/suite_zero_cifar10.csv order, and the preview
# zc_transbench101_micro.json[jigsaw] order.
NASLIB_NB201_9000 = [
    '(2, 1, 1, 2, 4, 0)', '(3, 4, 3, 4, 4, 0)', '(2, 2, 0, 1, 2, 4)', '(0, 2, 0, 3, 4, 2)', '(2, 1, 3, 2, 2, 2)',
    '(0, 0, 3, 3, 3, 2)', '(0, 3, 0, 3, 1, 3)', '(2, 0, 1, 0, 1, 4)', '(3, 2, 4, 4, 3, 3)', '(3, 2, 1, 1, 2, 2)',
    '(0, 3, 4, 4, 1, 3)', '(3, 2, 0, 0, 3, 3)', '(3, 3, 1, 0, 0, 4)', '(4, 3, 2, 4, 1, 4)', '(2, 4, 1, 0, 2, 2)',
    '(4, 2, 0, 3, 0, 3)', '(4, 0, 4, 2, 3, 4)', '(2, 4, 2, 4, 0, 4)', '(0, 4, 2, 4, 1, 0)', '(0, 0, 2, 0, 2, 0)',
    '(2, 2, 2, 4, 3, 4)', '(0, 3, 4, 3, 3, 3)', '(4, 4, 0, 0, 1, 3)', '(0, 3, 0, 0, 3, 2)', '(2, 2, 3, 3, 4, 0)',
]
NASLIB_NB201_9001_UNIQUE = [
    '(2, 4, 3, 3, 0, 4)', '(4, 0, 4, 4, 1, 4)', '(3, 3, 3, 3, 3, 4)', '(4, 4, 4, 0, 1, 3)', '(2, 2, 4, 2, 0, 2)',
    '(3, 0, 0, 4, 0, 2)', '(0, 4, 0, 2, 2, 3)', '(0, 2, 4, 3, 3, 3)', '(4, 1, 0, 4, 2, 0)', '(0, 4, 1, 4, 4, 4)',
    '(3, 3, 0, 2, 3, 3)', '(2, 4, 4, 1, 4, 0)', '(0, 0, 3, 4, 3, 3)', '(3, 0, 0, 3, 0, 4)', '(3, 4, 1, 3, 0, 4)',
    '(3, 1, 2, 0, 2, 0)', '(4, 2, 1, 3, 2, 2)', '(2, 3, 4, 3, 3, 3)', '(0, 1, 3, 0, 0, 3)', '(2, 2, 4, 4, 0, 4)',
    '(2, 4, 3, 0, 4, 4)', '(0, 0, 0, 3, 1, 2)', '(2, 0, 1, 4, 1, 2)', '(2, 4, 4, 3, 1, 2)', '(3, 2, 0, 0, 3, 2)',
]
NASLIB_TNB_MICRO_JIGSAW_9000 = [
    '(3, 2, 2, 1, 0, 0)', '(0, 1, 3, 3, 2, 2)', '(1, 0, 0, 2, 1, 1)', '(3, 2, 2, 2, 1, 1)', '(2, 1, 1, 3, 0, 2)',
    '(2, 3, 0, 0, 0, 1)', '(3, 0, 0, 2, 3, 3)', '(3, 1, 0, 3, 2, 1)', '(1, 3, 0, 1, 3, 1)', '(1, 2, 1, 3, 2, 0)',
]
