"""``naslib-swap list``: proxies with their metadata, spaces with their datasets, search methods."""
from __future__ import annotations

import argparse

from ..registry import PROXIES, SEARCHES, SPACES
from ._common import print_json, print_table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list proxies, spaces, datasets and search methods")
    p.add_argument("pattern", nargs="?", default="*", help="wildcard filter on proxy names (e.g. '*swap*')")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    proxies = [PROXIES.get(n).metadata() | {"source": PROXIES.source(n)} for n in PROXIES.names(args.pattern)]
    spaces = [{"name": n, "datasets": list(SPACES.get(n).datasets), "arch_format": SPACES.get(n).arch_format}
              for n in SPACES.names()]
    searches = [{"name": n, "source": SEARCHES.source(n)} for n in SEARCHES.names()]
    if args.format == "json":
        print_json({"proxies": proxies, "spaces": spaces, "searches": searches})
        return 0
    print("Proxies")
    print_table([{**p, "higher": "yes" if p["higher_is_better"] else "no",
                  "grad": "yes" if p["needs_grad"] else "", "labels": "yes" if p["needs_labels"] else "",
                  "population": "yes" if p["needs_population"] else ""} for p in proxies],
                ["name", "higher", "grad", "labels", "population", "bn_mode", "description"])
    print("\nSpaces")
    print_table([{"name": s["name"], "datasets": ", ".join(s["datasets"])} for s in spaces], ["name", "datasets"])
    print("\nSearch methods")
    print_table(searches or [{"name": "(none yet)", "source": ""}], ["name", "source"])
    return 0
