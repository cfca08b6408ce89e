"""Read-only proxies score the caller's net without copying it: same scores, the net left exactly as it was.

Also: SWAP counts the patterns of an activation that repeats another on the very same tensor once (a distinct count
does not change), and only when it is the same, unmodified tensor.
"""
from __future__ import annotations

import contextlib
import copy

import pytest
import torch
import torch.nn as nn

import naslib_swap.proxies.base as base
import naslib_swap.proxies.passes as passes
from conftest import ARCHS, TINY, SyntheticNB201
from naslib_swap.errors import ProxyInputError
from naslib_swap.proxies.hooks import reference_pattern_count
from naslib_swap.proxies.passes import PassOutput, Tap, borrowable, borrowed, run_pass
from naslib_swap.proxies.swap import SwapTap
from naslib_swap.scoring import ArchScorer
from naslib_swap.types import Batch

READ_ONLY = ["swap", "reg_swap", "nwot", "l2_norm", "lswag[interval=(0,10)]", "lswag[interval=(0,10),bn_mode=eval]"]


def _snapshot(net: nn.Module) -> tuple[dict[str, torch.Tensor], list[tuple[bool, bool | None]]]:
    state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    flags = [(m.training, getattr(m, "track_running_stats", None)) for m in net.modules()]
    return state, flags


def _same(a: tuple, b: tuple) -> bool:
    return a[1] == b[1] and a[0].keys() == b[0].keys() and all(torch.equal(a[0][k], b[0][k]) for k in a[0])


def _scores(labels: list[str], share: bool) -> dict[str, float]:
    scorer = ArchScorer(SyntheticNB201(), "cifar10", labels, batch_size=8, seed=3, net_options=TINY)
    return {f"{a} {r.proxy}": r.score for a in ARCHS for r in scorer.score_arch(a, share=share)}


@pytest.mark.parametrize("share", [False, True])
def test_borrowing_gives_the_scores_of_a_copy(share, monkeypatch) -> None:
    borrowed_scores = _scores(READ_ONLY, share)
    monkeypatch.setattr(passes, "borrowable", lambda net, device: False)
    assert _scores(READ_ONLY, share) == borrowed_scores


@pytest.mark.parametrize("label", READ_ONLY)
def test_a_read_only_proxy_leaves_the_net_unchanged_and_copies_nothing(label, monkeypatch) -> None:
    scorer = ArchScorer(SyntheticNB201(), "cifar10", [label], batch_size=8, seed=3, net_options=TINY)
    inputs = scorer.arch_inputs(ARCHS[0])
    net = inputs.net.eval()  # a mode the proxy does not score in: it must come back
    before = _snapshot(net)
    copies: list[bool] = []
    real = copy.deepcopy
    monkeypatch.setattr(copy, "deepcopy", lambda x, *a: copies.append(x is net) or real(x, *a))
    base.compute_proxy(scorer.jobs[0], net, inputs.batch(8), inputs.context(scorer.jobs[0]))
    assert _same(before, _snapshot(net))
    # L-SWAG in train mode copies the net for its per-sample gradients (vmap cannot update BN statistics in place)
    assert copies.count(True) == (1 if label == "lswag[interval=(0,10)]" else 0)


def test_a_proxy_that_changes_weights_still_gets_a_copy() -> None:
    scorer = ArchScorer(SyntheticNB201(), "cifar10", ["swap[init=normal]", "synflow"], batch_size=8, seed=3,
                        net_options=TINY)
    inputs = scorer.arch_inputs(ARCHS[0])
    before = _snapshot(inputs.net)
    for call in scorer.jobs:
        base.compute_proxy(call, inputs.net, inputs.batch(8), inputs.context(call))
    assert _same(before, _snapshot(inputs.net))


def test_borrowable_only_with_batchnorm_buffers_on_the_device() -> None:
    assert borrowable(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()), "cpu")
    assert not borrowable(nn.Sequential(nn.Conv2d(3, 4, 3)), "meta")
    odd = nn.Conv2d(3, 4, 3)
    odd.register_buffer("steps", torch.zeros(1))  # a buffer a forward might change: copy as before
    assert not borrowable(odd, "cpu")


def test_borrowed_restores_modes_even_when_the_pass_fails() -> None:
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
    net.eval()
    net[1].train()

    class Broken(Tap):
        read_only = True

        def finish(self, net: nn.Module, out: PassOutput) -> float:
            raise ProxyInputError("broken on purpose")

    before = _snapshot(net)
    with pytest.raises(ProxyInputError), borrowed(net, True) as model:
        assert all(m.training for m in model.modules()) and not model[1].track_running_stats
        run_pass(model, Batch(torch.randn(4, 3, 8, 8), None), [Broken()])
    assert _same(before, _snapshot(net))


class _Fork(nn.Module):
    """One tensor read by two ReLUs, optionally changed in place between them."""

    def __init__(self, modify: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.a, self.b, self.modify = nn.ReLU(), nn.ReLU(), modify

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        out = self.a(y)
        if self.modify:
            y.mul_(-1.0)
        return out + self.b(y)


@pytest.mark.parametrize("modify", [False, True])
def test_swap_counts_a_repeated_activation_once(modify) -> None:
    torch.manual_seed(0)
    net = _Fork(modify)
    x = torch.randn(16, 3, 8, 8)
    acts: list[torch.Tensor] = []
    with contextlib.ExitStack() as stack:
        for m in (net.a, net.b):
            stack.callback(m.register_forward_hook(lambda _m, _i, o: acts.append(o.clone())).remove)
        with torch.no_grad():
            net(x)
    tap = SwapTap()
    with torch.no_grad():
        count = run_pass(net, Batch(x, None), [tap])[0]
    assert count == reference_pattern_count(acts)
    assert tap.counter.repeats == (0 if modify else 1)


def test_swap_under_inference_mode_counts_every_activation() -> None:
    torch.manual_seed(0)
    net, x = _Fork(False), torch.randn(16, 3, 8, 8)
    tap = SwapTap()
    with torch.inference_mode():
        count = run_pass(net, Batch(x, None), [tap])[0]
    assert tap.counter.repeats == 0 and count == run_pass(net, Batch(x, None), [SwapTap()])[0]
