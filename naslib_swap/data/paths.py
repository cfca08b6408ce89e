"""Where the benchmark data lives.

The data (NB201 ground truth, the suite's scores, CIFAR images) is never stored in the package. It is looked up in
order: an explicit ``data_root`` (``--data-root``), the ``NASLIB_SWAP_DATA`` environment variable, ``../shared/data``
relative to the working directory, and ``../shared/data`` beside the source checkout.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import DataNotFoundError

ENV_VAR = "NASLIB_SWAP_DATA"
_HOW = f"pass data_root or set {ENV_VAR} to the folder holding the shared benchmark data (nb201/, images/, ...)"


def _candidates(data_root: str | os.PathLike[str] | None) -> list[Path]:
    if data_root is not None:
        return [Path(data_root)]
    if os.environ.get(ENV_VAR):
        return [Path(os.environ[ENV_VAR])]
    repo = Path(__file__).resolve().parents[2]
    return [Path.cwd() / ".." / "shared" / "data", repo / ".." / "shared" / "data"]


def resolve_data_root(data_root: str | os.PathLike[str] | None = None) -> Path:
    """The data folder, or a one-line :class:`DataNotFoundError` saying where it looked and how to fix it."""
    tried = _candidates(data_root)
    for c in tried:
        if c.is_dir():
            return c.resolve()
    raise DataNotFoundError(f"data folder not found (tried {', '.join(str(t) for t in tried)}); {_HOW}",
                            param="data_root")


def data_file(relative: str, data_root: str | os.PathLike[str] | None = None) -> Path:
    """Path of a file inside the data folder; a missing file raises an error naming it."""
    root = resolve_data_root(data_root)
    path = root / relative
    if not path.is_file():
        raise DataNotFoundError(f"missing data file {path}; {_HOW}", param="data_root")
    return path
