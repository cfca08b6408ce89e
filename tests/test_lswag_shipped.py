"""L-SWAG's measured intervals ship with the package; a user's own ``lswag-interval`` run overrides them."""
from __future__ import annotations

import json
import warnings

import pytest

from naslib_swap.proxies.base import ProxyContext
from naslib_swap.proxies.lswag import _resolve_interval
from naslib_swap.proxies.lswag_interval import (
    SHIPPED_FILE,
    check_interval,
    interval_source,
    shipped_intervals,
    write_interval,
)


@pytest.fixture
def fresh_install(tmp_path, monkeypatch):
    """No user interval file, as on a fresh install."""
    f = tmp_path / "none" / "lswag_intervals.json"
    monkeypatch.setenv("NASLIB_SWAP_LSWAG_INTERVALS", str(f))
    return f


def test_shipped_file_holds_one_documented_entry_per_measured_task():
    data = shipped_intervals()
    assert {"nasbench201/cifar10", "nasbench201/cifar100", "nasbench201/ImageNet16-120", "nasbench101/cifar10",
            "nasbench301/cifar10"} <= set(data)
    for key, rec in data.items():
        check_interval((rec["lo"], rec["hi"]))
        assert rec["n_archs"] > 0 and rec["measured"] and rec["command"] and rec["images"], key
        assert len(rec["mean_per_bin"]) == 11, key
    assert "_about" in json.loads(SHIPPED_FILE.read_text())


def test_fresh_install_uses_the_shipped_interval_without_warning(fresh_install):
    ctx = ProxyContext(space="nasbench201", dataset="cifar10")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _resolve_interval(None, ctx) == (6, 9)
    assert interval_source("nasbench201", "cifar10")[1].startswith("shipped")


def test_a_users_own_run_overrides_the_shipped_interval(fresh_install):
    write_interval("nasbench201", "cifar10", {"lo": 2, "hi": 4})
    assert _resolve_interval(None, ProxyContext(space="nasbench201", dataset="cifar10")) == (2, 4)
    assert interval_source("nasbench201", "cifar10")[1].startswith("user file")
    assert _resolve_interval("all", ProxyContext(space="nasbench201", dataset="cifar10")) == (0, 10)  # option wins


def test_a_task_without_a_measurement_still_warns(fresh_install):
    with pytest.warns(UserWarning, match="no L-SWAG interval is stored"):
        assert _resolve_interval(None, ProxyContext(space="transbench101_micro", dataset="jigsaw")) == (0, 10)
