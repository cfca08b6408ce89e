"""Arguments and output helpers shared by the commands."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence


def add_common(p: argparse.ArgumentParser, *, batch: bool = True) -> None:
    p.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    if batch:
        p.add_argument("--batch-size", type=int, default=None, help="minibatch size (default: the proxy's, else 64)")
    p.add_argument("--data-root", default=None,
                   help="shared data folder (default: $NASLIB_SWAP_DATA or ../shared/data)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")


PROTOCOL_HELP = ("named protocol: suite (default), swap-paper, lswag-paper, teg-paper, zcpt-paper; explicit options "
                 "and --batch-size override it")


def add_protocol(p: argparse.ArgumentParser, default: str | None = "suite") -> None:
    p.add_argument("--protocol", default=default, help=PROTOCOL_HELP)


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], floatfmt: str = "{:.6g}") -> None:
    def fmt(v: Any) -> str:
        return floatfmt.format(v) if isinstance(v, float) else str(v)

    cells = [[fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def add_scale_flags(p: argparse.ArgumentParser) -> None:
    """Shards and the Ray backend (docs/scale.md)."""
    p.add_argument("--shard", default=None, metavar="I/N",
                   help="score only the I-th of N disjoint parts of the work (array jobs; merge the stores after)")
    p.add_argument("--backend", choices=("local", "ray"), default=None,
                   help="local processes (default) or a Ray cluster (pip install 'naslib-swap[ray]')")
    p.add_argument("--address", default=None, help="Ray: auto or HOST:PORT of the head (default: start Ray here)")
    p.add_argument("--cpus-per-task", type=float, default=None, help="Ray: CPUs (torch threads) per unit (default 1)")
    p.add_argument("--gpus-per-task", type=float, default=None,
                   help="Ray: GPUs per unit; fractions share a device, e.g. 0.25 (needs --device cuda)")


def scale_flags(args: argparse.Namespace) -> dict[str, Any]:
    return {"shard": args.shard, "backend": args.backend, "address": args.address,
            "cpus_per_task": args.cpus_per_task, "gpus_per_task": args.gpus_per_task}
