"""Searches fan their batches out (local processes, Ray) and give a serial run's answer and history, bit for bit.

Tiny NB201 nets on ImageNet16-120 (16x16 images). The Ray tests start one local cluster of 2 CPUs for the module
(``ray.init(num_cpus=2)``) and skip, saying so, when Ray is not installed (``pip install -e ".[ray]"``; CI installs it).
"""
from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from conftest import NEEDS_DATA
from naslib_swap.cli import main
from naslib_swap.errors import NaslibSwapError
from naslib_swap.registry import get_search, get_space
from naslib_swap.search.evolution import aging_evolution, elitist_evolution
from naslib_swap.search.fanout import Fanout, Scatter, ScorerRecipe, SearchScoringError
from naslib_swap.suite.backends import BackendError

try:
    import ray
except ImportError:  # the core works without Ray; its tests need it
    ray = None

SPACE, DATASET = get_space("nasbench201"), "ImageNet16-120"
TINY_TEG = dict(width=1, batch_size=4, reinits=1, crops=50, images=8)
# (method, options): each small, each exercising a batch its search fans out
CASES = {
    "swap-nas": dict(seed=0, population=5, cycles=3, mutations=3, batch_size=4, width=2, cells=1),
    "swap-nas-budget": dict(seed=1, budget=7, population=5, cycles=3, mutations=3, batch_size=4, width=2, cells=1),
    "libra-nas": dict(seed=0, budget=6, population=4, sample_size=2, proxies="params+nwot", batch_size=4),
    "teg-evolution": dict(seed=0, population=4, sample_size=2, steps=2, **TINY_TEG),
    "teg-evolution-budget": dict(seed=1, budget=3, population=5, sample_size=2, steps=3, **TINY_TEG),
    "teg-prune": dict(seed=0, budget=8, **TINY_TEG),
    "zc-pt": dict(seed=1, width=2, cells=1, batch_size=4, proposals=2, validate=2, budget=40),
    "zc-pt-global": dict(seed=0, width=2, cells=1, batch_size=4, proposals=1, validate=1, order="global-op-once",
                         budget=20),
    # a proxy that draws from the search's shared generator: found out, finished in the driver
    "zc-pt-drawing": dict(seed=0, width=2, cells=1, batch_size=4, proposals=2, validate=2, proxy="swap[reinits=2]",
                          budget=16),
}


def run(case: str, backend: Fanout | None = None):
    method = case.replace("-budget", "").replace("-global", "").replace("-drawing", "")
    opts = dict(CASES[case])
    if backend is not None:
        opts["backend"] = backend
    return get_search(method)(SPACE, DATASET, progress=False, **opts)


def same(a, b) -> None:
    assert a.arch == b.arch
    assert repr(a.history) == repr(b.history)  # every score, bit for bit (repr keeps NaN == NaN)
    assert a.n_scored == b.n_scored and a.truncated == b.truncated


@NEEDS_DATA
@pytest.mark.parametrize("case", list(CASES))
def test_workers_give_the_serial_search(case):
    serial, fanned = run(case), run(case, Fanout.make(workers=2))
    same(serial, fanned)
    assert fanned.extra["scoring_tasks"] > 0  # something did leave this process
    if case == "zc-pt-drawing":
        assert fanned.extra["fanout_stopped_by_draws"] and not serial.extra["fanout_stopped_by_draws"]
    if case in ("teg-prune", "zc-pt"):  # rounds and edges are batches: most of the work left this process
        assert fanned.extra["scoring_tasks"] >= fanned.n_scored // 2


def test_the_batched_initial_population_is_the_one_at_a_time_population():
    """``on_population`` draws the initial members first: same members, same order, same later draws."""
    def evolve(batched: bool, engine):
        import torch

        seen, batches = [], []
        g = torch.Generator().manual_seed(3)
        kw = dict(on_population=batches.append) if batched else {}
        if engine == "aging":
            members, stopped = aging_evolution(
                size=5, sample_size=3, steps=6, generator=g,
                sample=lambda g: int(torch.randint(100, (1,), generator=g)),
                mutate=lambda a, g: a + int(torch.randint(3, (1,), generator=g)), select=lambda m, idx: max(idx),
                on_member=seen.append, exhausted=lambda: len(seen) >= 4, **kw)
        else:
            members = elitist_evolution([], size=5, cycles=4, sample_size=2, generator=g,
                                        sample=lambda g: int(torch.randint(100, (1,), generator=g)),
                                        fitness=lambda a: -abs(a - 50), on_member=seen.append,
                                        breed=lambda r: (r[0], [r[0] + 1, r[0] - 1], {}), **kw)
            stopped = None
        return members, stopped, seen, batches

    for engine in ("aging", "elitist"):
        m1, s1, seen1, _ = evolve(False, engine)
        m2, s2, seen2, batches = evolve(True, engine)
        assert (m1, s1, seen1) == (m2, s2, seen2)
        assert len(batches) == 1 and batches[0][:len(seen1)] == seen1[:len(batches[0])]


def _fail_on_three(scorer, item):
    if item == 3:
        raise ValueError("item three is bad\nsecond line")
    return scorer["base"] + item


def _die_on_two(scorer, item):
    if item == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return item


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_local_workers_report_a_failing_item_and_a_dead_worker_in_one_line():
    recipe = ScorerRecipe(dict, {"base": 10})
    with Scatter(Fanout.make(workers=2), recipe) as fan:
        assert fan.map(_fail_on_three, [0, 1, 2]) == [10, 11, 12]
        with pytest.raises(SearchScoringError) as e:
            fan.map(_fail_on_three, [1, 2, 3, 4])
    assert str(e.value) == "scoring 3 failed in a worker: ValueError: item three is bad"
    t = time.monotonic()
    with pytest.raises(BackendError, match="worker process died") as e:
        with Scatter(Fanout.make(workers=2), recipe) as fan:
            fan.map(_die_on_two, [0, 1, 2, 3])
    assert "\n" not in str(e.value) and time.monotonic() - t < 60  # reported, not a hang


def test_backend_settings_are_one_line_errors(monkeypatch, capsys):
    for kw, msg in ((dict(workers=0), "workers must be >= 1"), (dict(backend="slurm"), "unknown backend"),
                    (dict(cpus_per_task=2), "settings of the ray backend"),
                    (dict(backend="ray", cpus_per_task=0), "cpus_per_task must be > 0")):
        with pytest.raises(NaslibSwapError, match=msg):
            Fanout.make(**kw)
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(BackendError, match=r"pip install \"naslib-swap\[ray\]\""):
        Fanout.make(backend="ray")
    assert main(["search", "--space", "nasbench201", "--dataset", DATASET, "--method", "swap-nas",
                 "--backend", "ray", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "needs Ray, which is not installed" in err and "\n" not in err
    monkeypatch.delitem(sys.modules, "ray")
    # a search that cannot fan out says so; nothing runs
    assert main(["search", "--space", "nasbench201", "--dataset", DATASET, "--method", "teg-reinforce",
                 "--workers", "2", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "scores in this process only" in err and "\n" not in err


@pytest.mark.skipif(ray is None, reason='Ray is not installed: pip install -e ".[ray]" to run these')
def test_an_unreachable_ray_address_is_a_one_line_error(capsys):
    import socket

    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["search", "--space", "nasbench201", "--dataset", DATASET, "--method", "zc-pt", "--backend", "ray",
                 "--address", f"127.0.0.1:{port}", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert f"cannot reach a Ray head at 127.0.0.1:{port}" in err and "\n" not in err


@pytest.fixture(scope="module")
def ray_cluster():
    if ray is None:
        pytest.skip('Ray is not installed: pip install -e ".[ray]" to run these')
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    ray.shutdown()


@NEEDS_DATA
def test_ray_gives_the_serial_search(ray_cluster):
    on_ray = Fanout.make(backend="ray")
    for case in ("swap-nas-budget", "teg-evolution-budget", "zc-pt"):
        serial, fanned = run(case), run(case, on_ray)
        same(serial, fanned)
        assert fanned.extra["scoring_tasks"] > 0


@NEEDS_DATA
def test_ray_reports_a_failing_item_in_one_line(ray_cluster):
    from naslib_swap.scoring import ArchScorer
    from naslib_swap.search.swap_nas import _first_score

    recipe = ScorerRecipe(ArchScorer, dict(space=SPACE, dataset=DATASET, proxies=["params"], data_root=None))
    with Scatter(Fanout.make(backend="ray"), recipe) as fan:
        assert len(fan.map(_first_score, [(0, 2, 3, 4, 1, 2)])) == 1
        with pytest.raises(SearchScoringError) as e:
            fan.map(_first_score, [(0, 2, 3, 4, 1, 2), (9, 9, 9, 9, 9, 9)])
    assert str(e.value).startswith("scoring (9, 9, 9, 9, 9, 9) failed in a worker: ") and "\n" not in str(e.value)
