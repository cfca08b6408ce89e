"""LIBRA next to NASLib's XGBoost zero-cost ensemble, both through NASLib's unmodified ``ZCEnsembleEvaluator``.

Mirrors NASLib's ``runners/bbo/xgb_runner.py`` (zerocost) / ``runners/zc/bbo/xgb_runner.py`` (Develop): the search
space samples labelled archs without replacement from a zc file, ``utils.set_seed(seed)`` fixes the draw, so every
ensemble of one seed sees the same train and test archs. Needs NASLib on PYTHONPATH (docs/naslib.md):

    PYTHONPATH=/path/to/NASLib:. python scripts/naslib_libra_vs_xgb.py \\
        --zc-file ../shared/data/suite_zero_preview/zc_nasbench201.json --dataset cifar10 \\
        --train-sizes 20,100 --test-size 200 --seeds 0-4 --out libra_vs_xgb.json

Prints one row per (train size, ensemble): mean and std over seeds of NASLib's spearman and kendalltau.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import naslib_swap  # noqa: F401  # before NASLib (collections aliases on Develop)
import naslib_swap.integrations.naslib as nl
from naslib_swap.grammar import parse_range

ZC_NAMES = ["epe_nas", "fisher", "flops", "grad_norm", "grasp", "jacov", "l2_norm", "nwot", "params", "plain", "snip",
            "synflow", "zen"]


def run_one(kind: str, zc_api: dict[str, Any], space_name: str, dataset: str, n_train: int, n_test: int, seed: int,
            zc_names: list[str], save: Path) -> dict[str, Any]:
    from fvcore.common.config import CfgNode
    from naslib.evaluators.zc_ensemble_evaluator import ZCEnsembleEvaluator
    from naslib.predictors.ensemble import Ensemble
    from naslib.search_spaces import get_search_space
    from naslib.utils import set_seed  # zerocost re-exports it from utils.utils, Develop defines it there

    search_space = get_search_space(space_name, dataset)
    search_space.instantiate_model = False
    search_space.sample_without_replacement = True
    search_space.labeled_archs = [eval(arch) for arch in zc_api]
    set_seed(seed)
    config = CfgNode({"search_space": space_name, "dataset": dataset, "seed": seed, "save": str(save)})
    evaluator = ZCEnsembleEvaluator(n_train=n_train, n_test=n_test, zc_names=zc_names, zc_api=zc_api)
    evaluator.adapt_search_space(search_space, dataset, None, config)
    if kind == "libra":
        ensemble = nl.libra_ensemble_class()(num_ensemble=1, ss_type=search_space.get_type(), config=config)
    else:
        ensemble = Ensemble(num_ensemble=1, ss_type=search_space.get_type(), predictor_type="xgb", zc=True,
                            zc_only=(kind == "xgb_zc_only"), config=config)
    t0 = time.time()
    evaluator.evaluate(ensemble, None)
    _, scores = json.loads((save / "scores.json").read_text())
    scores["seconds"] = time.time() - t0
    if kind == "libra":
        scores["chosen"] = list(ensemble.ensemble[0].fit_result.chosen)
    return scores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zc-file", required=True,
                    help="a NASLib zc_<space>.json file, or the suite's CSV (nb201/suite_zero_<dataset>.csv: one "
                         "column per proxy, val_accuracy), read into NASLib's zc schema")
    ap.add_argument("--space", default="nasbench201")
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--train-sizes", default="20,100")
    ap.add_argument("--test-size", type=int, default=200)
    ap.add_argument("--seeds", default="0-4")
    ap.add_argument("--kinds", default="libra,xgb,xgb_zc_only")
    ap.add_argument("--out", default=None, help="write every run's scores here (JSON)")
    args = ap.parse_args()

    if args.zc_file.endswith(".csv"):
        import pandas as pd

        df = pd.read_csv(args.zc_file)
        names = [c for c in df.columns if c in ZC_NAMES]
        zc_api = {r["arch"]: {**{n: {"score": float(r[n])} for n in names}, "val_accuracy": float(r["val_accuracy"])}
                  for r in df.to_dict("records")}
    else:
        zc_api = json.loads(Path(args.zc_file).read_text())[args.dataset]
    first = next(iter(zc_api.values()))
    zc_names = [n for n in ZC_NAMES if n in first]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for n_train in [int(x) for x in args.train_sizes.split(",")]:
            for kind in args.kinds.split(","):
                for seed in parse_range(args.seeds):
                    s = run_one(kind, zc_api, args.space, args.dataset, n_train, args.test_size, seed, zc_names,
                                Path(tmp) / f"{kind}_{n_train}_{seed}")
                    runs.append({"kind": kind, "n_train": n_train, "seed": seed, **{
                        k: s[k] for k in ("spearman", "kendalltau", "pearson", "mae", "seconds") if k in s},
                        "chosen": s.get("chosen"), "zc_feature_importances": s.get("zc_feature_importances")})
    print(f"{args.space} {args.dataset}, {len(zc_api)} archs in {args.zc_file}, zc_names {','.join(zc_names)}, "
          f"test size {args.test_size}, seeds {args.seeds}, NASLib {nl.branch()}")
    print("| train | ensemble | spearman | kendalltau | s/run |\n|---|---|---|---|---|")
    for n_train in sorted({r["n_train"] for r in runs}):
        for kind in args.kinds.split(","):
            rs = [r for r in runs if r["kind"] == kind and r["n_train"] == n_train]
            sp, kt = [r["spearman"] for r in rs], [r["kendalltau"] for r in rs]
            print(f"| {n_train} | {kind} | {statistics.mean(sp):.3f} ± {statistics.pstdev(sp):.3f} | "
                  f"{statistics.mean(kt):.3f} ± {statistics.pstdev(kt):.3f} | "
                  f"{statistics.mean(r['seconds'] for r in rs):.2f} |")
    if args.out:
        Path(args.out).write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
