"""The results store: one SQLite file (standard library ``sqlite3``, WAL mode), safe to kill at any point.

Tables:

- ``scores``: one row per ``(space, dataset, seed, arch, proxy)`` with ``score`` (NULL when not finite),
  ``nan_flag`` (0 finite, 1 NaN, 2 +inf, 3 -inf), ``seconds``, the package ``version``, the ``config_hash`` of
  the settings that determine the score, and the image ``source`` (``Batch.source``: real set or named stand-in).
- ``samples``: the drawn arch list of each ``(space, dataset, seed)``, repeats and order kept (metrics use it).
- ``baselines``: the suite's own proxy scores for the sampled archs, copied from the suite files.
- ``truth``: the ground truth of the sampled archs (``metric`` val/test and where it came from).
- ``runs``: every resolved config that wrote to the file.
- ``failures``: units whose scoring raised (out of memory, a net a proxy cannot score), with the message; a unit
  that later scores is taken off (re-running retries the failed units).

All rows of one architecture are written in one transaction (a commit per arch), so a process killed with SIGKILL
leaves whole architectures or nothing; re-running the same command recomputes only what is missing.

Example:
    >>> import tempfile, os
    >>> db = os.path.join(tempfile.mkdtemp(), "r.sqlite")
    >>> with Store(db) as st:
    ...     st.write_arch("nasbench201", "cifar10", 9000, "(0, 1, 2, 3, 4, 0)",
    ...                   [("swap", 10.0, 0.5)], version="0", config_hash="h", source="x")
    >>> load_scores(db)[["proxy", "score"]].values.tolist()
    [['swap', 10.0]]
"""
from __future__ import annotations

import json
import math
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import pandas as pd

from ..errors import NaslibSwapError

SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    space TEXT NOT NULL, dataset TEXT NOT NULL, seed INTEGER NOT NULL, arch TEXT NOT NULL, proxy TEXT NOT NULL,
    score REAL, nan_flag INTEGER NOT NULL, seconds REAL NOT NULL, version TEXT NOT NULL, config_hash TEXT NOT NULL,
    source TEXT, created REAL NOT NULL,
    PRIMARY KEY (space, dataset, seed, arch, proxy)
);
CREATE TABLE IF NOT EXISTS samples (
    space TEXT NOT NULL, dataset TEXT NOT NULL, seed INTEGER NOT NULL, pos INTEGER NOT NULL, arch TEXT NOT NULL,
    unique_draw INTEGER NOT NULL, key_source TEXT NOT NULL,
    PRIMARY KEY (space, dataset, seed, pos)
);
CREATE TABLE IF NOT EXISTS baselines (
    space TEXT NOT NULL, dataset TEXT NOT NULL, arch TEXT NOT NULL, proxy TEXT NOT NULL, score REAL,
    nan_flag INTEGER NOT NULL, seconds REAL, source TEXT NOT NULL,
    PRIMARY KEY (space, dataset, arch, proxy)
);
CREATE TABLE IF NOT EXISTS truth (
    space TEXT NOT NULL, dataset TEXT NOT NULL, arch TEXT NOT NULL, metric TEXT NOT NULL, value REAL,
    source TEXT NOT NULL,
    PRIMARY KEY (space, dataset, arch, metric)
);
CREATE TABLE IF NOT EXISTS claims (
    space TEXT NOT NULL, dataset TEXT NOT NULL, seed INTEGER NOT NULL, arch TEXT NOT NULL, owner TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (space, dataset, seed, arch)
);
CREATE TABLE IF NOT EXISTS failures (
    space TEXT NOT NULL, dataset TEXT NOT NULL, seed INTEGER NOT NULL, arch TEXT NOT NULL, proxies TEXT NOT NULL,
    message TEXT NOT NULL, version TEXT NOT NULL, config_hash TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (space, dataset, seed, arch)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, space TEXT, dataset TEXT, config_hash TEXT, config TEXT, started REAL
);
"""

class StoreError(NaslibSwapError):
    """A store that cannot be opened or that holds results of other settings."""


def split_score(value: float) -> tuple[float | None, int]:
    """``(score or None, nan_flag)``: SQLite turns NaN into NULL, so non-finite values keep their kind in a flag."""
    v = float(value)
    if math.isnan(v):
        return None, 1
    if math.isinf(v):
        return None, 2 if v > 0 else 3
    return v, 0


def join_score(score: float | None, flag: int) -> float:
    """The raw value back from ``(score, nan_flag)``."""
    if flag:
        return {1: math.nan, 2: math.inf, 3: -math.inf}[int(flag)]
    return math.nan if score is None else float(score)


class Store:
    """An open results file. Use as a context manager; every write method commits before it returns."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            self.conn = _connect_readonly(self.path)
            return
        if not self.path.parent.is_dir():
            raise StoreError(f"folder {self.path.parent} does not exist; create it or choose another path for the "
                             f"store", param="db")
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=60.0)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at each commit against process death
            self.conn.executescript(SCHEMA)
            self.conn.commit()
        except (sqlite3.DatabaseError, OSError) as e:
            raise StoreError(f"cannot open results store {self.path} for writing: {e}; use another path",
                             param="db") from None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    # -- writes ------------------------------------------------------------------------------------------------
    def record_run(self, space: str, dataset: str, config_hash: str, config: dict[str, Any]) -> None:
        with self.conn:
            self.conn.execute("INSERT INTO runs (space, dataset, config_hash, config, started) VALUES (?,?,?,?,?)",
                              (space, dataset, config_hash, json.dumps(config, sort_keys=True, default=str),
                               time.time()))

    def write_samples(self, space: str, dataset: str, seed: int, archs: Sequence[str], *, unique: bool,
                      key_source: str) -> None:
        """Save a seed's draw. NASLib's draw of n archs is the prefix of its draw of m > n archs, so a stored
        draw may be extended (``--archs 200`` then ``--archs 1000`` resumes) or cut; any other difference means the
        file belongs to other settings and is an error."""
        old = self.samples(space, dataset, seed)
        new = list(archs)
        if old:
            if old[:len(new)] == new:
                return  # same draw, or a prefix of the stored one
            if new[:len(old)] != old:
                raise StoreError(
                    f"{self.path} already holds a different sample for {space}/{dataset} seed {seed} "
                    f"({len(old)} archs); use the same unique/key_source setting or another store", param="db"
                )
        with self.conn:
            self.conn.execute("DELETE FROM samples WHERE space=? AND dataset=? AND seed=?", (space, dataset, seed))
            self.conn.executemany(
                "INSERT INTO samples VALUES (?,?,?,?,?,?,?)",
                [(space, dataset, seed, i, a, int(unique), key_source) for i, a in enumerate(archs)],
            )

    def _insert(self, space: str, dataset: str, seed: int, rows: Iterable[tuple[str, str, float, float]], *,
                version: str, config_hash: str, source: str | None) -> None:
        """``(arch, proxy, score, seconds)`` rows in one transaction."""
        now = time.time()
        data = []
        for arch, proxy, value, seconds in rows:
            s, flag = split_score(value)
            data.append((space, dataset, seed, arch, proxy, s, flag, float(seconds), version, config_hash, source, now))
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO scores VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", data)

    def claim(self, space: str, dataset: str, seed: int, arch: str, owner: str, lease_s: float,
              gone: Callable[[str], bool] = lambda other: False) -> bool:
        """Claim a unit for ``owner`` for ``lease_s`` seconds: True unless another owner holds a live claim.

        Concurrent runs on one store split the work this way; the claim of a run that is ``gone`` (killed: the caller
        can tell for its own machine) is taken over at once, any other when its lease expires.
        """
        now = time.time()
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")  # one claimant at a time
            row = self.conn.execute("SELECT owner, expires FROM claims WHERE space=? AND dataset=? AND seed=? AND "
                                    "arch=?", (space, dataset, seed, arch)).fetchone()
            if row is not None and row[0] != owner and row[1] > now and not gone(row[0]):
                return False
            self.conn.execute("INSERT OR REPLACE INTO claims VALUES (?,?,?,?,?,?)",
                              (space, dataset, seed, arch, owner, now + lease_s))
        return True

    def write_arch(self, space: str, dataset: str, seed: int, arch: str,
                   rows: Iterable[tuple[str, float, float]], *, version: str, config_hash: str,
                   source: str | None) -> None:
        """All ``(proxy, score, seconds)`` rows of one architecture in one transaction; its claim is released."""
        self._insert(space, dataset, seed, ((arch, p, v, t) for p, v, t in rows), version=version,
                     config_hash=config_hash, source=source)
        with self.conn:  # a claim left by a kill between the two commits is harmless: claimants check done() first
            for table in ("claims", "failures"):
                self.conn.execute(f"DELETE FROM {table} WHERE space=? AND dataset=? AND seed=? AND arch=?",
                                  (space, dataset, seed, arch))

    def write_failure(self, space: str, dataset: str, seed: int, arch: str, proxies: Sequence[str], message: str, *,
                      version: str, config_hash: str) -> None:
        """A unit whose scoring raised: its proxies and the message, in one transaction; its claim is released."""
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO failures VALUES (?,?,?,?,?,?,?,?,?)",
                              (space, dataset, seed, arch, ",".join(proxies), message, version, config_hash,
                               time.time()))
            self.conn.execute("DELETE FROM claims WHERE space=? AND dataset=? AND seed=? AND arch=?",
                              (space, dataset, seed, arch))

    def write_population(self, space: str, dataset: str, seed: int, proxy: str,
                         rows: Iterable[tuple[str, float, float]], *, version: str, config_hash: str,
                         source: str | None) -> None:
        """A population proxy's ``(arch, score, seconds)`` rows for a whole seed, in one transaction."""
        self._insert(space, dataset, seed, ((a, proxy, v, t) for a, v, t in rows), version=version,
                     config_hash=config_hash, source=source)

    def write_baselines(self, space: str, dataset: str, df: pd.DataFrame, source: str) -> None:
        data = []
        for arch, proxy, value, secs in df[["arch", "proxy", "score", "seconds"]].itertuples(index=False):
            s, flag = split_score(value)
            data.append((space, dataset, arch, proxy, s, flag, None if pd.isna(secs) else float(secs), source))
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO baselines VALUES (?,?,?,?,?,?,?,?)", data)

    def write_truth(self, space: str, dataset: str, metric: str, values: dict[str, float], source: str) -> None:
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO truth VALUES (?,?,?,?,?,?)",
                                  [(space, dataset, a, metric, float(v), source) for a, v in values.items()])

    # -- reads -------------------------------------------------------------------------------------------------
    def samples(self, space: str, dataset: str, seed: int) -> list[str]:
        cur = self.conn.execute("SELECT arch FROM samples WHERE space=? AND dataset=? AND seed=? ORDER BY pos",
                                (space, dataset, seed))
        return [r[0] for r in cur]

    def done(self, space: str, dataset: str, seed: int) -> dict[str, set[str]]:
        """``{arch: {proxy, ...}}`` already stored for a seed."""
        out: dict[str, set[str]] = {}
        cur = self.conn.execute("SELECT arch, proxy FROM scores WHERE space=? AND dataset=? AND seed=?",
                                (space, dataset, seed))
        for a, p in cur:
            out.setdefault(a, set()).add(p)
        return out

    def claims(self, space: str, dataset: str) -> dict[tuple[int, str], tuple[str, float]]:
        """``{(seed, arch): (owner, expires)}`` of the units claimed now."""
        cur = self.conn.execute("SELECT seed, arch, owner, expires FROM claims WHERE space=? AND dataset=?",
                                (space, dataset))
        return {(int(s), a): (o, float(e)) for s, a, o, e in cur}

    def config_hashes(self, space: str, dataset: str) -> set[str]:
        cur = self.conn.execute("SELECT DISTINCT config_hash FROM scores WHERE space=? AND dataset=?", (space, dataset))
        return {r[0] for r in cur}

    def has_table(self, name: str) -> bool:
        """Whether the file has this table (stores written before a table was added lack it)."""
        return self.conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() \
            is not None

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        return pd.read_sql_query(sql, self.conn, params=list(params))


def _where(space: str | None, dataset: str | None) -> tuple[str, list[Any]]:
    conds, params = [], []
    if space is not None:
        conds.append("space=?")
        params.append(space)
    if dataset is not None:
        conds.append("dataset=?")
        params.append(dataset)
    return (" WHERE " + " AND ".join(conds)) if conds else "", params


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A connection that never writes. ``mode=ro`` still needs the WAL index beside the file; where the folder is
    read-only (a shared store) the file is opened as immutable, which reads what was committed and checkpointed."""
    for query in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True, timeout=60.0)
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.DatabaseError as e:
            err = e
    raise StoreError(f"cannot read results store {path}: {err}; check that it is a store this package wrote",
                     param="db")


def _open_existing(db_path: str | Path) -> Store:
    if not Path(db_path).is_file():
        raise StoreError(f"results store {db_path} not found; run a correlation into it first", param="db")
    return Store(db_path, readonly=True)


def load_scores(db_path: str | Path, space: str | None = None, dataset: str | None = None) -> pd.DataFrame:
    """Our proxies' scores as a DataFrame ``[space, dataset, seed, arch, proxy, score, nan_flag, seconds]``.

    ``score`` is the raw value (NaN / +-inf restored from ``nan_flag``; the metrics map them to -1e8 as the suite).
    """
    where, params = _where(space, dataset)
    with _open_existing(db_path) as st:
        df = st.frame(f"SELECT space, dataset, seed, arch, proxy, score, nan_flag, seconds FROM scores{where} "
                      "ORDER BY space, dataset, seed, proxy, arch", params)
    df["score"] = [join_score(s, f) for s, f in zip(df["score"], df["nan_flag"])]
    return df


def load_samples(db_path: str | Path, space: str | None = None, dataset: str | None = None) -> pd.DataFrame:
    """The drawn arch lists ``[space, dataset, seed, pos, arch, unique_draw, key_source]``."""
    where, params = _where(space, dataset)
    with _open_existing(db_path) as st:
        return st.frame(f"SELECT * FROM samples{where} ORDER BY space, dataset, seed, pos", params)


def load_baselines(db_path: str | Path, space: str | None = None, dataset: str | None = None) -> pd.DataFrame:
    """The suite's scores copied at run time ``[space, dataset, arch, proxy, score, nan_flag, seconds, source]``."""
    where, params = _where(space, dataset)
    with _open_existing(db_path) as st:
        df = st.frame(f"SELECT * FROM baselines{where}", params)
    df["score"] = [join_score(s, f) for s, f in zip(df["score"], df["nan_flag"])]
    return df


def load_truth(db_path: str | Path, space: str | None = None, dataset: str | None = None) -> pd.DataFrame:
    where, params = _where(space, dataset)
    with _open_existing(db_path) as st:
        return st.frame(f"SELECT * FROM truth{where}", params)


def load_failures(db_path: str | Path, space: str | None = None, dataset: str | None = None) -> pd.DataFrame:
    """Units whose scoring raised ``[space, dataset, seed, arch, proxies, message]`` (empty for older stores)."""
    where, params = _where(space, dataset)
    with _open_existing(db_path) as st:
        if not st.has_table("failures"):
            return pd.DataFrame(columns=["space", "dataset", "seed", "arch", "proxies", "message"])
        return st.frame(f"SELECT space, dataset, seed, arch, proxies, message FROM failures{where} "
                        "ORDER BY space, dataset, seed, arch", params)


def load_meta(db_path: str | Path) -> pd.DataFrame:
    """Per (space, dataset, proxy): image source, package versions, config hashes, total seconds."""
    with _open_existing(db_path) as st:
        return st.frame("SELECT space, dataset, proxy, GROUP_CONCAT(DISTINCT source) AS source, "
                        "GROUP_CONCAT(DISTINCT version) AS version, GROUP_CONCAT(DISTINCT config_hash) AS config_hash, "
                        "COUNT(*) AS rows, SUM(seconds) AS seconds FROM scores GROUP BY space, dataset, proxy")
