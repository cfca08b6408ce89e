"""``naslib-swap score``: score architectures of a space with proxies."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import DataNotFoundError, NaslibSwapError
from ..scoring import score
from ._common import add_common, print_json, print_table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score architectures with proxies",
                       description="Score architectures of a benchmark space with registered proxies.")
    p.add_argument("--space", required=True, help="nasbench201, ... (see `naslib-swap list`)")
    p.add_argument("--dataset", required=True, help="cifar10, cifar100, ImageNet16-120, or a TransNAS task")
    p.add_argument("--arch", action="append", default=[],
                   help="an architecture (NASLib tuple or native string); repeatable")
    p.add_argument("--archs-file", default=None, help="a file with one architecture per line")
    p.add_argument("--proxies", required=True,
                   help="comma-separated proxy names, options in brackets: reg_swap[mu=1.2]")
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    archs = list(args.arch)
    if args.archs_file:
        path = Path(args.archs_file)
        if not path.is_file():
            raise DataNotFoundError(f"archs file {path} not found; pass a text file with one architecture per line")
        archs += [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    if not archs:
        raise NaslibSwapError("no architecture given; pass --arch '(0, 2, 3, 2, 3, 1)' or --archs-file FILE")
    rows = score(args.space, args.dataset, archs, args.proxies, batch_size=args.batch_size, seed=args.seed,
                 device=args.device, data_root=args.data_root, progress=len(archs) > 1)
    data = [r.as_dict() for r in rows]
    if args.format == "json":
        print_json(data)
    else:
        print_table(data, ["arch", "proxy", "score", "time_s"])
    return 0
