r"""Per-sample gradients through one ``torch.func`` path, chunked to fit the memory that is free.

Two kinds, one function (:func:`per_sample_grads`), both ``functional_call`` over the chosen parameters with every
other parameter and buffer held fixed, and ``vmap`` over the samples (no Python loop over samples):

* ``coupled=False`` (L-SWAG's :math:`\Lambda`): the gradient of sample i's *own* loss,
  :math:`\partial \mathcal{L}(f(x_i), y_i) / \partial \theta` (``vmap(grad(...))``: each sample runs through the
  net alone; train-mode BN normalises it by its own statistics, on a copy whose BN keeps no running statistics).
* ``coupled=True`` (TEG's NTK): row i of the Jacobian of the *batch* forward's summed logits,
  :math:`\partial \sum_c f_c(x_i) / \partial \theta` with BN statistics of the whole batch (``jacrev``: a ``vmap``
  over the B vector-Jacobian products).

``chunk_size`` (how many vmapped items run at once) is chosen by :func:`choose_chunk`: a preferred size (measured
fastest on CPU, where a whole batch at once thrashes the cache; all at once on an accelerator), capped so that the
chunk's estimated memory fits in a quarter of what :func:`available_bytes` reports (``torch.cuda.mem_get_info`` on
CUDA, the free physical pages on Linux).

Example:
    >>> import torch, torch.nn as nn
    >>> net = nn.Sequential(nn.Linear(3, 2))
    >>> x, y = torch.randn(4, 3, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 1, 1, 0])
    >>> g = per_sample_grads(net, x, ["0.weight"], targets=y, loss_fn=nn.CrossEntropyLoss())
    >>> g["0.weight"].shape
    torch.Size([4, 2, 3])
    >>> ref = torch.autograd.grad(nn.CrossEntropyLoss()(net(x[:1]), y[:1]), net[0].weight)[0]
    >>> torch.allclose(g["0.weight"][0], ref)
    True
"""
from __future__ import annotations

import copy
import os
from typing import Any, Callable, Sequence

import torch
import torch.nn as nn
from torch.func import functional_call, grad, jacrev, replace_all_batch_norm_modules_, vmap

MEMORY_FRACTION = 0.25  # of the free memory, for one chunk of vmapped items
CPU_CHUNK_COUPLED = 4  # TEG's Jacobian on CPU: measured fastest (docs/results/teg.md)


def available_bytes(device: torch.device | str) -> int:
    """Free memory on ``device``: ``torch.cuda.mem_get_info`` on CUDA, else the free physical pages (Linux), else
    a conservative 4 GiB."""
    dev = torch.device(device)
    if dev.type == "cuda":
        return int(torch.cuda.mem_get_info(dev)[0])
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 4 * 2**30


def choose_chunk(n: int, item_bytes: int, device: torch.device | str, *, preferred: int | None = None,
                 available: int | None = None) -> int | None:
    """How many of ``n`` vmapped items to run at once: ``preferred`` (None: all), capped so that the chunk's
    ``item_bytes`` each fit in :data:`MEMORY_FRACTION` of the free memory; None means all ``n`` at once.

    Example:
        >>> choose_chunk(64, 2**20, "cpu", available=2**30)        # 64 MiB fit in 256 MiB: all at once
        >>> choose_chunk(64, 2**24, "cpu", available=2**30)        # 16 MiB each: 16 at a time
        16
        >>> choose_chunk(64, 1, "cpu", preferred=4, available=2**30)
        4
    """
    free = available_bytes(device) if available is None else available
    cap = max(1, int(free * MEMORY_FRACTION) // max(int(item_bytes), 1))
    want = n if preferred is None else max(1, min(int(preferred), n))
    chunk = min(want, cap)
    return None if chunk >= n else chunk


def _bytes(tensors: Sequence[torch.Tensor]) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def _logits(out: Any) -> torch.Tensor:
    # NB201-style nets of some code bases return (features, logits)
    return out[-1] if isinstance(out, (tuple, list)) else out


def per_sample_grads(
    net: nn.Module,
    inputs: torch.Tensor,
    names: Sequence[str],
    *,
    targets: torch.Tensor | None = None,
    loss_fn: Callable[[Any, torch.Tensor], torch.Tensor] | None = None,
    coupled: bool = False,
    chunk_size: int | None = None,
) -> dict[str, torch.Tensor]:
    """Per-sample gradients ``{name: (B, *shape)}`` w.r.t. the named parameters (see the module doc for the two
    kinds). ``net`` and its buffers are left unchanged; ``chunk_size`` None chooses one (:func:`choose_chunk`)."""
    model = net
    if not coupled and net.training:
        model = copy.deepcopy(net)  # vmap cannot update BN running statistics in place
        replace_all_batch_norm_modules_(model)
    named = dict(model.named_parameters())
    chosen = {k: named[k].detach() for k in names}
    fixed = {k: v.detach() for k, v in named.items() if k not in chosen}
    b = inputs.shape[0]
    grad_bytes = _bytes(list(chosen.values()))
    if chunk_size is None:
        # one item holds its gradient and about as much again in intermediates; a coupled item also runs a
        # backward through the whole batch's graph (estimated as the batch's inputs times the layers' widening)
        item = 2 * grad_bytes + (inputs.numel() * inputs.element_size() * 16 if coupled else 0)
        preferred = CPU_CHUNK_COUPLED if coupled and inputs.device.type == "cpu" else None
        chunk_size = choose_chunk(b, item, inputs.device, preferred=preferred)
    if coupled:
        # BN's running statistics update copies, passed in as an argument (a transform may not mutate a capture)
        buffers = {k: v.detach().clone() for k, v in model.named_buffers()}

        def summed_logits(wp: dict[str, torch.Tensor], bufs: dict[str, torch.Tensor]) -> torch.Tensor:
            return _logits(functional_call(model, ({**fixed, **wp}, bufs), (inputs,))).sum(dim=1)

        jac = jacrev(summed_logits, argnums=0, chunk_size=chunk_size)(chosen, buffers)
        return {k: jac[k] for k in names}
    if targets is None or loss_fn is None:
        raise ValueError("per-sample loss gradients need targets and a loss_fn")
    fixed_buffers = {k: v.detach() for k, v in model.named_buffers()}
    lf = loss_fn

    def loss_one(p: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = functional_call(model, ({**fixed, **p}, fixed_buffers), (x.unsqueeze(0),))
        return lf(out, y.unsqueeze(0))

    result: dict[str, torch.Tensor] = vmap(grad(loss_one), in_dims=(None, 0, 0), chunk_size=chunk_size)(
        chosen, inputs, targets)
    return result
