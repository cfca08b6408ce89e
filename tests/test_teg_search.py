"""TEG-NAS searches finish on tiny budgets and return valid NB201 architectures."""
from __future__ import annotations

import json

import pytest
import torch

from naslib_swap.data.groundtruth import has_data
from naslib_swap.errors import NaslibSwapError
from naslib_swap.registry import get_search, get_space
from naslib_swap.search.teg import _dense_rank, teg_reward


needs_data = pytest.mark.skipif(not has_data(), reason="shared data folder (images) not found: set NASLIB_SWAP_DATA")
TINY = dict(C=1, batch_size=4, reinits=1, crops=50, images=8)


@pytest.fixture(scope="module")
def space():
    return get_space("nasbench201")


def _valid(space, arch) -> bool:
    return space.parse(arch) == arch and len(arch) == 6


@needs_data
def test_teg_evolution_small(space) -> None:
    res = get_search("teg-evolution")(space, "cifar10", seed=0, progress=False, population=4, sample_size=2,
                                      steps=3, **TINY)
    assert _valid(space, res.arch)
    assert 1 <= res.n_scored <= 7
    keys = [h["arch"] for h in res.history]
    assert space.key(res.arch) in keys
    again = get_search("teg-evolution")(space, "cifar10", seed=0, progress=False, population=4, sample_size=2,
                                        steps=3, **TINY)
    assert again.arch == res.arch  # seeded


@needs_data
def test_teg_evolution_budget_caps_scoring(space) -> None:
    res = get_search("teg-evolution")(space, "cifar10", seed=1, budget=3, progress=False, population=5,
                                      sample_size=2, steps=10, **TINY)
    assert res.n_scored == 3 and res.extra["truncated"]
    assert _valid(space, res.arch)


@needs_data
def test_teg_reinforce_small(space) -> None:
    res = get_search("teg-reinforce")(space, "cifar10", seed=0, budget=4, progress=False, steps=6, **TINY)
    assert _valid(space, res.arch)
    assert res.n_scored <= 4
    assert res.history[0]["reward"] == 0.0
    assert 0.0 < res.extra["policy_entropy"] <= float(torch.log(torch.tensor(5.0))) + 1e-6


@needs_data
def test_teg_prune_small(space) -> None:
    res = get_search("teg-prune")(space, "cifar10", seed=0, budget=6, progress=False, **TINY)
    assert _valid(space, res.arch)
    assert res.n_scored <= 6
    assert 1 not in res.arch or res.extra["truncated"]  # 'none' is dropped first, as the TE-NAS code


@needs_data
def test_teg_search_cli_json(capsys) -> None:
    from naslib_swap.cli import main

    rc = main(["search", "--space", "nasbench201", "--dataset", "cifar10", "--method", "teg-reinforce", "--seed", "0",
               "--budget", "2", "--no-progress", "--format", "json", "--option", "steps=2", "--option", "C=1",
               "--option", "batch_size=4", "--option", "reinits=1", "--option", "crops=50", "--option", "images=8"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert len(get_space("nasbench201").parse(out["arch"])) == 6
    assert out["test_acc"] is not None and out["search_time_s"] > 0


def test_teg_search_rejects_other_spaces_and_bad_options(space) -> None:
    with pytest.raises(NaslibSwapError, match="not available for nasbench301"):
        get_search("teg-evolution")(get_space("nasbench301"), "cifar10", seed=0, progress=False)
    with pytest.raises(NaslibSwapError, match="unknown TEG search option"):
        get_search("teg-reinforce")(space, "cifar10", seed=0, progress=False, popsize=3)
    with pytest.raises(NaslibSwapError, match="sample_size"):
        get_search("teg-evolution")(space, "cifar10", seed=0, progress=False, population=2, sample_size=3)


def test_teg_reward_and_dense_rank() -> None:
    assert teg_reward({"teg_ntk": [1.0], "teg_lr": [1.0], "teg_mse": [1.0]}) == 0.0
    # kappa fell from 10 to 5 over a range of 5 (+1), R rose by its whole range (+1), MSE unchanged (0)
    assert teg_reward({"teg_ntk": [10.0, 5.0], "teg_lr": [1.0, 3.0], "teg_mse": [2.0, 2.0]}) == pytest.approx(2.0)
    # the window: only the last 2 values set the range (paper: window=None uses all)
    buf = {"teg_ntk": [100.0, 1.0, 2.0], "teg_lr": [0.0, 0.0, 0.0], "teg_mse": [0.0, 0.0, 0.0]}
    assert teg_reward(buf, window=2) == pytest.approx(-1.0, rel=1e-5)
    assert teg_reward(buf, window=None) == pytest.approx(-1.0 / 99.0, rel=1e-5)
    assert _dense_rank([0.3, 0.1, 0.3, 0.2], descending=True) == [0, 2, 0, 1]
