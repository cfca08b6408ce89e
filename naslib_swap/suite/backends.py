"""Where the runner's units are computed when not in this machine's processes: a Ray cluster (``backend: ray``).

Ray is an optional extra (``pip install "naslib-swap[ray]"``) and is imported only when this backend is used, so the
package works without it. The driver (the process running :func:`~naslib_swap.suite.runner.run_correlation`) stays
the single writer of the SQLite store: Ray tasks compute a unit each and return its rows, and the driver commits them
as they arrive, so resume, claims, the progress bar and its ETA behave as with one process. A task runs the same
function as a local worker, seeded per unit, so the scores are those of a serial run (bit for bit on CPU with the
same torch thread count). A worker process that dies (killed, node lost) costs a retry of its unit (Ray's
``max_retries``); a unit that raises comes back as a failure with its message.

Example (a local Ray instance on this machine's CPUs; ``address: auto`` joins a running cluster):
    >>> from naslib_swap.suite.config import resolve
    >>> cfg = resolve(flags=dict(space="nasbench201", dataset="cifar10", backend="ray", cpus_per_task=1))
    >>> cfg["backend"], cfg["cpus_per_task"]
    ('ray', 1)
"""
from __future__ import annotations

import logging
import math
import re
import socket
import uuid
from typing import Any, Callable

from ..data.paths import resolve_data_root
from ..errors import DataNotFoundError, NaslibSwapError

MAX_RETRIES = 3  # re-runs of a unit whose worker process died (not of a unit that raised: that is a failure)
PROBE_S = 5.0  # how long to try a HOST:PORT before calling it unreachable
_INSTALL = 'pip install "naslib-swap[ray]" (or pip install ray) on this machine and on every node of the cluster'


class BackendError(NaslibSwapError):
    """A backend that is not installed, cannot be reached, or cannot run the requested tasks."""


def failure_message(e: BaseException) -> str:
    """One line for the failures table: the exception's type and the first line of its message.

    Example:
        >>> failure_message(RuntimeError("CUDA out of memory.\\nTried to allocate 2 GiB"))
        'RuntimeError: CUDA out of memory.'
    """
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise BackendError(f"backend ray needs Ray, which is not installed; {_INSTALL}", param="backend") from None
    return ray


def check_ray_settings(cfg: dict[str, Any]) -> None:
    """What can be checked before Ray starts: installed, the address (its form; something listens there), the device
    asked of the tasks."""
    _import_ray()
    address = cfg["address"]
    if address is not None and address != "auto" and not re.fullmatch(r"[\w.\-\[\]:]+:\d+", str(address)):
        raise BackendError(f"bad Ray address {address!r}; use auto (the cluster this machine belongs to) or "
                           f"HOST:PORT of the head node", param="address")
    if address is not None and address != "auto":
        _probe(address)
    if address is not None and cfg["workers"] > 1:
        raise BackendError("workers sets the CPUs of a Ray started here; with an address the cluster's CPUs decide "
                           "(set cpus_per_task instead)", param="workers")
    try:
        import torch

        dev = torch.device(cfg["device"])
    except (RuntimeError, TypeError):
        raise BackendError(f"unknown device {cfg['device']!r}; use cpu or cuda", param="device") from None
    if dev.type == "cuda" and not cfg["gpus_per_task"]:
        raise BackendError("device cuda on Ray needs gpus_per_task above 0 (Ray hides the GPUs from tasks that ask "
                           "for none); e.g. 0.25 to share one GPU among 4 tasks", param="gpus_per_task")
    if dev.type != "cuda" and cfg["gpus_per_task"]:
        raise BackendError(f"gpus_per_task {cfg['gpus_per_task']} asks for GPUs but device is {cfg['device']}; set "
                           f"device cuda", param="device")


def _probe(address: str) -> None:
    """A one-line error now, rather than Ray's long retries, when nothing listens at HOST:PORT."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_S):
            pass
    except OSError as e:
        raise BackendError(f"cannot reach a Ray head at {address} ({e.strerror or e}); start Ray's head node there "
                           f"on port {port} (docs/scale.md), or check the address and the firewall",
                           param="address") from None


def _connect(ray: Any, cfg: dict[str, Any]) -> bool:
    """Join the cluster of ``address`` (or start Ray here); True when this call started Ray and must stop it."""
    if ray.is_initialized():  # a Ray the caller started (a notebook, a test) is used as it is
        return False
    address = cfg["address"]
    quiet = dict(logging_level=logging.ERROR, log_to_driver=False)
    try:
        if address is None:
            ray.init(num_cpus=cfg["workers"] if cfg["workers"] > 1 else None, include_dashboard=False, **quiet)
            return True
        ray.init(address=address, **quiet)
    except BackendError:
        raise
    except Exception as e:  # ConnectionError, RuntimeError, ...: Ray's own message, first line
        raise BackendError(f"cannot connect to Ray at {address or 'a new local instance'} ({failure_message(e)}); "
                           f"start Ray's head node (docs/scale.md) and pass its HOST:PORT, or check the address",
                           param="address") from None
    return True


_READY: list[str] = [""]  # the run a worker process was set up for (Ray reuses worker processes across tasks)


def naslib_swap_unit(setup: tuple[Callable[..., None], tuple[Any, ...], str, Callable[[Any], Any]],
                     unit: Any) -> Any:
    """One unit on a Ray worker (its process title while it runs: ``ray::naslib_swap_unit``): set the process up
    for this run once, then compute."""
    init, args, key, work = setup
    if _READY[0] != key:
        init(*args)
        _READY[0] = key
    return work(unit)


class RayEngine:
    """Units as Ray tasks (``cpus_per_task`` CPUs, ``gpus_per_task`` GPUs each); results as they finish.

    The runner's engine interface: ``slots`` (units the cluster runs at once), ``submit(unit)``, ``wait()``.
    ``init(cfg, leaf)`` sets a worker process up (``cfg`` with the worker's ``threads`` and absolute ``data_root``);
    ``work(unit)`` computes a unit (the runner's: ``(seed, arch, rows, source, error)``); ``failed(unit, message)``
    is what a unit that raised comes back as (default: the runner's result with no rows and the message).
    """

    def __init__(self, cfg: dict[str, Any], leaf: Any, *, work: Callable[[Any], Any],
                 init: Callable[..., None], failed: Callable[[Any, str], Any] | None = None) -> None:
        # what a unit that raised (or whose worker died too often) comes back as: the runner's row-less result
        self.failed: Callable[[Any, str], Any] = failed or (lambda unit, message: (unit[0], unit[1], [], "", message))
        self.ray = ray = _import_ray()
        self.started = _connect(ray, cfg)
        try:
            res = ray.cluster_resources()
            cpus, gpus = float(cfg["cpus_per_task"]), float(cfg["gpus_per_task"])
            slots = res.get("CPU", 0.0) // cpus
            if gpus:
                slots = min(slots, res.get("GPU", 0.0) // gpus)
            if slots < 1:
                raise BackendError(f"the Ray cluster has {res.get('CPU', 0):g} CPUs and {res.get('GPU', 0):g} GPUs: "
                                   f"not enough for one task of {cpus:g} CPUs and {gpus:g} GPUs; lower cpus_per_task "
                                   f"or gpus_per_task, or add nodes", param="cpus_per_task")
            self.slots = int(slots)
            # a worker's torch threads are its CPU share (no oversubscription); data at the same path on every node
            wcfg = dict(cfg, threads=max(1, math.floor(cpus)), data_root=_data_root(cfg["data_root"]))
            self.setup = ray.put((init, (wcfg, leaf), uuid.uuid4().hex, work))
            self.remote = ray.remote(naslib_swap_unit).options(num_cpus=cpus, num_gpus=gpus,
                                                               max_retries=MAX_RETRIES, retry_exceptions=False)
        except BaseException:
            self.close()
            raise
        self.units: dict[Any, Any] = {}

    def __enter__(self) -> "RayEngine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        for ref in getattr(self, "units", {}):  # an interrupted run: stop its tasks (their claims lapse)
            self.ray.cancel(ref, force=True)
        if self.started:
            self.ray.shutdown()
            self.started = False

    def submit(self, unit: Any) -> None:
        self.units[self.remote.remote(self.setup, unit)] = unit

    def wait(self) -> list[Any]:
        ray = self.ray
        refs = list(self.units)
        ready, rest = ray.wait(refs, num_returns=1)
        if rest:
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        out = []
        for ref in ready:
            unit = self.units.pop(ref)
            try:
                out.append(ray.get(ref))
            except ray.exceptions.RayTaskError as e:
                cause = getattr(e, "cause", None) or e
                if isinstance(cause, NaslibSwapError):  # an error of the settings: every unit would raise it
                    raise cause from None
                out.append(self.failed(unit, failure_message(cause)))
            except ray.exceptions.RayError as e:  # the worker died more than max_retries times, the node was lost
                out.append(self.failed(unit, failure_message(e)))
        return out


def _data_root(data_root: Any) -> Any:
    """The data folder as an absolute path for the workers (a Ray worker's working folder is not the driver's)."""
    try:
        return str(resolve_data_root(data_root))
    except DataNotFoundError:
        return data_root


class ProcessEngine:
    """``workers`` local processes (``concurrent.futures``, fork where the platform has it) on the same engine
    interface: ``slots``, ``submit(unit)``, ``wait()``. ``init(*initargs)`` sets each process up once; ``work(unit)``
    computes. A process that dies (killed, out of memory) is a one-line :class:`BackendError`, not a hang (a
    ``multiprocessing.Pool`` would wait for it forever)."""

    def __init__(self, workers: int, *, work: Callable[[Any], Any], init: Callable[..., None],
                 initargs: tuple[Any, ...]) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        self.slots, self.work = int(workers), work
        self.pool = ProcessPoolExecutor(self.slots, mp_context=ctx, initializer=init, initargs=initargs)
        self.futures: dict[Any, Any] = {}

    def __enter__(self) -> "ProcessEngine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, unit: Any) -> None:
        self.futures[self.pool.submit(self.work, unit)] = unit

    def wait(self) -> list[Any]:
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as wait_futures
        from concurrent.futures.process import BrokenProcessPool

        done, _ = wait_futures(list(self.futures), return_when=FIRST_COMPLETED)
        out = []
        for f in done:
            self.futures.pop(f)
            try:
                out.append(f.result())
            except BrokenProcessPool:
                raise BackendError("a worker process died (killed, out of memory) or failed to start, and its work "
                                   "is lost; run again with fewer workers, or with backend ray (it retries lost "
                                   "workers)", param="workers") from None
        return out
