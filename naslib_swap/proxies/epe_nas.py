r"""epe_nas: class-wise Jacobian correlations (Lopes et al., "EPE-NAS: Efficient Performance Estimation Without
Training for Neural Architecture Search", ICANN 2021), as NAS-Bench-Suite-Zero computes it.

Let :math:`J` hold, per sample, the gradient of the summed outputs with respect to the input (net in train mode),
:math:`J_c` the rows of the samples of class c, :math:`\Sigma_c` their correlation matrix, :math:`k = 10^{-5}` and
:math:`C` the output's last dimension:

.. math:: E_c = \sum_{i,j} \log\left(|\Sigma_c|_{ij} + k\right), \qquad
          \mathrm{epe\_nas} = \begin{cases} \sum_c |E_c| & C \le 100 \\
          \frac{1}{|\mathcal{C}|} \sum_{c, c'} \left| \frac{E_c}{n_c} - \frac{E_{c'}}{n_{c'}} \right| & C > 100
          \end{cases}

(:math:`n_c` the number of samples of class c; for :math:`C > 100` classes with one sample are left out, as the
suite's code skips them). Soft / one-hot targets of shape ``(N, C)`` are reduced to their argmax (the suite's
TransNAS-Bench-101 rule); dense targets (images, maps) cannot be grouped by class: NaN, as in the suite (-1e8).
Higher is better.

Example:
    >>> import torch, torch.nn as nn
    >>> from naslib_swap.proxies.base import Batch, compute_proxy
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> b = Batch(torch.randn(6, 4, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 1, 0, 1, 2, 2]))
    >>> compute_proxy("epe_nas", net, b) >= 0
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


def epe_score(jacobians: np.ndarray, labels: np.ndarray, n_classes: int) -> float:
    """The score of an ``(N, D)`` Jacobian matrix with integer labels (the module doc's equation)."""
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(labels.tolist()):
        groups.setdefault(c, []).append(i)
    per_class: dict[int, float] = {}
    with np.errstate(all="ignore"):
        for c, idx in groups.items():
            # one sample: the suite correlates a single vector (a scalar 1.0)
            rows = jacobians[idx[0]] if len(idx) == 1 else jacobians[idx]
            corrs = np.array(np.corrcoef(rows))
            s = float(np.sum(np.log(np.abs(corrs) + K)))
            if n_classes > 100:
                if corrs.ndim == 0:
                    continue  # the suite's len() of a scalar fails and the class is skipped
                s /= len(corrs)
            per_class[c] = s
        vals = list(per_class.values())
        if n_classes <= 100:
            return float(sum(abs(v) for v in vals))
        score = float(sum(abs(a - b) for a in vals for b in vals))
        return score / len(vals) if vals else score


def _score(jac: torch.Tensor, y: torch.Tensor, targets: torch.Tensor | None) -> float:
    assert targets is not None
    t = targets
    if t.dim() == 2:
        t = torch.argmax(t, dim=1)
    if t.dim() != 1:
        return float("nan")  # dense targets: no classes to group by (the suite's code fails and records NaN)
    return epe_score(jac.reshape(jac.shape[0], -1).cpu().numpy(), t.cpu().numpy(), int(y.shape[-1]))


def _tap(ctx: ProxyContext) -> Tap:
    return InputGradTap("epe_nas", _score, needs_labels=True)


@register_proxy("epe_nas", higher_is_better=True, needs_grad=True, needs_labels=True, bn_mode="train",
                needs=(Need.INPUT_GRAD,), tap=_tap,
                description="EPE-NAS: class-wise log-correlations of the input Jacobians",
                reference="Lopes et al., EPE-NAS, ICANN 2021; " + SUITE_REFERENCE)
def epe_nas(net: nn.Module, batch: Batch, ctx: ProxyContext) -> float:
    """The suite's epe_nas (see the module doc)."""
    return run_pass(net, batch, [_tap(ctx)])[0]
