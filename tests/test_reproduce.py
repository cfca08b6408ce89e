"""``naslib-swap reproduce``: a tiny reproduction produces every cell, with n, seeds, truth, protocol and images."""
from __future__ import annotations

import math

import pytest

from conftest import NEEDS_DATA
from naslib_swap.cli import main
from naslib_swap.errors import NaslibSwapError
from naslib_swap.suite.reproduce import TABLES, get_table, reproduce, tiny_scale, write_outputs


@NEEDS_DATA
@pytest.mark.slow
def test_a_tiny_swap_fig4_produces_every_cell(tmp_path):
    db = tmp_path / "r.sqlite"
    res = reproduce("swap-fig4", tiny_scale(3), db, progress=False)
    rows = res["rows"]
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


def test_unknown_and_unfinished_tables_are_one_line(capsys):
    with pytest.raises(NaslibSwapError, match="known: swap-fig4"):
        get_table("swap-fig5")
    assert main(["reproduce", "teg-tab2"]) == 2
    assert "not reproducible by this command yet" in capsys.readouterr().err
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert "swap-fig4" in out and "lswag-tab3" in out


def test_paper_figures_are_cited():
    for t in TABLES.values():
        assert t.reference and all(0 < c.paper <= 1 and c.where for c in t.cells)
