"""Named protocols: a protocol's fields reach the proxy, explicit options win, ``suite`` changes nothing, stores keep
protocols apart, unknown names are one-line errors."""
from __future__ import annotations

import pytest

import naslib_swap as ns
from conftest import NEEDS_DATA
from naslib_swap.cli import main
from naslib_swap.errors import NaslibSwapError
from naslib_swap.protocols import get_protocol, protocol_names
from naslib_swap.proxies import swap as swap_module
from naslib_swap.proxies.base import PopulationScore, ProxyCall, apply_protocol
from naslib_swap.registry import get_proxy, get_search
from naslib_swap.scoring import ArchScorer
from naslib_swap.suite.config import resolve, score_hash

TINY = {"width": 2, "cells": 1}
ARCH = "(0, 2, 3, 2, 3, 1)"


@pytest.fixture
def swap_calls(monkeypatch):
    """Record what SWAP's counting function receives: batch size, init, re-initialisations."""
    seen: list[tuple[int, str, int]] = []
    real = swap_module._mean_count

    def spy(net, batch, ctx, init, reinits):
        seen.append((int(batch.inputs.shape[0]), init, reinits))
        return real(net, batch, ctx, init, 1)  # the spy checks the settings; one init keeps the test fast

    monkeypatch.setattr(swap_module, "_mean_count", spy)
    return seen


@NEEDS_DATA
def test_swap_paper_gives_the_authors_batch_init_and_reinits(swap_calls):
    rows = ns.score("nasbench201", "ImageNet16-120", [ARCH], ["swap", "reg_swap"], protocol="swap-paper",
                    net_options=TINY)
    assert swap_calls == [(16, "normal", 32), (16, "normal", 32)]  # authors' code: 16 images, N(0,1), 32 inits
    assert [r.proxy for r in rows] == ["swap[init='normal',protocol='swap-paper',reinits=32]",
                                       "reg_swap[init='normal',protocol='swap-paper',reinits=32]"]


@NEEDS_DATA
def test_explicit_options_and_batch_size_win_over_the_protocol(swap_calls):
    ns.score("nasbench201", "ImageNet16-120", [ARCH], ["swap[reinits=2,init=default]"], protocol="swap-paper",
             net_options=TINY, batch_size=8)
    assert swap_calls == [(8, "default", 2)]


@NEEDS_DATA
def test_suite_protocol_changes_no_score():
    plain = ns.score("nasbench201", "ImageNet16-120", [ARCH, "(1, 0, 2, 4, 3, 2)"], ["swap", "reg_swap", "params"],
                     net_options=TINY, batch_size=8)
    suite = ns.score("nasbench201", "ImageNet16-120", [ARCH, "(1, 0, 2, 4, 3, 2)"], ["swap", "reg_swap", "params"],
                     net_options=TINY, batch_size=8, protocol="suite")
    assert [(r.arch, r.proxy, r.score) for r in plain] == [(r.arch, r.proxy, r.score) for r in suite]
    assert {r.proxy for r in suite} == {"swap", "reg_swap", "params"}


def test_protocol_batch_sizes_per_proxy_and_space():
    lswag = get_protocol("lswag-paper")
    assert lswag.batch_for("lswag", "nasbench201") == 64
    assert lswag.batch_for("lswag", "transbench101_micro") == 32  # the paper's batch on TransNAS (memory)
    scorer = ArchScorer("nasbench201", "cifar10", ["swap", "params"], protocol="swap-paper")
    assert [scorer.batch_size_for(j) for j in scorer.jobs] == [16, 64]


def test_every_protocol_table_is_valid_for_its_proxies_and_searches():
    for name in protocol_names():
        p = get_protocol(name)
        for proxy in p.proxy_options:
            call = apply_protocol(p, proxy)  # options checked against the proxy's signature
            assert call.protocol is p
            assert ProxyCall.parse(call.label).label == call.label  # a stored label parses back to itself
        for method, opts in p.search_options.items():
            get_search(method).declared.check(opts)
        assert {"archs", "seeds"} <= set(p.sources) or p.is_default
        for f in ("batch_size", "proxy_batch_size", "proxy_options", "search_options"):
            if getattr(p, f):
                assert p.sources.get(f), f"{name}: field {f} has no source"


def test_swap_nas_under_swap_paper_gets_the_protocols_init_for_its_fitness():
    opts = get_protocol("swap-paper").search_defaults("swap-nas")
    fitness = ProxyCall.parse(opts["proxy"])
    reg = get_protocol("swap-paper").options_for("reg_swap")
    assert fitness.name == "reg_swap" and opts["batch_size"] == 16
    formula = fitness.options.get("formula", get_proxy("reg_swap").options["formula"])  # a default drops out
    assert fitness.options["init"] == reg["init"] == "normal" and formula == reg["formula"]
    assert get_protocol("suite").search_defaults("swap-nas") == {}


def test_population_inputs_inherit_the_protocol():
    pop = PopulationScore(apply_protocol("teg-paper", "teg"))
    assert {c.protocol.name for c in pop.inputs} == {"teg-paper"}
    mse = [c for c in pop.inputs if c.name == "teg_mse"][0]
    assert mse.options.get("variant", get_proxy("teg_mse").options["variant"]) == "paper"


def test_unknown_protocol_is_one_line(capsys):
    with pytest.raises(NaslibSwapError, match="known: suite, swap-paper"):
        get_protocol("swap_paper")
    assert main(["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", ARCH, "--proxies", "params",
                 "--protocol", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown protocol 'nope'" in err and "--protocol" in err
    with pytest.raises(NaslibSwapError, match="unknown protocol"):
        ProxyCall.parse("swap[protocol='nope']")


def test_config_hash_includes_a_non_default_protocol_only():
    base = dict(space="nasbench201", dataset="cifar10")
    suite, paper = resolve(flags=base), resolve(flags={**base, "protocol": "swap-paper"})
    assert suite["protocol"] == "suite"
    assert score_hash(suite, "v") != score_hash(paper, "v")
    legacy = {k: v for k, v in suite.items() if k != "protocol"}  # a config from before protocols existed
    assert score_hash(legacy, "v") == score_hash(suite, "v")


@NEEDS_DATA
def test_two_protocols_live_side_by_side_in_one_store(tmp_path):
    from naslib_swap.suite.runner import run_correlation
    from naslib_swap.suite.store import load_scores

    db = tmp_path / "r.sqlite"
    flags = dict(space="nasbench201", dataset="ImageNet16-120", proxies=["params"], seeds=[9000], archs=3,
                 truth_metrics=["val"])
    run_correlation(resolve(flags=flags), db, progress=False)
    summary = run_correlation(resolve(flags={**flags, "protocol": "swap-paper"}), db, progress=False)
    assert set(summary["results"]["val"]) == {"params[protocol='swap-paper']"}
    assert set(load_scores(db).proxy) == {"params", "params[protocol='swap-paper']"}
    again = run_correlation(resolve(flags=flags), db, progress=False)  # the suite run resumes: nothing to do
    assert again["units_run"] == 0 and set(again["results"]["val"]) == {"params"}


def test_naslib_run_checks_the_protocol_before_importing_naslib(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("predictor: swap\nsearch_space: nasbench201\n")
    assert main(["naslib-run", "--config", str(cfg), "--protocol", "swap-papr"]) == 2
    assert "unknown protocol 'swap-papr'" in capsys.readouterr().err
