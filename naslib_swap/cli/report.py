"""``naslib-swap report``: markdown table, CSV and figures from a correlation store."""
from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="tables and figures from a `correlate` store",
                       description="Write report.md, metrics.csv, a proxies x tasks Spearman heatmap and "
                                   "score-vs-accuracy scatter plots from a `naslib-swap correlate` store.")
    p.add_argument("--db", required=True, help="SQLite results file written by `naslib-swap correlate`")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..suite.report import write_report

    for path in write_report(args.db, args.out):
        print(path)
    return 0
