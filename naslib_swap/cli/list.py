"""``naslib-swap list``: proxies with their metadata, spaces with their datasets, search methods."""
from __future__ import annotations

import argparse
from typing import Any

from ..proxies.costs import measured_costs, typical_cost
from ..registry import PROXIES, SEARCHES, SPACES, plain_value
from ..spaces.capabilities import EvolvableSpace, PolicySpace, SupernetSpace
from ._common import print_json, print_table

CAPABILITIES = (EvolvableSpace, SupernetSpace, PolicySpace)


def _space_row(name: str) -> dict[str, Any]:
    cls = SPACES.get(name)
    return {"name": name, "datasets": list(cls.datasets), "arch_format": cls.arch_format,
            "sizes": list(cls.sizing), "profiles": list(cls.profiles),
            "capabilities": [c.__name__ for c in CAPABILITIES if issubclass(cls, c)]}


def _cost(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "-"
    v = entry["seconds_per_arch"]
    return f"{v:.2g}" if v < 10 else f"{v:.0f}"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list proxies, spaces, datasets and search methods")
    p.add_argument("pattern", nargs="?", default="*", help="wildcard filter on proxy names (e.g. '*swap*')")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    proxies = [PROXIES.get(n).metadata() | {"source": PROXIES.source(n), "typical_cost_nb201": typical_cost(n)}
               for n in PROXIES.names(args.pattern)]
    spaces = [_space_row(n) for n in SPACES.names()]
    searches = [{"name": n, "source": SEARCHES.source(n), "budget_unit": SEARCHES.get(n).budget_unit,
                 "options": {k: plain_value(v) for k, v in SEARCHES.get(n).options.items()}} for n in SEARCHES.names()]
    if args.format == "json":
        print_json({"proxies": proxies, "spaces": spaces, "searches": searches,
                    "cost_measurement": measured_costs().get("measured")})
        return 0
    print("Proxies")
    print_table([{**p, "higher": "yes" if p["higher_is_better"] else "no",
                  "grad": "yes" if p["needs_grad"] else "", "labels": "yes" if p["needs_labels"] else "",
                  "population": "yes" if p["needs_population"] else "",
                  "s/arch": _cost(p["typical_cost_nb201"])} for p in proxies],
                ["name", "higher", "grad", "labels", "population", "s/arch", "bn_mode", "description"])
    how = measured_costs().get("measured")
    if how:
        print(f"s/arch: median wall seconds of the proxy's own compute per NB201 CIFAR-10 arch at its defaults "
              f"(network build and minibatch excluded; CPU seconds in --format json), measured "
              f"{how['date']} on {how['machine']} (load {how['load_average_1_5_15'][0]}); '-' = not measured")
    print("\nSpaces")
    print_table([{"name": s["name"], "datasets": ", ".join(s["datasets"]), "sizes": ", ".join(s["sizes"]),
                  "capabilities": ", ".join(s["capabilities"])} for s in spaces],
                ["name", "datasets", "sizes", "capabilities"])
    print("\nSearch methods")
    print_table([{"name": s["name"], "--budget counts": s["budget_unit"], "options": ", ".join(s["options"])}
                 for s in searches] or [{"name": "(none yet)", "options": ""}], ["name", "--budget counts", "options"])
    return 0
