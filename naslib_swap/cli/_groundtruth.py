"""``naslib-swap --groundtruth FILE COMMAND ...``: an official benchmark file as every command's ground truth.

While a command runs, the spaces the file describes (NB201 and NATS-Bench topology: ``nasbench201``; TransNAS-Bench-101:
both ``transbench101_*``) answer ``ground_truth(dataset, metric=)`` from the file instead of the suite's tables:
``val`` -> the file's validation metric, ``test`` -> its test metric, at ``--groundtruth-epochs`` (NB201/NATS: 12 or
200, default 200; TransNAS: default the last epoch). Result tables name the file as their ground-truth source.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator

from ..data.official import OfficialFileError, detect, load_trusted, read_groundtruth
from ..registry import SPACES

SPACES_OF = {"nb201": ("nasbench201",), "nats_tss": ("nasbench201",),
             "tnb101": ("transbench101_micro", "transbench101_macro")}


def _kind(path: Path) -> str:
    if path.suffix == ".pbz2":
        return "nats_tss"
    return detect(load_trusted(path))


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


__all__ = ["OfficialFileError", "groundtruth_override"]
