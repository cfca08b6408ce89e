"""TEG-NAS searches finish on tiny budgets and return valid NB201 and NB301 (DARTS) architectures."""
from __future__ import annotations

import json

import pytest
import torch

from naslib_swap.data.groundtruth import has_data
from naslib_swap.errors import NaslibSwapError
from naslib_swap.ranking import rank
from naslib_swap.registry import get_search, get_space
from naslib_swap.search.teg import _prune_topology, _Pruner, teg_reward
from naslib_swap.spaces.base import MissingCapabilityError, PolicySpace
from naslib_swap.spaces.darts.genotype import (
    DARTS_EDGES,
    DARTS_PRIMITIVES,
    action_cells,
    derive_genotype,
    edge_index,
    sample_action,
)

needs_data = pytest.mark.skipif(not has_data(), reason="shared data folder (images) not found: set NASLIB_SWAP_DATA")
TINY = dict(width=1, batch_size=4, reinits=1, crops=50, images=8)


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
               "--budget", "2", "--no-progress", "--format", "json", "--option", "steps=2", "--option", "width=1",
               "--option", "batch_size=4", "--option", "reinits=1", "--option", "crops=50", "--option", "images=8"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert len(get_space("nasbench201").parse(out["arch"])) == 6
    assert out["test_acc"] is not None and out["search_time_s"] > 0


def test_teg_search_rejects_other_spaces_and_bad_options(space) -> None:
    with pytest.raises(MissingCapabilityError,
                       match=r"^teg-evolution needs a space with TEG's indicator networks "
                             r"\(build profile teg-indicator, teg-thin\); nasbench101 has none$"):
        get_search("teg-evolution")(get_space("nasbench101"), "cifar10", seed=0, progress=False)
    with pytest.raises(MissingCapabilityError,
                       match=r"^teg-reinforce needs a space with a cell policy \(PolicySpace\); "
                             r"transbench101_macro has none$"):
        get_search("teg-reinforce")(get_space("transbench101_macro"), "jigsaw", seed=0, progress=False)
    with pytest.raises(MissingCapabilityError, match=r"^teg-prune needs a space with a supernet"):
        get_search("teg-prune")(get_space("nasbench101"), "cifar10", seed=0, progress=False)
    with pytest.raises(NaslibSwapError, match="nasbench201 cannot set depth"):
        get_search("teg-evolution")(space, "cifar10", seed=0, progress=False, depth=2)
    with pytest.raises(NaslibSwapError, match="always drops 'none'"):
        get_search("teg-prune")(get_space("nasbench301"), "cifar10", seed=0, progress=False, drop_none=False)
    with pytest.raises(NaslibSwapError,
                       match="search .teg-reinforce. has no option .popsize.; its options: batch_size"):
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
    assert rank([0.3, 0.1, 0.3, 0.2], descending=True).tolist() == [0, 2, 0, 1]


# ---------------------------------------------------------------------------------------------------------------
# DARTS (nasbench301)
# ---------------------------------------------------------------------------------------------------------------

DARTS_TINY = dict(batch_size=8, reinits=1, crops=50, images=8)  # the authors' C=1 two-cell nets are the default


@pytest.fixture(scope="module")
def darts():
    return get_space("nasbench301")


def _valid_darts(space, res) -> bool:
    return (space.parse(res.arch) == res.arch and space.parse(space.key(res.arch)) == res.arch
            and res.extra["genotype"] == space.to_string(res.arch) and "no accuracy" in res.extra["ground_truth"])


@needs_data
def test_teg_evolution_darts(darts) -> None:
    res = get_search("teg-evolution")(darts, "cifar10", seed=0, progress=False, population=3, sample_size=2,
                                      steps=2, **DARTS_TINY)
    assert _valid_darts(darts, res)
    assert res.n_scored <= 5 and darts.key(res.arch) in [h["arch"] for h in res.history]


@needs_data
def test_teg_reinforce_darts(darts) -> None:
    res = get_search("teg-reinforce")(darts, "cifar10", seed=0, progress=False, steps=4, **DARTS_TINY)
    assert _valid_darts(darts, res)
    assert res.n_scored <= 4 and len(res.history) == 4 and res.extra["lr"] == 0.07  # the paper's DARTS rate
    assert res.history[0]["reward"] == 0.0
    assert res.history[0]["arch"].startswith("Genotype(normal=[")
    assert 0.0 < res.extra["policy_entropy"] <= float(torch.log(torch.tensor(8.0))) + 1e-6


@needs_data
def test_teg_prune_darts(darts) -> None:
    res = get_search("teg-prune")(darts, "cifar10", seed=0, budget=1, progress=False,
                                  **{**DARTS_TINY, "batch_size": 2})  # the supernet NTK costs per sample
    assert _valid_darts(darts, res)
    assert res.n_scored == 1 and res.extra["truncated"]  # the first round's base supernet, then out of budget


def test_darts_genotype_hand_made() -> None:
    idx = {p: i for i, p in enumerate(DARTS_PRIMITIVES)}
    w = torch.zeros(2, 14, 8)
    w[..., idx["none"]] = 5.0  # 'none' weighs most everywhere but never counts
    # normal cell: node 0 <- 0 sep3, 1 skip; node 1 <- 2 (node 0) dil5, 0 max (1 weaker);
    # node 2 <- 3 avg, 1 sep5; node 3 <- 4 dil3, 0 sep3 (inputs 1, 2, 3 weaker)
    for node, inp, op, value in [(0, 0, "sep_conv_3x3", 0.9), (0, 1, "skip_connect", 0.1),
                                 (1, 2, "dil_conv_5x5", 0.8), (1, 0, "max_pool_3x3", 0.7), (1, 1, "avg_pool_3x3", 0.6),
                                 (2, 3, "avg_pool_3x3", 0.9), (2, 1, "sep_conv_5x5", 0.5), (2, 0, "skip_connect", 0.4),
                                 (3, 4, "dil_conv_3x3", 0.9), (3, 0, "sep_conv_3x3", 0.8), (3, 2, "skip_connect", 0.2)]:
        w[0, edge_index(node, inp), idx[op]] = value
    w[0, edge_index(1, 2), idx["sep_conv_3x3"]] = 0.3  # a second op on an edge: the stronger one wins
    normal, reduce = derive_genotype(w)
    assert normal == [("sep_conv_3x3", 0), ("skip_connect", 1), ("max_pool_3x3", 0), ("dil_conv_5x5", 2),
                      ("sep_conv_5x5", 1), ("avg_pool_3x3", 3), ("sep_conv_3x3", 0), ("dil_conv_3x3", 4)]
    # reduce cell all ties: the two lowest inputs, the lowest non-'none' op
    assert reduce == [("max_pool_3x3", 0), ("max_pool_3x3", 1)] * 4
    arch = get_space("nasbench301").from_genotype_cells(normal, reduce)
    assert get_space("nasbench301").genotype(arch) == (normal, reduce)
    with pytest.raises(NaslibSwapError, match="shape"):
        derive_genotype(torch.zeros(14, 8))


def test_darts_sample_keeps_two_inputs_per_node() -> None:
    g = torch.Generator().manual_seed(0)
    logits = torch.zeros(2, 14, 8)
    logits[..., 0] = -1e4  # no 'none': every sample is an NB301 arch
    for _ in range(20):
        action = sample_action(logits, g)
        assert action.shape == (2, 14) and int((action >= 0).sum()) == 16
        assert bool((action[:, [edge_index(0, 0), edge_index(0, 1)]] >= 0).all())  # node 0 keeps both inputs
        normal, reduce = action_cells(action)
        get_space("nasbench301").from_genotype_cells(normal, reduce)  # valid


class _FakeEvaluator:
    """Indicators of a DARTS supernet from hand-set edge importances: removing an important edge raises kappa and
    MSE and lowers R (all three say "keep it")."""

    def __init__(self, importance: dict[tuple[int, int, int], float]) -> None:
        self.importance, self.n_scored = importance, 0

    def supernet(self, w: torch.Tensor) -> dict[str, float]:
        self.n_scored += 1
        lost = sum(v for (t, i, j), v in self.importance.items() if float(w[t, edge_index(i, j)].sum()) == 0.0)
        return {"teg_ntk": 10.0 + lost, "teg_lr": 100.0 - lost, "teg_mse": 1.0 + lost}


def _topology(importance, cap=float("inf")):
    ev = _FakeEvaluator(importance)
    pr = _Pruner(ev, ("teg_ntk", "teg_lr", "teg_mse"), 10, cap, (2, 14, 8), [],
                 type("Bar", (), {"update": lambda self, n: None})())
    w = torch.zeros(2 * DARTS_EDGES, 8)
    w[:, 4] = 1.0  # one op per edge, as after the op rounds
    return _prune_topology(pr, w, get_space("nasbench301").topology), w, ev, pr


def test_darts_topology_keeps_the_edges_whose_removal_hurts() -> None:
    importance = {(0, 1, 2): 3.0, (0, 2, 1): 2.0, (0, 2, 3): 1.0, (0, 3, 1): 5.0, (0, 3, 3): 4.0,
                  (1, 1, 1): 1.0, (1, 1, 2): 2.0, (1, 3, 0): 1.0, (1, 3, 4): 1.0}
    kept, w, ev, pr = _topology(importance)
    # node 1 of the normal cell: input 2 matters, inputs 0/1 tie at 0 -> the lower input stays
    assert kept[:4] == [(0, 1), (0, 2), (1, 3), (1, 3)]  # normal cell, nodes 0..3
    assert kept[4:] == [(0, 1), (1, 2), (0, 1), (0, 4)]  # reduction cell
    assert ev.n_scored == 2 * (3 + 4 + 5 + 3)  # per node with > 2 inputs: one base + one per input
    assert int((w.sum(dim=1) > 0).sum()) == 16  # 8 edges per cell remain
    assert not pr.truncated
    # out of budget after the first node: the rest keep their two lowest inputs
    kept, _, ev, pr = _topology(importance, cap=4)
    assert kept[1] == (0, 2) and kept[2:4] == [(0, 1), (0, 1)] and kept[4:] == [(0, 1)] * 4
    assert pr.truncated and ev.n_scored == 4


@needs_data
def test_darts_indicator_nets(darts) -> None:
    from naslib_swap.search.teg import TegEvaluator

    ev = TegEvaluator(darts, "cifar10", seed=0, **DARTS_TINY)
    # skip_connect on the reduction cell's inputs is a FactorizedReduce: the thin net feeds it 3x3 crops (odd size)
    arch = darts.parse("[[(0, 2), (1, 2), (0, 3), (2, 2), (1, 0), (3, 1), (0, 4), (4, 5)], "
                       "[(0, 2), (1, 2), (0, 2), (2, 2), (1, 2), (3, 2), (0, 2), (4, 2)]]")
    net = darts.build(arch, "cifar10", **ev.request({}))
    assert [c.reduction for c in net.cells] == [False, True] and net.lastact is not None
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    thin = darts.build(arch, "cifar10", **ev.request({"profile": "teg-thin"}))
    assert [c.reduction for c in thin.cells] == [False, True] and isinstance(thin.stem, torch.nn.Identity)
    assert thin(torch.randn(5, 1, 3, 3)).shape == (5, 10)
    values = ev.arch(arch)
    assert set(values) == {"teg_ntk", "teg_lr", "teg_mse"} and values["teg_lr"] >= 1


POLICY_SPACES = [n for n in ("nasbench101", "nasbench201", "nasbench301", "transbench101_micro", "transbench101_macro")
                 if isinstance(get_space(n), PolicySpace)]


@pytest.mark.parametrize("name", POLICY_SPACES)
def test_policy_capability(name) -> None:
    sp = get_space(name)
    dataset = sp.datasets[0]
    logits = torch.zeros(sp.policy_shape, requires_grad=True)
    g = torch.Generator().manual_seed(0)
    action, log_prob = sp.sample_action(logits, g)
    log_prob.backward()
    assert logits.grad is not None and float(log_prob.detach()) < 0
    assert isinstance(sp.action_key(action), str)
    net = sp.build_action(action, dataset, generator=torch.Generator().manual_seed(1), profile="teg-indicator")
    assert net(torch.randn(2, *sp.input_shape(dataset))).shape[0] == 2
    with torch.no_grad():
        logits.normal_(generator=g)
    arch = sp.derive(logits)
    assert sp.parse(arch) == arch
    assert sp.reinforce_lr > 0


@pytest.mark.parametrize("name", ["nasbench201", "nasbench301"])
def test_teg_profiles_build(name) -> None:
    sp = get_space(name)
    arch = sp.sample(torch.Generator().manual_seed(0))
    ind = sp.build(arch, "cifar10", profile="teg-indicator")
    thin = sp.build(arch, "cifar10", profile="teg-thin")
    assert isinstance(thin.stem, torch.nn.Identity) and not isinstance(ind.stem, torch.nn.Identity)
    assert thin(torch.randn(3, 1, 3, 3)).shape == (3, 10)
