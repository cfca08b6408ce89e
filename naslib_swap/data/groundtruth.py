"""Readers of the shared ground-truth and suite-score files (cached; never copied into the package)."""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pandas as pd

from .paths import data_file, resolve_data_root

SUITE_PROXIES: tuple[str, ...] = (
    "epe_nas", "fisher", "flops", "grad_norm", "grasp", "jacov", "l2_norm",
    "nwot", "params", "plain", "snip", "synflow", "zen",
)


@functools.lru_cache(maxsize=4)
def _read_csv(path: str) -> pd.DataFrame:
    return pd.read_csv(path)


def nb201_table(data_root: str | Path | None = None) -> pd.DataFrame:
    """``nb201/accuracy.csv``: all 15,625 archs with ``arch`` (NASLib tuple string), ``arch_str``, ``val_acc_*``,
    ``test_acc_*`` for cifar10, cifar100, ImageNet16-120."""
    return _read_csv(str(data_file("nb201/accuracy.csv", data_root)))


def nb201_suite_table(dataset: str, data_root: str | Path | None = None) -> pd.DataFrame:
    """The suite's final scores of its 13 proxies for the 9,445 NB201 archs (``cifar10`` or ``ImageNet16-120``)."""
    return _read_csv(str(data_file(f"nb201/suite_zero_{dataset}.csv", data_root)))


@functools.lru_cache(maxsize=8)
def _read_json(path: str) -> Any:
    with open(path) as f:
        return json.load(f)


def preview_zc(space: str, data_root: str | Path | None = None) -> dict[str, Any]:
    """A preview ``zc_<space>.json`` of the suite, as NASLib reads it (``{task: {arch key: {...}}}``)."""
    return _read_json(str(data_file(f"suite_zero_preview/zc_{space}.json", data_root)))


def tnb101_table(kind: str, data_root: str | Path | None = None) -> pd.DataFrame:
    """``tnb101/<micro|macro>_accuracy.csv``: the suite's ``val_<task>`` ground truth and ``zen_<task>`` scores."""
    return _read_csv(str(data_file(f"tnb101/{kind}_accuracy.csv", data_root)))


def has_data(data_root: str | Path | None = None) -> bool:
    """Whether the shared data folder can be found (tests skip when it cannot)."""
    try:
        resolve_data_root(data_root)
        return True
    except FileNotFoundError:
        return False


def vit_table(name: str, data_root: str | Path | None = None) -> pd.DataFrame:
    """``vit/<name>.csv`` (``autoformer_tiny|small|base``): 1,001 AutoFormer subnets with ``depth``, ``embed_dim``,
    space-separated per-block ``mlp_ratio`` and ``num_heads``, ``imagenet_top1``, ``params_m``, ``flops_m``."""
    return _read_csv(str(data_file(f"vit/{name}.csv", data_root)))
