"""SWAP-NAS: operators keep NB201 cells valid; the search runs within a budget; mu reaches reg-SWAP."""
import pytest
import torch

from conftest import NEEDS_DATA
from naslib_swap.errors import NaslibSwapError
from naslib_swap.registry import get_search, get_space
from naslib_swap.spaces.base import EvolvableSpace, MissingCapabilityError
from naslib_swap.spaces.nasbench201 import NONE_OP, connectivity_mutation, crossover, op_mutation

SPACE = get_space("nasbench201")


def random_archs(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = [SPACE.sample(g) for _ in range(n)]
    return out + [(1,) * 6, (2,) * 6, (1, 1, 1, 1, 1, 4)], g


def test_op_mutation_changes_one_edge_validly():
    archs, g = random_archs(200)
    for a in archs:
        b = op_mutation(a, g)
        assert SPACE.parse(b) == b
        diff = [i for i in range(6) if a[i] != b[i]]
        assert len(diff) == 1
        assert b[diff[0]] != NONE_OP  # the operation mutation never disconnects


def test_connectivity_mutation_moves_or_switches_a_connection():
    archs, g = random_archs(200, seed=1)
    for a in archs:
        b = connectivity_mutation(a, g)
        assert SPACE.parse(b) == b and a != b
        a_ops = sorted(o for o in a if o != NONE_OP)
        b_ops = sorted(o for o in b if o != NONE_OP)
        if NONE_OP in a and a.count(NONE_OP) < 6:
            assert a_ops == b_ops  # shifted: the same ops, one moved from a connected to a disconnected edge
            moved = [i for i in range(6) if a[i] != b[i]]
            assert len(moved) == 2 and {a[moved[0]], a[moved[1]]} >= {NONE_OP}
        else:
            assert abs(b.count(NONE_OP) - a.count(NONE_OP)) == 1  # switched one edge between none and an op


def test_crossover_swaps_the_incoming_edges_of_one_node():
    archs, g = random_archs(100, seed=2)
    nodes = [(0,), (1, 3), (2, 4, 5)]
    for a, b in zip(archs, archs[1:]):
        c1, c2 = crossover(a, b, g)
        assert SPACE.parse(c1) == c1 and SPACE.parse(c2) == c2
        swapped = [p for p in range(6) if c1[p] == b[p] and c2[p] == a[p] and a[p] != b[p]]
        kept = [p for p in range(6) if c1[p] == a[p] and c2[p] == b[p]]
        assert len(set(swapped) | set(kept)) == 6
        assert any(set(swapped) <= set(n) for n in nodes)


@NEEDS_DATA  # real CIFAR images
def test_search_stops_at_the_budget():
    res = get_search("swap-nas")(SPACE, "cifar10", seed=0, budget=6, progress=False, population=4, cycles=5,
                                 mutations=3, batch_size=4, width=2, cells=1)
    assert SPACE.parse(res.arch) == res.arch
    assert res.n_scored == 6 and res.extra["budget_stopped"] and res.truncated


@NEEDS_DATA  # real CIFAR images
def test_search_runs_all_cycles_and_keeps_population_size():
    res = get_search("swap-nas")(SPACE, "cifar10", seed=1, progress=False, population=4, cycles=3, mutations=2,
                                 batch_size=4, width=2, cells=1, crossover_prob=1.0)
    assert len(res.history) == 3 and all(h["crossover"] for h in res.history)
    best = [h["best_score"] for h in res.history]
    assert best == sorted(best)  # elitism: the best never gets worse
    assert res.extra["best_score"] == best[-1]


@NEEDS_DATA  # real CIFAR images
def test_mu_and_sigma_reach_reg_swap():
    res = get_search("swap-nas")(SPACE, "cifar10", seed=0, progress=False, population=2, cycles=0, mutations=1,
                                 batch_size=4, width=2, cells=1, mu=0.7)
    assert res.extra["proxy"] == "reg_swap[mu=0.7,sigma=0.7]"


def test_other_spaces_and_bad_settings_are_errors():
    with pytest.raises(NaslibSwapError, match="population"):
        get_search("swap-nas")(SPACE, "cifar10", seed=0, population=1, progress=False)
    with pytest.raises(MissingCapabilityError, match=r"^swap-nas needs a space with mutation and crossover operators "
                                                     r"\(EvolvableSpace\); nasbench101 has none$"):
        get_search("swap-nas")(get_space("nasbench101"), "cifar10", seed=0, progress=False)


EVOLVABLE = [n for n in ("nasbench101", "nasbench201", "nasbench301", "transbench101_micro", "transbench101_macro")
             if isinstance(get_space(n), EvolvableSpace)]


@pytest.mark.parametrize("name", EVOLVABLE)
def test_evolvable_capability_keeps_archs_valid(name):
    sp = get_space(name)
    g = torch.Generator().manual_seed(0)
    archs = [sp.sample(g) for _ in range(30)]
    for a, b in zip(archs, archs[1:]):
        for mutate in (sp.op_mutation, sp.connectivity_mutation):
            c = mutate(a, g)
            assert sp.parse(c) == c
        c1, c2 = sp.crossover(a, b, g)
        assert sp.parse(c1) == c1 and sp.parse(c2) == c2


def test_darts_operators_keep_archs_valid():
    from naslib_swap.spaces.darts.operators import connectivity_mutation as darts_connectivity_mutation
    from naslib_swap.spaces.darts.operators import crossover as darts_crossover
    from naslib_swap.spaces.darts.operators import op_mutation as darts_op_mutation

    sp = get_space("nasbench301")
    g = torch.Generator().manual_seed(0)
    archs = [sp.sample(g) for _ in range(60)]
    for a, b in zip(archs, archs[1:]):
        for m in (darts_op_mutation, darts_connectivity_mutation):
            c = m(a, g)
            assert sp.parse(c) == c and c != a
            diff = [(t, k) for t in range(2) for k in range(8) if a[t][k] != c[t][k]]
            assert len(diff) == 1
        c1, c2 = darts_crossover(a, b, g)
        assert sp.parse(c1) == c1 and sp.parse(c2) == c2
        assert sorted(c1[0] + c1[1] + c2[0] + c2[1]) == sorted(a[0] + a[1] + b[0] + b[1])


@NEEDS_DATA  # real CIFAR images
def test_tiny_darts_swap_nas_gives_a_genotype():
    sp = get_space("nasbench301")
    res = get_search("swap-nas")(sp, "cifar10", seed=0, progress=False, population=2, cycles=1, mutations=1,
                                 batch_size=2, width=2, cells=2, mu=0.01)
    assert sp.parse(res.arch) == res.arch and res.extra["genotype"] == sp.to_string(res.arch)
