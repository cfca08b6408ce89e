"""The suite runner: resume after SIGKILL, workers = 1 worker, population proxies, NASLib export, one-line errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

from naslib_swap.cli import main
from naslib_swap.data.groundtruth import has_data
from naslib_swap.registry import PROXIES, register_population_proxy
from naslib_swap.suite.config import resolve
from naslib_swap.suite.export import export_naslib, read_naslib_zc
from naslib_swap.suite.runner import evaluate, progress_of, run_correlation
from naslib_swap.suite.sampler import sample_archs, suite_keys
from naslib_swap.suite.store import load_baselines, load_scores, load_truth

pytestmark = pytest.mark.skipif(not has_data(), reason="shared data folder (../shared/data) not found")

SPACE, DATASET = "nasbench201", "ImageNet16-120"  # 16x16 inputs: the cheapest NB201 task


def tiny_cfg(**kw):
    flags = dict(space=SPACE, dataset=DATASET, proxies=["params", "swap"], seeds=[9000, 9001], archs=3,
                 batch_size=4, baselines=True, truth_metrics=["val", "test"])
    flags.update(kw)
    return resolve(flags=flags)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("suite") / "r.sqlite"
    summary = run_correlation(tiny_cfg(), db, progress=False)
    return db, summary


def test_rows_and_summary(small_db):
    db, summary = small_db
    df = load_scores(db)
    keys = suite_keys(SPACE, DATASET)
    expect = {(s, a) for s in (9000, 9001) for a in sample_archs(keys, 3, s, space=SPACE)}
    assert set(zip(df.seed, df.arch)) == expect
    assert len(df) == 2 * len(expect)  # one row per (seed, arch, proxy)
    val = summary["results"]["val"]
    assert val["swap"]["kind"] == "ours" and set(val["swap"]["per_seed"]) == {9000, 9001}
    assert val["nwot"]["kind"] == "suite"  # the 13 baselines ride along
    assert "stand-in" in summary["sources"]["swap"]  # ImageNet16-120 images are a named stand-in
    assert set(load_truth(db).metric) == {"val", "test"}


def test_evaluate_names_the_images_of_the_reported_proxies_only(small_db):
    db, _ = small_db
    assert set(evaluate(db, SPACE, DATASET, labels=["swap"])["sources"]) == {"swap"}  # the store also holds params


def test_resume_recomputes_nothing(small_db):
    db, _ = small_db
    before = load_scores(db)
    summary = run_correlation(tiny_cfg(), db, progress=False)
    assert summary["units_run"] == 0
    assert load_scores(db).equals(before)


def test_baselines_follow_every_seed_of_a_finished_store(tmp_path):
    """A store whose baselines came with one seed gets the others' when a finished run asks for more seeds."""
    db = tmp_path / "b.sqlite"
    run_correlation(tiny_cfg(seeds=[9000, 9001], baselines=False), db, progress=False)
    run_correlation(tiny_cfg(seeds=[9000]), db, progress=False)  # baselines of seed 9000's archs only
    summary = run_correlation(tiny_cfg(), db, progress=False)  # nothing left to score: still the baselines
    assert summary["units_run"] == 0
    keys = suite_keys(SPACE, DATASET)
    drawn = {a for s in (9000, 9001) for a in sample_archs(keys, 3, s, space=SPACE)}
    from naslib_swap.suite.baselines import baseline_scores
    assert set(load_baselines(db).arch) == set(baseline_scores(SPACE, DATASET, drawn).arch) and len(drawn) > 3


def test_progress_of_counts_units_and_prices_the_rest_without_writing(small_db, tmp_path, capsys):
    db, _ = small_db
    stamp = db.stat().st_mtime_ns
    done = progress_of(tiny_cfg(), db)
    assert done["left"] == 0 and done["done"] == done["units"] > 0 and done["seconds_left"] == 0
    assert done["measured"]["swap"] == done["units"] and done["seconds_each"]["swap"] > 0
    more = progress_of(tiny_cfg(archs=6), db)  # a longer draw starts with the shorter one: the first 3 are done
    assert more["done"] == done["units"] and more["left"] > 0 and more["seconds_left"] > 0
    fresh = progress_of(tiny_cfg(proxies=["params", "swap", "nwot"]), db)  # nwot never ran here: no price
    assert fresh["evals_left"]["nwot"] == fresh["units"] and fresh["seconds_left"] is None
    assert db.stat().st_mtime_ns == stamp and not (tmp_path / "none.sqlite").exists()
    assert progress_of(tiny_cfg(), tmp_path / "none.sqlite")["done"] == 0 and not (tmp_path / "none.sqlite").exists()
    assert main(["correlate", "--space", SPACE, "--dataset", DATASET, "--proxies", "params,swap", "--seeds", "9000",
                 "--archs", "3", "--batch-size", "4", "--db", str(db), "--estimate"]) == 0
    out = capsys.readouterr().out
    assert "nothing run" in out and "0 left" in out and "hours left on one worker: 0.00" in out


@pytest.mark.slow
def test_workers_give_the_same_scores(tmp_path):
    one = run_correlation(tiny_cfg(seeds=[9002], archs=4, workers=1, baselines=False), tmp_path / "a.sqlite",
                          progress=False)
    two = run_correlation(tiny_cfg(seeds=[9002], archs=4, workers=2, baselines=False), tmp_path / "b.sqlite",
                          progress=False)
    a = load_scores(tmp_path / "a.sqlite").sort_values(["arch", "proxy"]).reset_index(drop=True)
    b = load_scores(tmp_path / "b.sqlite").sort_values(["arch", "proxy"]).reset_index(drop=True)
    assert a[["seed", "arch", "proxy"]].equals(b[["seed", "arch", "proxy"]])
    assert np.array_equal(a.score.values, b.score.values)
    assert one["results"]["val"]["params"]["per_seed"] == two["results"]["val"]["params"]["per_seed"]


def test_population_proxy_by_metadata(tmp_path):
    calls = []

    @register_population_proxy("tiny_pop_test", inputs=("params", "swap"))
    def rank_sum(rows, *, weight: float = 1.0):
        calls.append(len(rows))
        a = np.array([r["params"] for r in rows])
        b = np.array([r["swap"] for r in rows])
        return list(weight * (a.argsort().argsort() + b.argsort().argsort()).astype(float))

    try:
        db = tmp_path / "p.sqlite"
        cfg = tiny_cfg(proxies=["tiny_pop_test[weight=2.0]"], seeds=[9000], archs=5, baselines=False)
        run_correlation(cfg, db, progress=False)
        df = load_scores(db)
        uniq = list(dict.fromkeys(sample_archs(suite_keys(SPACE, DATASET), 5, 9000, space=SPACE)))
        assert calls == [len(uniq)]  # combined once over the seed's distinct archs
        inputs = df[df.proxy.isin(["params", "swap"])].pivot(index="arch", columns="proxy", values="score").loc[uniq]
        want = rank_sum([{"params": p, "swap": s} for p, s in zip(inputs.params, inputs.swap)], weight=2.0)
        got = df[df.proxy == "tiny_pop_test[weight=2.0]"].set_index("arch").score.loc[uniq]
        assert list(got) == want
        calls.clear()
        run_correlation(cfg, db, progress=False)  # resume: nothing to combine again
        assert calls == []
    finally:
        PROXIES.remove("tiny_pop_test")


def test_export_round_trips_through_naslib_reader(small_db, tmp_path):
    db, _ = small_db
    (path,) = export_naslib(db, tmp_path)
    assert path.name == "zc_nasbench201.json"
    zc_api = json.load(open(path))[DATASET]  # what NASLib's get_zc_benchmark_api returns
    keys, scores, acc = read_naslib_zc(path, DATASET)
    df = load_scores(db)
    first = df.sort_values("seed").drop_duplicates(["arch", "proxy"])
    for a, p, s in zip(first.arch, first.proxy, first.score):
        assert zc_api[a][p]["score"] == s  # NASLib's evaluator: zc_api[str(arch)][method]['score']
        assert scores[a][p] == s
    bl = load_baselines(db)
    for a, p, s in zip(bl.arch, bl.proxy, bl.score):
        if p not in set(df.proxy):  # where names clash (params) our score is the one exported
            assert scores[a][p] == s
    tv = load_truth(db)
    tv = tv[tv.metric == "val"]
    assert all(acc[a] == v for a, v in zip(tv.arch, tv.value) if a in acc)
    assert set(keys) == set(df.arch)
    assert all(set(rec) >= {"params", "swap", "nwot", "val_accuracy"} for rec in zc_api.values())


def test_report_writes_files(small_db, tmp_path):
    db, _ = small_db
    assert main(["report", "--db", str(db), "--out", str(tmp_path)]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"report.md", "metrics.csv", "heatmap_spearman_val.png", f"scatter_{SPACE}_{DATASET}.png"} <= names
    text = (tmp_path / "report.md").read_text()
    assert "stand-in" in text and "suite val accuracy" in text


@pytest.mark.parametrize("argv, fragment", [
    (["correlate", "--space", SPACE, "--dataset", DATASET, "--proxies", "nope", "--db", "X"], "unknown proxy 'nope'"),
    (["correlate", "--space", SPACE, "--dataset", DATASET, "--db", "X", "bogus=1"], "unknown config key"),
    (["correlate", "--space", SPACE, "--dataset", DATASET, "--seeds", "a-b", "--db", "X"], "bad range"),
    (["correlate", "--dataset", DATASET, "--db", "X"], "no space/dataset"),
    (["report", "--db", "/nonexistent/r.sqlite", "--out", "X"], "not found"),
])
def test_cli_errors_are_one_line(argv, fragment, capsys, tmp_path):
    argv = [str(tmp_path / "x.sqlite") if a == "X" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and fragment in err and err.startswith("naslib-swap: error:")
