"""``naslib-swap correlate``: the NAS-Bench-Suite-Zero correlation protocol, live, resumable."""
from __future__ import annotations

import argparse
import math
from typing import Any

from ..grammar import parse_range
from ..suite.config import resolve
from ._common import add_protocol, add_scale_flags, print_json, print_table, scale_flags


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "correlate", help="suite-zero correlation of proxies with accuracy (resumable SQLite store)",
        description="Sample archs as NASLib's zero-cost evaluator does, score each with one seeded minibatch, store "
                    "every score in SQLite (re-running resumes), and print Spearman/Kendall per seed and mean.",
    )
    p.add_argument("--space", default=None, help="nasbench201, ... (NASLib names)")
    p.add_argument("--dataset", default=None, help="cifar10, cifar100, ImageNet16-120, or a TransNAS task")
    p.add_argument("--proxies", default=None,
                   help="comma-separated proxies, options in brackets (default swap,reg_swap)")
    p.add_argument("--seeds", default=None, help="e.g. 9000-9004 (default) or 9000,9002")
    p.add_argument("--archs", type=int, default=None, help="archs drawn per seed (default 1000)")
    p.add_argument("--db", required=True, help="SQLite results file (created or resumed)")
    p.add_argument("--baselines", nargs="?", const="files", default=None, metavar="{files,live,both}",
                   help="also show the suite's 13 proxies for the same archs: files (the bare flag) reads the suite's "
                        "own scores, live scores them with the package into the store, both does both")
    p.add_argument("--unique", action="store_true", default=None, help="draw without replacement")
    p.add_argument("--workers", type=int, default=None, help="local processes (default 1)")
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads per worker (default 1)")
    p.add_argument("--config", default=None, help="YAML config (configs/suite_zero/*.yaml)")
    p.add_argument("--batch-size", type=int, default=None, help="minibatch size (default: the proxy's, else 64)")
    p.add_argument("--data-root", default=None, help="shared data folder")
    p.add_argument("--device", default=None, help="cpu or cuda")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    add_scale_flags(p)
    add_protocol(p, default=None)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--estimate", action="store_true",
                   help="run nothing: show what the store holds for this run, what is left and the hours left on one "
                        "worker at the costs the store recorded")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. archs=200 threads=2")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..suite.runner import progress_of, run_correlation, summary_rows

    if args.baselines is not None and "=" in args.baselines:  # `--baselines archs=5`: the bare flag, an override
        args.overrides = [args.baselines, *args.overrides]
        args.baselines = "files"
    flags = {
        "space": args.space, "dataset": args.dataset, "proxies": args.proxies,
        "seeds": parse_range(args.seeds) if args.seeds else None, "archs": args.archs,
        "baselines": args.baselines, "unique": args.unique, "workers": args.workers,
        "threads": args.threads,
        "batch_size": args.batch_size, "data_root": args.data_root, "device": args.device,
        **scale_flags(args),
        "protocol": args.protocol,
    }
    cfg = resolve(args.config, flags, args.overrides)
    if args.estimate:
        return _print_progress(progress_of(cfg, args.db), args.db, args.format)
    summary = run_correlation(cfg, args.db, progress=not args.no_progress)
    if args.format == "json":
        print_json(_json(summary))
        return 0
    print(f"{summary['space']}/{summary['dataset']}: {summary['units_run']} distinct (seed, arch) units scored in "
          f"{summary['wall_s']:.1f} s (a draw with replacement repeats archs; metrics count the repeats, as the "
          f"suite); store {args.db}")
    if summary.get("failures"):
        print(f"  {summary['failures']} units failed (messages in the store's failures table; re-running retries "
              f"them)")
    for p, src in summary["sources"].items():
        print(f"  images for {p}: {src}")
    if summary["baseline_source"]:
        print(f"  baselines: {summary['baseline_source']}")
    for metric, src in summary["truth"].items():
        print(f"\nground truth '{metric}': {src}  (raw signed Spearman, NaN/inf scores -> -1e8 as the suite)")
        print_table(summary_rows(summary, metric),
                    ["proxy", "kind", "seeds", "n", "nan", "spearman", "kendall", "pearson", "s/arch"])
    return 0


def _print_progress(pr: dict[str, Any], db: str, fmt: str) -> int:
    if fmt == "json":
        print_json(pr)
        return 0
    print(f"{pr['space']}/{pr['dataset']}, seeds {','.join(map(str, pr['seeds']))}, store {db} (nothing run): "
          f"{pr['units']} distinct (seed, arch) units, {pr['done']} complete, {pr['left']} left")
    rows = [{"proxy": lab, "left": pr["evals_left"][lab], "measured": pr["measured"][lab],
             "s each": "-" if pr["seconds_each"][lab] is None else f"{pr['seconds_each'][lab]:.3f}"}
            for lab in pr["labels"]]
    print_table(rows, ["proxy", "left", "measured", "s each"])
    if pr["seconds_left"] is None:
        print("hours left: unknown while a proxy with work left has nothing measured in the store (run a few archs "
              "first, e.g. --archs 5, then ask again)")
    else:
        print(f"hours left on one worker: {pr['seconds_left'] / 3600:.2f} (wall hours at the recorded load; "
              f"--workers N divides it)")
    return 0


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _json(summary: dict[str, Any]) -> dict[str, Any]:
    """Per truth metric, per proxy: per seed and mean of spearman, kendall, n, nan_count (plus the rest)."""
    out: dict[str, Any] = {k: summary[k] for k in ("space", "dataset", "truth", "sources", "baseline_source",
                                                    "seconds_per_arch", "wall_s", "units_run", "failures")}
    out["results"] = {
        metric: {
            proxy: {
                "kind": r["kind"],
                "per_seed": {str(s): {k: _clean(v) for k, v in m.items()} for s, m in r["per_seed"].items()},
                "mean": {k: _clean(v) for k, v in r["mean"].items()},
            } for proxy, r in res.items()
        } for metric, res in summary["results"].items()
    }
    return out
