"""``naslib-swap merge``: the stores of shards (array jobs, several machines) as one store."""
from __future__ import annotations

import argparse

from ._common import print_json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("merge", help="merge `correlate` stores (e.g. the shards of an array job) into a new store",
                       description="Merge result stores made by one command (same settings and package version) into "
                                   "a new store; refuses stores of other settings or versions, writes nothing then, "
                                   "and counts rows present in several inputs once.")
    p.add_argument("out", help="the new SQLite store (must not exist)")
    p.add_argument("inputs", nargs="+", metavar="in", help="stores to merge")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..suite.merge import merge_stores

    summary = merge_stores(args.out, args.inputs)
    if args.format == "json":
        print_json(summary)
        return 0
    rows, dups, conflicts = summary["rows"], summary["duplicates"], summary["conflicts"]
    print(f"merged {summary['inputs']} stores into {args.out}: " + ", ".join(
        f"{rows[t]} {t} rows ({dups[t]} duplicates" + (f", {conflicts[t]} with other values: first input's kept"
                                                        if conflicts[t] else "") + ")" for t in rows))
    return 0
