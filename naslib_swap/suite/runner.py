"""The suite-zero correlation runner: NASLib's sample, one seeded minibatch per arch, a resumable store, metrics.

Work is split into independent units ``(space, dataset, seed, arch)``: a unit scores one arch with every per-arch
proxy still missing for it and is written in one transaction, so any engine that runs units (here: the parent
process, ``workers`` local processes, or a Ray cluster, :mod:`~naslib_swap.suite.backends`) gives the same rows;
``shard`` splits the units among independent jobs (:func:`shard_of`, merged by :mod:`~naslib_swap.suite.merge`).
A unit's batch, weights and proxy randomness come from ``(seed, space, dataset, arch)``
(:class:`~naslib_swap.scoring.ArchScorer`, seeded with the suite seed), so results do not depend on order, worker
count or interruptions.

Population proxies (``ProxySpec.needs_population``) are handled from metadata alone: their ``population_inputs`` are
scored per arch like any proxy, then ``combine`` runs over the distinct archs of each seed's sample (in draw order)
and every arch gets its combined score.

Example:
    >>> from naslib_swap.suite.config import resolve
    >>> cfg = resolve(flags=dict(space="nasbench201", dataset="cifar10", proxies=["params"], seeds=[9000], archs=3))
    >>> import tempfile, os; db = os.path.join(tempfile.mkdtemp(), "r.sqlite")
    >>> summary = run_correlation(cfg, db, progress=False)  # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import json
import math
import multiprocessing as mp
import os
import socket
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol, Sequence

import numpy as np
import pandas as pd

from .._version import __version__
from ..data.groundtruth import SUITE_PROXIES
from ..errors import DataNotFoundError, GrammarError, NaslibSwapError, OptionError, UnknownNameError
from ..proxies.base import PopulationScore, ProxyCall, apply_protocol
from ..registry import get_space
from ..scoring import ArchScorer
from . import store as st
from .backends import RayEngine, check_ray_settings, failure_message
from .baselines import baseline_scores, baseline_source, zc_file_truth
from .config import save_resolved, score_hash, uses_file_baselines, uses_live_baselines
from .metrics import correlation_metrics, summarise
from .sampler import sample_archs, suite_keys


def canonical_label(label: str, protocol: str | None = None) -> str:
    """One spelling per proxy setting, so that resuming matches rows: ``reg_swap[init='normal',reinits=4]``.

    Options equal to the proxy's defaults are dropped (``swap[reinits=1]`` is ``swap``); under a non-default
    ``protocol`` the label carries its options and names it (:func:`~naslib_swap.proxies.base.apply_protocol`).
    """
    return apply_protocol(protocol, label).label


# ---------------------------------------------------------------------------------------------------------------
# worker side
# ---------------------------------------------------------------------------------------------------------------

_WORKER: dict[Any, Any] = {}


def _init_worker(cfg: dict[str, Any], labels: list[str]) -> None:
    import torch

    torch.set_num_threads(int(cfg.get("threads") or 1))
    _WORKER.clear()
    _WORKER.update(cfg=cfg, labels=labels, scorers={})


def _scorer(seed: int) -> ArchScorer:
    scorers = _WORKER["scorers"]
    if seed not in scorers:
        cfg = _WORKER["cfg"]
        scorers[seed] = ArchScorer(cfg["space"], cfg["dataset"], _WORKER["labels"], batch_size=cfg["batch_size"],
                                   seed=seed, device=cfg["device"], data_root=cfg["data_root"])
    return scorers[seed]


def _batch_source(scorer: ArchScorer, job: Any) -> str:
    from ..rng import make_generator

    bs = scorer.batch_size_for(job)
    key = ("source", bs)
    if key not in _WORKER:
        _WORKER[key] = scorer.space.make_batch(scorer.dataset, bs, make_generator(0),
                                               data_root=scorer.data_root).source
    return _WORKER[key]


Unit = tuple[int, str, tuple[str, ...]]
Result = tuple[int, str, list[tuple[str, float, float]], str, "str | None"]

# errors that come from the settings, not from one arch: every unit would raise them, so the run stops
_SETTINGS_ERRORS = (DataNotFoundError, UnknownNameError, GrammarError, OptionError)


def _run_unit(unit: Unit) -> Result:
    """Score one (seed, arch) with the missing per-arch proxies: ``(seed, arch, rows, source, error)`` with rows
    ``(proxy, score, seconds)``. A unit that raises (out of memory, a net a proxy cannot score) comes back with no rows
    and its message as ``error``, so the run goes on; an error of the settings is raised."""
    seed, arch, missing = unit
    try:
        scorer = _scorer(seed)
        jobs = [j for j in scorer.leaf_jobs() if j.label in missing]
        t0 = time.perf_counter()
        results = scorer.score_arch(arch, jobs)
        overhead = time.perf_counter() - t0 - sum(r.time_s for r in results)
        # the net build and batch draw are shared by the arch's proxies: charge them in equal parts
        share = overhead / max(len(results), 1)
        rows = [(r.proxy, float(r.score), float(r.time_s + share)) for r in results]
        sources = sorted({_batch_source(scorer, j) for j in jobs})
    except _SETTINGS_ERRORS:
        raise
    except Exception as e:  # any other failure belongs to this arch: recorded with its message
        return seed, arch, [], "", failure_message(e)
    return seed, arch, rows, "; ".join(sources), None


# ---------------------------------------------------------------------------------------------------------------
# parent side
# ---------------------------------------------------------------------------------------------------------------

def plan(cfg: dict[str, Any]) -> tuple[list[str], list[str], dict[int, list[str]]]:
    """``(labels, leaf labels, {seed: drawn archs})`` for a resolved config."""
    labels = [canonical_label(p, cfg.get("protocol")) for p in cfg["proxies"]]
    if uses_live_baselines(cfg):  # the suite's 13, scored by the package like any proxy
        labels += [p for p in SUITE_PROXIES if p not in labels]
    if len(set(labels)) != len(labels):
        raise NaslibSwapError(f"a proxy is listed twice in {cfg['proxies']}; list each once")
    leaf: list[str] = []
    for lab in labels:
        call = ProxyCall.parse(lab)
        for c in (PopulationScore(call).inputs if call.spec.needs_population else (call,)):
            if c.label not in leaf:
                leaf.append(c.label)
    space = get_space(cfg["space"])
    keys = suite_keys(space, cfg["dataset"], cfg["data_root"], cfg["key_source"])
    samples = {seed: sample_archs(keys, cfg["archs"], seed, cfg["unique"], space=space) for seed in cfg["seeds"]}
    return labels, leaf, samples


def _truth(space: Any, dataset: str, metric: str, archs: Sequence[str], data_root: Any) -> tuple[dict[str, float], str]:
    """Ground truth from the space's own reader; where a space has none yet, the zc file's val_accuracy."""
    try:
        gt = space.ground_truth(dataset, data_root=data_root, metric=metric)
        return {a: float(gt[a]) for a in archs if a in gt}, space.ground_truth_source(dataset, metric)
    except NotImplementedError:
        if metric != "val":
            return {}, ""
        return (zc_file_truth(space, dataset, archs, data_root),
                f"zc file val_accuracy ({baseline_source(space, dataset)})")
    except ValueError:  # the space has no such metric
        return {}, ""


def run_correlation(cfg: dict[str, Any], db_path: str | Path, *, progress: bool = True) -> dict[str, Any]:
    """Run (or resume) a resolved config into ``db_path`` and return :func:`evaluate`'s summary.

    Every setting is checked before anything is written, and a run with nothing left to do writes nothing (a finished
    store on a read-only share can be re-evaluated). With ``shard: [I, N]`` only the I-th of N parts of the units is
    scored (:func:`shard_of`); population proxies are then combined by a run over the merged store.
    """
    space = get_space(cfg["space"])
    cfg["dataset"] = space.check_dataset(cfg["dataset"])
    labels, leaf, samples = plan(cfg)
    check_backend(cfg)
    # proxies, batch size and device are valid: fail before writing (a Ray driver need not have the tasks' GPU)
    ArchScorer(space, cfg["dataset"], leaf, batch_size=cfg["batch_size"], data_root=cfg["data_root"],
               device=cfg["device"] if cfg["backend"] == "local" else "cpu")
    db = Path(db_path)
    if not db.parent.is_dir():
        raise st.StoreError(f"folder {db.parent} does not exist; create it or choose another path for the store",
                            param="db")
    chash = score_hash(cfg, __version__)
    work = shard_of(samples, cfg["shard"])
    whole = cfg["shard"] is None  # population proxies need every arch of a seed: not within one shard
    t_start = time.perf_counter()
    units: list[Unit] = []
    scored = 0
    if not (db.is_file() and _finished(cfg, db, space, chash, labels if whole else [], leaf, samples, work)):
        with _engine(cfg, leaf) as engine, st.Store(db) as store:  # a backend that cannot start fails before writing
            save_resolved(cfg, db)  # beside a store that opened: a corrupt file gets no config written next to it
            units = _fill(cfg, store, space, chash, leaf, samples, work)
            scored = _execute(cfg, leaf, units, store, chash, progress, engine)
            if whole:
                _combine_populations(cfg, labels, samples, store, chash)
    shown = labels if whole else [lab for lab in labels if not ProxyCall.parse(lab).spec.needs_population]
    summary = evaluate(db_path, cfg["space"], cfg["dataset"], labels=shown, seeds=cfg["seeds"], topk=cfg["topk"],
                       baselines=uses_file_baselines(cfg))
    summary["wall_s"] = time.perf_counter() - t_start
    summary["units_run"] = scored  # by this run (another run on the same store scores the rest)
    fails = st.load_failures(db_path, cfg["space"], cfg["dataset"])
    summary["failures"] = int(fails.seed.isin(cfg["seeds"]).sum())
    return summary


def progress_of(cfg: dict[str, Any], db_path: str | Path) -> dict[str, Any]:
    """What a run of the resolved ``cfg`` into ``db_path`` has done and has left, and what the rest will cost;
    nothing is run or written (the store is opened read-only, and need not exist).

    Returns ``units`` (distinct (seed, arch) pairs), ``done`` (units with every per-arch proxy stored), ``left``,
    ``evals_left`` (per label: units still lacking it), ``seconds_each`` (per label: the mean wall seconds the store
    recorded for it on this space/dataset, one worker, the load of that time included; a shared pass is recorded
    split equally among the proxies it served; ``None`` where it holds none)
    with ``measured`` (how many stored scores each mean is over), and ``seconds_left`` (the sum of evals left times
    seconds each, on one worker; ``None`` when a label left to score has no measurement in the store).
    """
    space = get_space(cfg["space"])
    cfg["dataset"] = space.check_dataset(cfg["dataset"])
    _labels, leaf, samples = plan(cfg)
    stored: dict[tuple[int, str], set[str]] = {}
    total = dict.fromkeys(leaf, 0.0)
    count = dict.fromkeys(leaf, 0)
    db = Path(db_path)
    if db.is_file():
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
            has = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='scores'").fetchone()
            rows = con.execute("SELECT seed, arch, proxy, seconds FROM scores WHERE space=? AND dataset=?",
                               (cfg["space"], cfg["dataset"])).fetchall() if has else []
        for seed, arch, proxy, seconds in rows:
            stored.setdefault((int(seed), arch), set()).add(proxy)
            if proxy in total:
                total[proxy] += float(seconds)
                count[proxy] += 1
    units = list(dict.fromkeys((seed, a) for seed, archs in samples.items() for a in archs))
    evals_left = {lab: sum(lab not in stored.get(u, ()) for u in units) for lab in leaf}
    each = {lab: (total[lab] / count[lab] if count[lab] else None) for lab in leaf}
    known = all(each[lab] is not None for lab in leaf if evals_left[lab])
    done = sum(all(lab in stored.get(u, ()) for lab in leaf) for u in units)
    return {"space": cfg["space"], "dataset": cfg["dataset"], "labels": leaf, "seeds": list(samples),
            "units": len(units), "done": done, "left": len(units) - done, "evals_left": evals_left,
            "seconds_each": each, "measured": count,
            "seconds_left": sum(evals_left[lab] * (each[lab] or 0.0) for lab in leaf) if known else None}


def shard_of(samples: dict[int, list[str]], shard: Sequence[int] | None) -> dict[int, list[str]]:
    """The archs of each seed that shard ``(I, N)`` scores: the k-th distinct arch of seed s (in draw order) belongs
    to part ``(k + s) % N``. Parts are disjoint, differ in size by at most one per seed, and do not move when a draw
    is extended (a longer draw starts with the shorter one) or the run is resumed.

    Example:
        >>> shard_of({9000: ["a", "b", "a", "c", "d"]}, (1, 3))
        {9000: ['b']}
        >>> shard_of({9000: ["a", "b"]}, None)
        {9000: ['a', 'b']}
    """
    if shard is None:
        return samples
    i, n = shard
    return {seed: [a for k, a in enumerate(dict.fromkeys(archs)) if (k + seed) % n == i]
            for seed, archs in samples.items()}


def _check_hash(store: st.Store, cfg: dict[str, Any], chash: str) -> None:
    other = _protocol_hashes(store, cfg) - {chash}
    if other:
        raise st.StoreError(
            f"{store.path} holds {cfg['space']}/{cfg['dataset']} scores made with other settings (config hash "
            f"{', '.join(sorted(other))}, now {chash}); use the same batch_size/key_source/device or another store",
            param="db"
        )


def _protocol_hashes(store: st.Store, cfg: dict[str, Any]) -> set[str]:
    """Config hashes of the runs of this space/dataset under the same protocol (their labels keep protocols apart)."""
    runs = store.conn.execute("SELECT config_hash, config FROM runs WHERE space=? AND dataset=?",
                              (cfg["space"], cfg["dataset"])).fetchall()  # a plain read: pandas would touch the WAL
    mine = cfg.get("protocol") or "suite"
    others = {h for h, c in runs if (json.loads(c).get("protocol") or "suite") != mine}
    return store.config_hashes(cfg["space"], cfg["dataset"]) - others


def _missing(store: st.Store, cfg: dict[str, Any], leaf: list[str], samples: dict[int, list[str]]
             ) -> list[tuple[int, str, tuple[str, ...]]]:
    """The units still to score: ``(seed, arch, per-arch proxies it lacks)``."""
    units = []
    for seed, archs in samples.items():
        done = store.done(cfg["space"], cfg["dataset"], seed)
        for arch in dict.fromkeys(archs):
            missing = tuple(p for p in leaf if p not in done.get(arch, ()))
            if missing:
                units.append((seed, arch, missing))
    return units


def _finished(cfg: dict[str, Any], db: Path, space: Any, chash: str, labels: list[str], leaf: list[str],
              samples: dict[int, list[str]], work: dict[int, list[str]]) -> bool:
    """Whether the store already holds everything this config asks for (read-only: nothing is written); ``work``
    the archs this run scores."""
    with st.Store(db, readonly=True) as store:
        if not all(store.has_table(t) for t in ("runs", "scores", "samples")):
            return False  # another run has just created the file and not yet its tables: nothing is finished
        _check_hash(store, cfg, chash)
        for seed, archs in samples.items():
            if store.samples(cfg["space"], cfg["dataset"], seed)[:len(archs)] != list(archs):
                return False
            done = store.done(cfg["space"], cfg["dataset"], seed)
            if any(lab not in done.get(a, ()) for a in work[seed] for lab in (*leaf, *labels)):
                return False
        have = set(store.frame("SELECT DISTINCT metric FROM truth WHERE space=? AND dataset=?",
                               (cfg["space"], cfg["dataset"])).metric)
        all_archs = list(dict.fromkeys(a for archs in samples.values() for a in archs))
        if any(m not in have and _truth(space, cfg["dataset"], m, all_archs, cfg["data_root"])[0]
               for m in cfg["truth_metrics"]):
            return False
        if uses_file_baselines(cfg):
            # every drawn arch the suite's files score must be stored, not just some: a store whose first run drew
            # other seeds (or ran without --baselines) holds only those archs' baselines
            stored = set(store.frame("SELECT DISTINCT arch FROM baselines WHERE space=? AND dataset=?",
                                     (cfg["space"], cfg["dataset"])).arch)
            lacking = [a for a in all_archs if a not in stored]
            if lacking and not baseline_scores(cfg["space"], cfg["dataset"], lacking, cfg["data_root"]).empty:
                return False
    return True


def _fill(cfg: dict[str, Any], store: st.Store, space: Any, chash: str, leaf: list[str],
          samples: dict[int, list[str]], work: dict[int, list[str]]) -> list[Unit]:
    """Record the run, its draws, ground truth and baselines; return the units of ``work`` still to score."""
    _check_hash(store, cfg, chash)
    store.record_run(cfg["space"], cfg["dataset"], chash, cfg)
    for seed, archs in samples.items():
        store.write_samples(cfg["space"], cfg["dataset"], seed, archs, unique=cfg["unique"],
                            key_source=cfg["key_source"])
    all_archs = list(dict.fromkeys(a for archs in samples.values() for a in archs))
    for metric in cfg["truth_metrics"]:
        values, src = _truth(space, cfg["dataset"], metric, all_archs, cfg["data_root"])
        if values:
            store.write_truth(cfg["space"], cfg["dataset"], metric, values, src)
    if uses_file_baselines(cfg):
        bl = baseline_scores(cfg["space"], cfg["dataset"], all_archs, cfg["data_root"])
        store.write_baselines(cfg["space"], cfg["dataset"], bl, baseline_source(cfg["space"], cfg["dataset"]))
    return _missing(store, cfg, leaf, work)


LEASE_S = 1800.0  # a claimed unit is another run's for this long (longer than any unit takes), then anyone's
POLL_S = 2.0  # how often a run waits on units that other runs hold


def _execute(cfg: dict[str, Any], leaf: list[str], units: list[Unit], store: st.Store, chash: str, progress: bool,
             engine: "Engine") -> int:
    """Score the units, each claimed in the store first, so that runs sharing a store split the work; units other
    runs hold are waited for (or taken over when their claim expires). The engine computes, this process alone
    writes, as results arrive. Returns the units this run scored."""
    from tqdm.auto import tqdm

    if not units:
        return 0
    bar = tqdm(total=len(units), desc=f"{cfg['space']}/{cfg['dataset']}", unit="arch", disable=not progress,
               dynamic_ncols=True)
    secs: dict[str, list[float]] = {p: [0.0, 0] for p in leaf}
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    scored = failed = 0

    def consume(result: Result, missing: tuple[str, ...]) -> None:
        nonlocal scored, failed
        seed, arch, rows, source, error = result
        if error is not None:
            store.write_failure(cfg["space"], cfg["dataset"], seed, arch, missing, error, version=__version__,
                                config_hash=chash)
            failed += 1
        else:
            store.write_arch(cfg["space"], cfg["dataset"], seed, arch, rows, version=__version__,
                             config_hash=chash, source=source)
            scored += 1
        for proxy, _, s in rows:
            secs[proxy][0] += s
            secs[proxy][1] += 1
        bar.set_postfix_str(" ".join([f"{p}={v[0] / v[1]:.2f}s/arch" for p, v in secs.items() if v[1]] +
                                     ([f"failed={failed}"] if failed else [])))
        bar.update(1)

    try:
        pending = list(units)
        running: dict[tuple[int, str], tuple[str, ...]] = {}
        while pending or running:
            if pending and len(running) <= engine.slots:  # keep two units per slot queued: no slot waits on us
                mine, pending, finished = _claim_batch(cfg, store, owner, pending, 2 * engine.slots - len(running))
                bar.update(finished)
                for unit in mine:
                    running[unit[:2]] = unit[2]
                    engine.submit(unit)
            if running:
                for result in engine.wait():
                    consume(result, running.pop(result[:2]))
            elif pending:
                time.sleep(POLL_S)
    finally:
        bar.close()
    return scored


def _claim_batch(cfg: dict[str, Any], store: st.Store, owner: str, pending: list[tuple[int, str, tuple[str, ...]]],
                 size: int) -> tuple[list[tuple[int, str, tuple[str, ...]]], list[tuple[int, str, tuple[str, ...]]],
                                     int]:
    """Up to ``size`` units this run now holds (with what each still lacks), the units still pending, and how many
    units other runs finished meanwhile. One read of the scores and claims per call: a store of 1000s of units is not
    re-read per unit."""
    space, dataset = cfg["space"], cfg["dataset"]
    held = {k: v for k, v in store.claims(space, dataset).items() if v[0] != owner}
    now = time.time()
    done: dict[int, dict[str, set[str]]] = {}
    mine: list[tuple[int, str, tuple[str, ...]]] = []
    rest: list[tuple[int, str, tuple[str, ...]]] = []
    finished = 0
    for i, (seed, arch, missing) in enumerate(pending):
        if len(mine) >= size:
            rest.extend(pending[i:])
            break
        if seed not in done:
            done[seed] = store.done(space, dataset, seed)
        still = tuple(p for p in missing if p not in done[seed].get(arch, ()))
        other = held.get((seed, arch))
        if not still:
            finished += 1
        elif other is not None and other[1] > now and not _owner_gone(other[0]):
            rest.append((seed, arch, still))  # another live run holds it
        elif store.claim(space, dataset, seed, arch, owner, LEASE_S, gone=_owner_gone):
            mine.append((seed, arch, still))
        else:
            rest.append((seed, arch, still))
    return mine, rest, finished


def _owner_gone(owner: str) -> bool:
    """Whether the run named ``owner`` (``host:pid:tag``) has ended: known only for runs on this machine."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Engine(Protocol):
    """Runs units somewhere: ``submit(unit)``, then ``wait()`` returns the results finished so far (at least one).
    ``slots`` is how many units run at once."""

    slots: int

    def submit(self, unit: Unit) -> None: ...

    def wait(self) -> list[Result]: ...


class SerialEngine:
    """This process, one unit per ``wait()``."""

    slots = 1

    def __init__(self) -> None:
        self.queue: list[Unit] = []

    def submit(self, unit: Unit) -> None:
        self.queue.append(unit)

    def wait(self) -> list[Result]:
        return [_run_unit(self.queue.pop(0))]


class PoolEngine:
    """``workers`` local processes (fork where the platform has it)."""

    def __init__(self, cfg: dict[str, Any], leaf: list[str]) -> None:
        import queue

        methods = mp.get_all_start_methods()
        ctx = mp.get_context("fork" if "fork" in methods else "spawn")
        self.slots = cfg["workers"]
        self.pool = ctx.Pool(cfg["workers"], initializer=_init_worker, initargs=(cfg, leaf))
        self.done: queue.Queue[Any] = queue.Queue()

    def submit(self, unit: Unit) -> None:
        self.pool.apply_async(_run_unit, (unit,), callback=self.done.put, error_callback=self.done.put)

    def wait(self) -> list[Result]:
        out = [self.done.get()]
        while not self.done.empty():
            out.append(self.done.get_nowait())
        for r in out:
            if isinstance(r, BaseException):  # an error of the settings, raised by a worker
                raise r
        return out


def check_backend(cfg: dict[str, Any]) -> None:
    """Settings of the chosen backend that can be checked before anything starts (ray: installed, GPU request)."""
    if cfg["backend"] == "ray":
        check_ray_settings(cfg)


@contextlib.contextmanager
def _engine(cfg: dict[str, Any], leaf: list[str]) -> Iterator[Engine]:
    """The engine of ``cfg``: this process, ``workers`` local processes, or a Ray cluster (``backend: ray``)."""
    if cfg["backend"] == "ray":
        with RayEngine(cfg, leaf, work=_run_unit, init=_init_worker) as ray_engine:
            yield ray_engine
        return
    if cfg["workers"] <= 1:
        _init_worker(cfg, leaf)
        yield SerialEngine()
        return
    pool = PoolEngine(cfg, leaf)
    try:
        yield pool
    finally:
        pool.pool.terminate()
        pool.pool.join()


def _combine_populations(cfg: dict[str, Any], labels: list[str], samples: dict[int, list[str]], store: st.Store,
                         chash: str) -> None:
    """Each population proxy over the distinct archs of each seed's draw (in draw order), from the stored inputs."""
    for lab in labels:
        call = ProxyCall.parse(lab)
        if not call.spec.needs_population:
            continue
        for seed, archs in samples.items():
            uniq = list(dict.fromkeys(archs))
            done = store.done(cfg["space"], cfg["dataset"], seed)
            if all(lab in done.get(a, ()) for a in uniq):
                continue
            pop = PopulationScore(call)
            inputs = [c.label for c in pop.inputs]
            df = store.frame("SELECT arch, proxy, score, nan_flag, seconds, source FROM scores WHERE space=? AND "
                             "dataset=? AND seed=?", (cfg["space"], cfg["dataset"], seed))
            df = df[df.proxy.isin(inputs)]
            by = {(a, p): (st.join_score(s, f), sec) for a, p, s, f, sec in
                  zip(df.arch, df.proxy, df.score, df.nan_flag, df.seconds)}
            for a in uniq:
                pop.update(a, {p: by[(a, p)][0] for p in inputs})
            out = [(a, v, sum(by[(a, p)][1] for p in inputs)) for a, v in pop.compute().items()]
            source = "; ".join(sorted(set(df.source.dropna())))
            store.write_population(cfg["space"], cfg["dataset"], seed, lab, out, version=__version__,
                                   config_hash=chash, source=source)


# ---------------------------------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------------------------------

def _hib(proxy: str) -> bool:
    try:
        return bool(ProxyCall.parse(proxy).spec.higher_is_better)
    except NaslibSwapError:
        return True  # suite baselines not registered here: the suite's convention, higher is better


def evaluate(db_path: str | Path, space: str, dataset: str, *, labels: Iterable[str] | None = None,
             seeds: Iterable[int] | None = None, topk: Sequence[int] = (10, 50, 100),
             baselines: bool = True) -> dict[str, Any]:
    """Metrics from the store: ``{"space", "dataset", "truth": {metric: source}, "sources", "results": {metric:
    {proxy: {"kind", "per_seed": {seed: metrics}, "mean": summary}}}}``.

    The arch list of each seed is the stored draw (repeats kept), cut to the archs that every one of our proxies
    has scored in that seed (a run stopped early, or run with fewer archs than stored, counts what it finished), so
    our proxies and the suite's are compared on the same archs; an arch without ground truth is left out and ``n``
    says how many were used.
    """
    samples = st.load_samples(db_path, space, dataset)
    if samples.empty:
        raise st.StoreError(f"{db_path} holds no run of {space}/{dataset}; run `naslib-swap correlate` for it first")
    seed_list = sorted(set(samples.seed)) if seeds is None else [int(s) for s in seeds]
    scores = st.load_scores(db_path, space, dataset)
    truth = st.load_truth(db_path, space, dataset)
    bl = st.load_baselines(db_path, space, dataset) if baselines else pd.DataFrame(columns=["arch", "proxy", "score"])
    meta = st.load_meta(db_path)
    meta = meta[(meta.space == space) & (meta.dataset == dataset)]
    ours = list(labels) if labels is not None else sorted(set(scores.proxy))
    out: dict[str, Any] = {"space": space, "dataset": dataset, "truth": {}, "results": {},
                           "sources": {p: s for p, s in zip(meta.proxy, meta.source) if p in ours},
                           "baseline_source": baseline_source(space, dataset) if len(bl) else None,
                           "seconds_per_arch": {}}
    for p in ours:
        sub = scores[scores.proxy == p]
        if len(sub):
            out["seconds_per_arch"][p] = float(sub.seconds.mean())
    draws = {seed: samples[samples.seed == seed].sort_values("pos").arch.tolist() for seed in seed_list}
    if ours:  # every proxy is judged on the archs all of ours finished in that seed
        done = {seed: set.intersection(*[set(scores[(scores.proxy == p) & (scores.seed == seed)].arch) for p in ours])
                for seed in seed_list}
        draws = {seed: [a for a in draw if a in done[seed]] for seed, draw in draws.items()}
    tables = [("ours", p, scores[scores.proxy == p]) for p in ours]
    # a suite proxy with the name of one of ours (params, flops, nwot) is shown as "<name> (suite)"
    tables += [("suite", p if p not in ours else f"{p} (suite)", bl[bl.proxy == p]) for p in sorted(set(bl.proxy))]
    for metric, tdf in truth.groupby("metric"):
        out["truth"][metric] = str(tdf.source.iloc[0])
        tmap = dict(zip(tdf.arch, tdf.value))
        res: dict[str, Any] = {}
        for kind, proxy, df in tables:
            per_seed = _per_seed(kind, proxy, df, draws, tmap, topk)
            if per_seed:
                res[proxy] = {"kind": kind, "per_seed": per_seed, "mean": summarise(per_seed)}
        out["results"][metric] = res
    return out


def _per_seed(kind: str, proxy: str, df: pd.DataFrame, draws: dict[int, list[str]], tmap: dict[str, float],
              topk: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Metrics of one proxy per seed, over the seed's draw (repeats kept) where it has a score and a ground truth.
    Our scores are per seed; the suite's files hold one score per arch."""
    out = {}
    for seed, draw in draws.items():
        sub = df[df.seed == seed] if kind == "ours" else df
        smap = dict(zip(sub.arch, sub.score))
        use = [a for a in draw if a in smap and a in tmap]
        if len(use) >= 2:
            out[seed] = correlation_metrics([smap[a] for a in use], [tmap[a] for a in use],
                                            higher_is_better=_hib(proxy.removesuffix(" (suite)")), topk=topk)
    return out


def summary_rows(summary: dict[str, Any], metric: str = "val") -> list[dict[str, Any]]:
    """Flat rows for a table: one per proxy with mean +- std over seeds."""
    rows = []
    for proxy, r in summary["results"].get(metric, {}).items():
        m = r["mean"]
        rows.append({
            "proxy": proxy, "kind": r["kind"], "seeds": m["seeds"], "n": m["n"], "nan": m["nan_count"],
            "spearman": _pm(m, "spearman"), "kendall": _pm(m, "kendall"), "pearson": _pm(m, "pearson"),
            "s/arch": f"{summary['seconds_per_arch'][proxy]:.3f}" if proxy in summary["seconds_per_arch"] else "",
        })
    return rows


def _pm(m: dict[str, Any], key: str) -> str:
    """``mean ± std`` over seeds; with one seed there is no spread to show, so only the value."""
    v, s = m.get(key, math.nan), m.get(f"{key}_std", math.nan)
    if not np.isfinite(v):
        return "nan"
    return f"{v:.3f}" if int(m.get("seeds", 0) or 0) < 2 else f"{v:.3f} ± {s:.3f}"
