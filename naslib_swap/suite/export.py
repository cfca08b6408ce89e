"""Export a results store as NASLib's ``zc_<space>.json`` so NASLib's zc api and ensembles read our proxies.

Schema (NASLib, branch ``zerocost``): ``{dataset: {"(arch tuple)": {"<proxy>": {"score": float, "time": float},
..., "val_accuracy": float}}}``. Every exported arch gets the suite's baselines stored for it (``--baselines`` at run
time), our proxies, and ``val_accuracy`` from the store's ``val`` ground truth. One score per arch and proxy: the
one of the lowest seed that scored it (``seed=`` picks another). Non-finite scores are written as ``NaN`` /
``Infinity`` / ``-Infinity``, which Python's ``json`` (and so NASLib) reads back; an unknown suite time is ``null``.
Where one of our proxies has a suite proxy's name (``params``, ``flops``, ``nwot``), our score is the one written.

Example:
    >>> paths = export_naslib("runs/nb201.sqlite", "out/")  # doctest: +SKIP
    >>> import json; zc = json.load(open(paths[0]))  # doctest: +SKIP
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..errors import NaslibSwapError
from . import store as st


def naslib_zc(db_path: str | Path, space: str, seed: int | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """The ``zc_<space>.json`` content for every dataset of ``space`` in the store."""
    scores = st.load_scores(db_path, space)
    samples = st.load_samples(db_path, space)
    base = st.load_baselines(db_path, space)
    truth = st.load_truth(db_path, space)
    if seed is not None:
        scores = scores[scores.seed == int(seed)]
        if scores.empty:
            raise NaslibSwapError(f"{db_path} has no {space} scores for seed {seed}; pick a seed the run used")
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for dataset in dict.fromkeys(samples.dataset):
        sc = scores[scores.dataset == dataset].sort_values("seed", kind="stable").drop_duplicates(["arch", "proxy"])
        archs = list(dict.fromkeys(sc.arch))
        task: dict[str, dict[str, Any]] = {a: {"arch": a} for a in archs}
        bl = base[(base.dataset == dataset) & base.arch.isin(task)]
        for a, p, s, t in zip(bl.arch, bl.proxy, bl.score, bl.seconds):
            task[a][p] = {"score": float(s), "time": None if t is None or not math.isfinite(t) else float(t)}
        for a, p, s, t in zip(sc.arch, sc.proxy, sc.score, sc.seconds):
            task[a][p] = {"score": float(s), "time": float(t)}
        tv = truth[(truth.dataset == dataset) & (truth.metric == "val")]
        tmap = dict(zip(tv.arch, tv.value))
        for a in archs:
            if a in tmap:
                task[a]["val_accuracy"] = float(tmap[a])
        out[dataset] = task
    return out


def export_naslib(db_path: str | Path, out_dir: str | Path, seed: int | None = None) -> list[Path]:
    """Write ``zc_<space>.json`` for every space in the store; returns the paths."""
    samples = st.load_samples(db_path)
    if samples.empty:
        raise st.StoreError(f"{db_path} holds no run; run a correlation into it first", param="db")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for space in dict.fromkeys(samples.space):
        path = out / f"zc_{space}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(naslib_zc(db_path, space, seed)))
        tmp.replace(path)  # never leave a half-written file under the final name
        paths.append(path)
    return paths


def read_naslib_zc(path: str | Path, dataset: str) -> tuple[list[str], dict[str, dict[str, float]], dict[str, float]]:
    """Read a ``zc_<space>.json`` the way NASLib's zero-cost evaluator does.

    Returns ``(keys in file order, {arch: {proxy: score}}, {arch: val_accuracy})``.
    """
    with open(path) as f:
        zc_api = json.load(f)[dataset]
    keys = list(zc_api.keys())
    scores = {a: {p: v["score"] for p, v in rec.items() if isinstance(v, dict) and "score" in v}
              for a, rec in zc_api.items()}
    acc = {a: rec["val_accuracy"] for a, rec in zc_api.items() if "val_accuracy" in rec}
    return keys, scores, acc
