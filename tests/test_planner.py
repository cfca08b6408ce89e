"""Planned shared passes give every proxy the score it gets alone, bit for bit on CPU; needs are declared.

Each registered per-arch proxy is scored on tiny NB201 nets (synthetic images, no data needed) alone and planned
together with every other proxy; the planned run must share passes (fewer net copies than proxies).
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn

from conftest import ARCHS, TINY, SyntheticNB201
from naslib_swap.proxies.base import ProxyCall, ProxyContext, compute_proxy
from naslib_swap.proxies.passes import run_pass
from naslib_swap.proxies.planner import plan
from naslib_swap.registry import Need, get_proxy, list_proxies
from naslib_swap.scoring import ArchScorer
from naslib_swap.types import Batch

PER_ARCH = [n for n in list_proxies() if not get_proxy(n).needs_population]
# the expensive ones on small settings (the same options alone and together)
OPTIONS = {"teg_ntk": "[reinits=1]", "teg_mse": "[reinits=1,train_size=8,test_size=8]",
           "teg_lr": "[reinits=1,crops=200,images=16]", "lswag": "[interval=(0,10)]",
           "lswag_layerwise": "[interval=(0,10)]"}
LABELS = [n + OPTIONS.get(n, "") for n in PER_ARCH] + ["swap[reinits=2]", "nwot[bn_mode=eval]",
                                                      "grad_norm[bn_mode=eval]"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Bit-identity is a claim at one torch thread: with several, oneDNN may split a reduction differently between
    two calls of the same op (CI's 2 threads changed the last bits of even a proxy that runs alone both ways)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _scorer(labels) -> ArchScorer:
    return ArchScorer(SyntheticNB201(), "cifar10", labels, batch_size=8, seed=3, net_options=TINY)


@pytest.fixture(scope="module")
def together() -> dict[str, dict[str, float]]:
    scorer = _scorer(LABELS)
    return {a: {r.proxy: r.score for r in scorer.score_arch(a)} for a in ARCHS}


@pytest.mark.parametrize("label", LABELS)
def test_planned_together_equals_alone(label, together) -> None:
    scorer = _scorer([label])
    call = scorer.jobs[0]
    for arch in ARCHS:
        alone = scorer.score_arch(arch, share=False)[0].score
        both = together[arch][call.label]
        assert alone == both or (math.isnan(alone) and math.isnan(both)), f"{label} on {arch}: {alone} != {both}"


def test_the_plan_shares_passes() -> None:
    scorer = _scorer(LABELS)
    inputs = scorer.arch_inputs(ARCHS[0])
    steps = plan(scorer.jobs, inputs.ctx, scorer.batch_size_for)
    shared = [s for s in steps if s.shared]
    names = {scorer.jobs[i].name for s in shared for i in s.jobs}
    assert {"swap", "reg_swap", "nwot", "grad_norm", "snip", "plain", "fisher", "jacov", "epe_nas", "grasp", "l2_norm",
            "lswag", "lswag_layerwise"} <= names
    assert len(steps) < len(scorer.jobs)
    # a call whose options re-draw weights, or another BN mode / batch, is not in the train-mode pass
    train_pass = next(s for s in shared if s.bn_mode == "train")
    assert all(scorer.jobs[i].label != "swap[reinits=2]" for i in train_pass.jobs)
    assert any(s.bn_mode == "eval" and s.shared for s in steps)  # nwot + grad_norm in eval mode share theirs


def test_every_builtin_proxy_declares_its_needs() -> None:
    for name in list_proxies():
        spec = get_proxy(name)
        assert spec.needs_population or spec.needs, f"{name} declares no needs"
        assert all(isinstance(n, Need) for n in spec.needs)
        meta = spec.metadata()
        assert meta["needs"] == sorted(n.value for n in spec.needs) and meta["shares_passes"] == (spec.tap is not None)


def test_each_proxy_gets_its_own_generator() -> None:
    """A proxy that draws random numbers (zen, meco) scores the same after another one that draws (teg_lr)."""
    first = _scorer(["zen", "meco"]).score_arch(ARCHS[0])
    after = _scorer(["teg_lr[reinits=1,crops=50,images=8]", "meco", "zen"]).score_arch(ARCHS[0])
    assert {r.proxy: r.score for r in first} == {r.proxy: r.score for r in after if r.proxy in ("zen", "meco")}


def test_run_pass_one_forward_serves_several_taps() -> None:
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
    g = torch.Generator().manual_seed(0)
    b = Batch(torch.randn(8, 3, 8, 8, generator=g), torch.randint(0, 10, (8,), generator=g))
    calls = [ProxyCall.parse(n) for n in ("swap", "nwot", "grad_norm", "fisher", "jacov")]
    ctx = ProxyContext()
    taps = [c.spec.tap(ctx) for c in calls]
    forwards = []
    handle = net.register_forward_hook(lambda *_: forwards.append(1))
    together = run_pass(net, b, taps)
    handle.remove()
    assert len(forwards) == 1
    assert together == [compute_proxy(c, net, b, ctx) for c in calls]


def test_labels_are_checked_before_the_shared_pass() -> None:
    scorer = _scorer(["swap", "grad_norm"])
    inputs = scorer.arch_inputs(ARCHS[0])
    from naslib_swap.errors import ProxyInputError
    from naslib_swap.proxies.planner import run_step

    unlabelled = Batch(inputs.batch(8).inputs, None)
    step = plan(scorer.jobs, inputs.ctx, scorer.batch_size_for)[0]
    with pytest.raises(ProxyInputError, match="grad_norm' needs labels"):
        run_step(step, scorer.jobs, inputs.net, unlabelled, inputs.context)
