"""``naslib-swap libra``: fit LIBRA on one seed's sample of a benchmark and report its held-out Spearman.

Without ``--db`` the pool is the suite's 13 baselines from the shared files; with ``--db`` it is the proxies in the
suite runner's store (plus the baselines unless ``--no-baselines``). ``--pool`` restricts the candidates.

Example::

    naslib-swap libra --space nasbench201 --dataset cifar10 --fit-seed 9000 --eval-seeds 9001-9004 --format json
"""
from __future__ import annotations

import argparse
import textwrap
from typing import Any

from ..ensemble.libra import (
    COMBINE_METHODS,
    RULES,
    TARGET,
    default_tolerance,
    libra_protocol,
    store_table,
    suite_table,
)
from ..errors import NaslibSwapError
from ..grammar import parse_range, split_list
from ._common import print_json, print_table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("libra", help="LIBRA proxy ensemble: choose 3 proxies on a fit sample, report held-out Spearman")
    p.add_argument("--space", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--db", default=None, help="suite runner store (default: the suite's 13 baselines only)")
    p.add_argument("--no-baselines", action="store_true", help="with --db: leave the suite's baselines out of the pool")
    p.add_argument("--fit-seed", type=int, default=9000)
    p.add_argument("--eval-seeds", default="9001-9004", help="e.g. 9001-9004 (samples disjoint from the fit sample)")
    p.add_argument("--pool", default=None, help="comma-separated candidate proxies (default: every proxy in the table)")
    p.add_argument("--archs", type=int, default=1000, help="archs per sample (default 1000)")
    p.add_argument("--require", default=None,
                   help="comma-separated proxies: keep only the archs that have a score for each (to compare pools "
                        "on the same table, e.g. --require lswag,zico with and without them in --pool)")
    p.add_argument("--tolerance", type=float, default=None,
                   help="Spearman window below the best proxy "
                        "(default 0.1; 0.2 for micro autoencoder, macro room_layout)")
    p.add_argument("--combine", choices=COMBINE_METHODS, default="rank_sum")
    p.add_argument("--rule", choices=RULES, default="paper",
                   help="picks after z1: paper (the bias-matched third always kept), fit-check (the third kept "
                        "only if it raises the fit sample's Spearman), fit-check-all (the same test for z2, then z3) "
                        "or two (no third)")
    p.add_argument("--data-root", default=None)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.archs < 3:
        raise NaslibSwapError(f"--archs must be at least 3, got {args.archs}")
    eval_seeds = parse_range(args.eval_seeds)  # user strings first: a typo fails before any data is read
    pool_arg = split_list(args.pool) if args.pool else None
    if args.db:
        table = store_table(args.db, args.space, args.dataset, data_root=args.data_root,
                            baselines=not args.no_baselines)
    else:
        table = suite_table(args.space, args.dataset, args.data_root)
    if args.require:
        table = _require(table, split_list(args.require))
    pool = pool_arg or [c for c in table.columns if c != TARGET]
    tol = args.tolerance if args.tolerance is not None else default_tolerance(args.space, args.dataset)
    res: dict[str, Any] = {"space": args.space, "dataset": args.dataset, "source": args.db or "suite baselines",
                           "tolerance": tol, "combine": args.combine}
    res.update(libra_protocol(table, pool, n=args.archs, fit_seed=args.fit_seed,
                              eval_seeds=eval_seeds, tolerance=tol, combine_method=args.combine,
                              rule=args.rule))
    if args.format == "json":
        print_json(res)
        return 0
    print(f"{args.space}/{args.dataset}: LIBRA (rule {args.rule}) chose {', '.join(res['chosen'])} "
          f"(fit seed {args.fit_seed}, {res['n_fit']} archs; "
          f"eval {res['n_eval']} archs x {len(res['eval_seeds'])} seeds)")
    for note in res["notes"]:
        print(f"note: {note}")
    rows = [{"method": m, "held-out mean": v["mean"], "held-out std": "-" if v["std"] is None else v["std"],
             "same-sample (paper)": res["same_sample"][m]}
            for m, v in res["held_out"].items()]
    oracle = res["oracle_best_single"]
    if oracle:
        vals = [v["spearman"] for v in oracle.values()]
        rows.append({"method": "oracle best single (" + ", ".join(sorted({v["proxy"] for v in oracle.values()})) + ")",
                     "held-out mean": sum(vals) / len(vals), "held-out std": "-", "same-sample (paper)": "-"})
    print_table(rows, ["method", "held-out mean", "held-out std", "same-sample (paper)"], floatfmt="{:.3f}")
    print(textwrap.fill(
        "rows: libra[m] = the chosen proxies merged by m (rank_sum is the paper's implied merge; --combine sets the "
        "merge the fit-check rule compares); z1 alone = LIBRA's first pick by itself; z1+z2 rank_sum = its first "
        "two picks, without the bias-matched third (compare with libra[rank_sum] to see what the third pick adds); "
        "oracle best single = the pool's best proxy measured on each held-out sample itself (it peeks at the "
        "held-out labels: an upper reference, not a method). held-out: Spearman on samples of archs outside the fit "
        "sample; same-sample: on the fit sample (the paper's protocol).", width=118))
    return 0


def _require(table: Any, names: list[str]) -> Any:
    """The rows of ``table`` scored by every proxy of ``names`` (each must be a column); a failed score, kept as
    the worst (-inf), counts as scored: only archs never scored by one of them are dropped."""
    missing = [n for n in names if n not in table.columns]
    if missing:
        have = ", ".join(c for c in table.columns if c != TARGET)
        raise NaslibSwapError(f"--require names {', '.join(missing)}, not in this table; it has: {have}",
                              param="require")
    kept = table.dropna(subset=names)
    if len(kept) < 3:
        raise NaslibSwapError(f"only {len(kept)} archs have every score of --require {','.join(names)}; score more "
                              f"archs with those proxies first", param="require")
    return kept
