"""Per-arch cost of one suite unit (swap + reg_swap) on each of the 19 suite tasks, and the projection of the full
table (5 seeds x 1000 archs) to 1, 8 and 64 nodes.

    OMP_NUM_THREADS=1 nice -n 10 python scripts/bench_task_costs.py [--archs 2] [--cpu-budget 1200] [--json FILE]

A unit is what ``correlate`` computes: one arch of NASLib's draw of seed 9000 scored with the task's suite-config
proxies, swap and reg_swap, at the suite's batch (reg_swap reuses SWAP's count; TransNAS's ``mu=auto`` prior is
replaced by a fixed one, see :func:`unit_proxies`), one torch thread. Each task's data and first net are loaded before
the clock starts (a run loads them once, not per arch). Rounds go over all tasks (round 1: the first arch of every
task, round 2: the second, ...) until ``--archs`` rounds or ``--cpu-budget`` CPU-seconds, so a budget cut leaves every
task measured. The cost is the process's CPU time per arch (what the projection counts: the machine is shared, and CPU
time hardly moves with the load), with wall time and the load average beside it. Units = distinct archs of NASLib's 5
draws of 1000 (seeds 9000-9004); CPU-h = cost x units; wall on N nodes of ``--cores`` cores = CPU-h / (N x cores x
efficiency), at ``--efficiency`` (the quiet Ray figure of docs/results.md, 0.86) and at 1.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_scale import SEEDS, TASKS  # noqa: E402

from naslib_swap.registry import get_space  # noqa: E402
from naslib_swap.scoring import ArchScorer  # noqa: E402
from naslib_swap.suite.sampler import sample_archs, suite_keys  # noqa: E402


def unit_proxies(space_name: str, dataset: str) -> list[str]:
    """The task's proxies from its suite config; a ``mu=auto`` prior (TransNAS) becomes a fixed one: the auto prior
    is computed once per task (1000 nets built on the meta device, cached on disk), not per arch, and an arch's
    reg_swap does the same work whatever mu and sigma are."""
    import yaml

    cfg = yaml.safe_load((ROOT / "configs" / "suite_zero" / f"{space_name}_{dataset}.yaml").read_text())
    return [str(p).replace("mu=auto,sigma=auto", "mu=1.0,sigma=1.0") for p in cfg["proxies"]]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", type=int, default=2, help="archs timed per task (rounds)")
    ap.add_argument("--cpu-budget", type=float, default=1200.0, help="CPU-seconds after which no new round starts "
                    "and a round stops")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--efficiency", type=float, default=0.86)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cpu0 = time.process_time()
    print(f"load average at start: {load()}; torch threads 1", flush=True)
    tasks: dict[str, dict[str, Any]] = {}
    for space_name, dataset in TASKS:  # set-up: draws, unit counts, data and a first net (not timed)
        space = get_space(space_name)
        keys = suite_keys(space, dataset, None, "suite")
        units = sum(len(set(sample_archs(keys, 1000, s, False, space=space))) for s in SEEDS)
        archs = list(dict.fromkeys(sample_archs(keys, 1000, 9000, False, space=space)))[:args.archs]
        scorer = ArchScorer(space, dataset, unit_proxies(space_name, dataset), seed=9000)
        scorer.arch_inputs(archs[0])
        tasks[f"{space_name}/{dataset}"] = {"scorer": scorer, "archs": archs, "units": units, "cpu": [], "wall": [],
                                            "load": []}
    print(f"set-up: {time.process_time() - cpu0:.0f} CPU-s", flush=True)
    for r in range(args.archs):
        for name, t in tasks.items():
            if time.process_time() - cpu0 > args.cpu_budget or r >= len(t["archs"]):
                continue
            before = load()
            c, w = time.process_time(), time.perf_counter()
            t["scorer"].score_arch(t["archs"][r])
            t["cpu"].append(time.process_time() - c)
            t["wall"].append(time.perf_counter() - w)
            t["load"].append(before)
            print(f"round {r + 1} {name}: {t['cpu'][-1]:.2f} CPU-s, {t['wall'][-1]:.2f} s wall (load {before})",
                  flush=True)
    rows = {}
    for name, t in tasks.items():
        if not t["cpu"]:
            continue
        cpu = statistics.mean(t["cpu"])
        rows[name] = {"cpu_s_per_arch": cpu, "wall_s_per_arch": statistics.mean(t["wall"]), "archs": len(t["cpu"]),
                      "units": t["units"], "cpu_h": cpu * t["units"] / 3600, "load": t["load"]}
    print(f"\n{'task':45s} {'CPU-s/arch':>10s} {'wall s':>7s} {'archs':>5s} {'units':>6s} {'CPU-h':>6s}")
    for name, r in rows.items():
        print(f"{name:45s} {r['cpu_s_per_arch']:10.2f} {r['wall_s_per_arch']:7.2f} {r['archs']:5d} {r['units']:6d} "
              f"{r['cpu_h']:6.1f}")
    total = sum(r["cpu_h"] for r in rows.values())
    proj = {}
    for eff in (args.efficiency, 1.0):
        proj[str(eff)] = {str(n): total / (n * args.cores * eff) for n in (1, 8, 64)}
        walls = " / ".join(f"{h:.1f} h" for h in proj[str(eff)].values())
        print(f"19-task table ({len(rows)} tasks measured): {total:.1f} CPU-h; wall on 1 / 8 / 64 nodes of "
              f"{args.cores} cores at efficiency {eff:.2f}: {walls}")
    print(f"CPU used by this script: {time.process_time() - cpu0:.0f} s; load average at end: {load()}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"tasks": rows, "cpu_h": total, "wall_h": proj,
                                               "cpu_s_used": time.process_time() - cpu0}, indent=2))


if __name__ == "__main__":
    main()
