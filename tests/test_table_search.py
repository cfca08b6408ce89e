"""Searches restricted to a space's table (issue 17): the view yields only table archs, snaps to the nearest one,
searches on it are deterministic for a seed, shared scores are reused across searches, bad input is one line."""
from __future__ import annotations

import pytest
import torch

from conftest import NEEDS_DATA
from naslib_swap import get_space
from naslib_swap.cli import main
from naslib_swap.errors import NaslibSwapError
from naslib_swap.registry import get_search
from naslib_swap.rng import make_generator
from naslib_swap.scoring import ArchScorer
from naslib_swap.search.shared_scores import ScoreMemo, shared, shared_scores
from naslib_swap.spaces.table_view import TableRestricted, restrict, table_rank


def _view(n: int = 25, seed: int = 0) -> TableRestricted:
    """A stand-in table of ``n`` random AutoFormer-Tiny subnets (no data needed)."""
    sp = get_space("autoformer_tiny")
    g = make_generator(seed)
    return TableRestricted(sp, "imagenet", keys=[sp.key(sp.sample(g)) for _ in range(n)])


def test_the_view_yields_only_table_archs():
    view = _view()
    g = make_generator(1)
    a = view.sample(g)
    for _ in range(60):
        b = view.sample(g)
        for child in (view.mutate(a, g), view.op_mutation(a, g), view.connectivity_mutation(a, g)):
            assert view.contains(child) and view.key(child) != view.key(a)  # a mutation changes the arch
        assert all(view.contains(c) for c in view.crossover(a, b, g))
        a = b
    assert {view.key(x) for x in view.enumerate()} == set(view.table)


def test_snap_goes_to_the_nearest_table_arch():
    sp = get_space("autoformer_tiny")
    base = (12,) + (4.0,) * 12 + (3,) * 12 + (192,)
    one = (12,) + (4.0,) * 12 + (4,) + (3,) * 11 + (192,)          # one head count away from base
    far = (13,) + (3.5,) * 13 + (4,) * 13 + (240,)
    view = TableRestricted(sp, "imagenet", keys=[sp.key(a) for a in (base, one, far)])
    probe = (12, 3.5) + (4.0,) * 11 + (3,) * 12 + (192,)          # not in the table; 1 from base, 2 from one
    g = make_generator(0)
    assert view.snap(probe, g) == base
    assert view.snap(probe, g, exclude=base) == one                # the parent is never its own mutation
    assert view.snap(far, g) == far                                 # a table arch stays itself


def test_a_search_on_the_view_is_deterministic_and_stays_in_the_table():
    sp = get_space("nasbench201")
    g = make_generator(3)
    view = TableRestricted(sp, "cifar10", keys=[sp.key(sp.sample(g)) for _ in range(12)])
    runs = [get_search("swap-nas")(view, "cifar10", seed=5, progress=False, proxy="params", population=3, cycles=2,
                                   mutations=2, batch_size=2, width=2, cells=1) for _ in range(2)]
    assert runs[0].arch == runs[1].arch and runs[0].history == runs[1].history
    assert view.contains(runs[0].arch)
    rs = [get_search("random-search")(view, "cifar10", seed=s, budget=4, proxy="params", progress=False)
          for s in (1, 1, 2)]
    assert rs[0].arch == rs[1].arch and rs[0].history == rs[1].history and rs[0].n_scored == 4
    assert all(view.contains(h["arch"]) for r in rs for h in r.history)


def test_shared_scores_are_reused_across_seeds_and_methods():
    sp = get_space("nasbench201")
    g = make_generator(4)
    view = TableRestricted(sp, "cifar10", keys=[sp.key(sp.sample(g)) for _ in range(6)])
    memo = ScoreMemo(score_seed=9000)
    with shared_scores(memo):
        for seed in (0, 1):
            get_search("random-search")(view, "cifar10", seed=seed, budget=6, proxy="params", progress=False)
        first = memo.misses
        get_search("libra-nas")(view, "cifar10", seed=2, budget=4, population=2, proxies="params", batch_size=16,
                                progress=False)
    assert first == 6 and memo.misses == 6 and memo.hits >= 10  # the whole table scored once
    # a shared score is the plain scorer's at the memo's scoring seed
    key = next(iter(view.table))
    plain = ArchScorer(view, "cifar10", ["params"], batch_size=16, seed=9000).score_arch(key)[0].score
    assert [v[0] for k, v in memo.entries.items() if k[-1] == key] == [plain]
    assert shared(ArchScorer(view, "cifar10", ["params"], seed=3)).seed == 3  # outside the block: unchanged


def test_memo_file_resumes(tmp_path):
    path = tmp_path / "memo.jsonl"
    with shared_scores(ScoreMemo(0, path)):
        shared(ArchScorer("nasbench201", "cifar10", ["params"])).score_arch("(0, 2, 3, 2, 3, 1)")
    again = ScoreMemo(0, path)
    with shared_scores(again):
        shared(ArchScorer("nasbench201", "cifar10", ["params"])).score_arch("(0, 2, 3, 2, 3, 1)")
    assert (len(again), again.hits, again.misses) == (1, 1, 0)
    with path.open("a") as f:
        f.write('{"key": ["cut short by a kill')  # a run killed mid-write
    third = ScoreMemo(0, path)
    third.put(("x",), 1.0, 0.5)
    assert len(ScoreMemo(0, path)) == 2  # the broken line is skipped, the next score stands on a line of its own


def test_table_rank():
    assert table_rank({"a": 1.0, "b": 3.0, "c": 2.0}, "a") == 3
    assert table_rank({"a": 1.0}, "z") is None


def test_bad_restrictions_are_one_line_errors():
    with pytest.raises(NaslibSwapError, match="unknown restriction 'tabel'"):
        restrict(get_space("autoformer_tiny"), "imagenet", "tabel")
    with pytest.raises(NaslibSwapError, match="nasbench201 has no table of its own"):
        restrict(get_space("nasbench201"), "cifar10", "table")
    view = TableRestricted(get_space("nasbench201"), "cifar10", keys=["(0, 2, 3, 2, 3, 1)"])
    with pytest.raises(NaslibSwapError, match="holds one arch"):
        view.mutate("(0, 2, 3, 2, 3, 1)", torch.Generator())


@pytest.mark.parametrize("argv, expect", [
    (["--space", "autoformer_tiny", "--dataset", "imagenet", "--restrict", "rows"], "unknown restriction 'rows'"),
    (["--space", "nasbench201", "--dataset", "cifar10", "--restrict", "table"], "has no table of its own"),
])
def test_cli_bad_restriction(argv, expect, capsys):
    rc = main(["search", "--method", "random-search", *argv])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and expect in err, err


@NEEDS_DATA
def test_cli_search_on_the_tiny_table_reports_its_rank(capsys):
    import json

    rc = main(["search", "--space", "autoformer_tiny", "--dataset", "imagenet", "--method", "random-search",
               "--restrict", "table", "--budget", "2", "--option", "proxy=params", "--no-progress",
               "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["table_size"] == len(get_space("autoformer_tiny").ground_truth("imagenet"))
    assert 1 <= out["table_rank"] <= out["table_size"] and out["val_acc"] is not None


def test_a_fanned_out_search_refuses_shared_scores():
    from naslib_swap.search.fanout import Fanout, scatter
    from naslib_swap.search.shared_scores import ScoreMemo, shared_scores
    from naslib_swap.suite.backends import BackendError

    fan = Fanout.make(workers=2)
    with shared_scores(ScoreMemo(score_seed=0)):
        with pytest.raises(BackendError, match="shared across searches"):
            with scatter(fan, lambda: None):
                pass
