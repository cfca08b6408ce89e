"""Run settings of a suite-zero correlation: built-in defaults < YAML file < command-line flags < ``key=value``.

The keys:

| key | default | meaning |
|---|---|---|
| ``space``, ``dataset`` | (required) | NASLib names |
| ``proxies`` | ``[swap, reg_swap]`` | labels, options in brackets (``reg_swap[init='normal',reinits=4]``) |
| ``seeds`` | ``[9000..9004]`` | the suite's seeds; each is NASLib's ``set_seed`` seed and our scoring seed |
| ``archs`` | 1000 | ``test_size``: archs drawn per seed |
| ``unique`` | false | draw without replacement (NASLib's ``sample_without_replacement``) |
| ``key_source`` | ``suite`` | ``suite`` or ``preview`` key list (see :func:`~naslib_swap.suite.sampler.suite_keys`) |
| ``batch_size`` | null | minibatch size (null: the protocol's, else the proxy's paper default, else the space's, 64) |
| ``protocol`` | ``suite`` | a named protocol (:mod:`naslib_swap.protocols`): proxy options and batch sizes of a paper |
| ``baselines`` | false | the suite's 13 beside ours: ``files`` (or ``true``), ``live`` or ``both`` (see below) |
| ``truth_metrics`` | ``[val, test]`` | ground truths to correlate against (``test`` only where the space has it) |
| ``topk`` | ``[10, 50, 100]`` | precision@top-k |
| ``workers`` | 1 | local processes |
| ``threads`` | 1 | torch intra-op threads per worker |
| ``shard`` | null | ``I/N``: score only the I-th of N disjoint parts of the units (array jobs; see docs/scale.md) |
| ``backend`` | ``local`` | ``local`` (this process or ``workers`` processes) or ``ray`` (a Ray cluster) |
| ``address`` | null | Ray: ``auto``, ``HOST:PORT``, or null to start Ray on this machine |
| ``cpus_per_task`` | 1 | Ray: CPUs per unit (its torch threads) |
| ``gpus_per_task`` | 0 | Ray: GPUs per unit, fractions share a device (with ``device: cuda``) |
| ``device`` | ``cpu`` | |
| ``data_root`` | null | the shared data folder |

Only ``space, dataset, proxies, batch_size, key_source, unique, device, protocol`` and the package version decide a
score; their hash is the ``config_hash`` stored with every row (``protocol`` enters it when it is not the default
``suite``, so stores written before protocols existed keep their hash). The proxies' stored labels name a non-default
protocol (``swap[...,protocol='swap-paper',...]``), so two protocols' rows live side by side in one store.

``baselines``: ``files`` copies the suite's own scores of the sampled archs from its files into the store; ``live``
scores the 13 with the package like any proxy (every space, every arch; LIBRA and the report read them from the
store); ``both`` does both, the file scores shown as ``<name> (suite)``.
"""
from __future__ import annotations

import ast
import hashlib
import json
import math
from pathlib import Path
from typing import Any, Sequence

import yaml

from ..errors import NaslibSwapError
from ..grammar import parse_range, parse_shard, split_list
from ..protocols import DEFAULT_PROTOCOL, get_protocol

DEFAULTS: dict[str, Any] = {
    "space": None,
    "dataset": None,
    "proxies": ["swap", "reg_swap"],
    "seeds": [9000, 9001, 9002, 9003, 9004],
    "archs": 1000,
    "unique": False,
    "key_source": "suite",
    "batch_size": None,
    "protocol": "suite",
    "baselines": False,
    "truth_metrics": ["val", "test"],
    "topk": [10, 50, 100],
    "workers": 1,
    "threads": 1,
    "device": "cpu",
    "data_root": None,
    "shard": None,
    "backend": "local",
    "address": None,
    "cpus_per_task": 1,
    "gpus_per_task": 0,
}

BACKENDS = ("local", "ray")

SCORE_KEYS = ("space", "dataset", "batch_size", "key_source", "device")


class ConfigError(NaslibSwapError):
    """A config file or override that cannot be used."""


def load_yaml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {p} not found; pass an existing YAML file (see configs/suite_zero/)")
    try:
        data = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"config file {p} is not valid YAML ({str(e).splitlines()[0]}); fix its syntax") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {p} must hold a mapping of keys to values")
    return data


def parse_override(text: str) -> tuple[str, Any]:
    """``key=value`` with a Python/YAML literal value (``archs=200``, ``proxies=[swap]``, ``unique=true``)."""
    key, eq, val = text.partition("=")
    if not eq or not key.strip():
        raise ConfigError(f"bad override '{text}': write key=value, e.g. archs=200")
    val = val.strip()
    try:
        value: Any = yaml.safe_load(val)
    except yaml.YAMLError:
        try:
            value = ast.literal_eval(val)
        except (ValueError, SyntaxError):
            value = val
    return key.strip(), value


def resolve(file: str | Path | None = None, flags: dict[str, Any] | None = None,
            overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The resolved config; unknown keys and missing space/dataset are one-line errors."""
    cfg = dict(DEFAULTS)
    layers = [load_yaml(file) if file else {}, {k: v for k, v in (flags or {}).items() if v is not None},
              dict(parse_override(o) for o in overrides)]
    for layer in layers:
        bad = [k for k in layer if k not in DEFAULTS]
        if bad:
            raise ConfigError(f"unknown config key(s) {', '.join(bad)}; known: {', '.join(DEFAULTS)}")
        cfg.update(layer)
    if not cfg["space"] or not cfg["dataset"]:
        raise ConfigError("no space/dataset given; set space and dataset (or a config file that sets them)",
                          param="space")
    cfg["protocol"] = get_protocol(cfg["protocol"] or DEFAULT_PROTOCOL).name
    if isinstance(cfg["proxies"], str):
        cfg["proxies"] = split_list(cfg["proxies"])
    if isinstance(cfg["seeds"], (int, str)):
        cfg["seeds"] = parse_range(cfg["seeds"])
    cfg["seeds"] = [int(s) for s in cfg["seeds"]]
    for key in ("archs", "workers", "threads"):
        try:
            cfg[key] = int(cfg[key])
        except (TypeError, ValueError):
            raise ConfigError(f"{key} must be an integer, got {cfg[key]!r}", param=key) from None
        if cfg[key] < 1:
            raise ConfigError(f"{key} must be at least 1, got {cfg[key]}", param=key)
    if cfg["archs"] < 2:
        raise ConfigError(f"a correlation needs at least 2 archs per seed, got archs={cfg['archs']}", param="archs")
    if isinstance(cfg["truth_metrics"], str):
        cfg["truth_metrics"] = [m.strip() for m in cfg["truth_metrics"].split(",") if m.strip()]
    if isinstance(cfg["topk"], int):
        cfg["topk"] = [cfg["topk"]]
    cfg["topk"] = [int(k) for k in cfg["topk"]]
    cfg["unique"] = bool(cfg["unique"])
    cfg["baselines"] = baseline_mode(cfg["baselines"])
    _resolve_scale(cfg)
    return cfg


def _resolve_scale(cfg: dict[str, Any]) -> None:
    """Shard and backend keys, parsed once: ``shard`` becomes ``[I, N]`` (a list: the saved YAML stays plain)."""
    if cfg["shard"] is not None:
        cfg["shard"] = list(parse_shard(cfg["shard"]))
    if cfg["backend"] not in BACKENDS:
        raise ConfigError(f"unknown backend {cfg['backend']!r}; use one of {', '.join(BACKENDS)}", param="backend")
    for key in ("cpus_per_task", "gpus_per_task"):
        try:
            v = float(cfg[key])
        except (TypeError, ValueError):
            raise ConfigError(f"{key} must be a number, got {cfg[key]!r}", param=key) from None
        positive = key == "cpus_per_task"  # a task needs some CPU; GPUs are optional
        if not math.isfinite(v) or v < 0 or (positive and v == 0):
            raise ConfigError(f"{key} must be a number {'above' if positive else 'of at least'} 0, got {cfg[key]}",
                              param=key)
        cfg[key] = int(v) if v.is_integer() else v
    if cfg["backend"] == "local" and (cfg["address"] is not None or cfg["gpus_per_task"] or cfg["cpus_per_task"] != 1):
        raise ConfigError("address, cpus_per_task and gpus_per_task are settings of the ray backend; add "
                          "backend=ray (or use workers/threads for local processes)", param="backend")


BASELINE_MODES = ("files", "live", "both")


def baseline_mode(value: Any) -> str | bool:
    """``False`` (no baselines) or one of :data:`BASELINE_MODES`; ``True`` is ``files`` (the flag's old meaning)."""
    if value is True:
        return "files"
    if value in (False, None) or (isinstance(value, str) and value.lower() in ("", "none", "off", "false", "no")):
        return False
    if isinstance(value, str) and value.lower() in BASELINE_MODES:
        return value.lower()
    raise ConfigError(f"baselines={value!r}: use files, live, both or false", param="baselines")


def uses_file_baselines(cfg: dict[str, Any]) -> bool:
    """Whether the suite's own scores are copied from its files (``files`` or ``both``)."""
    return baseline_mode(cfg.get("baselines")) in ("files", "both")


def uses_live_baselines(cfg: dict[str, Any]) -> bool:
    """Whether the suite's 13 proxies are scored live beside ours (``live`` or ``both``)."""
    return baseline_mode(cfg.get("baselines")) in ("live", "both")


def score_hash(cfg: dict[str, Any], version: str) -> str:
    """Hash of what decides a stored score (not the seeds, arch count or workers)."""
    part = {k: cfg.get(k) for k in SCORE_KEYS}
    part["version"] = version
    if cfg.get("protocol", DEFAULT_PROTOCOL) != DEFAULT_PROTOCOL:  # the default keeps the hashes of older stores
        part["protocol"] = cfg["protocol"]
    return hashlib.sha256(json.dumps(part, sort_keys=True, default=str).encode()).hexdigest()[:12]


def save_resolved(cfg: dict[str, Any], db_path: str | Path) -> Path:
    """Write the resolved config beside the results: ``<db>.<space>.<dataset>.config.yaml``."""
    db = Path(db_path)
    out = db.with_name(f"{db.name}.{cfg['space']}.{cfg['dataset']}.config.yaml")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return out
