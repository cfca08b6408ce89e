"""LIBRA's held-out Spearman on every suite task, as one markdown table (the table in docs/results/lswag_libra.md).

For each task of ``configs/suite_zero/`` (or ``--task space/dataset``), the pool is the suite's 13 baselines
(``suite_table``), or, with ``--db FILE`` and where that store holds scores for the task, our proxies in the store
joined with the suite's baselines of the same archs (``store_table``). LIBRA is fitted on the ``--fit-seed`` sample
and evaluated on samples of the archs outside it (``naslib_swap.ensemble.libra.libra_protocol``).

Usage:
    python scripts/libra_table.py                                     # suite baselines, all 19 tasks
    python scripts/libra_table.py --db runs/suite_nb201.sqlite --task nasbench201/cifar10 --json out.json
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from naslib_swap.ensemble.libra import TARGET, default_tolerance, libra_protocol, store_table, suite_table
from naslib_swap.grammar import parse_range
from naslib_swap.suite.store import load_scores

ROOT = Path(__file__).resolve().parents[1]
# paper LIBRA / AZ-NAS (L-SWAG paper, Table 1)
PAPER = {
    ("nasbench201", "cifar10"): (.89, .91), ("nasbench201", "cifar100"): (.90, .90),
    ("nasbench201", "ImageNet16-120"): (.87, .89), ("nasbench101", "cifar10"): (.77, .54),
    ("nasbench301", "cifar10"): (.74, .70),
    **{("transbench101_micro", t): v for t, v in zip(
        ["autoencoder", "room_layout", "class_object", "class_scene", "jigsaw", "normal", "segmentsemantic"],
        [(.45, .31), (.57, .53), (.61, .58), (.79, .79), (.60, .41), (.76, .60), (.87, .72)])},
    **{("transbench101_macro", t): v for t, v in zip(
        ["autoencoder", "room_layout", "class_object", "class_scene", "jigsaw", "normal", "segmentsemantic"],
        [(.83, .52), (.64, .65), (.92, .90), (.91, .82), (.82, .77), (.85, .85), (.83, .77)])},
}


def tasks_from_configs() -> list[tuple[str, str]]:
    out = []
    for f in sorted((ROOT / "configs" / "suite_zero").glob("*.yaml")):
        c = yaml.safe_load(f.read_text())
        out.append((c["space"], str(c["dataset"])))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None, help="results store: pool our proxies there with the suite's baselines")
    ap.add_argument("--task", action="append", default=None, help="space/dataset (repeatable; default: every config)")
    ap.add_argument("--fit-seed", type=int, default=9000)
    ap.add_argument("--eval-seeds", default="9001-9004", help="e.g. 9001-9004 or 9001,9002")
    ap.add_argument("--archs", type=int, default=1000)
    ap.add_argument("--exclude", default="", help="comma-separated proxies left out of the pool")
    ap.add_argument("--json", default=None, help="write every task's full result here")
    args = ap.parse_args(argv)

    tasks = [tuple(t.split("/", 1)) for t in args.task] if args.task else tasks_from_configs()
    evals = parse_range(args.eval_seeds)
    exclude = {p for p in args.exclude.split(",") if p}
    results = []
    print("| space / task | pool | archs | fit / eval | LIBRA chose (z1, z2, z3) | held-out rank_sum "
          "| held-out rank_product | held-out z1 alone | same-sample rank_sum | paper LIBRA | paper AZ-NAS |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for space, dataset in tasks:
        use_db = bool(args.db) and not load_scores(args.db, space, dataset).empty
        table = store_table(args.db, space, dataset) if use_db else suite_table(space, dataset)
        pool = [c for c in table.columns if c != TARGET and c not in exclude]
        res = libra_protocol(table, pool, n=args.archs, fit_seed=args.fit_seed, eval_seeds=evals,
                             tolerance=default_tolerance(space, dataset))
        res.update(space=space, dataset=dataset, source=args.db if use_db else "suite baselines")
        results.append(res)
        h = res["held_out"]
        paper = PAPER.get((space, dataset), (float("nan"), float("nan")))
        pool_txt = ("store + suite" if use_db else "suite 13") + (f" minus {len(exclude)}" if exclude else "")
        print(f"| {space} {dataset} | {pool_txt} | {res['n_table']} | {res['n_fit']} / {res['n_eval']} "
              f"| {', '.join(res['chosen'])} | {h['libra[rank_sum]']['mean']:.3f} ± {h['libra[rank_sum]']['std']:.3f} "
              f"| {h['libra[rank_product]']['mean']:.3f} | {h['z1 alone']['mean']:.3f} "
              f"| {res['same_sample']['libra[rank_sum]']:.3f} | {paper[0]:.2f} | {paper[1]:.2f} |", flush=True)
        for note in res["notes"]:
            print(f"<!-- {space}/{dataset}: {note} -->", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
