"""Bad input and side effects (issue 21, first part): one line and exit 2, nothing written by a failed command,
finished or read-only stores read without writing."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from naslib_swap.cli import main
from naslib_swap.data.groundtruth import has_data
from naslib_swap.proxies.base import ProxyCall

needs_data = pytest.mark.skipif(not has_data(), reason="shared data folder (../shared/data) not found")
CORRELATE = ["correlate", "--space", "nasbench201", "--dataset", "ImageNet16-120", "--proxies", "params",
             "--seeds", "9000", "--archs", "3", "--batch-size", "4", "--no-progress"]


def one_line_error(capsys: pytest.CaptureFixture[str], rc: int, expect: str) -> None:
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert expect in err, err


def test_report_onto_an_existing_file_and_a_missing_store_write_nothing(tmp_path, capsys):
    target = tmp_path / "taken.txt"
    target.write_text("keep me")
    one_line_error(capsys, main(["report", "--db", str(tmp_path / "none.sqlite"), "--out", str(target)]),
                   "is an existing file")
    out = tmp_path / "report"
    one_line_error(capsys, main(["report", "--db", str(tmp_path / "none.sqlite"), "--out", str(out)]),
                   "not found")
    assert target.read_text() == "keep me" and not out.exists()


def test_correlate_needs_two_archs_and_an_existing_folder(tmp_path, capsys):
    argv = [*CORRELATE, "--db", str(tmp_path / "r.sqlite")]
    one_line_error(capsys, main([*argv[:-3], "--archs", "1", *argv[-3:]]), "at least 2 archs")
    missing = tmp_path / "missing_dir" / "x.sqlite"
    one_line_error(capsys, main([*CORRELATE, "--db", str(missing)]), "does not exist")
    assert not missing.parent.exists() and not (tmp_path / "r.sqlite").exists()


@needs_data
@pytest.mark.parametrize("bad, expect", [(["--batch-size", "0"], "batch size 0 out of range"),
                                         (["--device", "cuda:7"], "device 'cuda:7'"),
                                         (["--proxies", "swap[reinits=x]"], "reinits='x'")])
def test_failed_correlate_writes_no_store(tmp_path, capsys, bad, expect):
    db = tmp_path / "r.sqlite"
    one_line_error(capsys, main([*CORRELATE, "--db", str(db), *bad]), expect)
    assert list(tmp_path.iterdir()) == []


@needs_data
def test_a_corrupt_store_gets_no_config_beside_it(tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    one_line_error(capsys, main([*CORRELATE, "--db", str(db)]), "cannot read results store")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.sqlite"]


@needs_data
def test_a_finished_run_writes_nothing_and_a_read_only_store_is_read(tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    assert main([*CORRELATE, "--db", str(db), "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)

    def files() -> dict[str, tuple[int, int]]:
        # not data: SQLite's shared-memory index (-shm), and an empty write-ahead log (the last connection to close,
        # whenever the garbage collector closes it, may reset it; a write shows in the database file's time)
        return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.iterdir()
                if not p.name.endswith("-shm") and not (p.name.endswith("-wal") and p.stat().st_size == 0)}

    # a read-only connection, closed here: a writable one resets the WAL file when it closes as the last connection
    with contextlib.closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        runs = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    before = files()
    assert main([*CORRELATE, "--db", str(db), "--format", "json"]) == 0  # resume of a finished run
    again = json.loads(capsys.readouterr().out)
    assert files() == before
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM runs").fetchone()[0] == runs
    assert again["results"] == first["results"]
    # an immutable store (a read-only share): the same commands read it
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(db), str(tmp_path)],
                                                        capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here: the read-only part needs an immutable file")
    try:
        assert main([*CORRELATE, "--db", str(db), "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["results"] == first["results"]
        out = tmp_path.parent / f"{tmp_path.name}_report"
        assert main(["report", "--db", str(db), "--out", str(out)]) == 0
        assert (out / "report.md").is_file()
    finally:
        subprocess.run(["chattr", "-i", str(db), str(tmp_path)], check=False)


def test_proxy_values_out_of_their_domain():
    assert ProxyCall.parse("lswag[interval=(2,5)]").options == {"interval": (2, 5)}  # the syntax its warning shows
    import torch
    import torch.nn as nn

    from naslib_swap.errors import ProxyInputError
    from naslib_swap.proxies.base import Batch, compute_proxy

    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    with pytest.raises(ProxyInputError, match="must be > 0, got -1"):
        compute_proxy("reg_swap[mu=-1,sigma=1]", net, Batch(torch.zeros(2, 3, 5, 5), None))


def test_a_population_proxy_on_one_arch_fails_at_once(capsys):
    one_line_error(capsys, main(["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch",
                                 "(0, 2, 3, 2, 3, 1)", "--proxies", "teg"]), "score at least 2 distinct archs")


def test_a_bad_line_of_an_archs_file_is_named(tmp_path, capsys):
    f = tmp_path / "archs.txt"
    f.write_text("# my archs\n(0, 2, 3, 2, 3, 1)\n\n(0, 2, 3, 9, 3, 1)\n")
    one_line_error(capsys, main(["score", "--space", "nasbench201", "--dataset", "cifar10", "--archs-file", str(f),
                                 "--proxies", "params"]), f"{f}, line 4: bad nasbench201 architecture")


@needs_data
def test_libra_refuses_a_held_out_figure_on_the_fit_sample(capsys):
    one_line_error(capsys, main(["libra", "--space", "nasbench201", "--dataset", "cifar10", "--fit-seed", "9000",
                                 "--eval-seeds", "9000-9001", "--archs", "50"]), "include the fit seed 9000")


def test_a_reader_that_closes_early_gets_no_traceback(monkeypatch, capsys):
    """``naslib-swap list --format json | head -1``: the reader's end of the pipe is gone; exit 0, nothing printed."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    stream = os.fdopen(write_end, "w")
    monkeypatch.setattr(sys, "stdout", stream)
    try:
        assert main(["list", "--format", "json"]) == 0
        # the closed pipe was met (and stdout pointed at the null device), not silently written to
        assert os.path.samestat(os.fstat(stream.fileno()), os.stat(os.devnull))
    finally:
        monkeypatch.undo()
        try:
            stream.close()
        except OSError:
            pass  # what was left in the buffer has nowhere to go
    assert "Traceback" not in capsys.readouterr().err


@needs_data
@pytest.mark.slow
def test_two_runs_on_one_store_score_each_unit_once(tmp_path):
    """Units are claimed in the store: two concurrent runs split the work instead of both doing all of it."""
    db = tmp_path / "r.sqlite"
    argv = [sys.executable, "-m", "naslib_swap", "correlate", "--space", "nasbench201", "--dataset", "ImageNet16-120",
            "--proxies", "swap[init='normal',reinits=2]", "--seeds", "9000", "--archs", "12", "--batch-size", "16",
            "--db", str(db), "--no-progress", "--format", "json"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outs]
    runs = [json.loads(o[0])["units_run"] for o in outs]
    con = sqlite3.connect(db)
    distinct = con.execute("SELECT COUNT(DISTINCT arch) FROM samples WHERE seed=9000").fetchone()[0]
    rows = con.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    assert sum(runs) == distinct == rows, (runs, distinct, rows)  # every unit scored, and by one run only
    assert con.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0  # every claim released


def test_list_tells_what_each_proxy_costs(capsys) -> None:
    """Issue 21: `list` shows each proxy's measured seconds per NB201 arch, from the shipped measurement."""
    import json

    from naslib_swap.cli import main
    from naslib_swap.proxies.costs import measured_costs, typical_cost
    from naslib_swap.registry import PROXIES

    assert measured_costs()["measured"]["command"].startswith("python scripts/measure_proxy_costs.py")
    built_in = [n for n in PROXIES.names() if PROXIES.source(n).startswith("naslib_swap.proxies.")]
    for name in built_in:  # every built-in proxy was measured (a new one: rerun the script with --only-missing)
        assert typical_cost(name) is not None and typical_cost(name)["seconds_per_arch"] > 0, name
    assert typical_cost("teg_ntk")["seconds_per_arch"] > 10 * typical_cost("swap")["seconds_per_arch"]
    assert main(["list", "swap"]) == 0
    out = capsys.readouterr().out
    assert "s/arch" in out and "measured" in out
    assert main(["list", "swap", "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)["proxies"][0]
    assert row["typical_cost_nb201"]["seconds_per_arch"] == typical_cost("swap")["seconds_per_arch"]


@needs_data
def test_arch_inputs_are_what_score_arch_scores_with() -> None:
    """The cost script times a proxy on `ArchScorer.arch_inputs`: the same net, batch and context as `score_arch`."""
    from naslib_swap.proxies.base import compute_proxy
    from naslib_swap.scoring import ArchScorer

    scorer = ArchScorer("nasbench201", "cifar10", ["swap", "params"], batch_size=8,
                        net_options={"width": 4, "cells": 1})
    arch = "(0, 2, 3, 2, 3, 1)"
    inputs = scorer.arch_inputs(arch)
    assert inputs.batch(8) is inputs.batch(8)  # made once per size
    alone = [compute_proxy(job, inputs.net, inputs.batch(8), inputs.ctx) for job in scorer.jobs]
    assert alone == [r.score for r in scorer.score_arch(arch)]


@needs_data
def test_a_store_file_without_tables_yet_is_not_finished(tmp_path) -> None:
    """Two runs starting on a new store: one may see the file before the other has made its tables."""
    import sqlite3

    from naslib_swap.cli import main

    db = tmp_path / "new.sqlite"
    sqlite3.connect(db).close()  # the file exists, with no table
    rc = main(["correlate", "--space", "nasbench201", "--dataset", "ImageNet16-120", "--proxies", "params",
               "--archs", "3", "--seeds", "9000", "--db", str(db), "--no-progress"])
    assert rc == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0] > 0
