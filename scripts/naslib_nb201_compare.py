"""NB201: NASLib's graph vs our network -- parameter counts and SWAP ranking agreement (needs a NASLib checkout).

For N architectures of the suite preview file (cifar10), builds NASLib's ``NasBench201SearchSpace`` graph and our
network, compares parameter counts, scores both with SWAP on the same real CIFAR-10 batch (NASLib's graph through
NASLib's own ``ZeroCost(method_type="swap").query``; ours through ``compute_proxy``) and reports Spearman rho between
the two score vectors and of each with the suite's val accuracy. Also writes a merged ``zc_nasbench201.json`` (the
preview entries of those archs plus our ``swap`` score) that NASLib's zc api reads, for the worked runner example.

Usage:
    PYTHONPATH=/path/to/NASLib python scripts/naslib_nb201_compare.py --n 30 --batch-size 32 \
        --out-json /tmp/zc_export/zc_nasbench201.json --out results.json
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from scipy import stats
from tqdm import tqdm

# naslib_swap.integrations.naslib first: it adds the ``collections`` aliases that ``import naslib.predictors`` needs
import naslib_swap.integrations.naslib as nl

# isort: split
from naslib.predictors import ZeroCost
from naslib.search_spaces import NasBench201SearchSpace

from naslib_swap.data.groundtruth import preview_zc
from naslib_swap.modelstats import count_parameters
from naslib_swap.proxies.base import ProxyContext, compute_proxy
from naslib_swap.registry import get_space
from naslib_swap.rng import make_generator


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    ap.add_argument("--out-json", default=None)
    args = ap.parse_args()

    nl.install(seed=args.seed)
    space = get_space("nasbench201")
    zc = preview_zc("nasbench201")["cifar10"]
    keys = sorted(zc)
    g = make_generator(args.seed)
    picks = [keys[i] for i in torch.randperm(len(keys), generator=g)[: args.n].tolist()]
    batch = space.make_batch("cifar10", args.batch_size, make_generator(args.seed + 1))
    loader = [(batch.inputs, batch.targets)]
    rows = []
    for key in tqdm(picks, desc="archs"):
        arch = space.parse(key)
        torch.manual_seed(args.seed)  # NASLib initialises its graph from the global RNG
        graph = NasBench201SearchSpace(n_classes=10)
        graph.set_spec(tuple(arch))
        graph.parse()
        ours = space.build(arch, "cifar10", generator=make_generator(args.seed))
        t0 = time.time()
        s_naslib = ZeroCost(method_type="swap").query(graph, dataloader=loader)
        t1 = time.time()
        s_ours = compute_proxy("swap", ours, batch, ProxyContext(generator=make_generator(args.seed)))
        t2 = time.time()
        rows.append({"arch": key, "params_naslib": count_parameters(graph), "params_ours": count_parameters(ours),
                     "params_suite": zc[key]["params"]["score"], "swap_naslib_graph": s_naslib, "swap_ours": s_ours,
                     "time_naslib": t1 - t0, "time_ours": t2 - t1, "val_accuracy": zc[key]["val_accuracy"]})
    a = [r["swap_naslib_graph"] for r in rows]
    b = [r["swap_ours"] for r in rows]
    v = [r["val_accuracy"] for r in rows]
    summary = {
        "n": len(rows), "batch_size": args.batch_size, "batch_source": batch.source,
        "params_equal": sum(r["params_naslib"] == r["params_ours"] for r in rows),
        "params_match_suite": sum(abs(r["params_ours"] / 1e6 - r["params_suite"]) < 1e-6 for r in rows),
        "spearman_naslib_vs_ours": float(stats.spearmanr(a, b).statistic),
        "spearman_naslib_vs_val": float(stats.spearmanr(a, v).statistic),
        "spearman_ours_vs_val": float(stats.spearmanr(b, v).statistic),
        "mean_time_naslib_s": sum(r["time_naslib"] for r in rows) / len(rows),
        "mean_time_ours_s": sum(r["time_ours"] for r in rows) / len(rows),
    }
    print(json.dumps(summary, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    if args.out_json:
        merged = {"cifar10": {}}
        for r in rows:
            entry = dict(zc[r["arch"]])
            entry["swap"] = {"score": r["swap_ours"], "time": r["time_ours"]}
            merged["cifar10"][r["arch"]] = entry
        Path(args.out_json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out_json).write_text(json.dumps(merged))


if __name__ == "__main__":
    main()
