"""Merge result stores (the shards of an array job, runs on several machines) into one new store.

Rows are merged only where they were made with the same settings and package version: per ``(space, dataset)`` every
input's score and failure rows must carry one config hash (:func:`~naslib_swap.suite.config.score_hash`, which
includes the version) and the draws of a seed must agree (one may extend another). Anything else is refused with a
one-line error before anything is written. A row present in several inputs (the same unit scored twice) is kept
once and counted as a duplicate; a duplicate whose value differs (a non-deterministic device) keeps the first
input's value and is counted apart. The output is written to a temporary file beside it and renamed at the end, so a
failed merge leaves nothing.

Example:
    >>> import os, tempfile
    >>> from naslib_swap.suite.store import Store, load_scores
    >>> d = tempfile.mkdtemp()
    >>> for name, arch in (("a", "(0, 1, 2, 3, 4, 0)"), ("b", "(1, 1, 2, 3, 4, 0)")):
    ...     with Store(os.path.join(d, name + ".sqlite")) as s:
    ...         s.write_arch("nasbench201", "cifar10", 9000, arch, [("swap", 1.0, 0.5)], version="0",
    ...                      config_hash="h", source="x")
    >>> out = merge_stores(os.path.join(d, "all.sqlite"), [os.path.join(d, "a.sqlite"), os.path.join(d, "b.sqlite")])
    >>> out["rows"]["scores"], out["duplicates"]["scores"], len(load_scores(os.path.join(d, "all.sqlite")))
    (2, 0, 2)
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from . import store as st

# table -> (its key columns, its value columns compared for a conflicting duplicate)
KEYS = {
    "scores": (("space", "dataset", "seed", "arch", "proxy"), ("score", "nan_flag")),
    "baselines": (("space", "dataset", "arch", "proxy"), ("score", "nan_flag")),
    "truth": (("space", "dataset", "arch", "metric"), ("value",)),
    "failures": (("space", "dataset", "seed", "arch"), ()),
}


class MergeError(st.StoreError):
    """Stores that cannot be merged (other settings or version, other draws) or a bad output path."""


def merge_stores(out: str | Path, inputs: Sequence[str | Path]) -> dict[str, Any]:
    """Merge ``inputs`` into the new store ``out``: ``{"inputs", "rows": {table: n}, "duplicates": {table: n},
    "conflicts": {table: n}, "runs"}``. Checks every input first; writes nothing when one cannot be merged."""
    out = Path(out)
    paths = _check_paths(out, inputs)
    data = [_read(p) for p in paths]
    _check_hashes(paths, data)
    draws = _merge_draws(paths, data)
    tmp = out.with_name(f".{out.name}.merging-{os.getpid()}")
    try:
        summary = _write(tmp, data, draws)
        with st.Store(tmp) as store:  # one file, no WAL beside it, before it takes the output's name
            store.conn.execute("PRAGMA journal_mode=DELETE")
        os.replace(tmp, out)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
    summary["inputs"] = len(paths)
    return summary


def _check_paths(out: Path, inputs: Sequence[str | Path]) -> list[Path]:
    if not inputs:
        raise MergeError("no store to merge; name at least one input store", param="inputs")
    if out.exists():
        raise MergeError(f"{out} exists; merge into a new file (list {out.name} among the inputs to add it)",
                         param="out")
    if not out.parent.is_dir():
        raise MergeError(f"folder {out.parent} does not exist; create it or choose another path", param="out")
    paths = [Path(p) for p in inputs]
    seen: dict[Path, Path] = {}
    for p in paths:
        if not p.is_file():
            raise MergeError(f"input store {p} not found; name stores written by `naslib-swap correlate`",
                             param="inputs")
        key = p.resolve()
        if key in seen:
            raise MergeError(f"{p} is listed twice (as {seen[key]}); name each store once", param="inputs")
        seen[key] = p
    return paths


def _read(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of a store as rows (``runs`` without its id); a file that is not a store is an error."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with st.Store(path, readonly=True) as store:
        for table in ("scores", "samples", "baselines", "truth", "failures", "runs"):
            if not store.has_table(table):
                if table in ("scores", "samples"):
                    raise MergeError(f"{path} has no {table} table: not a results store of this package",
                                     param="inputs")
                out[table] = []
                continue
            cols = "space, dataset, config_hash, config, started" if table == "runs" else "*"
            out[table] = [tuple(r) for r in store.conn.execute(f"SELECT {cols} FROM {table}")]
    return out


def _check_hashes(paths: list[Path], data: list[dict[str, list[tuple[Any, ...]]]]) -> None:
    """One (config hash, version) per (space, dataset) over all inputs, or a one-line error naming both."""
    first: dict[tuple[str, str], tuple[str, str, Path]] = {}
    for path, d in zip(paths, data):
        marks = {(r[0], r[1], r[9], r[8]) for r in d["scores"]}  # space, dataset, config_hash, version
        marks |= {(r[0], r[1], r[7], r[6]) for r in d["failures"]}
        for space, dataset, chash, version in sorted(marks):
            have = first.setdefault((space, dataset), (chash, version, path))
            if have[:2] == (chash, version):
                continue
            what = (f"package version {have[1]} in {have[2]} but {version} in {path}" if have[1] != version else
                    f"config hash {have[0]} in {have[2]} but {chash} in {path} (other batch_size, key_source, "
                    f"device or proxies' settings)")
            raise MergeError(f"cannot merge {space}/{dataset}: {what}; merge only stores of one command and version",
                             param="inputs")


def _merge_draws(paths: list[Path], data: list[dict[str, list[tuple[Any, ...]]]]
                 ) -> dict[tuple[str, str, int], tuple[list[str], int, str]]:
    """The draw of each (space, dataset, seed): the longest one, every other must be its prefix."""
    draws: dict[tuple[str, str, int], tuple[list[str], int, str, Path]] = {}
    for path, d in zip(paths, data):
        mine: dict[tuple[str, str, int], list[tuple[Any, ...]]] = {}
        for r in d["samples"]:
            mine.setdefault((r[0], r[1], int(r[2])), []).append(r)
        for key, rows in mine.items():
            rows.sort(key=lambda r: r[3])
            archs, unique, source = [r[4] for r in rows], int(rows[0][5]), str(rows[0][6])
            old = draws.get(key)
            if old is None:
                draws[key] = (archs, unique, source, path)
                continue
            short, long = sorted((old[0], archs), key=len)
            if long[:len(short)] != short or (old[1], old[2]) != (unique, source):
                raise MergeError(f"cannot merge {key[0]}/{key[1]} seed {key[2]}: {old[3]} and {path} hold different "
                                 f"draws; merge only stores of one command", param="inputs")
            if len(archs) > len(old[0]):
                draws[key] = (archs, unique, source, old[3])
    return {k: v[:3] for k, v in draws.items()}


def _write(tmp: Path, data: list[dict[str, list[tuple[Any, ...]]]],
           draws: dict[tuple[str, str, int], tuple[list[str], int, str]]) -> dict[str, Any]:
    rows = {t: 0 for t in KEYS}
    dups = {t: 0 for t in KEYS}
    conflicts = {t: 0 for t in KEYS}
    with st.Store(tmp) as store:
        cols = {t: [c[1] for c in store.conn.execute(f"PRAGMA table_info({t})")] for t in KEYS}
        kept: dict[str, dict[tuple[Any, ...], tuple[Any, ...]]] = {t: {} for t in KEYS}
        for d in data:
            for table, (key_cols, value_cols) in KEYS.items():
                ki = [cols[table].index(c) for c in key_cols]
                vi = [cols[table].index(c) for c in value_cols]
                for r in d[table]:
                    key, value = tuple(r[i] for i in ki), tuple(r[i] for i in vi)
                    if key in kept[table]:
                        dups[table] += 1
                        conflicts[table] += kept[table][key] != value
                        continue
                    kept[table][key] = value
        scored = {k[:4] for k in kept["scores"]}  # a unit scored in one input is no failure in the merged store
        with store.conn:
            for table in KEYS:
                wanted = {k for k in kept[table] if table != "failures" or k not in scored}
                rows[table] = len(wanted)
                marks = ",".join("?" * len(cols[table]))
                ki = [cols[table].index(c) for c in KEYS[table][0]]
                for d in data:
                    batch = [r for r in d[table] if tuple(r[i] for i in ki) in wanted]
                    wanted -= {tuple(r[i] for i in ki) for r in batch}  # the first input's row of a key
                    store.conn.executemany(f"INSERT OR IGNORE INTO {table} VALUES ({marks})", batch)
            for (space, dataset, seed), (archs, unique, source) in sorted(draws.items()):
                store.conn.executemany("INSERT INTO samples VALUES (?,?,?,?,?,?,?)",
                                       [(space, dataset, seed, i, a, unique, source) for i, a in enumerate(archs)])
            runs = [r for d in data for r in d["runs"]]
            store.conn.executemany("INSERT INTO runs (space, dataset, config_hash, config, started) VALUES "
                                   "(?,?,?,?,?)", runs)
    return {"rows": rows, "duplicates": dups, "conflicts": conflicts, "runs": len(runs),
            "draws": len(draws)}
