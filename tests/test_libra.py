"""LIBRA: entropies and information gain on hand-computed examples, choices on a constructed table, protocol, CLI."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from naslib_swap.data.groundtruth import has_data
from naslib_swap.ensemble.entropy import conditional_entropy, entropy, information_gain, n_bins
from naslib_swap.ensemble.libra import (
    LibraError,
    combine,
    default_tolerance,
    libra_protocol,
    libra_select,
    split_samples,
)


def test_bins_and_entropies_by_hand() -> None:
    assert n_bins(1000) == round(1 + 3.322 * math.log(1000)) == 24
    assert n_bins(1000, "log10") == 11
    # 8 samples, 2 equal-width bins: y = 0,0,0,0,1,1,1,1 -> 1 bit
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1], dtype=float)
    assert entropy(y, bins=2) == pytest.approx(1.0)
    # 4 equally likely bins -> 2 bits
    assert entropy(np.array([0, 1, 2, 3], dtype=float), bins=4) == pytest.approx(2.0)
    # a halves y's uncertainty: cells (a,y) = (0,0)x2, (0,1)x2, (1,1)x4 -> H(a,y) = 1.5, H(a) = 1, H(y|a) = 0.5
    a = np.array([0, 0, 0, 0, 1, 1, 1, 1], dtype=float)
    y2 = np.array([0, 0, 1, 1, 1, 1, 1, 1], dtype=float)
    assert entropy(a, y2, bins=2) == pytest.approx(1.5)
    assert conditional_entropy(y2, [a], bins=2) == pytest.approx(0.5)
    # z = y2 tells the rest: H(y|a,z) = 0 -> IG = 0.5; z = a tells nothing new -> IG = 0
    assert information_gain(y2, a, y2, bins=2) == pytest.approx(0.5)
    assert information_gain(y2, a, a, bins=2) == pytest.approx(0.0)
    # a non-finite score is the worst: it joins the lowest bin
    assert entropy(np.array([np.nan, 0, 1, 1.0]), bins=2) == pytest.approx(1.0)
    # so is NASLib's failure value -1e8 (left as a number it would put every other score into the top bin)
    assert entropy(np.array([-1e8, 0, 1, 1.0]), bins=2) == pytest.approx(1.0)
    assert information_gain(y2, a, np.r_[-1e8, y2[1:]], bins=2) == pytest.approx(0.5)


def _constructed(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    params = rng.normal(size=n)  # independent of y: b_val ~ 0
    a = y + 0.30 * rng.normal(size=n)  # the best proxy
    b = a.copy()  # a copy of a with its best arch ranked last: slightly worse, and nearly no information gain
    b[np.argmax(y)] = a.min() - 0.01
    c = y + 0.3 * rng.normal(size=n) + 0.25 * params  # good but biased toward size
    d = y + 0.35 * rng.normal(size=n)  # good and as unbiased as the accuracy
    e = params  # perfectly biased, useless: outside the window
    f = -y  # anti-correlated
    return pd.DataFrame({"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "params": params, "val_accuracy": y})


def test_libra_choices_on_constructed_table() -> None:
    df = _constructed()
    fit = libra_select(df, ["a", "b", "c", "d", "e", "f"])
    assert fit.chosen == ["a", "b", "d"]
    assert set(fit.window) == {"b", "c", "d"}
    assert fit.info_gain["b"] < min(fit.info_gain["c"], fit.info_gain["d"])
    assert abs(fit.bias["d"] - fit.bias_val) < abs(fit.bias["c"] - fit.bias_val)
    # a narrow window leaves z1 alone, with a note
    solo = libra_select(df, ["a", "e", "f"])
    assert solo.chosen == ["a"] and solo.notes


def test_combinations() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, np.nan], "b": [30.0, 10.0, 20.0, 40.0]})
    assert combine(df, ["a", "b"], "rank_sum").tolist() == [5.0, 4.0, 6.0, 5.0]  # NaN ranks last in a
    assert combine(df, ["a", "b"], "rank_product").tolist() == pytest.approx(np.log([2 * 3, 3 * 1, 4 * 2, 1 * 4]))
    z = combine(df[["a", "b"]].iloc[:3], ["a", "b"], "zscore")
    assert z.mean() == pytest.approx(0.0)
    with pytest.raises(LibraError):
        combine(df, ["a", "zz"])


def test_held_out_protocol_is_disjoint() -> None:
    df = _constructed(400)
    df.index = [f"arch{i}" for i in range(len(df))]
    fit, evals, notes = split_samples(list(df.index), 150, 9000, [9001, 9002])
    assert len(fit) == len(set(fit)) == 150
    for keys in evals.values():
        assert not set(keys) & set(fit) and len(keys) == 150
    res = libra_protocol(df, ["a", "b", "c", "d", "e", "f"], n=300, eval_seeds=[9001, 9002])
    assert res["n_fit"] == 200 and res["notes"]  # 2 x 300 > 400 archs: halved, and said so
    assert res["chosen"] == ["a", "b", "d"]
    assert res["held_out"]["libra[rank_sum]"]["mean"] > 0.8
    assert default_tolerance("transbench101_micro", "autoencoder") == 0.2
    assert default_tolerance("nasbench201", "cifar10") == 0.1


@pytest.mark.skipif(not has_data(), reason="shared data folder (../shared/data) not found")
def test_cli_on_suite_baselines(capsys) -> None:
    from naslib_swap.cli import main

    rc = main(["libra", "--space", "nasbench201", "--dataset", "cifar10", "--archs", "200",
               "--eval-seeds", "9001-9002", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and len(out["chosen"]) == 3 and out["n_fit"] == 200
    assert set(out["held_out"]["libra[rank_sum]"]["per_seed"]) == {"9001", "9002"}
    assert main(["libra", "--space", "nasbench201", "--dataset", "cifar10", "--pool", "nope"]) == 2


@pytest.mark.skipif(not has_data(), reason="shared data folder (../shared/data) not found")
def test_libra_nas_tiny_budget() -> None:
    from naslib_swap.registry import get_search, get_space

    sp = get_space("nasbench201")
    res = get_search("libra-nas")(sp, "ImageNet16-120", seed=0, budget=4, population=3, sample_size=2,
                                  proxies="params+flops", batch_size=4, progress=False)
    assert sp.parse(res.arch) == res.arch and res.n_scored == 4
    assert res.extra["proxies"] == ["params", "flops"] and len(res.history) >= 1
    # LIBRA's own choice among the proxies computable live (here the suite's params and flops)
    from naslib_swap.search.libra_nas import choose_proxies

    chosen, info = choose_proxies("nasbench201", "cifar10", n=200)
    assert set(chosen) <= set(info["libra_pool"]) and chosen


@pytest.mark.skipif(not has_data(), reason="shared data folder (../shared/data) not found")
def test_store_adapter_joins_scores_baselines_and_truth(tmp_path) -> None:
    from naslib_swap.ensemble.libra import store_table, suite_table
    from naslib_swap.suite.store import Store

    base = suite_table("nasbench201", "ImageNet16-120").iloc[:60]
    rng = np.random.default_rng(0)
    db = tmp_path / "r.sqlite"
    with Store(db) as st:
        for i, (arch, row) in enumerate(base.iterrows()):
            score = float("nan") if i == 0 else float(row["val_accuracy"] + rng.normal())
            st.write_arch("nasbench201", "ImageNet16-120", 9000, arch, [("mine", score, 0.1)], version="0",
                          config_hash="h", source="test")
    table = store_table(db, "nasbench201", "ImageNet16-120")
    assert len(table) == 60 and {"mine", "nwot", "params", "val_accuracy"} <= set(table.columns)
    assert table.loc[base.index[0], "mine"] == -np.inf  # a failed score is kept as the worst
    np.testing.assert_allclose(table.loc[base.index, "val_accuracy"], base["val_accuracy"])
    fit = libra_select(table, ["mine", "nwot", "params", "flops"])
    assert fit.chosen[0] == "mine"  # built to track the ground truth closely


def test_eval_seeds_that_can_only_draw_the_same_archs_collapse_to_one() -> None:
    from naslib_swap.ensemble.libra import split_samples

    keys = [f"a{i}" for i in range(30)]
    fit, evals, notes = split_samples(keys, 12, 9000, [9001, 9002])
    assert not notes and set(evals[9001]) != set(evals[9002])  # 18 left, 12 drawn per seed: distinct samples
    fit, evals, notes = split_samples(keys, 15, 9000, [9001, 9002])
    assert list(evals) == [9001] and len(evals[9001]) == 15 and "collapse to one held-out sample" in notes[-1]
    res = libra_protocol(_constructed(30), ["a", "b", "c"], n=15, eval_seeds=[9001, 9002])
    assert res["eval_seeds"] == [9001] and all(v["std"] is None for v in res["held_out"].values())


def test_the_fit_check_rule_keeps_the_third_pick_only_when_it_helps_on_the_fit_sample() -> None:
    from naslib_swap.ensemble.libra import RULES, _spearman

    rng = np.random.default_rng(3)
    n = 300
    y = rng.normal(size=n)
    size = y + rng.normal(size=n)
    helps = pd.DataFrame({"a": y + 0.5 * rng.normal(size=n), "b": y + 0.6 * rng.normal(size=n),
                          "c": y + 0.7 * rng.normal(size=n), "params": size, "val_accuracy": y})
    # c is a noisy copy of the size term: bias matched, but it only dilutes a and b
    hurts = helps.assign(c=size + 2.0 * rng.normal(size=n) + 0.9 * y, a=y + 0.3 * rng.normal(size=n))
    for df in (helps, hurts):
        paper = libra_select(df, ["a", "b", "c", "params"], tolerance=2.0)
        check = libra_select(df, ["a", "b", "c", "params"], tolerance=2.0, rule="fit-check")
        every = libra_select(df, ["a", "b", "c", "params"], tolerance=2.0, rule="fit-check-all")
        kept = [paper.chosen[0]]
        for z in paper.chosen[1:]:  # each later pick kept only if the merged score gains on the fit sample
            if _spearman(combine(df, [*kept, z]), df["val_accuracy"]) > _spearman(combine(df, kept),
                                                                                  df["val_accuracy"]):
                kept.append(z)
        assert every.chosen == kept
        two = libra_select(df, ["a", "b", "c", "params"], tolerance=2.0, rule="two")
        assert len(paper.chosen) == 3 and two.chosen == paper.chosen[:2]
        with3, without = (_spearman(combine(df, ch), df["val_accuracy"]) for ch in (paper.chosen, paper.chosen[:2]))
        assert check.chosen == (paper.chosen if with3 > without else paper.chosen[:2])
        if check.chosen != paper.chosen:
            assert any("fit-check" in note for note in check.notes)
    assert "fit-check" in RULES
    with pytest.raises(LibraError, match="unknown LIBRA rule 'best'; known: paper, fit-check, fit-check-all, two"):
        libra_select(helps, ["a", "b"], rule="best")


@pytest.mark.skipif(not has_data(), reason="shared data folder (../shared/data) not found")
def test_require_compares_pools_on_the_same_archs(tmp_path, capsys) -> None:
    from naslib_swap.cli import main
    from naslib_swap.ensemble.libra import suite_table
    from naslib_swap.suite.store import Store

    base = suite_table("nasbench201", "ImageNet16-120").iloc[:90]
    rng = np.random.default_rng(0)
    db = tmp_path / "r.sqlite"
    with Store(db) as st:
        for i, (arch, row) in enumerate(base.iterrows()):
            scores = [("wide", float(row["val_accuracy"] + rng.normal()), 0.1)]
            if i < 60:  # a dearer proxy scored on two thirds of the archs only
                scores.append(("narrow", float(row["val_accuracy"] + 3 * rng.normal()), 0.1))
            st.write_arch("nasbench201", "ImageNet16-120", 9000, arch, scores, version="0", config_hash="h",
                          source="test")
    common = ["libra", "--space", "nasbench201", "--dataset", "ImageNet16-120", "--db", str(db), "--archs", "40",
              "--eval-seeds", "9001", "--format", "json"]
    assert main(common + ["--pool", "wide,nwot,params"]) == 0
    assert json.loads(capsys.readouterr().out)["n_fit"] == 40  # 90 archs: full samples of 40
    assert main(common + ["--pool", "wide,nwot,params", "--require", "narrow"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_fit"] == out["n_eval"] == 30  # only the 60 archs with every score: halved, 30 + 30
    assert main(common + ["--require", "nope"]) == 2
    err = capsys.readouterr().err
    assert "--require names nope" in err and "narrow" in err and len(err.strip().splitlines()) == 1
