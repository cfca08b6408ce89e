"""Bugs that came from parsing user strings in several places and building proxy contexts by hand (issue 14)."""
from __future__ import annotations

import json

import pytest

from naslib_swap.cli import main
from naslib_swap.data.groundtruth import has_data
from naslib_swap.registry import get_search, get_space

needs_data = pytest.mark.skipif(not has_data(), reason="shared data folder (images) not found: set NASLIB_SWAP_DATA")


@needs_data
def test_zc_pt_takes_a_bracketed_proxy_option_from_the_cli(capsys):
    rc = main(["search", "--space", "nasbench201", "--dataset", "cifar10", "--method", "zc-pt", "--option",
               "proxy=reg_swap[mu=1.2,sigma=1.2]", "--budget", "1", "--option", "width=2", "--option", "cells=1",
               "--option", "batch_size=4", "--option", "proposals=1", "--no-progress", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["proxy"] == "reg_swap[mu=1.2,sigma=1.2]" and out["perturbations"] == 1
    assert out["budget"].startswith("1 supernet perturbations scored") and out["truncated"] is True


@needs_data
def test_zc_pt_with_reg_swap_uses_the_spaces_size_prior():
    sp = get_space("nasbench201")
    res = get_search("zc-pt")(sp, "cifar10", seed=0, budget=3, progress=False, proxy="reg_swap", width=2, cells=1,
                              batch_size=4, proposals=1, validate=1)
    assert res.extra["perturbations"] == 3 and sp.parse(res.arch) == res.arch


@needs_data
def test_libra_nas_splits_its_proxy_list_with_brackets_kept_whole():
    sp = get_space("nasbench201")
    res = get_search("libra-nas")(sp, "cifar10", seed=0, budget=3, population=2, sample_size=2, batch_size=4,
                                  proxies="reg_swap[mu=1.0,sigma=1.0]+swap", progress=False)
    assert res.extra["proxies"] == ["reg_swap[mu=1.0,sigma=1.0]", "swap"]
