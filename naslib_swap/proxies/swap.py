r"""SWAP and reg-SWAP (Peng et al., "SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS", ICLR 2024).

GELU networks (the L-SWAG paper's adaptation to Vision Transformers): a net that declares its activation points
(``activation_points()``; the AutoFormer spaces declare the GELU outputs of the MLPs, ``(batch, tokens, hidden)``
tensors) is counted on those outputs binarised at > 0, every token x hidden unit one pattern value.

SWAP-Score (Definition 3.2): for a ReLU network with random weights and a batch of S samples, let
:math:`A \in \{0,1\}^{S \times V}` hold, per sample, the binarised post-ReLU values of all conv feature maps.

.. math:: \Psi_{\mathcal{N},\theta} = \left|\{ A_{:,v} : v = 1..V \}\right|

the number of distinct sample-wise patterns (columns). reg-SWAP multiplies by a size prior on the parameter count
:math:`\Theta` (millions):

.. math:: \Psi' = \Psi \cdot f(\Theta), \quad f(\Theta) = \exp\left(-\left(\frac{\Theta - \mu}{\sigma}\right)^2\right)

Paper vs. the authors' code (github pym1024/SWAP), both offered:

* ``formula="paper"`` (default) is the equation above with :math:`\Theta` in millions; ``formula="code"`` is the
  code's ``exp(-(P - mu)^2 / sigma)`` with ``P = params / 1e3`` excluding parameters named ``auxiliary``.
* ``init="default"`` (default, the paper and the suite protocol: the network as built, PyTorch's default
  initialisation) or ``init="normal"`` (the code: conv/linear weights N(0, 1), biases 0, BN weight 1 bias 0),
  averaged over ``reinits`` re-initialisations (the code uses 32; 4 gives the same ranking).
* BN mode: train (default, as the code); ``bn_mode="eval"`` through :func:`compute_proxy`.

``mu``/``sigma`` default to the space's prior (NB201 1.5/1.5, NB101 40/40, NB301 1.8/1.8); ``mu="auto"`` derives
them from the size histogram of sampled architectures (:func:`auto_size_prior`).

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> net = nn.Sequential(nn.Conv2d(1, 2, 1, bias=False), nn.ReLU())
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))
    >>> x = torch.tensor([1.0, -1.0, 2.0]).view(3, 1, 1, 1)   # 3 samples, 1 pixel
    >>> compute_proxy("swap", net, Batch(x, None))  # patterns (1,0,1) and (0,1,0)
    2.0
"""
from __future__ import annotations

import contextlib
import math
import weakref
from typing import Any, Literal, Sequence

import numpy as np
import torch
import torch.nn as nn

from ..errors import ProxyInputError
from ..modelstats import count_parameters
from ..registry import Need, register_proxy
from ..rng import reset_default_init
from .base import Batch, ProxyContext
from .hooks import PatternCounter, activation_hooks, reinitialise
from .passes import PassOutput, Tap, run_pass

# parameter-free elementwise activations: the same input gives the same output, hence the same patterns
_ELEMENTWISE: tuple[type[nn.Module], ...] = (nn.ReLU, nn.GELU)

REFERENCE = "Peng et al., SWAP-NAS, ICLR 2024 (Def. 3.2, Eq. 3); code github pym1024/SWAP"


class SwapTap(Tap):
    """SWAP's share of a forward pass: the bit-packed patterns of the activation outputs (see :func:`swap_count`)."""

    read_only = True

    def __init__(self, types: tuple[type[nn.Module], ...] = (nn.ReLU,), modules: Sequence[nn.Module] | None = None
                 ) -> None:
        self.types, self.modules = types, modules
        self.key = ("swap_count", types, None if modules is None else tuple(id(m) for m in modules))
        self.counter = PatternCounter()

    def attach(self, net: nn.Module, stack: contextlib.ExitStack) -> None:
        counter = self.counter
        # In a cell several ReLUs read the same node tensor (the convs of a node's outgoing edges; the next cell's
        # first convs read this cell's output): their patterns are equal, and a distinct count is unchanged by
        # repeats, so each (activation, input tensor) is counted once. A weak reference and the tensor's version
        # make sure it is the very same, unmodified tensor (an id alone can be reused once a tensor is freed).
        seen: dict[tuple[type, str, int], tuple[weakref.ref[torch.Tensor], int]] = {}

        def on_act(module: nn.Module, out: torch.Tensor, x: Any) -> None:
            # (an inference-mode tensor keeps no version, so an in-place change could not be seen: not skipped)
            if type(module) in _ELEMENTWISE and isinstance(x, torch.Tensor) and not x.is_inference():
                k = (type(module), module.extra_repr(), id(x))
                hit = seen.get(k)
                if hit is not None and hit[0]() is x and hit[1] == x._version:
                    counter.repeats += 1
                    return
                seen[k] = (weakref.ref(x), x._version)
            counter.add(out)

        hooked = stack.enter_context(activation_hooks(net, on_act, types=self.types, modules=self.modules,
                                                      with_input=True))
        stack.callback(seen.clear)
        if not hooked:
            names = "/".join(t.__name__ for t in self.types)
            raise ProxyInputError(f"SWAP needs {names} modules (nn.{names}), but {type(net).__name__} has none; "
                                  f"use activation modules rather than functional calls")

    def finish(self, net: nn.Module, out: PassOutput) -> int:
        if self.counter.layers == 0:
            raise ProxyInputError(f"SWAP found no 4-D {'/'.join(t.__name__ for t in self.types)} output in "
                                  f"{type(net).__name__}")
        return self.counter.count()


def swap_count(
    net: nn.Module,
    inputs: torch.Tensor,
    *,
    types: tuple[type[nn.Module], ...] = (nn.ReLU,),
    modules: Sequence[nn.Module] | None = None,
) -> int:
    """Number of distinct sample-wise activation patterns of ``net`` on ``inputs`` (one forward pass).

    A net that declares its activation points (``activation_points()``, e.g. a ViT's MLP GELUs) is counted on
    those, at any rank (:func:`naslib_swap.proxies.hooks.declared_activations`).

    Raises:
        ProxyInputError: the net has no activation of the given types producing a 4-D output.
    """
    return int(run_pass(net, Batch(inputs, None), [SwapTap(types, modules)])[0])


def _mean_count(net: nn.Module, batch: Batch, ctx: ProxyContext, init: str, reinits: int) -> float:
    if init not in ("default", "normal"):
        raise ProxyInputError(f"SWAP init must be 'default' or 'normal', got {init!r}")
    if reinits < 1:
        raise ProxyInputError(f"SWAP reinits must be >= 1, got {reinits}")
    key = ("swap_count", init, reinits, net.training, tuple(batch.inputs.shape))
    if key in ctx.cache:  # reg_swap after swap on the same (arch, batch): the count is already known
        return ctx.cache[key]
    counts = []
    for i in range(reinits):
        if init == "normal":
            reinitialise(net, ctx.generator, "normal")
        elif i > 0:  # the net as built is the first draw of the default init; re-draw it for the others
            reset_default_init(net, ctx.generator)
        counts.append(swap_count(net, batch.inputs))
    value = float(np.mean(counts))
    ctx.cache[key] = value
    return value


def _swap_tap(ctx: ProxyContext, *, init: str = "default", reinits: int = 1) -> Tap | None:
    # one draw of the default init is the net as built: it can share the arch's forward; re-draws cannot
    return SwapTap() if (init, reinits) == ("default", 1) else None


@register_proxy(
    "swap",
    higher_is_better=True,
    needs=(Need.ACTIVATIONS, Need.REINIT),
    tap=_swap_tap,
    description="SWAP-Score: distinct sample-wise ReLU activation patterns over the batch",
    reference=REFERENCE
)
def swap(net: nn.Module, batch: Batch, ctx: ProxyContext, *, init: str = "default", reinits: int = 1) -> float:
    """SWAP-Score: distinct sample-wise ReLU activation patterns over the batch."""
    return _mean_count(net, batch, ctx, init, reinits)


def size_regulariser(theta_m: float, mu: float, sigma: float, formula: str = "paper") -> float:
    r"""reg-SWAP's size prior.

    ``paper``: :math:`\exp(-((\Theta - \mu)/\sigma)^2)`, :math:`\Theta` in millions of parameters.
    ``code``: :math:`\exp(-(\Theta - \mu)^2/\sigma)` (the authors' code; there :math:`\Theta` = params / 1e3).

    Example:
        >>> size_regulariser(1.5, 1.5, 1.5)
        1.0
        >>> round(size_regulariser(0.0, 1.5, 1.5), 4)
        0.3679
    """
    if sigma <= 0:
        raise ProxyInputError(f"reg-SWAP sigma must be > 0, got {sigma}")
    if formula == "paper":
        return math.exp(-(((theta_m - mu) / sigma) ** 2))
    if formula == "code":
        return math.exp(-((theta_m - mu) ** 2) / sigma)
    raise ProxyInputError(f"reg-SWAP formula must be 'paper' or 'code', got {formula!r}")


def _prior(ctx: ProxyContext, mu: Any, sigma: Any) -> tuple[float, float]:
    """reg-SWAP's (mu, sigma): the call's, else the space's, else derived (``auto``); checked."""
    if mu == "auto" or sigma == "auto":
        if ctx.sampled_sizes is None:
            raise ProxyInputError("reg_swap mu='auto' needs the space's size histogram; score through a space "
                                  "(naslib_swap.score) so the prior can be derived")
        mu, sigma = auto_size_prior(ctx.sampled_sizes())
    if mu is None or sigma is None:
        raise ProxyInputError(f"reg_swap needs mu and sigma: the space {ctx.space!r} has no default; "
                              f"pass reg_swap[mu=...,sigma=...]")
    if float(mu) <= 0:
        raise ProxyInputError(f"reg-SWAP mu is a model size in millions of parameters and must be > 0, got {mu}")
    return float(mu), float(sigma)


def _regularised(count: float, net: nn.Module, mu: float, sigma: float, formula: str) -> float:
    if formula == "code":
        theta = count_parameters(net, exclude=("auxiliary",)) / 1e3
    else:
        theta = count_parameters(net) / 1e6
    return count * size_regulariser(theta, mu, sigma, formula)


class RegSwapTap(SwapTap):
    """reg-SWAP's share of a forward pass: SWAP's count (one product with SWAP's tap) times the size prior."""

    def __init__(self, mu: float, sigma: float, formula: str) -> None:
        super().__init__()
        self.mu, self.sigma, self.formula = mu, sigma, formula

    def score(self, product: Any, net: nn.Module) -> float:
        return _regularised(float(product), net, self.mu, self.sigma, self.formula)


def _reg_swap_tap(ctx: ProxyContext, *, init: str = "default", reinits: int = 1, mu: Any = None, sigma: Any = None,
                  formula: str = "paper") -> Tap | None:
    if (init, reinits) != ("default", 1):
        return None
    mu, sigma = _prior(ctx, mu, sigma)
    return RegSwapTap(mu, sigma, formula)


@register_proxy(
    "reg_swap",
    higher_is_better=True,
    needs=(Need.ACTIVATIONS, Need.REINIT, Need.WEIGHTS),
    tap=_reg_swap_tap,
    description="regularised SWAP-Score: SWAP x exp(-((params_M - mu)/sigma)^2)",
    reference=REFERENCE
)
def reg_swap(
    net: nn.Module,
    batch: Batch,
    ctx: ProxyContext,
    *,
    init: str = "default",
    reinits: int = 1,
    mu: float | Literal["auto"] | None = None,
    sigma: float | Literal["auto"] | None = None,
    formula: Literal["paper", "code"] = "paper",
) -> float:
    """Regularised SWAP-Score (Eq. 3): SWAP x size prior; ``mu``/``sigma`` default to the space's prior.

    ``mu="auto"`` (or ``sigma="auto"``) derives the prior with :func:`auto_size_prior` from the sizes of 1000
    architectures sampled from the space (``ctx.sampled_sizes``).
    """
    mu, sigma = _prior(ctx, mu, sigma)
    return _regularised(_mean_count(net, batch, ctx, init, reinits), net, mu, sigma, formula)


def auto_size_prior(sizes_m: Sequence[float], rule: str = "p90") -> tuple[float, float]:
    """Derive (mu, sigma) from a model-size histogram (millions of parameters) of sampled architectures.

    The paper says only that mu and sigma are "determined by the model size distribution based on 1000 randomly
    sampled architectures". Its hand-chosen values sit in the upper tail of each space's histogram (NB201 1.5 M is
    near the maximum of 1.53 M). Rules:

    * ``p90`` (default): mu = sigma = the 90th percentile of the sizes: favours the larger nets of the space while
      the width keeps the whole histogram inside one or two sigma.
    * ``max``: mu = sigma = the largest sampled size.
    * ``mean+2std``: mu = sigma = mean + 2 standard deviations.

    ``docs/results.md`` compares these with the paper's values.

    Example:
        >>> auto_size_prior([1.0, 2.0, 3.0, 4.0], rule="max")
        (4.0, 4.0)
    """
    a = np.asarray(sizes_m, dtype=float)
    if a.size == 0:
        raise ProxyInputError("auto_size_prior needs at least one model size")
    if rule == "p90":
        v = float(np.percentile(a, 90))
    elif rule == "max":
        v = float(a.max())
    elif rule == "mean+2std":
        v = float(a.mean() + 2 * a.std())
    else:
        raise ProxyInputError(f"unknown size-prior rule {rule!r}; known: p90, max, mean+2std")
    return v, v
