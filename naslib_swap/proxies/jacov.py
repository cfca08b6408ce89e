r"""jacov: the Jacobian covariance score (Mellor et al., "Neural Architecture Search without Training", first version,
arXiv 2006.04647v1), as NAS-Bench-Suite-Zero computes it.

Let :math:`J \in \mathbb{R}^{N \times D}` hold, per sample, the gradient of the summed network outputs with respect to
the input (net in train mode), :math:`\Sigma_J` the correlation matrix of its rows and :math:`\lambda_i` its
eigenvalues, :math:`k = 10^{-5}`:

.. math:: \mathrm{jacov} = -\sum_i \left( \log(\lambda_i + k) + \frac{1}{\lambda_i + k} \right)

Higher is better. As in the suite: eigenvalues by the general solver (``numpy.linalg.eig``, not ``eigvalsh``), so a
slightly negative eigenvalue gives NaN (the suite's -1e8); a failed decomposition is NaN.

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> b = Batch(torch.randn(3, 4, generator=torch.Generator().manual_seed(0)), None)
    >>> isinstance(compute_proxy("jacov", net, b), float)
    True
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from ..registry import Need, register_proxy
from ._suite import SUITE_REFERENCE, InputGradTap
from .base import Batch, ProxyContext
from .passes import Tap, run_pass

K = 1e-5


def jacov_score(jacobians: np.ndarray) -> float:
    """The score of an ``(N, D)`` Jacobian matrix (the module doc's equation)."""
    with np.errstate(all="ignore"):
        try:
            v = np.linalg.eig(np.corrcoef(jacobians))[0]
        except np.linalg.LinAlgError:
            return float("nan")
        s = -np.sum(np.log(v + K) + 1.0 / (v + K))
    if np.iscomplexobj(s):  # a non-symmetric round-off gave complex pairs; the suite cannot score these either
        return float(s.real) if s.imag == 0 else float("nan")
    return float(s)


def _score(jac: torch.Tensor, _out: torch.Tensor, _targets: torch.Tensor | None) -> float:
    return jacov_score(jac.reshape(jac.shape[0], -1).cpu().numpy())


def _tap(ctx: ProxyContext) -> Tap:
    return InputGradTap("jacov", _score)


@register_proxy("jacov", higher_is_better=True, needs_grad=True, bn_mode="train", needs=(Need.INPUT_GRAD,), tap=_tap,
                description="Jacobian covariance: -sum(log(l+k) + 1/(l+k)) over eigenvalues of the input-Jacobian "
                            "correlation matrix",
                reference="Mellor et al., NAS without Training (v1, arXiv 2006.04647v1); " + SUITE_REFERENCE)
def jacov(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """The suite's jacov (see the module doc)."""
    return run_pass(net, batch, [_tap(ctx)])[0]
