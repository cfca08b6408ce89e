"""Zero-Cost-PT: perturbation scoring with a known answer, edge orders, budget, and a tiny NB201 search."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

from conftest import NEEDS_DATA
from naslib_swap.errors import NaslibSwapError
from naslib_swap.registry import ProxySpec, get_search, get_space
from naslib_swap.search.zc_pt import ORDERS, PerturbationScorer, propose, topology_step
from naslib_swap.spaces.base import MissingCapabilityError, Supernet, SupernetSpace, mixing_weights
from naslib_swap.types import Batch

N_EDGES, N_OPS = 4, 3
# value[e, o]: how much op o on edge e adds to the toy proxy; the op to keep is the argmax of w * value
VALUE = torch.tensor([[1.0, 5.0, 2.0], [3.0, 1.0, 0.5], [0.1, 0.2, 9.0], [4.0, 4.5, 1.0]])


class ToyNet(nn.Module):
    """A 'supernet' whose forward returns its mixing weights; the toy proxy reads them."""

    def __init__(self, w0):
        super().__init__()
        self.register_buffer("op_weights", w0.clone())

    def set_op_weights(self, w):
        self.op_weights.copy_(w)

    def forward(self, x):
        return self.op_weights


def toy_spec(higher_is_better=True):
    def fn(net, batch, ctx):
        s = float((net(batch.inputs) * VALUE).sum())
        return s if higher_is_better else -s

    return ProxySpec(name="toy", fn=fn, higher_is_better=higher_is_better, bn_mode="eval")


def toy_supernet():
    cand = torch.ones(N_EDGES, N_OPS, dtype=torch.bool)
    w0 = torch.full((N_EDGES, N_OPS), 1.0 / N_OPS)
    net = ToyNet(w0)
    return Supernet(net=net, set_weights=net.set_op_weights, weights0=w0, candidates=cand,
                    fixed_order=(0, 2, 1, 3), topology=(), to_arch=lambda choice, kept=None: tuple(choice))


def run(order, higher_is_better=True, budget=None, seed=0):
    sup = toy_supernet()
    scorer = PerturbationScorer(sup, toy_spec(higher_is_better), None, torch.device("cpu"),
                                torch.Generator().manual_seed(0), budget)
    batch = Batch(torch.zeros(1, 1), None)
    choice, visited, truncated = propose(scorer, order, lambda: batch, torch.Generator().manual_seed(seed))
    return choice, visited, truncated, scorer.count


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("hib", [True, False])
def test_keeps_the_op_whose_removal_hurts_most(order, hib):
    choice, visited, truncated, _ = run(order, hib)
    assert choice == VALUE.argmax(1).tolist()  # (1, 0, 2, 1), known by construction
    assert sorted(visited) == list(range(N_EDGES)) and not truncated


@NEEDS_DATA  # real CIFAR images
def test_perturbation_scoring_on_nb201_supernet_matches_direct_proxy():
    from naslib_swap.proxies.base import compute_proxy

    sp = get_space("nasbench201")
    g = torch.Generator().manual_seed(0)
    w0 = mixing_weights(6, torch.ones(6, 5, dtype=torch.bool), g)
    net = sp.supernet_module("cifar10", generator=g, width=2, cells=1, op_weights=w0)
    sup = Supernet(net=net, set_weights=net.set_op_weights, weights0=w0, candidates=torch.ones(6, 5, dtype=torch.bool),
                   fixed_order=(0, 1, 3, 2, 4, 5), topology=(), to_arch=lambda choice, kept=None: tuple(choice))
    from naslib_swap.registry import get_proxy

    scorer = PerturbationScorer(sup, get_proxy("nwot"), "eval", torch.device("cpu"), g, None)
    batch = sp.make_batch("cifar10", 6, torch.Generator().manual_seed(1))
    scores = scorer.edge_scores(w0, 2, batch)
    w = w0.clone()
    w[2, 4] = 0.0
    ref = sp.supernet_module("cifar10", generator=torch.Generator().manual_seed(0), width=2, cells=1, op_weights=w)
    ref.load_state_dict({k: v for k, v in net.state_dict().items() if k != "op_weights"}, strict=False)
    assert scores[4] == pytest.approx(compute_proxy("nwot", ref, batch, bn_mode="eval"))
    assert torch.equal(net.op_weights, w0)  # the supernet is restored after scoring


def test_fixed_order_visits_input_to_output():
    _, visited, _, n = run("fixed")
    assert visited == [0, 2, 1, 3] and n == N_OPS * N_EDGES


def test_random_order_is_a_seeded_permutation():
    orders = {tuple(run("random", seed=s)[1]) for s in range(8)}
    assert all(sorted(o) == list(range(N_EDGES)) for o in orders) and len(orders) > 1
    assert run("random", seed=3)[1] == run("random", seed=3)[1]


def test_global_orders_visit_by_importance_with_paper_costs():
    # additive toy proxy: removing (e, o) lowers the score by w * value[e, o]
    by_best_op = sorted(range(N_EDGES), key=lambda e: -float(VALUE[e].max()))
    by_mean = sorted(range(N_EDGES), key=lambda e: -float(VALUE[e].mean()))
    for order, expect, cost in (("global-op-iter", by_best_op, N_OPS * N_EDGES * (N_EDGES + 1) // 2),
                                ("global-op-once", by_best_op, 2 * N_OPS * N_EDGES - N_OPS),
                                ("global-edge-iter", by_mean, N_OPS * N_EDGES * (N_EDGES + 1) // 2),
                                ("global-edge-once", by_mean, 2 * N_OPS * N_EDGES - N_OPS)):
        _, visited, _, n = run(order)
        assert visited == expect, order
        assert n == cost, order


def test_budget_truncates_and_keeps_arch_valid():
    choice, visited, truncated, n = run("random", budget=5)
    assert truncated and n == 5 and sorted(visited) == list(range(N_EDGES))
    assert all(0 <= c < N_OPS for c in choice)


@NEEDS_DATA  # real CIFAR images
def test_tiny_nb201_search_on_a_budget():
    sp = get_space("nasbench201")
    res = get_search("zc-pt")(sp, "cifar10", seed=0, budget=12, progress=False, width=2, cells=1, batch_size=4,
                              proposals=3, validate=2)
    assert sp.parse(res.arch) == res.arch
    assert res.extra["perturbations"] == 12 and res.extra["proposals_run"] == 1
    assert res.history[0]["truncated"]


@NEEDS_DATA  # real CIFAR images
def test_tiny_nb201_search_validates_distinct_candidates():
    sp = get_space("nasbench201")
    res = get_search("zc-pt")(sp, "cifar10", seed=1, progress=False, width=2, cells=1, batch_size=4, proposals=2,
                              validate=2, order="fixed", proxy="swap")
    assert res.extra["perturbations"] == 2 * 30
    vals = [h for h in res.history if h["stage"] == "validation"]
    assert len(vals) == res.extra["distinct_candidates"] or res.extra["distinct_candidates"] == 1
    if vals:
        assert sp.key(res.arch) == max(vals, key=lambda h: h["score"])["arch"]


def test_bad_options_are_one_line_errors():
    sp = get_space("nasbench201")
    with pytest.raises(NaslibSwapError, match="order"):
        get_search("zc-pt")(sp, "cifar10", seed=0, order="sideways", progress=False)
    with pytest.raises(NaslibSwapError):
        get_search("zc-pt")(sp, "cifar10", seed=0, proxy="nwot[nope=1]", progress=False)


def test_space_without_supernet_is_a_clear_error():
    sp = get_space("transbench101_micro")
    assert not isinstance(sp, SupernetSpace)
    with pytest.raises(MissingCapabilityError,
                       match=r"^zc-pt needs a space with a supernet \(SupernetSpace\); transbench101_micro has none$"):
        get_search("zc-pt")(sp, "jigsaw", seed=0, progress=False)


def test_a_space_that_cannot_honour_a_size_says_so():
    with pytest.raises(NaslibSwapError, match="nasbench201 cannot set depth"):
        get_space("nasbench201").supernet(dataset="cifar10", generator=torch.Generator(), depth=2)


SUPERNET_SPACES = [n for n in ("nasbench101", "nasbench201", "nasbench301", "transbench101_micro",
                               "transbench101_macro") if isinstance(get_space(n), SupernetSpace)]


@pytest.mark.parametrize("name", SUPERNET_SPACES)
def test_supernet_capability(name):
    sp = get_space(name)
    dataset = sp.datasets[0]
    sup = sp.supernet(dataset, torch.Generator().manual_seed(0), width=2, cells=sp.profiles["teg-indicator"]["cells"])
    rows, ops = sp.mixing_rows
    assert sup.weights0.shape == sup.candidates.shape == (rows, ops)
    assert torch.allclose(sup.weights0.sum(1), torch.ones(rows))
    assert bool((sup.weights0[~sup.candidates] == 0).all())
    if not sp.archs_have_none:
        assert not bool(sup.candidates[:, sp.none_op].any())
    assert sorted(sup.fixed_order) == list(range(rows))
    x = torch.randn(2, *sp.input_shape(dataset))
    w = torch.zeros(rows, ops)
    choice = [int(torch.nonzero(sup.candidates[e])[-1]) for e in range(rows)]
    w[range(rows), choice] = 1.0
    sup.set_weights(w)
    assert torch.equal(sup.net.op_weights.view(rows, ops), w)
    assert sup.net(x).shape[0] == 2
    arch = sup.to_arch(choice)  # every topology node keeps its first inputs
    assert sp.parse(arch) == arch
    kept = [node.inputs[-node.keep:] for node in sup.topology]
    assert sp.parse(sup.to_arch(choice, kept)) == sup.to_arch(choice, kept)
    assert sp.supernet_batch_size >= 1


def test_topology_step_keeps_the_most_important_inputs_per_node():
    from naslib_swap.spaces.darts.genotype import DARTS_EDGES, NUM_NODES, cells_from_choice, edge_index

    sp = get_space("nasbench301")
    g = torch.Generator().manual_seed(0)
    val = torch.rand(2 * DARTS_EDGES, generator=g)  # importance of each edge, known by construction

    class Additive:
        count = 0
        sup = SimpleNamespace(weights0=torch.zeros(2 * DARTS_EDGES, 8), topology=sp.topology,
                              to_arch=sp.arch_from_choice)

        def goodness(self, w, batch):
            self.count += 1
            return float((w.sum(1) * val).sum())

    choice = [int(c) for c in torch.randint(1, 8, (2 * DARTS_EDGES,), generator=g)]  # no 'none' (index 0)
    scorer = Additive()
    arch = topology_step(scorer, choice, lambda: None)
    normal, reduce = sp.genotype(arch)
    assert scorer.count == 2 * 22
    for t, cell in enumerate((normal, reduce)):
        for i in range(NUM_NODES):
            ins = sorted(j for _, j in cell[2 * i: 2 * i + 2])
            best = sorted(sorted(range(i + 2), key=lambda j: -float(val[t * DARTS_EDGES + edge_index(i, j)]))[:2])
            assert ins == best
    kept = [tuple(sorted(j for _, j in c[2 * i: 2 * i + 2])) for c in (normal, reduce) for i in range(NUM_NODES)]
    assert (normal, reduce) == cells_from_choice(choice, kept)


@NEEDS_DATA  # real CIFAR images
def test_tiny_darts_search_prints_a_genotype():
    sp = get_space("nasbench301")
    res = get_search("zc-pt")(sp, "cifar10", seed=0, progress=False, width=2, cells=2, batch_size=2, proposals=1,
                              validate=1, budget=8)
    assert sp.parse(res.arch) == res.arch
    assert res.extra["genotype"] == sp.to_string(res.arch) and "none" not in res.extra["genotype"]
