"""The suite's own 13 proxies for given archs, read from the suite's files (never recomputed).

Sources, by (space, dataset):

- NB201 ``cifar10`` / ``ImageNet16-120``: ``nb201/suite_zero_<dataset>.csv``, the final suite scores of all 9,445
  archs of the suite's NB201 list (no timing column).
- NB201 ``cifar100`` (no suite CSV exists here) and every other space: the preview ``zc_<space>.json[dataset]``
  (500-725 archs per task, early suite run, with timings). Archs missing from a file are simply absent from the
  result; tables show how many sampled archs each baseline covers (``n``).
- A space with a table of its own (``SearchSpace.table_baselines``; the AutoFormer ViT spaces): that table's
  ``params`` and ``flops`` (the suite has no ViT files).

Example:
    >>> df = baseline_scores("nasbench201", "cifar10", ["(4, 0, 3, 1, 4, 3)"])  # doctest: +SKIP
    >>> sorted(df.proxy)[:3]  # doctest: +SKIP
    ['epe_nas', 'fisher', 'flops']
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from ..data.groundtruth import SUITE_PROXIES, nb201_suite_table
from .sampler import _space, preview_task


def _final_file(space: Any, dataset: str) -> str | None:
    """The stem of the suite's final score table for (space, dataset), or None: the preview file is the source."""
    return _space(space).suite_final_files.get(dataset)


def baseline_source(space: Any, dataset: str) -> str:
    """Which file the baselines of (space, dataset) come from, for tables."""
    own = _space(space).table_baseline_source(dataset)
    if own is not None:
        return own
    stem = _final_file(space, dataset)
    if stem is not None:
        return f"suite final scores, nb201/suite_zero_{stem}.csv"
    return f"suite preview, suite_zero_preview/zc_{_space(space).name}.json[{dataset}]"


def baseline_scores(space: Any, dataset: str, archs: Iterable[str],
                    data_root: str | Path | None = None) -> pd.DataFrame:
    """The 13 suite proxies' scores of ``archs`` (unique keys) as ``DataFrame[arch, proxy, score, seconds]``.

    ``seconds`` is the suite's own timing where the file has one (NaN otherwise). Archs that the file does not hold
    are left out.
    """
    wanted = list(dict.fromkeys(str(a) for a in archs))
    own = _space(space).table_baselines(dataset, wanted, data_root)  # the AutoFormer tables' params_m / flops_m
    if own is not None:
        return own
    rows = []
    stem = _final_file(space, dataset)
    if stem is not None:
        table = nb201_suite_table(stem, data_root).set_index("arch")
        have = [a for a in wanted if a in table.index]
        cols = [p for p in SUITE_PROXIES if p in table.columns]
        sub = table.loc[have, cols]
        for arch, rec in zip(have, sub.itertuples(index=False)):
            for proxy, value in zip(cols, rec):
                rows.append((arch, proxy, float(value), float("nan")))
    else:
        task = preview_task(space, dataset, data_root)
        for arch in wanted:
            rec = task.get(arch)
            if rec is None:
                continue
            for proxy in SUITE_PROXIES:
                v = rec.get(proxy)
                if isinstance(v, dict):  # {"score", "time"}
                    rows.append((arch, proxy, float(v["score"]), float(v.get("time", float("nan")))))
                elif isinstance(v, (int, float)):  # NB101's flat schema
                    rows.append((arch, proxy, float(v), float("nan")))
    return pd.DataFrame(rows, columns=["arch", "proxy", "score", "seconds"])


def zc_file_truth(space: Any, dataset: str, archs: Iterable[str],
                  data_root: str | Path | None = None) -> dict[str, float]:
    """``val_accuracy`` of ``archs`` as the suite's zc file records it (what NASLib's evaluator correlates with)."""
    wanted = list(dict.fromkeys(str(a) for a in archs))
    stem = _final_file(space, dataset)
    if stem is not None:
        table = nb201_suite_table(stem, data_root).set_index("arch")["val_accuracy"]
        return {a: float(table[a]) for a in wanted if a in table.index}
    task = preview_task(space, dataset, data_root)
    out = {}
    for a in wanted:
        rec = task.get(a)
        if isinstance(rec, dict) and isinstance(rec.get("val_accuracy"), (int, float)):
            out[a] = float(rec["val_accuracy"])
    return out
