"""The one torch.func path of per-sample gradients: both kinds match backward loops, for any chunking; the chunk
is capped by the free memory."""
from __future__ import annotations

import copy

import pytest
import torch
import torch.nn as nn

from naslib_swap.proxies import persample
from naslib_swap.proxies.persample import choose_chunk, per_sample_grads


def _net() -> nn.Module:
    torch.manual_seed(0)  # test-local weights; the package never reads the global RNG
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 5))


def _data(n: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 3, 6, 6, generator=g), torch.randint(0, 5, (n,), generator=g)


NAMES = ["0.weight", "1.weight", "4.weight"]


@pytest.mark.parametrize("chunk", [None, 1, 4])
def test_coupled_rows_are_the_batch_forward_backward_loop(chunk) -> None:
    net, (x, _) = _net(), _data()
    got = per_sample_grads(net, x, NAMES, coupled=True, chunk_size=chunk)
    ref_net = copy.deepcopy(net)
    out = ref_net(x).sum(dim=1)
    params = [dict(ref_net.named_parameters())[n] for n in NAMES]
    for i in range(x.shape[0]):  # the reference loop over samples (what the torch.func path replaces)
        gs = torch.autograd.grad(out[i], params, retain_graph=True)
        for n, g in zip(NAMES, gs):
            torch.testing.assert_close(got[n][i], g, rtol=1e-5, atol=1e-6)
    # the net's BN running statistics are untouched
    torch.testing.assert_close(net[1].running_mean, torch.zeros(4))


@pytest.mark.parametrize("chunk", [None, 2])
def test_uncoupled_rows_are_each_samples_own_loss_gradient(chunk) -> None:
    net, (x, y) = _net(), _data()
    net.eval()  # eval-mode BN: a single sample's forward is defined the same way in the loop
    got = per_sample_grads(net, x, NAMES, targets=y, loss_fn=nn.CrossEntropyLoss(), chunk_size=chunk)
    for i in range(x.shape[0]):
        loss = nn.CrossEntropyLoss()(net(x[i:i + 1]), y[i:i + 1])
        gs = torch.autograd.grad(loss, [dict(net.named_parameters())[n] for n in NAMES])
        for n, g in zip(NAMES, gs):
            torch.testing.assert_close(got[n][i], g, rtol=1e-5, atol=1e-6)


def test_the_chunk_is_capped_by_the_free_memory(monkeypatch) -> None:
    assert choose_chunk(64, 2**20, "cpu", available=2**40) is None
    assert choose_chunk(64, 2**20, "cpu", preferred=4, available=2**40) == 4
    assert choose_chunk(64, 2**20, "cpu", available=8 * 2**20) == 2   # a quarter of 8 MiB: two 1 MiB items
    assert choose_chunk(64, 2**30, "cpu", available=2**20) == 1       # never below one
    seen = []
    real = persample.vmap

    def spy(fn, *a, chunk_size=None, **k):
        seen.append(chunk_size)
        return real(fn, *a, chunk_size=chunk_size, **k)

    monkeypatch.setattr(persample, "available_bytes", lambda device: 8 * (2 * 5 * 64 * 4))  # room for 2 items
    monkeypatch.setattr(persample, "vmap", spy)
    net, (x, y) = _net(), _data()
    net.eval()
    per_sample_grads(net, x, ["4.weight"], targets=y, loss_fn=nn.CrossEntropyLoss())
    assert seen == [2]
