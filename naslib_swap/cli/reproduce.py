"""``naslib-swap reproduce``: a seed paper's table, ours beside the paper's, cell by cell."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import NaslibSwapError
from ..grammar import parse_range, split_list
from ._common import PROTOCOL_HELP, print_table

BACKENDS = ("serial", "workers", "ray")


def backend_overrides(backend: str | None, workers: int | None, address: str | None = None,
                      cpus_per_task: int | None = None) -> dict[str, Any]:
    """The runner's config keys for ``--backend serial|workers|ray`` and ``--workers N`` (validated here, once).

    Example:
        >>> backend_overrides("workers", None)
        {'backend': 'local', 'workers': 2}
        >>> backend_overrides("ray", None, address="auto")
        {'backend': 'ray', 'address': 'auto'}
    """
    if workers is not None and workers < 1:
        raise NaslibSwapError(f"--workers must be at least 1, got {workers}", param="workers")
    if backend != "ray" and (address is not None or cpus_per_task is not None):
        raise NaslibSwapError("--address and --cpus-per-task are settings of --backend ray; add --backend ray",
                              param="backend")
    if backend == "serial":
        if workers not in (None, 1):
            raise NaslibSwapError(f"--backend serial runs in this process: drop --workers {workers} or use "
                                  "--backend workers", param="workers")
        return {"backend": "local", "workers": 1}
    if backend == "workers":
        return {"backend": "local", "workers": workers or 2}
    if backend == "ray":
        out: dict[str, Any] = {"backend": "ray", "address": address, "cpus_per_task": cpus_per_task}
        return {k: v for k, v in out.items() if v is not None}
    return {"workers": workers} if workers is not None else {}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reproduce", help="reproduce a seed paper's table (ours vs paper, cell by cell; resumable)",
        description="Run what a paper's correlation table needs through the suite runner and its resumable store, "
                    "then print and write (markdown, JSON, PNG) ours beside the paper's figures, with n, seeds, "
                    "ground truth, protocol and stand-ins named.",
    )
    p.add_argument("table", nargs="?", default=None, help="a table name (see --list), e.g. swap-fig4")
    p.add_argument("--list", action="store_true", help="list the tables")
    p.add_argument("--scale", default="quick", help="quick (minutes on a CPU; default) or paper (the paper's size)")
    p.add_argument("--db", default=None, help="SQLite results store (default reproduce_<table>_<scale>.sqlite)")
    p.add_argument("--out", default=None, help="folder for the markdown/JSON/PNG (default reproduce_<table>)")
    p.add_argument("--protocol", default=None, help=f"override the table's protocol; {PROTOCOL_HELP}")
    p.add_argument("--archs", type=int, default=None,
                   help="override archs per seed for every task (LIBRA tables: archs per fit / eval sample)")
    p.add_argument("--seeds", default=None,
                   help="override the seeds, e.g. 9000-9001 (search tables: the search seeds; LIBRA: the eval seeds)")
    p.add_argument("--only", default=None,
                   help="run and print only these parts, comma-separated space/task wildcards, e.g. nasbench201 or "
                        "nasbench201/cifar10,*/cifar100")
    p.add_argument("--reinits", type=int, default=None,
                   help="cap every protocol's re-initialisations at N (e.g. 4 for swap-paper's 32 on a CPU; the cap "
                        "shows in the labels and the table)")
    p.add_argument("--workers", type=int, default=None,
                   help="local processes per task (correlation tables; default 1, or 2 with --backend workers)")
    p.add_argument("--backend", choices=BACKENDS, default=None,
                   help="where correlation units run: serial (this process), workers (--workers local processes), "
                        "ray (a Ray cluster; pip install 'naslib-swap[ray]'); the runner's engines")
    p.add_argument("--address", default=None, help="ray: auto or HOST:PORT of the head (default: start Ray here)")
    p.add_argument("--cpus-per-task", type=int, default=None, help="ray: CPUs (torch threads) per unit (default 1)")
    p.add_argument("--device", default=None, help="cpu or cuda")
    p.add_argument("--data-root", default=None, help="shared data folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--estimate", action="store_true",
                   help="run nothing: show what the store holds, what is left and the hours left on one worker, "
                        "from the costs the store recorded")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..suite.reproduce import (
        NOT_YET,
        SCALES,
        TABLES,
        ReproduceError,
        cap_reinits,
        estimate,
        get_scale,
        get_table,
        reproduce,
        select_cells,
        write_outputs,
    )

    if args.list:
        rows = [{"table": t.name, "kind": t.kind, "cells": len(t.cells), "protocol": t.protocol,
                 "what": t.title} for t in TABLES.values()]
        rows += [{"table": k, "kind": "not yet", "cells": "-", "protocol": "-", "what": v} for k, v in NOT_YET.items()]
        print_table(rows, ["table", "kind", "cells", "protocol", "what"])
        print("\nscales:")
        for sc in SCALES.values():
            print("  " + "; ".join(dict.fromkeys(sc.describe(k) for k in ("correlation", "search", "libra"))))
        return 0
    if not args.table:
        raise ReproduceError("no table given; name one (e.g. swap-fig4) or pass --list", param="table")
    tab, scale = get_table(args.table), get_scale(args.scale)
    if args.only is not None:
        tab = select_cells(tab, split_list(args.only))
    if args.reinits is not None:
        if tab.kind != "correlation":
            raise ReproduceError(f"--reinits caps the proxies' re-initialisations of correlation tables; {tab.name} "
                                 f"is a {tab.kind} table: drop it", param="reinits")
        scale = cap_reinits(scale, args.reinits)
    engines = backend_overrides(args.backend, args.workers, args.address, args.cpus_per_task)
    if tab.kind != "correlation" and (args.backend or args.workers):
        raise ReproduceError(f"--backend/--workers drive the runner of correlation tables; {tab.name} is a "
                             f"{tab.kind} table (it runs in this process): drop them", param="backend")
    if tab.kind == "search" and args.archs is not None:
        raise ReproduceError(f"--archs sets archs per seed of correlation and LIBRA tables; {tab.name} is a search "
                             f"table (its budgets come from the scale): drop it", param="archs")
    db = args.db or f"reproduce_{tab.name}_{scale.name}.sqlite"
    overrides = {"archs": args.archs, "seeds": parse_range(args.seeds) if args.seeds else None,
                 "device": args.device, "data_root": args.data_root, **engines}
    if args.estimate:
        return _print_estimate(estimate(tab, scale, db, protocol=args.protocol, **overrides))
    result = reproduce(tab, scale, db, protocol=args.protocol, progress=not args.no_progress,
                       log=lambda m: print(m, file=sys.stderr), **overrides)
    paths = write_outputs(result, args.out or f"reproduce_{tab.name}")
    print(paths[0].read_text())
    print("written: " + ", ".join(str(p) for p in paths))
    return 0


def _print_estimate(est: dict[str, Any]) -> int:
    def num(v: Any, fmt: str) -> str:
        return "-" if v is None else format(v, fmt)

    print(f"{est['table']} at scale {est['scale']}, protocol {est['protocol']}, store {est['db']} (nothing run)")
    rows = [{**r, "each_s": num(r["each_s"], ".2f"), "left_h": num(r["left_h"], ".2f")} for r in est["rows"]]
    print_table(rows, ["part", "what", "seeds", "total", "stored", "left", "each_s", "left_h", "basis"])
    if est["left_h"] is None:
        print("\nhours left: unknown while a part has nothing measured (run a little of it first: --archs 5 for "
              "a correlation table, --seeds 0 for a search table; then ask again)")
    else:
        print(f"\nhours left on one worker: {est['left_h']:.2f} (wall hours at the recorded load; N workers or Ray "
              f"tasks divide it)")
    return 0
