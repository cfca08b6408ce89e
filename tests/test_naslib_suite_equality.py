"""Our live suite proxies equal NASLib's own measures (branch ``zerocost``) on the same net, weights and batch.

Runs only where NASLib is importable (CI has none: skipped with the reason). Each case builds NASLib's NB201 graph,
scores it with NASLib's measure through its own code path (``calc_measure`` on the graph's prunable copy, summed by
``find_measures``, NaN/inf -> -1e8 and synflow's log as ``ZeroCost.query``) and with ours through
``compute_proxy`` on the same graph object, and compares. Randomness: NASLib draws from torch's global generator
(zen's weights and inputs), ours from a ``torch.Generator`` seeded the same, which gives the same stream on the CPU.

    PYTHONPATH=/path/to/NASLib-zerocost:$PWD /path/to/naslib-venv/bin/python -m pytest -q \
        tests/test_naslib_suite_equality.py
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

try:
    import naslib_swap.integrations.naslib as nl
except ImportError as exc:  # NaslibNotAvailableError is an ImportError
    pytest.skip(f"{str(exc).split(';')[0]}: these tests need a NASLib checkout on PYTHONPATH (docs/naslib.md)",
                allow_module_level=True)

from naslib.predictors.pruners import measures as naslib_measures  # noqa: E402
from naslib.predictors.pruners import predictive  # noqa: E402
from naslib.search_spaces import NasBench201SearchSpace  # noqa: E402

from naslib_swap.proxies.base import Batch, ProxyContext, compute_proxy  # noqa: E402

SUITE_MEASURES = ["epe_nas", "fisher", "grad_norm", "grasp", "jacov", "l2_norm", "nwot", "plain", "snip", "synflow",
                  "zen"]
ARCHS = [(2, 2, 0, 4, 2, 0), (3, 1, 2, 0, 4, 3)]


def _graph(arch: tuple[int, ...], seed: int) -> NasBench201SearchSpace:
    torch.manual_seed(seed)  # NASLib initialises its graph from the global RNG
    g = NasBench201SearchSpace(n_classes=10)
    g.set_spec(arch)
    g.parse()
    return g


def _naslib_score(name: str, graph: NasBench201SearchSpace, x: torch.Tensor, y: torch.Tensor, seed: int) -> float:
    """NASLib's measure through its own code: prunable copy, per-layer arrays, ``find_measures``' sum, ``query``'s
    NaN rule and synflow log."""
    if not hasattr(graph, "get_prunable_copy"):
        import types

        graph.get_prunable_copy = types.MethodType(predictive.copynet, graph)
    torch.manual_seed(seed)
    arr = naslib_measures.calc_measure(name, graph, torch.device("cpu"), x, y, loss_fn=F.cross_entropy, split_data=1)
    score = predictive.find_measures(graph, None, None, torch.device("cpu"), F.cross_entropy, measure_names=[name],
                                     measures_arr={name: arr})
    score = float(score)
    if math.isnan(score) or math.isinf(score):
        score = -1e8
    if name == "synflow" and score != 0.0:
        score = math.log(score) if score > 0 else -math.log(-score)
    return score


@pytest.mark.parametrize("arch", ARCHS, ids=str)
@pytest.mark.parametrize("name", SUITE_MEASURES)
def test_equal_to_naslib(name: str, arch: tuple[int, ...]) -> None:
    nl.install()  # our registry's names stay NASLib's where NASLib owns them: the measures here are NASLib's own
    graph = _graph(arch, 0)
    g = torch.Generator().manual_seed(5)
    x, y = torch.randn(16, 3, 32, 32, generator=g), torch.randint(0, 10, (16,), generator=g)
    theirs = _naslib_score(name, graph, x.clone(), y.clone(), seed=11)
    ours = compute_proxy(name, graph, Batch(x, y, F.cross_entropy, 10),
                         ProxyContext(generator=torch.Generator().manual_seed(11)))
    if not math.isfinite(ours):
        ours = -1e8
    assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-6), f"{name}: ours {ours} vs NASLib {theirs}"
