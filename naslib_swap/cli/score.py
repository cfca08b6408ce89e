"""``naslib-swap score``: score architectures of a space with proxies."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ArchFormatError, DataNotFoundError, NaslibSwapError
from ..registry import get_space
from ..scoring import score
from ._common import add_common, add_protocol, print_json, print_table


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
    p.add_argument("--threads", type=int, default=None,
                   help="torch intra-op threads for this process (default: torch's; 1 on a shared machine)")
    add_common(p)
    add_protocol(p)
    p.set_defaults(func=run)


def _file_archs(path: Path, space: str) -> list[str]:
    """The archs of a file, one per line (``#`` comments and blank lines skipped); a bad line is named."""
    if not path.is_file():
        raise DataNotFoundError(f"archs file {path} not found; pass a text file with one architecture per line")
    sp = get_space(space)
    out = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            sp.parse(text)
        except ArchFormatError as e:
            raise ArchFormatError(f"{path}, line {i}: {e}") from None
        out.append(text)
    return out


def run(args: argparse.Namespace) -> int:
    archs = list(args.arch)
    if args.archs_file:
        archs += _file_archs(Path(args.archs_file), args.space)
    if not archs:
        raise NaslibSwapError("no architecture given; pass --arch '(0, 2, 3, 2, 3, 1)' or --archs-file FILE")
    if args.threads is not None:
        if args.threads < 1:
            raise NaslibSwapError(f"--threads must be at least 1, got {args.threads}")
        import torch

        torch.set_num_threads(args.threads)
    rows = score(args.space, args.dataset, archs, args.proxies, batch_size=args.batch_size, seed=args.seed,
                 device=args.device, data_root=args.data_root, progress=len(archs) > 1, protocol=args.protocol)
    data = [r.as_dict() for r in rows]
    if args.format == "json":
        print_json(data)
    else:
        print_table(data, ["arch", "proxy", "score", "time_s"])
    return 0
