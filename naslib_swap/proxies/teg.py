r"""TEG indicators: Trainability (NTK condition number), Expressivity (linear regions), Generalization (NTK MSE).

Chen et al., "Understanding and Accelerating Neural Architecture Search with Training-Free and Theory-Grounded
Metrics" (TEG-NAS, TPAMI; TE-NAS, ICLR 2021); code github VITA-Group/TEGNAS and VITA-Group/TENAS.

* ``teg_ntk`` (Eq. 4, lower is better): on one batch of B samples (64), with BN in train mode, the per-sample
  gradients :math:`J_i = \partial (\sum_c f_c(x_i)) / \partial \theta` of the summed logits w.r.t. every parameter
  whose name contains ``weight`` (BN weights included, as the code), the NTK :math:`\hat\Theta = J J^\top` and

  .. math:: \hat\kappa = \lambda_{\max}(\hat\Theta) / \lambda_{\min}(\hat\Theta)

  :math:`J` comes from one ``torch.func.jacrev`` of the batch forward (the same numbers as B backward passes: BN
  mixes the samples, so per-sample ``vmap`` over single samples would be a different quantity); :math:`\hat\Theta`
  is formed and diagonalised (``torch.linalg.eigvalsh``) in float64.
* ``teg_lr`` (Eq. 6, higher is better): the number of linear regions, approximated by the number of distinct
  activation patterns over S inputs (3000 random 3x3 single-channel crops of real training images; here the
  images of :mod:`naslib_swap.data.images`) on the *thin* network ``ctx.build_net(profile="teg-thin")``
  (the space's TEG thin net; NB201: C=1, N=1, no stem, one input channel). With
  :math:`A \in \{0,1\}^{S \times V}` holding, per input, the sign of every ReLU output
  (all layers, all positions),

  .. math:: \hat R = \left|\{ A_{s,:} : s = 1..S \}\right|

  the number of distinct *rows* (SWAP counts distinct columns). The code's pairwise formula
  :math:`\sum_s 1 / \#\{t : A_t = A_s\}` is the same number; we count exactly with bit-packed rows instead of an
  S x S matrix.
* ``teg_mse`` (Eqs. 8-9, lower is better): NTK kernel regression from a train batch to a disjoint test batch
  (64 + 64 images from ``ctx.make_batches([64, 64])``), targets :math:`Y` = one-hot labels minus their batch mean,
  :math:`\hat Y_{te} = \Theta(X_{te}, X_{tr}) \Theta(X_{tr}, X_{tr})^{-1} Y_{tr}`.

  - ``variant="paper"`` (default): :math:`\Theta = \hat\Theta^L`, the NTK of the **last layer** only (the gradient
    of the summed logits w.r.t. the weight of the last ``nn.Linear``/``nn.Conv2d``; for a linear head that is
    ``num_classes`` times the Gram matrix of the penultimate features), and Eq. 9's error
    :math:`\mathrm{MSE} = \frac{1}{B_{te}} \sum_i \lVert \hat y_i - y_i \rVert_2` (the L2 norm, not squared).
  - ``variant="code"``: :math:`\Theta` from the gradients w.r.t. the ``weight`` parameters whose name contains
    ``cell`` (in NB201 the cells and the ResNet blocks between stages, as the code's ``"cell" in name``), and the
    code's error :math:`\frac{1}{B_{te}} \sum_i \lVert \hat y_i - y_i \rVert_2^2`.

Each metric is the mean over ``reinits`` (3) re-initialisations: conv/linear weights Kaiming-normal (fan-in), biases
0, BN weight 1 bias 0 (:func:`naslib_swap.proxies.hooks.reinitialise` with ``"kaiming"``); ``init="none"`` keeps the
net's own weights (hand-built nets, tests).

Failures (a non-finite or non-positive :math:`\lambda_{\min}`, a singular kernel) follow ``nan_policy``:
``"teg"`` (default) returns NaN, which :func:`teg` and the TEG searches replace by the worst value seen so far;
``"te-nas"`` returns 1e5 (TE-NAS's constant).

``teg`` is the population proxy: the sum of the ranks of ``teg_ntk`` (ascending), ``teg_lr`` (descending) and
``teg_mse`` (ascending) within a population, returned **negated** so that higher is better like every other proxy.

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, ProxyContext, compute_proxy
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> x = torch.randn(16, 3, 2, 2, generator=torch.Generator().manual_seed(0))
    >>> k = compute_proxy("teg_ntk", net, Batch(x, None), ProxyContext(), reinits=1)
    >>> k >= 1.0
    True
    >>> teg([{"teg_ntk": 10.0, "teg_lr": 50.0, "teg_mse": 1.0},
    ...              {"teg_ntk": 20.0, "teg_lr": 40.0, "teg_mse": 2.0}])
    [0.0, -3.0]
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn

from ..errors import ProxyInputError
from ..ranking import rank
from ..registry import Need, get_proxy, register_population_proxy, register_proxy
from ..spaces.capabilities import SizeError
from . import persample
from .base import Batch, ProxyContext
from .hooks import activation_hooks, pack_patterns, reinitialise, unique_rows

REFERENCE = ("Chen et al., TEG-NAS (TPAMI) / TE-NAS (ICLR 2021), Eqs. 4, 6, 8-9; "
             "code github VITA-Group/TEGNAS, VITA-Group/TENAS")

NAN_POLICIES = ("teg", "te-nas")
TE_NAS_BAD = 1e5  # TE-NAS's value for a failed condition number
MAX_JACOBIAN_BYTES = 8 * 2**30  # the (samples x weights) NTK Jacobian that per_sample_grads may hold
THIN_PROFILE = "teg-thin"  # the build profile of TEG's thin net for linear regions (each space defines its sizes)

TEG_METRICS = ("teg_ntk", "teg_lr", "teg_mse")  # kappa, R, MSE; each one's direction is its ProxySpec's


# ---------------------------------------------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------------------------------------------

def per_sample_grads_loop(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Reference for :func:`per_sample_grads`: one backward pass per sample of the summed logits of the batch
    forward (the TE-NAS authors' loop). Slow; kept for tests and ``scripts/bench_teg.py``."""
    params = [p for n, p in net.named_parameters() if "weight" in n]
    out = net(x).sum(dim=1)
    rows = []
    for i in range(x.shape[0]):
        gs = torch.autograd.grad(out[i], params, retain_graph=True, allow_unused=True)
        rows.append(torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(gs, params)]))
    return torch.stack(rows)


def per_sample_grads(
    net: nn.Module,
    inputs: torch.Tensor,
    select: Callable[[str], bool] = lambda name: "weight" in name,
    *,
    chunk_size: int | None = None,
) -> torch.Tensor:
    r"""Per-sample gradients of the summed logits, ``(B, P)``, w.r.t. the parameters whose name ``select`` accepts.

    Row i is :math:`\partial \sum_c f_c(x_i) / \partial \theta` for the batch forward ``net(inputs)`` (BN in the
    net's mode, statistics of the whole batch), computed with ``torch.func.jacrev`` (a vmap over the B
    vector-Jacobian products), through :func:`naslib_swap.proxies.persample.per_sample_grads` (``coupled=True``).
    Buffers are passed in as copies, so BN running statistics of ``net`` are unchanged. ``chunk_size`` bounds how
    many of them are batched at once; None picks 4 on CPU (measured fastest there: the whole batch at once thrashes
    the cache, ``docs/results/teg.md``) and all at once on an accelerator, either capped by the free memory.

    Raises:
        ProxyInputError: no parameter is selected.
    """
    named = dict(net.named_parameters())
    chosen = [n for n in named if select(n)]
    if not chosen:
        raise ProxyInputError(f"{type(net).__name__} has no parameter selected for the NTK (names with 'weight'"
                              f"{'' if select('weight') else ' and the filter'}); check the net")
    size = inputs.shape[0] * sum(named[n].numel() for n in chosen) * named[chosen[0]].element_size()
    if size > MAX_JACOBIAN_BYTES:  # a 224x224 ViT-Base at batch 64 would need ~22 GB: refuse rather than thrash
        raise ProxyInputError(f"the NTK Jacobian of this {type(net).__name__} ({inputs.shape[0]} samples x "
                              f"{size // inputs.shape[0] // named[chosen[0]].element_size():,} weights, "
                              f"{size / 2**30:.1f} GiB) exceeds the {MAX_JACOBIAN_BYTES / 2**30:.0f} GiB limit; "
                              f"use a smaller batch or a smaller net")
    jac = persample.per_sample_grads(net, inputs, chosen, coupled=True, chunk_size=chunk_size)
    b = inputs.shape[0]
    return torch.cat([jac[n].reshape(b, -1) for n in chosen], dim=1)


def condition_number(grads: torch.Tensor) -> float:
    r""":math:`\lambda_{\max} / \lambda_{\min}` of :math:`J J^\top` (float64, ``eigvalsh``); NaN when it fails.

    Example:
        >>> condition_number(torch.tensor([[2.0, 0.0], [0.0, 1.0]]))
        4.0
    """
    theta = grads.double() @ grads.double().t()
    try:
        ev = torch.linalg.eigvalsh(theta)
    except RuntimeError:  # torch.linalg.LinAlgError: no convergence (NaN gradients)
        return math.nan
    lo, hi = float(ev[0]), float(ev[-1])
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0.0:
        return math.nan
    return hi / lo


def distinct_rows(active: torch.Tensor) -> int:
    """Number of distinct rows of a boolean ``(S, V)`` matrix (exact; rows bit-packed into 64-bit words).

    Example:
        >>> distinct_rows(torch.tensor([[1, 0], [1, 0], [0, 1]], dtype=torch.bool))
        2
    """
    return int(unique_rows(pack_patterns(active.t().contiguous())).shape[0])


def linear_region_count(net: nn.Module, inputs: torch.Tensor, *,
                        types: tuple[type[nn.Module], ...] = (nn.ReLU,)) -> int:
    """Distinct activation patterns (rows: one per input, over every unit of every ReLU) of ``net`` on ``inputs``.

    Raises:
        ProxyInputError: the net has no activation module of ``types``.
    """
    parts: list[torch.Tensor] = []
    with activation_hooks(net, lambda _m, out: parts.append(out.detach().reshape(out.shape[0], -1) > 0),
                          types=types, ndim=None) as hooked:
        if not hooked:
            raise ProxyInputError(f"linear regions need nn.ReLU modules, but {type(net).__name__} has none")
        with torch.no_grad():
            net(inputs)
    if not parts:
        raise ProxyInputError(f"no ReLU of {type(net).__name__} produced an output")
    return distinct_rows(torch.cat(parts, dim=1))


def random_crops(images: torch.Tensor, n: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` random ``size x size`` single-channel crops ``(n, 1, size, size)``: a random image, channel and place
    each."""
    b, c, h, w = images.shape
    if h < size or w < size:
        raise ProxyInputError(f"images of {h}x{w} are smaller than the {size}x{size} crops; use larger images")
    i = torch.randint(0, b, (n,), generator=generator)
    ch = torch.randint(0, c, (n,), generator=generator)
    y = torch.randint(0, h - size + 1, (n,), generator=generator)
    x = torch.randint(0, w - size + 1, (n,), generator=generator)
    off = torch.arange(size)
    rows = (y.view(n, 1) + off.view(1, size)).view(n, size, 1)
    cols = (x.view(n, 1) + off.view(1, size)).view(n, 1, size)
    imgs = images.cpu()
    crops = imgs[i.view(n, 1, 1), ch.view(n, 1, 1), rows, cols]
    return crops.unsqueeze(1).to(images.device)


def kernel_regression_mse(k_tr: torch.Tensor, k_te_tr: torch.Tensor, y_tr: torch.Tensor, y_te: torch.Tensor,
                          norm: str = "l2") -> float:
    r"""Test error of :math:`\hat Y = K_{te,tr} K_{tr,tr}^{-1} Y_{tr}`; NaN if :math:`K_{tr,tr}` is singular.

    ``norm="l2"``: mean over test rows of :math:`\lVert \hat y - y \rVert_2` (Eq. 9); ``"sq"``: of its square (code).

    Example:
        >>> k = torch.eye(2); y = torch.tensor([[1.0, -1.0], [-1.0, 1.0]])
        >>> kernel_regression_mse(k, k, y, y)
        0.0
    """
    try:
        pred = k_te_tr.double() @ torch.linalg.solve(k_tr.double(), y_tr.double())
    except RuntimeError:  # LinAlgError: singular kernel
        return math.nan
    err = pred - y_te.double()
    per = err.pow(2).sum(dim=1)
    value = float((per.sqrt() if norm == "l2" else per).mean())
    return value if math.isfinite(value) else math.nan


def centred_one_hot(targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """One-hot labels minus their batch mean (the code's ``targets_onehot - targets_onehot.mean(0)``)."""
    oh = torch.nn.functional.one_hot(targets.long(), num_classes=num_classes).float()
    return oh - oh.mean(dim=0, keepdim=True)


def _last_layer_weight(net: nn.Module) -> str:
    name = None
    for mname, m in net.named_modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)) and getattr(m, "weight", None) is not None:
            name = f"{mname}.weight" if mname else "weight"
    if name is None:
        raise ProxyInputError(f"teg_mse[variant=paper] needs a last nn.Linear/nn.Conv2d layer; "
                              f"{type(net).__name__} has none")
    return name


def _check_common(nan_policy: str, reinits: int, init: str) -> None:
    if nan_policy not in NAN_POLICIES:
        raise ProxyInputError(f"nan_policy must be one of {', '.join(NAN_POLICIES)}, got {nan_policy!r}")
    if reinits < 1:
        raise ProxyInputError(f"reinits must be >= 1, got {reinits}")
    if init not in ("kaiming", "none"):
        raise ProxyInputError(f"init must be 'kaiming' (paper and code) or 'none', got {init!r}")


def _mean_or_bad(values: Sequence[float], nan_policy: str) -> float:
    """Mean over re-initialisations; any failure makes the whole value a failure (as the code's ``bad`` flag)."""
    if any(not math.isfinite(v) for v in values):
        return TE_NAS_BAD if nan_policy == "te-nas" else math.nan
    return float(np.mean(values))


def _maybe_resized(net: nn.Module, ctx: ProxyContext, width: int | None, cells: int | None) -> nn.Module:
    """``net``, or the same architecture rebuilt with ``width``/``cells`` (the spaces' sizing vocabulary) through
    ``ctx.build_net`` (train mode)."""
    if width is None and cells is None:
        return net
    if ctx.build_net is None:
        raise ProxyInputError("the width/cells options rebuild the architecture: score through a space "
                              "(naslib_swap.score) or pass ProxyContext(build_net=...)")
    kw = {k: int(v) for k, v in (("width", width), ("cells", cells)) if v is not None}
    return ctx.build_net(**kw).to(ctx.device).train(net.training)


def _reinit(net: nn.Module, ctx: ProxyContext, init: str) -> None:
    if init == "kaiming":
        reinitialise(net, ctx.generator, "kaiming")


# ---------------------------------------------------------------------------------------------------------------
# the three indicators
# ---------------------------------------------------------------------------------------------------------------

@register_proxy(
    "teg_ntk", needs=(Need.PER_SAMPLE_GRAD, Need.REINIT,),
    higher_is_better=False,
    needs_grad=True,
    batch_size=64,
    description="TEG trainability: condition number of the NTK J J^T (per-sample grads of summed logits)",
    reference=REFERENCE
)
def teg_ntk(net: nn.Module, batch: Batch, ctx: ProxyContext, *, reinits: int = 3, init: str = "kaiming",
            nan_policy: str = "teg", chunk_size: int | None = None, width: int | None = None,
            cells: int | None = None) -> float:
    """NTK condition number (Eq. 4), mean over ``reinits`` Kaiming re-initialisations; lower is better.

    ``width``/``cells`` (default None: the net as given) score ``ctx.build_net(width=..., cells=...)`` instead, e.g.
    the authors' tiny NB201 net ``teg_ntk[width=3,cells=1]``.
    """
    _check_common(nan_policy, reinits, init)
    net = _maybe_resized(net, ctx, width, cells)
    values = []
    for _ in range(reinits):
        _reinit(net, ctx, init)
        try:
            values.append(condition_number(per_sample_grads(net, batch.inputs, chunk_size=chunk_size)))
        except RuntimeError as exc:  # e.g. out of memory on a big net: a failed evaluation, not a crash
            if isinstance(exc, ProxyInputError):
                raise
            values.append(math.nan)
    return _mean_or_bad(values, nan_policy)


@register_proxy(
    "teg_lr", needs=(Need.OTHER_NETS, Need.OWN_INPUT, Need.REINIT,),
    higher_is_better=True,
    needs_arch_builder=True,
    description="TEG expressivity: distinct ReLU activation patterns of 3x3 crops on the thin net (C=1, N=1, no stem)",
    reference=REFERENCE
)
def teg_lr(net: nn.Module, batch: Batch, ctx: ProxyContext, *, reinits: int = 3, init: str = "kaiming",
           crops: int = 3000, crop_size: int = 3, images: int = 256) -> float:
    """Number of linear regions (Eq. 6) on the thin net, mean over ``reinits`` re-initialisations; higher is better.

    The crops come from ``images`` real images drawn with ``ctx.make_batches`` (or from ``batch`` without it); the
    thin net is ``ctx.build_net(profile="teg-thin")`` in train mode. ``net`` itself is not used.
    """
    _check_common("teg", reinits, init)
    if crops < 1 or crop_size < 1:
        raise ProxyInputError(f"teg_lr crops and crop_size must be >= 1, got {crops}, {crop_size}")
    if ctx.build_net is None:
        raise ProxyInputError("teg_lr needs ctx.build_net to build the thin network; score it through a space")
    try:
        thin = ctx.build_net(profile=THIN_PROFILE).to(ctx.device).train()
    except SizeError:  # e.g. a Vision Transformer: no thin conv cell whose ReLU regions could be counted
        raise ProxyInputError(f"teg_lr counts ReLU linear regions on the space's thin conv net (build profile "
                              f"{THIN_PROFILE}), which {ctx.space} does not have; score teg_ntk/teg_mse or another "
                              f"proxy there") from None
    pool = ctx.make_batches([images])[0].inputs if ctx.make_batches is not None else batch.inputs
    x = random_crops(pool.to(ctx.device), crops, crop_size, ctx.generator)
    counts = []
    for _ in range(reinits):
        _reinit(thin, ctx, init)
        counts.append(float(linear_region_count(thin, x)))
    return float(np.mean(counts))


@register_proxy(
    "teg_mse", needs=(Need.PER_SAMPLE_GRAD, Need.OWN_INPUT, Need.REINIT,),
    higher_is_better=False,
    needs_grad=True,
    needs_labels=True,
    batch_size=64,
    description="TEG generalization: test error of NTK kernel regression (train 64 -> disjoint test 64)",
    reference=REFERENCE
)
def teg_mse(net: nn.Module, batch: Batch, ctx: ProxyContext, *, variant: str = "paper", reinits: int = 3,
            init: str = "kaiming", nan_policy: str = "teg", train_size: int = 64, test_size: int = 64,
            cell_filter: str = "cell", width: int | None = None, cells: int | None = None) -> float:
    """NTK kernel-regression error (Eqs. 8-9), mean over ``reinits`` re-initialisations; lower is better.

    ``variant="paper"``: last-layer NTK, mean L2 norm of the error; ``variant="code"``: NTK of the ``weight``
    parameters whose name contains ``cell_filter``, mean squared error summed over classes. The train and test
    batches are ``ctx.make_batches([train_size, test_size])`` (disjoint); without ``make_batches`` the given
    batch is split in two halves. ``C``/``N``: as :func:`teg_ntk`.
    """
    _check_common(nan_policy, reinits, init)
    net = _maybe_resized(net, ctx, width, cells)
    if variant not in ("paper", "code"):
        raise ProxyInputError(f"teg_mse variant must be 'paper' or 'code', got {variant!r}")
    if ctx.make_batches is not None:
        tr, te = ctx.make_batches([train_size, test_size])
    else:
        if batch.targets is None or len(batch) < 2:
            raise ProxyInputError("teg_mse needs two labelled batches: pass ProxyContext(make_batches=...)")
        half = len(batch) // 2
        tr = Batch(batch.inputs[:half], batch.targets[:half], num_classes=batch.num_classes)
        te = Batch(batch.inputs[half:], batch.targets[half:], num_classes=batch.num_classes)
    tr, te = tr.to(ctx.device), te.to(ctx.device)
    if tr.targets is None or te.targets is None:
        raise ProxyInputError("teg_mse needs labelled batches")
    k = tr.num_classes or batch.num_classes or int(max(tr.targets.max(), te.targets.max())) + 1
    y_tr, y_te = centred_one_hot(tr.targets, k), centred_one_hot(te.targets, k)
    if variant == "paper":
        last = _last_layer_weight(net)
        select: Callable[[str], bool] = lambda n: n == last  # noqa: E731
    else:
        select = lambda n: "weight" in n and cell_filter in n  # noqa: E731
    values = []
    for _ in range(reinits):
        _reinit(net, ctx, init)
        try:
            g_tr = per_sample_grads(net, tr.inputs, select).double()
            g_te = per_sample_grads(net, te.inputs, select).double()
        except ProxyInputError:
            raise
        except RuntimeError:
            values.append(math.nan)
            continue
        if not bool(g_tr.abs().sum() > 0) or not bool(g_te.abs().sum() > 0):  # the code's "bad gradients"
            values.append(math.nan)
            continue
        values.append(kernel_regression_mse(g_tr @ g_tr.t(), g_te @ g_tr.t(), y_tr, y_te,
                                            "l2" if variant == "paper" else "sq"))
    return _mean_or_bad(values, nan_policy)


# ---------------------------------------------------------------------------------------------------------------
# the population proxy
# ---------------------------------------------------------------------------------------------------------------

def fill_bad(values: Sequence[float], lower_is_better: bool) -> list[float]:
    """TEG's failure rule: a NaN/inf value becomes the worst finite value seen *so far* (in order); leading
    failures, before any finite value, become the worst finite value of the whole sequence (or 0 if none).

    Example:
        >>> fill_bad([3.0, float("nan"), 5.0, float("nan")], lower_is_better=True)
        [3.0, 3.0, 5.0, 5.0]
    """
    worst_of = max if lower_is_better else min
    finite = [v for v in values if math.isfinite(v)]
    fallback = worst_of(finite) if finite else 0.0
    out, worst = [], None
    for v in values:
        if math.isfinite(v):
            worst = v if worst is None else worst_of(worst, v)
            out.append(float(v))
        else:
            out.append(float(worst if worst is not None else fallback))
    return out


def teg_ranks(rows: Sequence[dict[str, float]]) -> np.ndarray:
    """Per-row rank sum (0-based ranks, ties share the lowest rank as the code's ``sorted(...).index``):
    ``teg_ntk`` ascending + ``teg_lr`` descending + ``teg_mse`` ascending. Lower is better.

    Example:
        >>> teg_ranks([{"teg_ntk": 1.0, "teg_lr": 9.0, "teg_mse": 1.0},
        ...            {"teg_ntk": 2.0, "teg_lr": 1.0, "teg_mse": 2.0}]).tolist()
        [0.0, 3.0]
    """
    if not rows:
        return np.zeros(0)
    total = np.zeros(len(rows))
    for name in TEG_METRICS:
        sign = -1.0 if get_proxy(name).higher_is_better else 1.0  # rank ascending in "goodness"
        missing = [i for i, r in enumerate(rows) if name not in r]
        if missing:
            raise ProxyInputError(f"teg needs {name} for every architecture; row {missing[0]} has none")
        vals = fill_bad([float(r[name]) for r in rows], lower_is_better=sign > 0)
        total += rank(vals, descending=sign < 0, ties="min")
    return total


@register_population_proxy(
    "teg",
    inputs=TEG_METRICS,
    higher_is_better=True,
    description="TEG rank sum within a population (kappa asc + R desc + MSE asc), negated: higher is better",
    reference=REFERENCE,
)
def teg(rows: list[dict[str, float]]) -> list[float]:
    """``teg`` score of each row: minus the TEG rank sum within the population (higher is better)."""
    return [float(0.0 - v) for v in teg_ranks(rows)]  # 0.0 - v: no -0.0 for the best
