"""Ground truth from the benchmarks' official files, read through their official APIs where those are packages.

* NAS-Bench-201 ``NAS-Bench-201-v1_1-096897.pth`` through ``nas_201_api`` (PyPI ``nas-bench-201``). The API calls
  ``torch.load(path)``, which torch >= 2.6 refuses for this file (``weights_only=True`` by default); we load it with
  ``weights_only=False`` **on purpose, because the user named the file** (a pickle runs code: trust the file first)
  and hand the dict to the API.
* NATS-Bench topology (``NATS-tss-v1_0-3ffb9-full`` pickle, ``.pbz2``) through ``nats_bench`` (PyPI
  ``nats-bench``), non-fast mode.
* TransNAS-Bench-101 ``transnas-bench_v10141024.pth``: its API is not on PyPI, so the file is read here. Layout (a
  ``torch.save``-d dict): ``task_list``, ``metrics_dict`` (``{task: [metric, ...]}``), ``info_names`` and ``data``
  ``{space ("micro"/"macro"): {arch string: {task: {"metrics": {metric: [value per epoch]}, "model_info": {...},
  "total_epochs": int}}}}``.

Each reader returns an :class:`OfficialTable`: ``{arch string: value}`` for one dataset/task, metric and epoch
count; :meth:`OfficialTable.keyed_by` re-keys it with a space's ``key`` (NASLib's tuple for NB201).
:func:`groundtruth_override` (``naslib-swap --groundtruth FILE``) makes the spaces a file describes answer
``ground_truth()`` from it while a command runs.

Example (needs a real or synthetic file):
    >>> t = read_groundtruth("NAS-Bench-201-v1_1-096897.pth", "cifar10", epochs=200)  # doctest: +SKIP
"""
from __future__ import annotations

import bz2
import contextlib
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from ..errors import NaslibSwapError
from ..registry import SPACES

METRICS = ("test", "valid", "train")
NB201_EPOCHS = (12, 200)
TNB_SPACES = {"transbench101_micro": "micro", "transbench101_macro": "macro"}


class OfficialFileError(NaslibSwapError):
    """A ground-truth file that is not in a known official format, or lacks the requested entry."""


@dataclass
class OfficialTable:
    """One column of ground truth from an official file."""

    values: dict[str, float]
    source: str
    dataset: str
    metric: str
    epochs: int | None
    notes: list[str] = field(default_factory=list)

    def keyed_by(self, key: Callable[[str], Any]) -> dict[Any, float]:
        """The same values keyed by ``key(arch_string)`` (e.g. ``space.key``)."""
        return {key(a): v for a, v in self.values.items()}


def _need(module: str, package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise OfficialFileError(f"reading this file needs the official API: pip install {package}") from None


def load_trusted(path: str | Path) -> Any:
    """``torch.load`` of a file the user named, with ``weights_only=False`` on purpose (it holds pickled objects)."""
    p = Path(path)
    if not p.is_file():
        raise OfficialFileError(f"ground-truth file {p} does not exist; pass the official benchmark file")
    try:
        return torch.load(p, map_location="cpu", weights_only=False)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as exc:
        raise OfficialFileError(f"{p} is not a torch-saved benchmark file ({str(exc).splitlines()[0]})") from None


def detect(obj: Any) -> str:
    """``nb201``, ``nats_tss`` or ``tnb101`` for a loaded official dict."""
    if isinstance(obj, dict) and {"metrics_dict", "task_list", "data"} <= set(obj):
        return "tnb101"
    if isinstance(obj, dict) and {"meta_archs", "arch2infos", "evaluated_indexes"} <= set(obj):
        first: dict[Any, Any] = next(iter(obj["arch2infos"].values()), {})
        return "nb201" if "less" in first or "full" in first else "nats_tss"
    raise OfficialFileError("not an official NAS-Bench-201, NATS-Bench topology or TransNAS-Bench-101 file")


def _load(path: str | Path) -> Any:
    p = Path(path)
    if p.suffix == ".pbz2" or p.name.endswith(".pickle.pbz2"):
        if not p.is_file():
            raise OfficialFileError(f"ground-truth file {p} does not exist; pass the official benchmark file")
        with bz2.BZ2File(p, "rb") as f:
            return pickle.load(f)  # a NATS-Bench file the user named (trusted, as load_trusted)
    return load_trusted(p)


def _nb201_like(api: Any, dataset: str, metric: str, epochs: int) -> dict[str, float]:
    # cifar10's 'valid' lives under the 'cifar10-valid' training run (NAS-Bench-201's split), as NASLib reads it
    ds = "cifar10-valid" if (dataset == "cifar10" and metric == "valid") else dataset
    out = {}
    for idx, arch in enumerate(api.meta_archs):
        if idx not in api.arch2infos_dict:
            continue
        info = api.get_more_info(idx, ds, iepoch=None, hp=str(epochs), is_random=False)
        value = info.get(f"{metric}-accuracy")
        if value is not None:
            out[arch] = float(value)
    return out


def read_groundtruth(path: str | Path, dataset: str, metric: str | None = None, epochs: int | None = None,
                     space: str | None = None) -> OfficialTable:
    """One ground-truth column of an official benchmark file.

    Args:
        dataset: NB201/NATS: ``cifar10``, ``cifar100``, ``ImageNet16-120``; TransNAS: the task (``class_scene``...).
        metric: NB201/NATS: ``test`` (default), ``valid`` or ``train`` accuracy; TransNAS: one of the task's
            metrics (``valid_top1``, ``test_ssim``, ...) or ``test``/``valid``/``train`` for the task's first metric
            of that split (default ``valid``, the suite's ground truth).
        epochs: NB201/NATS: ``12`` or ``200`` (default 200); TransNAS: the epoch count to read (default the last).
        space: TransNAS: ``transbench101_micro`` or ``transbench101_macro`` (default: micro).
    """
    obj = _load(path)
    kind = detect(obj)
    name = Path(path).name
    if kind == "tnb101":
        return _read_tnb(obj, name, dataset, metric, epochs, space)
    metric = metric or "test"
    if metric not in METRICS:
        raise OfficialFileError(f"unknown metric '{metric}' for {name}; choose one of {', '.join(METRICS)}")
    epochs = 200 if epochs is None else int(epochs)
    if kind == "nb201":
        api_mod = _need("nas_201_api", "nas-bench-201")
        api = api_mod.NASBench201API(obj, verbose=False)
    else:
        api_mod = _need("nats_bench.api_topology", "nats-bench")
        api = api_mod.NATStopology(obj, fast_mode=False, verbose=False)
    if str(epochs) not in {str(e) for e in NB201_EPOCHS} and kind == "nb201":
        raise OfficialFileError(f"{name} has results at {' and '.join(map(str, NB201_EPOCHS))} epochs, not {epochs}")
    try:
        values = _nb201_like(api, dataset, metric, epochs)
    except (KeyError, ValueError) as exc:
        raise OfficialFileError(f"{name} has no {metric} accuracy of {dataset} at {epochs} epochs ({exc})") from None
    if not values:
        raise OfficialFileError(f"{name} has no {metric} accuracy of {dataset} at {epochs} epochs")
    return OfficialTable(values, name, dataset, metric, epochs)


def _read_tnb(obj: dict[str, Any], name: str, task: str, metric: str | None, epochs: int | None,
              space: str | None) -> OfficialTable:
    sub = TNB_SPACES.get(space or "transbench101_micro", space or "micro")
    if task not in obj["metrics_dict"]:
        raise OfficialFileError(f"{name} has no task '{task}'; tasks: {', '.join(obj['task_list'])}")
    metrics = list(obj["metrics_dict"][task])
    if metric in (None, "test", "valid", "train"):
        prefix = f"{metric or 'valid'}_"
        metric = next((m for m in metrics if m.startswith(prefix)), None)
        if metric is None:
            raise OfficialFileError(f"{name}: task {task} has no {prefix}* metric; metrics: {', '.join(metrics)}")
    if metric not in metrics:
        raise OfficialFileError(f"{name}: task {task} has no metric '{metric}'; metrics: {', '.join(metrics)}")
    if sub not in obj["data"]:
        raise OfficialFileError(f"{name} has no '{sub}' space; it has {', '.join(obj['data'])}")
    values = {}
    for arch, per_task in obj["data"][sub].items():
        if task not in per_task:
            continue
        series = per_task[task]["metrics"][metric]
        total = int(per_task[task].get("total_epochs", len(series)))
        n = total if epochs is None else int(epochs)
        if not 1 <= n <= len(series):
            raise OfficialFileError(f"{name}: {arch} on {task} has {len(series)} epochs, not {n}")
        values[arch] = float(series[n - 1])
    return OfficialTable(values, name, task, metric, epochs)


# ---------------------------------------------------------------------------------------------------------------
# `naslib-swap --groundtruth FILE`: while a command runs, the spaces the file describes answer ground_truth() from it
# (NB201/NATS: nasbench201; TransNAS: both transbench101_*); val -> the file's valid metric, test -> its test metric.
# ---------------------------------------------------------------------------------------------------------------

SPACES_OF = {"nb201": ("nasbench201",), "nats_tss": ("nasbench201",),
             "tnb101": ("transbench101_micro", "transbench101_macro")}


def _kind(path: Path) -> str:
    return "nats_tss" if path.suffix == ".pbz2" else detect(load_trusted(path))


@contextlib.contextmanager
def groundtruth_override(path: str | Path, epochs: int | None = None) -> Iterator[list[str]]:
    """Within the block, the spaces ``path`` describes read their ground truth from it; yields their names."""
    p = Path(path)
    kind = _kind(p)
    names = [n for n in SPACES_OF[kind] if n in SPACES]
    saved: dict[str, tuple[Any, Any]] = {}
    cache: dict[tuple[str, str, str], dict[Any, float]] = {}

    def make(space_name: str) -> tuple[Any, Any]:
        def ground_truth(self: Any, dataset: str, *, data_root: Any = None, metric: str = "val") -> dict[Any, float]:
            self.check_dataset(dataset)
            want = "valid" if metric == "val" else metric
            key = (space_name, dataset, want)
            if key not in cache:
                table = read_groundtruth(p, dataset, metric=want, epochs=epochs, space=space_name)
                cache[key] = table.keyed_by(lambda a: self.key(self.parse(a)))
            return cache[key]

        def ground_truth_source(self: Any, dataset: str, metric: str = "val") -> str:
            at = f" at {epochs} epochs" if epochs else ""
            return f"{'valid' if metric == 'val' else metric} metric of {p.name}{at} (--groundtruth)"

        return ground_truth, ground_truth_source

    try:
        for name in names:
            cls = SPACES.get(name)
            saved[name] = (cls.__dict__.get("ground_truth"), cls.__dict__.get("ground_truth_source"))
            cls.ground_truth, cls.ground_truth_source = make(name)
        yield names
    finally:
        for name, (gt, src) in saved.items():
            cls = SPACES.get(name)
            for attr, value in (("ground_truth", gt), ("ground_truth_source", src)):
                if value is None:
                    delattr(cls, attr)
                else:
                    setattr(cls, attr, value)
