"""``naslib-swap`` command line. One module per command in this package; each defines ``add_parser(subparsers)``.

Errors caused by the user (:class:`~naslib_swap.errors.NaslibSwapError`) print as one line and exit with code 2.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pkgutil
import sys
from typing import NoReturn, Sequence

from .._version import __version__
from ..data.official import groundtruth_override
from ..errors import NaslibSwapError


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors on one line, like every other error of the command line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="naslib-swap",
        description="Training-free NAS proxies (SWAP, reg-SWAP, L-SWAG, LIBRA, TEG, Zero-Cost-PT) "
                    "on NASLib's benchmarks.",
    )
    parser.add_argument("--version", action="version", version=f"naslib-swap {__version__}")
    parser.add_argument("--groundtruth", default=None, metavar="FILE",
                        help="an official benchmark file (NAS-Bench-201 .pth, NATS-Bench topology .pbz2, "
                             "TransNAS-Bench-101 .pth) as the ground truth of every command (a trusted file: it is "
                             "unpickled)")
    parser.add_argument("--groundtruth-epochs", type=int, default=None, metavar="N",
                        help="read --groundtruth at N training epochs (NB201/NATS: 12 or 200, default 200)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with contextlib.ExitStack() as stack:
            if getattr(args, "groundtruth", None):
                stack.enter_context(groundtruth_override(args.groundtruth, args.groundtruth_epochs))
            rc = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
    except NaslibSwapError as e:
        print(f"naslib-swap: error: {e}{_flag_hint(parser, args, e)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader closed early (`naslib-swap list | head -1`): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("naslib-swap: interrupted (finished work is kept)", file=sys.stderr)
        return 130
    return int(rc or 0)


def _flag_hint(parser: argparse.ArgumentParser, args: argparse.Namespace, err: NaslibSwapError) -> str:
    """`` (--batch-size)`` when the error names a parameter that this command takes as a flag."""
    if not err.param:
        return ""
    sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    cmd = sub.choices.get(getattr(args, "command", "") or "") if sub is not None else None
    for action in (cmd._actions if cmd is not None else []):
        if action.dest == err.param and action.option_strings:
            return f" (flag {action.option_strings[-1]})"
    return ""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
