"""The results store: SQLite WAL, a commit per arch; a run killed with SIGKILL resumes with exactly the expected
rows."""
from __future__ import annotations

import math
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from naslib_swap.cli import main
from naslib_swap.data.groundtruth import has_data
from naslib_swap.suite.sampler import sample_archs, suite_keys
from naslib_swap.suite.store import Store, join_score, load_scores, split_score

SPACE, DATASET = "nasbench201", "ImageNet16-120"


def test_nonfinite_round_trip(tmp_path):
    db = tmp_path / "s.sqlite"
    with Store(db) as st:
        st.write_arch("sp", "ds", 1, "(0,)", [("a", math.nan, 0.1), ("b", math.inf, 0.1), ("c", -math.inf, 0.1),
                                               ("d", 2.5, 0.1)], version="v", config_hash="h", source="s")
        with sqlite3.connect(db) as c:
            assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    df = load_scores(db).set_index("proxy")
    assert math.isnan(df.score["a"]) and df.score["b"] == math.inf and df.score["c"] == -math.inf
    assert df.score["d"] == 2.5
    assert list(df.nan_flag) == [1, 2, 3, 0]
    assert join_score(*split_score(7.0)) == 7.0


def test_draw_can_grow_but_not_change(tmp_path):
    from naslib_swap.suite.store import StoreError

    with Store(tmp_path / "d.sqlite") as st:
        st.write_samples("sp", "ds", 1, ["a", "b"], unique=False, key_source="suite")
        st.write_samples("sp", "ds", 1, ["a", "b", "c"], unique=False, key_source="suite")  # extended
        st.write_samples("sp", "ds", 1, ["a"], unique=False, key_source="suite")  # a prefix: kept as is
        assert st.samples("sp", "ds", 1) == ["a", "b", "c"]
        with pytest.raises(StoreError, match="different sample"):
            st.write_samples("sp", "ds", 1, ["b", "a"], unique=False, key_source="suite")


@pytest.mark.skipif(not has_data(), reason="shared data folder (../shared/data) not found")
@pytest.mark.slow
def test_resume_after_sigkill(tmp_path):
    db = tmp_path / "k.sqlite"
    args = ["correlate", "--space", SPACE, "--dataset", DATASET, "--proxies", "params,swap", "--seeds", "9000",
            "--archs", "12", "--batch-size", "4", "--db", str(db), "--no-progress", "--format", "json"]
    code = "import sys; from naslib_swap.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        n = 0
        while time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
            if db.exists():
                try:
                    with sqlite3.connect(db, timeout=5) as c:
                        n = c.execute("SELECT COUNT(DISTINCT arch) FROM scores").fetchone()[0]
                except sqlite3.OperationalError:
                    continue
                if n >= 2:
                    break
        assert proc.poll() is None, "the run finished before it could be killed; raise --archs"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    killed = load_scores(db)
    with sqlite3.connect(db) as c:
        created_before = dict(((a, p), t) for a, p, t in c.execute("SELECT arch, proxy, created FROM scores"))
    per_arch = killed.groupby("arch").proxy.apply(set)
    assert len(per_arch) >= 2 and all(p == {"params", "swap"} for p in per_arch)  # whole archs only
    assert main(args) == 0  # the same command resumes
    full = load_scores(db)
    draw = sample_archs(suite_keys(SPACE, DATASET), 12, 9000, space=SPACE)
    assert sorted(set(full.arch)) == sorted(set(draw))
    assert len(full) == 2 * len(set(draw))  # exactly the expected rows: nothing lost, nothing doubled
    merged = killed.merge(full, on=["seed", "arch", "proxy"], suffixes=("_a", "_b"))
    assert len(merged) == len(killed)
    assert np.array_equal(merged.score_a.values, merged.score_b.values)
    with sqlite3.connect(db) as c:  # rows written before the kill were not recomputed (nor rewritten)
        created_after = dict(((a, p), t) for a, p, t in c.execute("SELECT arch, proxy, created FROM scores"))
    assert all(created_after[k] == t for k, t in created_before.items())
