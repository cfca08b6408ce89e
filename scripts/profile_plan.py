"""Where the planned time of one NB201 arch goes: CPU seconds per step of the plan and per phase of the shared pass.

Usage:
    OMP_NUM_THREADS=1 nice -n 10 python scripts/profile_plan.py [--archs 5] [--batch-size 64] [--out prof.json]

For each of ``--archs`` random NB201 archs (the same seeded draw as ``scripts/bench_proxies.py``), all the proxies
of the benchmark are planned (``naslib_swap.proxies.planner.plan``) and each step is timed in this process's CPU
seconds (``time.process_time``). The shared step is split into its copy of the net, its forward, the loss backward,
the summed-output backward and each tap's ``finish`` (``run_pass(..., timings=...)``); GraSP's finish (its
Hessian-vector product) and L-SWAG's (its per-sample gradients) are the big ones. The scores are those of
``run_step`` (checked). Prints mean CPU seconds per arch and writes them to ``--out`` (JSON).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

from naslib_swap.proxies.passes import run_pass
from naslib_swap.proxies.planner import plan, run_step
from naslib_swap.rng import make_generator
from naslib_swap.scoring import ArchScorer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_proxies import OURS, SUITE_LIVE  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--proxies", default=",".join(OURS + SUITE_LIVE))
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    labels = [p for p in args.proxies.split(",") if p]
    scorer = ArchScorer("nasbench201", args.dataset, labels, batch_size=args.batch_size, seed=args.seed)
    calls = scorer.leaf_jobs()
    g = make_generator(args.seed)
    archs = [scorer.space.key(scorer.space.sample(g)) for _ in range(args.archs)]
    load = [os.getloadavg()]
    rows: list[dict[str, float]] = []
    for arch in archs:
        inputs = scorer.arch_inputs(arch)
        batch = inputs.batch(args.batch_size)
        inputs.ctx.cache.clear()
        row: dict[str, float] = {}
        t_arch = time.process_time()
        for step in plan(calls, inputs.ctx, scorer.batch_size_for):
            names = "+".join(calls[i].label for i in step.jobs)
            if not step.shared:
                t0 = time.process_time()
                run_step(step, calls, inputs.net, batch, inputs.context)
                row[f"alone|{names}"] = time.process_time() - t0
                continue
            t0 = time.process_time()
            model = copy.deepcopy(inputs.net)
            model.train(step.bn_mode == "train")
            row["shared|copy"] = time.process_time() - t0
            timings: dict[str, float] = {}
            run_pass(model, batch, step.taps, timings)
            for k, v in timings.items():
                row[f"shared|{k}"] = v
            del model
        row["total"] = time.process_time() - t_arch
        rows.append(row)
        print(f"{arch}: {row['total']:.2f} cpu-s", file=sys.stderr)
    load.append(os.getloadavg())
    keys = sorted({k for r in rows for k in r}, key=lambda k: -statistics.mean(r.get(k, 0.0) for r in rows))
    mean = {k: statistics.mean(r.get(k, 0.0) for r in rows) for k in keys}
    for k in keys:
        print(f"  {k:60s} {mean[k]:7.3f}")
    print(f"load average before {load[0]}, after {load[1]}")
    if args.out:
        out: dict[str, Any] = {"archs": archs, "batch_size": args.batch_size, "torch": torch.__version__,
                               "loadavg": load, "mean_cpu_s": mean, "rows": rows}
        Path(args.out).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
