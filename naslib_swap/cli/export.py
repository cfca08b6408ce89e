"""``naslib-swap export``: a correlation store as NASLib's ``zc_<space>.json``."""
from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a `correlate` store (e.g. as NASLib's zc_<space>.json)",
                       description="Write zc_<space>.json in NASLib's schema, our proxies merged with the suite's "
                                   "baselines, so NASLib's zc api and ensembles can read them.")
    p.add_argument("--db", required=True, help="SQLite results file written by `naslib-swap correlate`")
    p.add_argument("--format", choices=("naslib",), default="naslib", help="output schema (naslib)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--seed", type=int, default=None, help="export this seed's scores (default: lowest seed per arch)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..suite.export import export_naslib

    for path in export_naslib(args.db, args.out, seed=args.seed):
        print(path)
    return 0
