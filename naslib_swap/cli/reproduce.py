"""``naslib-swap reproduce``: a seed paper's table, ours beside the paper's, cell by cell."""
from __future__ import annotations

import argparse
import sys

from ..grammar import parse_range
from ._common import PROTOCOL_HELP, print_table


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
    p.add_argument("--archs", type=int, default=None, help="override archs per seed for every task")
    p.add_argument("--seeds", default=None, help="override the seeds, e.g. 9000-9001")
    p.add_argument("--workers", type=int, default=None, help="local processes per task (default 1)")
    p.add_argument("--device", default=None, help="cpu or cuda")
    p.add_argument("--data-root", default=None, help="shared data folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..suite.reproduce import (
        NOT_YET,
        SCALES,
        TABLES,
        ReproduceError,
        get_scale,
        get_table,
        reproduce,
        write_outputs,
    )

    if args.list:
        rows = [{"table": t.name, "cells": len(t.cells), "protocol": t.protocol, "paper": t.reference,
                 "what": t.title} for t in TABLES.values()]
        rows += [{"table": k, "cells": "-", "protocol": "-", "paper": "not yet", "what": v} for k, v in NOT_YET.items()]
        print_table(rows, ["table", "cells", "protocol", "paper", "what"])
        print("\nscales: " + "; ".join(s.description for s in SCALES.values()))
        return 0
    if not args.table:
        raise ReproduceError("no table given; name one (e.g. swap-fig4) or pass --list", param="table")
    tab, scale = get_table(args.table), get_scale(args.scale)
    db = args.db or f"reproduce_{tab.name}_{scale.name}.sqlite"
    overrides = {"archs": args.archs, "seeds": parse_range(args.seeds) if args.seeds else None,
                 "workers": args.workers, "device": args.device, "data_root": args.data_root}
    result = reproduce(tab, scale, db, protocol=args.protocol, progress=not args.no_progress,
                       log=lambda m: print(m, file=sys.stderr), **overrides)
    paths = write_outputs(result, args.out or f"reproduce_{tab.name}")
    print(paths[0].read_text())
    print("written: " + ", ".join(str(p) for p in paths))
    return 0
