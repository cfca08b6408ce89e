"""``naslib-swap search``: run a registered search method and report the final architecture with its ground truth."""
from __future__ import annotations

import argparse
from typing import Any

from ..errors import NaslibSwapError
from ..grammar import parse_assignments
from ..modelstats import model_stats
from ..protocols import get_protocol
from ..registry import get_search, get_space
from ..rng import make_generator
from ..search.fanout import BACKENDS, Fanout
from ..spaces.table_view import restrict, table_rank
from ._common import add_protocol, print_json, print_table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="run a search (swap-nas, teg-evolution, zc-pt, libra-nas, ...)")
    p.add_argument("--space", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--method", required=True, help="a registered search method (see `naslib-swap list`)")
    p.add_argument("--restrict", default=None, metavar="table",
                   help="table: search only the archs of the space's own ground-truth table (the AutoFormer spaces' "
                        "1,001 subnets), so the found arch's accuracy and its rank in the table are known")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget", type=int, default=None, help="cap on architectures/perturbations scored (quick runs)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="method option, repeatable (values are Python literals)")
    p.add_argument("--data-root", default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--format", choices=("table", "json"), default="table")
    add_protocol(p)
    g = p.add_argument_group("scoring backend (docs/scale.md, 'Searches')")
    g.add_argument("--workers", type=int, default=None,
                   help="local processes that score the search's batches (default 1: this process)")
    g.add_argument("--backend", choices=BACKENDS, default=None,
                   help="local processes (default) or a Ray cluster (pip install 'naslib-swap[ray]')")
    g.add_argument("--address", default=None, help="Ray: auto or HOST:PORT of the head (default: start Ray here)")
    g.add_argument("--cpus-per-task", type=float, default=None, help="Ray: CPUs (torch threads) per evaluation")
    g.add_argument("--gpus-per-task", type=float, default=None,
                   help="Ray: GPUs per evaluation; fractions share a device (needs --device cuda)")
    p.set_defaults(func=run)


def _fanout(args: argparse.Namespace, method: Any) -> dict[str, Any]:
    """``{"backend": Fanout}`` from the flags, checked before the search starts; {} when none was given."""
    flags = (args.backend, args.workers, args.address, args.cpus_per_task, args.gpus_per_task)
    if all(f is None for f in flags):
        return {}
    if "backend" not in method.options:
        raise NaslibSwapError(f"search '{args.method}' scores in this process only; drop --backend, --workers, "
                              f"--address, --cpus-per-task and --gpus-per-task", param="backend")
    return {"backend": Fanout.make(args.backend, args.workers, args.address, args.cpus_per_task,
                                   args.gpus_per_task, device=args.device)}


def run(args: argparse.Namespace) -> int:
    space = get_space(args.space)
    space.check_dataset(args.dataset)
    space = restrict(space, args.dataset, args.restrict, data_root=args.data_root)
    method = get_search(args.method)
    protocol = get_protocol(args.protocol)
    options = {**protocol.search_defaults(args.method), **parse_assignments(args.option), **_fanout(args, method)}
    res = method(space, args.dataset, seed=args.seed, budget=args.budget, device=args.device,
                 data_root=args.data_root, progress=not args.no_progress, **options)
    out: dict[str, Any] = {"method": args.method, "protocol": protocol.name, "space": space.name,
                           "dataset": args.dataset, "seed": args.seed,
                           "arch": space.key(res.arch), "arch_str": space.to_string(res.arch)}
    for metric, field in (("val", "val_acc"), ("test", "test_acc")):
        try:
            truth = space.ground_truth(args.dataset, data_root=args.data_root, metric=metric)
        except (NotImplementedError, ValueError, KeyError):
            out[field] = None
            continue
        out[field] = truth.get(out["arch"])
        if args.restrict is not None and metric == "val":  # a table search: where its answer stands in the table
            out["table_rank"], out["table_size"] = table_rank(truth, out["arch"]), len(truth)
    net = space.build(res.arch, args.dataset, generator=make_generator(0))
    out["params"] = model_stats(net, space.stats_input_shape(args.dataset)).params_m
    out["search_time_s"] = res.search_time_s
    out["n_scored"] = res.n_scored
    out["budget"] = None if args.budget is None else f"{args.budget} {method.budget_unit}"
    out["truncated"] = res.truncated  # the budget stopped it before its own end
    out.update({k: v for k, v in res.extra.items() if k not in out})
    if args.format == "json":
        print_json(out)
    else:
        print_table([{"key": k, "value": v} for k, v in out.items()], ["key", "value"])
    return 0
