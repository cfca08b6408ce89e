"""The worked examples of docs/design.md, for real: a new space and a new search through the public API only, in
process and as a third-party distribution's entry points."""
from __future__ import annotations

import json

import pytest

import naslib_swap as ns
from naslib_swap.cli import main
from naslib_swap.registry import SEARCHES, SPACES


@pytest.fixture
def toy():
    import toy_nas

    ns.register_space(toy_nas.ToyChain)
    ns.register_search("toy-random")(toy_nas.random_search)
    yield toy_nas
    SPACES.remove("toy_chain")
    SEARCHES.remove("toy-random")


def test_a_new_space_is_scored_by_every_per_net_proxy(toy):
    rows = ns.score("toy_chain", "synthetic", ["(0, 2, 1)", (1, 1, 0)], ["swap", "reg_swap", "params", "nwot"],
                    batch_size=8)
    assert [r.proxy for r in rows[:4]] == ["swap", "reg_swap", "params", "nwot"]
    assert all(r.score == r.score for r in rows)  # finite, no NaN
    assert ns.get_space("toy_chain").parse("0,2,1") == (0, 2, 1)
    with pytest.raises(ns.NaslibSwapError, match="bad toy_chain architecture"):
        ns.get_space("toy_chain").parse("(0, 7, 1)")


def test_a_new_search_runs_on_the_new_space_through_the_cli(toy, capsys):
    rc = main(["search", "--space", "toy_chain", "--dataset", "synthetic", "--method", "toy-random", "--option",
               "trials=3", "--option", "proxy=reg_swap[mu=0.002,sigma=0.002]", "--format", "json", "--no-progress"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["n_scored"] == 3 and out["val_acc"] is None
    rc = main(["search", "--space", "toy_chain", "--dataset", "synthetic", "--method", "toy-random",
               "--option", "trails=3"])  # a misspelt option: one-line error, exit 2
    assert rc == 2
    assert "has no option 'trails'; its options: proxy, trials" in capsys.readouterr().err


def test_a_search_with_a_broken_signature_is_refused_when_it_registers():
    def bad(space, dataset, seed):  # seed positional, no budget/device/...
        return None

    with pytest.raises(ns.NaslibSwapError, match="must be run\\(space, dataset, \\*, seed"):
        ns.register_search("bad-search")(bad)
    assert "bad-search" not in SEARCHES


def test_a_third_party_distribution_adds_the_space_and_the_search(tmp_path, monkeypatch, capsys):
    """The same two objects as an installed distribution's entry points, found by importlib.metadata on sys.path."""
    info = tmp_path / "toy_nas-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-nas\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[naslib_swap.spaces]\ntoy_chain = toy_nas:ToyChain\n\n"
                                           "[naslib_swap.optimizers]\ntoy-random = toy_nas:random_search\n")
    (info / "RECORD").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    ns.list_spaces(), ns.list_searches()  # the built-ins are in; now let the registries look for plugins again
    monkeypatch.setattr(SPACES, "_loaded", False)
    monkeypatch.setattr(SEARCHES, "_loaded", False)
    try:
        rc = main(["search", "--space", "toy_chain", "--dataset", "synthetic", "--method", "toy-random",
                   "--option", "trials=2", "--format", "json", "--no-progress"])
        out = json.loads(capsys.readouterr().out)
        assert rc == 0 and out["space"] == "toy_chain" and out["n_scored"] == 2
        assert "toy-nas 1.0" in SPACES.source("toy_chain") and "toy-nas 1.0" in SEARCHES.source("toy-random")
    finally:
        SPACES.remove("toy_chain")
        SEARCHES.remove("toy-random")
