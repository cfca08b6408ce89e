"""Scale-out: shards and their merge, failures recorded, and the Ray backend on a real local Ray cluster.

The Ray tests start one local cluster of 2 CPUs for the module (``ray.init(num_cpus=2)``) and skip, saying so, when
Ray is not installed (``pip install -e ".[ray]"``; CI installs it).
"""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from naslib_swap.cli import main
from naslib_swap.data.groundtruth import has_data
from naslib_swap.errors import GrammarError
from naslib_swap.grammar import parse_shard
from naslib_swap.registry import PROXIES, register_population_proxy
from naslib_swap.scoring import ArchScorer
from naslib_swap.suite.config import resolve
from naslib_swap.suite.merge import MergeError, merge_stores
from naslib_swap.suite.runner import run_correlation, shard_of
from naslib_swap.suite.store import load_failures

needs_data = pytest.mark.skipif(not has_data(), reason="shared data folder (../shared/data) not found")
try:
    import ray
except ImportError:  # the core works without Ray; its tests need it
    ray = None
needs_ray = pytest.mark.skipif(ray is None, reason='Ray is not installed: pip install -e ".[ray]" to run these')

SPACE, DATASET = "nasbench201", "ImageNet16-120"  # 16x16 inputs: the cheapest NB201 task


def cfg(**kw):
    flags = dict(space=SPACE, dataset=DATASET, proxies=["params", "swap"], seeds=[9000, 9001], archs=4,
                 batch_size=4, baselines=False, truth_metrics=["val"])
    flags.update(kw)
    return resolve(flags=flags)


def contents(db: Path) -> dict[str, list[tuple]]:
    """What a store holds, less what depends on when and how fast (seconds, timestamps, run log, claims)."""
    con = sqlite3.connect(db)
    out = {
        "scores": con.execute("SELECT space, dataset, seed, arch, proxy, score, nan_flag, version, config_hash, source "
                              "FROM scores ORDER BY space, dataset, seed, arch, proxy").fetchall(),
        "samples": con.execute("SELECT * FROM samples ORDER BY space, dataset, seed, pos").fetchall(),
        "truth": con.execute("SELECT * FROM truth ORDER BY space, dataset, arch, metric").fetchall(),
        "baselines": con.execute("SELECT * FROM baselines ORDER BY space, dataset, arch, proxy").fetchall(),
        "failures": con.execute("SELECT seed, arch FROM failures ORDER BY seed, arch").fetchall(),
    }
    con.close()
    return out


# --- shards -------------------------------------------------------------------------------------------------------

def test_shards_are_disjoint_cover_the_units_and_do_not_move():
    draws = {9000: [f"a{i % 37}" for i in range(60)], 9001: [f"b{i}" for i in range(50)]}
    parts = [shard_of(draws, (i, 3)) for i in range(3)]
    for seed, archs in draws.items():
        got = [a for p in parts for a in p[seed]]
        assert sorted(got) == sorted(set(archs))  # every distinct unit once
        sizes = [len(p[seed]) for p in parts]
        assert max(sizes) - min(sizes) <= 1
    longer = {seed: archs + [f"new{i}" for i in range(20)] for seed, archs in draws.items()}
    for i in range(3):  # a longer draw (archs=1000 after archs=200) keeps every unit in its part
        again = shard_of(longer, (i, 3))
        assert all(again[s][:len(parts[i][s])] == parts[i][s] for s in draws)


@pytest.mark.parametrize("text", ["3/3", "1/0", "-1/2", "a/b", "1", "1/2/3", ""])
def test_a_bad_shard_is_a_one_line_error(text, tmp_path, capsys):
    rc = main(["correlate", "--space", SPACE, "--dataset", DATASET, "--db", str(tmp_path / "r.sqlite"),
               f"--shard={text}", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "shard" in err and "I/N" in err
    assert not list(tmp_path.iterdir())
    with pytest.raises(GrammarError, match="shard"):
        parse_shard(text)


@needs_data
def test_three_shards_merged_equal_the_whole_run(tmp_path):
    whole = tmp_path / "whole.sqlite"
    run_correlation(cfg(), whole, progress=False)
    parts = []
    for i in range(3):
        parts.append(tmp_path / f"s{i}.sqlite")
        summary = run_correlation(cfg(shard=f"{i}/3"), parts[-1], progress=False)
        assert summary["units_run"] == len(contents(parts[-1])["scores"]) // 2
        assert run_correlation(cfg(shard=f"{i}/3"), parts[-1], progress=False)["units_run"] == 0  # resumes
    merged = tmp_path / "merged.sqlite"
    out = merge_stores(merged, parts)
    assert contents(merged) == contents(whole)
    assert out["duplicates"]["scores"] == 0 and out["rows"]["scores"] == len(contents(whole)["scores"])
    assert out["duplicates"]["truth"] == 2 * len(contents(whole)["truth"])  # each shard copies the same truth
    # the merged store is a finished run of the whole command: nothing left to score
    assert run_correlation(cfg(), merged, progress=False)["units_run"] == 0


@needs_data
def test_population_proxies_are_combined_on_the_merged_store(tmp_path):
    @register_population_proxy("scale_pop_test", inputs=("params", "swap"))
    def rank_sum(rows):
        a = np.array([r["params"] for r in rows])
        b = np.array([r["swap"] for r in rows])
        return list((a.argsort().argsort() + b.argsort().argsort()).astype(float))

    try:
        flags = dict(proxies=["scale_pop_test"], seeds=[9000], archs=5)
        whole = tmp_path / "whole.sqlite"
        run_correlation(cfg(**flags), whole, progress=False)
        parts = [tmp_path / f"s{i}.sqlite" for i in range(2)]
        for i, part in enumerate(parts):
            summary = run_correlation(cfg(shard=[i, 2], **flags), part, progress=False)
            assert "scale_pop_test" not in {r[4] for r in contents(part)["scores"]}  # inputs only in a shard
            assert "scale_pop_test" not in summary["results"]["val"]
        merged = tmp_path / "merged.sqlite"
        merge_stores(merged, parts)
        assert run_correlation(cfg(**flags), merged, progress=False)["units_run"] == 0  # combines, scores nothing
        assert contents(merged) == contents(whole)
    finally:
        PROXIES.remove("scale_pop_test")


@needs_data
def test_merge_counts_duplicates_and_refuses_other_settings(tmp_path, capsys):
    a = tmp_path / "a.sqlite"
    run_correlation(cfg(seeds=[9000], archs=3), a, progress=False)
    b = tmp_path / "b.sqlite"
    shutil.copy(a, b)
    out = merge_stores(tmp_path / "ab.sqlite", [a, b])
    n = len(contents(a)["scores"])
    assert out["rows"]["scores"] == n and out["duplicates"]["scores"] == n and out["conflicts"]["scores"] == 0

    other = tmp_path / "other.sqlite"  # another batch size: another config hash
    run_correlation(cfg(seeds=[9000], archs=3, batch_size=8), other, progress=False)
    bad = tmp_path / "bad.sqlite"
    assert main(["merge", str(bad), str(a), str(other)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "config hash" in err and not bad.exists()

    old = tmp_path / "old.sqlite"  # same settings, another package version
    shutil.copy(a, old)
    con = sqlite3.connect(old)
    with con:
        con.execute("UPDATE scores SET version='0.0.1'")
    con.close()
    with pytest.raises(MergeError, match="package version"):
        merge_stores(bad, [a, old])
    assert not bad.exists() and not [p for p in tmp_path.iterdir() if "merging" in p.name]
    with pytest.raises(MergeError, match="exists"):
        merge_stores(a, [b])
    with pytest.raises(MergeError, match="listed twice"):
        merge_stores(bad, [a, tmp_path / "." / "a.sqlite"])


@needs_data
def test_a_unit_that_raises_is_recorded_and_the_run_goes_on(tmp_path, monkeypatch):
    real = ArchScorer.score_arch
    calls = []

    def flaky(self, arch, jobs=None):  # the second unit raises
        calls.append(arch)
        if len(calls) == 2:
            raise RuntimeError("out of memory (a stand-in)\nsecond line")
        return real(self, arch, jobs)

    monkeypatch.setattr(ArchScorer, "score_arch", flaky)
    db = tmp_path / "f.sqlite"
    summary = run_correlation(cfg(seeds=[9000], archs=4), db, progress=False)
    fails = load_failures(db)
    assert summary["failures"] == 1 and len(fails) == 1
    assert fails.message.iloc[0] == "RuntimeError: out of memory (a stand-in)"
    assert fails.arch.iloc[0] == calls[1] and fails.proxies.iloc[0] == "params,swap"
    scored = {a for _, _, _, a, *_ in contents(db)["scores"]}
    assert summary["units_run"] == len(scored) == len(set(calls)) - 1 and calls[1] not in scored
    monkeypatch.setattr(ArchScorer, "score_arch", real)
    again = run_correlation(cfg(seeds=[9000], archs=4), db, progress=False)  # a re-run retries the failed unit
    assert again["units_run"] == 1 and again["failures"] == 0 and len(load_failures(db)) == 0


# --- Ray ----------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ray_cluster():
    if ray is None:
        pytest.skip('Ray is not installed: pip install -e ".[ray]" to run these')
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    ray.shutdown()


@needs_ray
@needs_data
@pytest.mark.slow
def test_ray_gives_the_serial_store(ray_cluster, tmp_path):
    serial, on_ray = tmp_path / "serial.sqlite", tmp_path / "ray.sqlite"
    a = run_correlation(cfg(seeds=[9001]), serial, progress=False)
    b = run_correlation(cfg(seeds=[9001], backend="ray"), on_ray, progress=False)
    assert contents(on_ray) == contents(serial)  # same scores, bit for bit
    assert a["units_run"] == b["units_run"] > 0
    assert a["results"]["val"]["swap"]["per_seed"] == b["results"]["val"]["swap"]["per_seed"]
    assert run_correlation(cfg(seeds=[9001], backend="ray"), on_ray, progress=False)["units_run"] == 0  # resumes


def _ours(pid: int) -> bool:
    """Whether process ``pid`` descends from this one (a worker of the cluster this test module started)."""
    while pid > 1:
        if pid == os.getpid():
            return True
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
    return False


def _kill_a_busy_worker(stop: threading.Event, killed: list[int]) -> None:
    """SIGKILL the first of our Ray workers seen computing a unit (its process title names the task)."""
    while not stop.is_set() and not killed:
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                title = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"ray::naslib_swap_unit") and _ours(int(proc.name)):
                os.kill(int(proc.name), signal.SIGKILL)
                killed.append(int(proc.name))
                return
        time.sleep(0.01)


@needs_ray
@needs_data
@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds Ray's worker processes through /proc (Linux)")
def test_a_killed_worker_costs_a_retry_only(ray_cluster, tmp_path):
    slow = dict(proxies=["swap[init='normal',reinits=2]"], seeds=[9000], archs=6, batch_size=16)
    serial, on_ray = tmp_path / "serial.sqlite", tmp_path / "ray.sqlite"
    run_correlation(cfg(**slow), serial, progress=False)
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=_kill_a_busy_worker, args=(stop, killed))
    killer.start()
    try:
        summary = run_correlation(cfg(backend="ray", **slow), on_ray, progress=False)
    finally:
        stop.set()
        killer.join()
    assert killed, "no Ray worker was seen computing a unit"
    got = contents(on_ray)
    assert got == contents(serial)  # nothing lost, nothing doubled, nothing changed
    assert summary["units_run"] == len(got["scores"]) and summary["failures"] == 0
    con = sqlite3.connect(on_ray)
    assert con.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    con.close()


@needs_ray
def test_an_unreachable_ray_address_is_a_one_line_error(tmp_path, capsys):
    with socket_closed_port() as port:
        rc = main(["correlate", "--space", SPACE, "--dataset", DATASET, "--db", str(tmp_path / "r.sqlite"),
                   "--archs", "2", "--seeds", "9000", "--backend", "ray", "--address", f"127.0.0.1:{port}",
                   "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "cannot reach a Ray head" in err, err
    assert not list(tmp_path.iterdir())  # nothing written


def test_ray_missing_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails as it does where it is not installed
    rc = main(["correlate", "--space", SPACE, "--dataset", DATASET, "--db", str(tmp_path / "r.sqlite"),
               "--archs", "2", "--seeds", "9000", "--backend", "ray", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "pip install" in err and "[ray]" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("extra, match", [
    (["--gpus-per-task", "0.25"], "device"),
    (["--device", "cuda"], "gpus_per_task"),
    (["--address", "nowhere"], "HOST:PORT"),
])
def test_ray_settings_are_checked_before_anything_starts(extra, match, tmp_path, capsys):
    if ray is None:
        pytest.skip('Ray is not installed: pip install -e ".[ray]" to run these')
    rc = main(["correlate", "--space", SPACE, "--dataset", DATASET, "--db", str(tmp_path / "r.sqlite"),
               "--archs", "2", "--seeds", "9000", "--backend", "ray", "--no-progress", *extra])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and match in err, err
    assert not list(tmp_path.iterdir())


def test_ray_settings_without_the_ray_backend_are_refused(tmp_path, capsys):
    rc = main(["correlate", "--space", SPACE, "--dataset", DATASET, "--db", str(tmp_path / "r.sqlite"),
               "--cpus-per-task", "2", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "backend=ray" in err and len(err.strip().splitlines()) == 1


class socket_closed_port:
    """A local TCP port with nothing listening on it (bound, then closed)."""

    def __enter__(self) -> int:
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def __exit__(self, *exc) -> None:
        pass
