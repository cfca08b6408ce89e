"""``naslib-swap reproduce``: a tiny reproduction produces every cell, with n, seeds, truth, protocol and images."""
from __future__ import annotations

import math

import pytest

from conftest import NEEDS_DATA
from naslib_swap.cli import main
from naslib_swap.errors import NaslibSwapError
from naslib_swap.suite.reproduce import TABLES, estimate, get_table, reproduce, tiny_scale, write_outputs


@NEEDS_DATA
@pytest.mark.slow
def test_a_tiny_swap_fig4_produces_every_cell(tmp_path):
    db = tmp_path / "r.sqlite"
    before = estimate("swap-fig4", tiny_scale(3), db)
    assert not db.exists() and before["left_h"] is None  # nothing run, nothing written, nothing measured
    assert all(r["stored"] == 0 and r["left"] == r["total"] > 0 for r in before["rows"])
    res = reproduce("swap-fig4", tiny_scale(3), db, progress=False)
    rows = res["rows"]
    after = estimate("swap-fig4", tiny_scale(3), db)
    assert after["left_h"] == 0 and all(r["left"] == 0 and r["stored"] == r["total"] for r in after["rows"])
    assert all(r["each_s"] > 0 and r["basis"].startswith("store") for r in after["rows"])
    more = estimate("swap-fig4", tiny_scale(3), db, archs=6)  # a larger draw: the rest costs what the store measured
    assert more["left_h"] is not None and more["left_h"] > 0
    assert [(r["space"], r["dataset"], r["proxy"]) for r in rows] == \
        [(c.space, c.dataset, c.proxy) for c in TABLES["swap-fig4"].cells]
    for r in rows:
        assert math.isfinite(r["val"]) and r["val_n"] >= 2 and r["seeds"] == "9000", r
        assert "protocol='swap-paper'" in r["label"] and "reinits" not in r["label"]  # the tiny scale's 1 init
        assert r["images"] and r["val_source"]
    nb201 = [r for r in rows if r["space"] == "nasbench201"]
    assert all(math.isfinite(r["test"]) and r["test_source"] for r in nb201)  # NB201 has val and test
    assert "stand-in" in [r for r in nb201 if r["dataset"] == "ImageNet16-120"][0]["images"]
    paths = write_outputs(res, tmp_path / "out")
    text = paths[0].read_text()
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    assert text.count("| nasbench") == len(rows) and "swap-paper" in text and "Ground truth" in text
    again = reproduce("swap-fig4", tiny_scale(3), db, progress=False)  # resumable: a rerun reads the store
    assert [r["val"] for r in again["rows"]] == [r["val"] for r in rows]


def test_unknown_tables_and_bad_engines_are_one_line(capsys):
    with pytest.raises(NaslibSwapError, match="known: swap-fig4"):
        get_table("swap-fig5")
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("swap-fig4", "lswag-tab3", "lswag-tab1", "teg-tab2", "zcpt-tab2"):
        assert name in out
    assert main(["reproduce", "teg-tab2", "--backend", "workers"]) == 2  # searches run in this process
    assert "correlation tables" in capsys.readouterr().err
    assert main(["reproduce", "swap-fig4", "--backend", "serial", "--workers", "3"]) == 2
    assert "--backend serial" in capsys.readouterr().err
    assert main(["reproduce", "swap-fig4", "--address", "auto"]) == 2
    assert "--backend ray" in capsys.readouterr().err
    assert main(["reproduce", "zcpt-tab2", "--archs", "5"]) == 2
    assert "search table" in capsys.readouterr().err


def test_backend_flags_reach_the_runner_config():
    from naslib_swap.cli.reproduce import backend_overrides
    from naslib_swap.suite.config import resolve

    for flags, want in (((None, None), {}), (("serial", None), {"backend": "local", "workers": 1}),
                        (("workers", 3), {"backend": "local", "workers": 3}),
                        (("ray", None), {"backend": "ray"}), ((None, 2), {"workers": 2})):
        got = backend_overrides(*flags)
        assert got == want
        cfg = resolve(flags={"space": "nasbench201", "dataset": "cifar10", **got})
        assert all(cfg[k] == v for k, v in got.items())


def test_paper_figures_are_cited():
    for t in TABLES.values():
        for c in t.cells:
            assert c.where
            if t.kind == "search":  # test accuracy in %, with the paper's std
                assert 10 < c.paper < 100 and c.paper_std >= 0
            else:
                assert 0 < c.paper <= 1
        assert t.reference
    assert [round(c.paper, 2) for c in TABLES["zcpt-tab2"].cells] == [94.03, 72.53, 46.18]  # 100 - Tab. 2's errors
    assert TABLES["lswag-tab1"].cells[0].paper == 0.89 and len(TABLES["lswag-tab1"].cells) == 19


@NEEDS_DATA
def test_a_tiny_lswag_tab1_produces_every_cell_with_both_protocols(tmp_path):
    res = reproduce("lswag-tab1", tiny_scale(libra_archs=60), tmp_path / "l.sqlite", progress=False)
    rows = res["rows"]
    assert [(r["space"], r["dataset"]) for r in rows] == [(c.space, c.dataset) for c in TABLES["lswag-tab1"].cells]
    for r in rows:
        assert math.isfinite(r["held_out"]) and math.isfinite(r["same_sample"]) and r["chosen"], r
        assert r["n_fit"] == 60 and r["n_eval"] == 60 and r["eval_seeds"] == "9001"
        assert math.isfinite(r["fit-check_held_out"]) and r["fit-check_chosen"]
        # fit-check keeps the paper's picks or drops the third, nothing else
        assert r["chosen"].startswith(r["fit-check_chosen"])
    paths = write_outputs(res, tmp_path / "out")
    text = paths[0].read_text()
    assert text.count("| nasbench") + text.count("| transbench") == len(rows) and "same-sample" in text


@NEEDS_DATA
@pytest.mark.slow
def test_a_tiny_search_table_produces_every_cell_and_resumes(tmp_path):
    db = tmp_path / "s.sqlite"
    res = reproduce("zcpt-tab2", tiny_scale(), db, progress=False)
    rows = res["rows"]
    assert [r["eval_dataset"] for r in rows] == ["cifar10", "cifar100", "ImageNet16-120"]
    for r in rows:
        assert r["search_dataset"] == "cifar10" and r["seeds"] == "0" and r["n_seeds"] == 1
        assert 0 < r["test"] < 100 and 0 < r["val"] < 100 and r["options"]
    assert len({r["archs"] for r in rows}) == 1  # one search, evaluated on the three datasets
    again = reproduce("zcpt-tab2", tiny_scale(), db, progress=False)  # stored: nothing reruns
    est = estimate("zcpt-tab2", tiny_scale(), db)
    assert est["left_h"] == 0 and all(r["left"] == 0 and r["each_s"] > 0 for r in est["rows"])
    est = estimate("zcpt-tab2", tiny_scale(), db, seeds=[0, 1])  # one more seed: priced by the stored searches
    assert [r["left"] for r in est["rows"]] == [1] and est["left_h"] > 0
    assert [r["test"] for r in again["rows"]] == [r["test"] for r in rows] and again["cpu_s"] < 1.0
    text = write_outputs(res, tmp_path / "out")[0].read_text()
    assert text.count("| zc-pt |") == 3 and "94.03" in text


@NEEDS_DATA
@pytest.mark.slow
def test_a_tiny_teg_tab2_runs_each_method_on_each_dataset(tmp_path):
    res = reproduce("teg-tab2", tiny_scale(), tmp_path / "t.sqlite", progress=False)
    cells = [(r["method"], r["search_dataset"], r["eval_dataset"]) for r in res["rows"]]
    assert cells == [(c.method, c.search_dataset, c.eval_dataset) for c in TABLES["teg-tab2"].cells]
    assert all(0 < r["test"] < 100 for r in res["rows"])
    assert [r["images"].startswith("stand-in") for r in res["rows"]] == [d == "ImageNet16-120" for _, d, _ in cells]


def test_search_options_are_checked_before_anything_runs(tmp_path):
    from dataclasses import replace

    bad = replace(tiny_scale(), search_options={"zc-pt": {"proposalz": 2}})
    with pytest.raises(NaslibSwapError, match="proposalz"):
        reproduce("zcpt-tab2", bad, tmp_path / "x.sqlite", progress=False)
    assert not (tmp_path / "x.sqlite").exists()


def test_every_scale_of_every_search_table_plans_valid_searches():
    from naslib_swap.suite.reproduce import SCALES, _search_plan

    for t in (t for t in TABLES.values() if t.kind == "search"):
        for sc in SCALES.values():
            plan = _search_plan(t, sc, t.protocol, {})  # options checked against each search's signature
            seeds = sc.search_seeds or (0, 1, 2, 3)
            assert len(plan) == len({(c.method, c.search_dataset) for c in t.cells}) * len(seeds)
    paper = _search_plan(TABLES["teg-tab2"], SCALES["paper"], "teg-paper", {})
    assert paper[0][3] == {"batch_size": 64, "reinits": 3, "mse_variant": "paper"}  # the protocol's, unreduced


@NEEDS_DATA
def test_lswag_tab1_reads_the_suite_files_when_the_store_has_no_scores(tmp_path):
    from naslib_swap.suite.reproduce import _libra_table, _store_search

    db = tmp_path / "searches_only.sqlite"
    _store_search(db, "k", {"arch": "x"})  # a store another table's searches wrote: no scores table
    table, pool = _libra_table("nasbench201", "cifar100", db, None)
    assert pool.startswith("suite 13") and len(table) > 100


def test_estimate_runs_nothing_and_says_what_is_unmeasured(tmp_path, capsys):
    db = tmp_path / "none.sqlite"
    est = estimate("teg-tab2", "quick", db)
    assert not db.exists() and est["left_h"] is None
    assert {r["what"] for r in est["rows"]} == {"teg-prune", "teg-reinforce", "teg-evolution"}
    assert all(r["stored"] == 0 and r["left"] == r["total"] == 2 and r["each_s"] is None for r in est["rows"])
    assert main(["reproduce", "zcpt-tab2", "--estimate", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "nothing run" in out and "not measured yet" in out and "hours left: unknown" in out and not db.exists()


def test_only_selects_parts_by_wildcard_and_names_the_selection(capsys):
    from naslib_swap.suite.reproduce import select_cells

    fig4 = TABLES["swap-fig4"]
    nb201 = select_cells(fig4, ["nasbench201"])
    assert {c.space for c in nb201.cells} == {"nasbench201"} and len(nb201.cells) == 6
    assert "only the cells of nasbench201/* (6 of 10)" in nb201.note
    c100 = select_cells(fig4, ["*/cifar100", "nasbench301/cifar10"])
    assert [(c.space, c.dataset) for c in c100.cells] == [("nasbench201", "cifar100")] * 2 + \
        [("nasbench301", "cifar10")] * 2
    assert select_cells(fig4, ["*"]) is fig4  # everything selected: the table itself
    with pytest.raises(NaslibSwapError, match="an empty selection"):
        select_cells(fig4, [" "])
    with pytest.raises(NaslibSwapError, match="its parts: nasbench201/cifar10, nasbench201/cifar100"):
        select_cells(fig4, ["nasbench999"])
    assert main(["reproduce", "swap-fig4", "--only", "nasbench201/cifar1000", "--estimate"]) == 2
    err = capsys.readouterr().err
    assert "matches no cell of swap-fig4" in err and len(err.strip().splitlines()) == 1


def test_reinits_caps_the_protocol_and_says_so(capsys):
    from naslib_swap.suite.reproduce import _labels, cap_reinits, get_scale

    paper = get_scale("paper")
    assert "reinits=32" in _labels(["reg_swap"], "swap-paper", paper)["reg_swap"]
    capped = cap_reinits(paper, 4)
    label = _labels(["reg_swap"], "swap-paper", capped)["reg_swap"]
    assert "reinits=4" in label and "init='normal'" in label  # the cap changes only the inits
    assert "capped at 4" in capped.describe("correlation") and paper.max_reinits is None  # the scale is not mutated
    assert "reinits" not in _labels(["swap"], "suite", capped)["swap"]  # a protocol without re-inits is untouched
    for bad in (0, -1, True):
        with pytest.raises(NaslibSwapError, match="whole number >= 1"):
            cap_reinits(paper, bad)
    assert main(["reproduce", "swap-fig4", "--reinits", "0", "--estimate"]) == 2
    assert "whole number >= 1" in capsys.readouterr().err
    assert main(["reproduce", "teg-tab2", "--reinits", "2", "--estimate"]) == 2
    assert "correlation tables" in capsys.readouterr().err
