"""Scores shared across searches: an opt-in memo so that an arch scored once is not scored again by another search,
another search seed or another method of the same experiment.

A search scores through :class:`~naslib_swap.scoring.ArchScorer`, whose scoring seed is normally the search's seed
(the minibatch and the initial weights of an arch derive from ``(seed, arch)``). Inside
``with shared_scores(ScoreMemo(score_seed=s)):`` every scorer a search wraps with :func:`shared` scores at the fixed
scoring seed ``s`` instead, and reuses a score already in the memo. The search seed then drives only the search
itself (its samples, mutations and tournaments), and a proxy score is one fixed number per arch, like a lookup
table's entry: that is what makes a score legitimately reusable across searches. Outside such a block
:func:`shared` returns the scorer unchanged (nothing is shared; the default behaviour of every search).

A memo entry is keyed by everything that determines the score: the space's name, the dataset, the scoring seed, the
proxy label, the minibatch size, the network options, the protocol and the device type, plus the arch's key. With a
``path`` the memo is also a JSON-lines file, appended to after each score and read back on the next run (resumable).

Example:
    >>> from naslib_swap.scoring import ArchScorer
    >>> memo = ScoreMemo(score_seed=0)
    >>> with shared_scores(memo):
    ...     s = shared(ArchScorer("nasbench201", "cifar10", ["params"], seed=7))
    ...     a = s.score_arch("(0, 2, 3, 2, 3, 1)")[0].score
    ...     b = shared(ArchScorer("nasbench201", "cifar10", ["params"], seed=8)).score_arch("(0, 2, 3, 2, 3, 1)")
    >>> (a == b[0].score, memo.hits, memo.misses)
    (True, 1, 1)
"""
from __future__ import annotations

import contextlib
import contextvars
import json
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..proxies.base import ProxyCall
from ..scoring import ArchScorer, ScoreResult

MemoKey = tuple[str, ...]


class ScoreMemo:
    """Per-arch proxy scores at one fixed scoring seed (see the module doc).

    Attributes:
        score_seed: the scoring seed every shared scorer uses.
        hits, misses: lookups answered from the memo / scored anew.
        time_s: seconds spent scoring the misses (proxy time, as :class:`ScoreResult` reports it).
    """

    def __init__(self, score_seed: int, path: str | Path | None = None) -> None:
        self.score_seed = int(score_seed)
        self.path = Path(path) if path is not None else None
        self.entries: dict[MemoKey, tuple[float, float]] = {}
        self.hits = self.misses = 0
        self.time_s = 0.0
        if self.path is not None and self.path.is_file():
            text = self.path.read_text()
            if text and not text.endswith("\n"):  # a write cut short by a kill: end it, so new lines stand alone
                with self.path.open("a") as f:
                    f.write("\n")
            for line in text.splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a write cut short by a kill: that score is simply computed again
                self.entries[tuple(row["key"])] = (float(row["score"]), float(row["time_s"]))

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, key: MemoKey) -> tuple[float, float] | None:
        return self.entries.get(key)

    def put(self, key: MemoKey, score: float, time_s: float) -> None:
        self.entries[key] = (float(score), float(time_s))
        if self.path is not None:
            with self.path.open("a") as f:  # one line per score: a killed run keeps what it scored
                f.write(json.dumps({"key": list(key), "score": score, "time_s": time_s}) + "\n")


_ACTIVE: contextvars.ContextVar[ScoreMemo | None] = contextvars.ContextVar("naslib_swap_score_memo", default=None)


@contextlib.contextmanager
def shared_scores(memo: ScoreMemo) -> Iterator[ScoreMemo]:
    """Share ``memo`` (and its fixed scoring seed) with every scorer wrapped by :func:`shared` inside the block."""
    token = _ACTIVE.set(memo)
    try:
        yield memo
    finally:
        _ACTIVE.reset(token)


def memo_active() -> bool:
    """Whether a :func:`shared_scores` block is open (a fanned-out search refuses it: workers score at the search's
    seed, not the memo's)."""
    return _ACTIVE.get() is not None


def shared(scorer: ArchScorer) -> ArchScorer:
    """``scorer`` itself, or inside :func:`shared_scores` a scorer at the memo's scoring seed that reuses its scores."""
    memo = _ACTIVE.get()
    return scorer if memo is None else _MemoScorer(scorer, memo)


class _MemoScorer(ArchScorer):
    """An :class:`ArchScorer` at the memo's scoring seed that looks every (arch, proxy) up before scoring it."""

    def __init__(self, base: ArchScorer, memo: ScoreMemo) -> None:  # noqa: D107 - copies a built scorer
        self.__dict__.update(base.__dict__)
        self.seed = memo.score_seed
        self.memo = memo

    def _memo_key(self, job: ProxyCall, arch_key: str) -> MemoKey:
        return (str(self.space), self.dataset, str(self.seed), job.label, str(self.batch_size_for(job)),
                json.dumps(self.net_options, sort_keys=True, default=str), self.protocol.name, self.device.type,
                arch_key)

    def score_arch(self, arch: Any, jobs: Sequence[ProxyCall] | None = None, *, share: bool | None = None
                   ) -> list[ScoreResult]:
        todo = list(jobs) if jobs is not None else self.leaf_jobs()
        key = self.space.key(arch)
        found: dict[str, ScoreResult] = {}
        missing = []
        for job in todo:
            hit = self.memo.get(self._memo_key(job, key))
            if hit is None:
                missing.append(job)
            else:
                found[job.label] = ScoreResult(key, job.label, hit[0], hit[1])
        self.memo.hits += len(todo) - len(missing)
        if missing:
            self.memo.misses += len(missing)
            for job, res in zip(missing, super().score_arch(arch, missing, share=share)):
                self.memo.put(self._memo_key(job, key), res.score, res.time_s)
                self.memo.time_s += res.time_s
                found[job.label] = res
        return [found[job.label] for job in todo]


__all__ = ["ScoreMemo", "memo_active", "shared", "shared_scores"]
