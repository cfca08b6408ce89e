"""Measure each registered proxy's typical cost per architecture on NB201 and store it for ``naslib-swap list``.

Every per-arch proxy is scored alone, at its defaults (its paper batch size, else the space's 64), on NB201 CIFAR-10
archs drawn with a fixed generator; a proxy stops after ``--archs`` archs or once ``--max-seconds`` CPU seconds were
spent on it (at least one arch), so expensive proxies (``teg_ntk`` at its defaults) are measured on fewer archs, and
say so. A population proxy's figure is the sum of its inputs' (that is what scoring it costs per arch).

The figure is the proxy's own compute (forward/backward passes, re-initialisations) as wall time and as process CPU
time (all threads); network construction and the minibatch are shared by all proxies of an arch and reported once.
Measure on a quiet machine: under load both figures inflate (OpenMP threads spin while they wait).
Output: ``naslib_swap/proxies/measured_costs.json`` (shipped with the package), with machine, load and command.

Usage:
    python scripts/measure_proxy_costs.py [--archs 3] [--max-seconds 60] [--only-missing] [--proxies a,b]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from naslib_swap.proxies.base import compute_proxy, parse_calls
from naslib_swap.proxies.costs import COSTS_FILE, SPACE_KEY
from naslib_swap.registry import PROXIES, get_space
from naslib_swap.rng import make_generator
from naslib_swap.scoring import ArchScorer


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", type=int, default=3)
    ap.add_argument("--max-seconds", type=float, default=60.0)
    ap.add_argument("--proxies", default=None, help="comma-separated (default: every registered per-arch proxy)")
    ap.add_argument("--only-missing", action="store_true", help="keep stored figures, measure the others")
    ap.add_argument("--out", default=str(COSTS_FILE))
    args = ap.parse_args()

    out = Path(args.out)
    stored = json.loads(out.read_text()) if out.exists() else {}
    entries: dict = dict(stored.get(SPACE_KEY, {}).get("proxies", {})) if args.only_missing else {}
    names = args.proxies.split(",") if args.proxies else PROXIES.names()
    per_arch = [n for n in names if not PROXIES.get(n).needs_population]
    space = get_space("nasbench201")
    gen = make_generator(0)
    archs = [space.sample(gen) for _ in range(args.archs)]

    build_s: list[float] = []
    for name in per_arch:
        if name in entries:
            continue
        scorer = ArchScorer(space, "cifar10", [name])
        job = scorer.jobs[0]
        wall, cpu = [], []
        for arch in archs:
            t0 = time.perf_counter()
            inputs = scorer.arch_inputs(arch)  # what score_arch gives the proxy: same seeds, net and batch
            batch = inputs.batch(scorer.batch_size_for(job))
            build_s.append(time.perf_counter() - t0)
            t0, c0 = time.perf_counter(), time.process_time()
            compute_proxy(job, inputs.net, batch, inputs.ctx)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)  # all threads of this process: robust to other load on the machine
            if sum(cpu) >= args.max_seconds:
                break
        entries[name] = {"seconds_per_arch": round(statistics.median(wall), 4),
                         "cpu_seconds_per_arch": round(statistics.median(cpu), 4), "archs": len(wall),
                         "batch_size": scorer.batch_size_for(scorer.jobs[0])}
        print(f"{name:>20s}  {entries[name]['cpu_seconds_per_arch']:9.3f} CPU-s/arch  "
              f"{entries[name]['seconds_per_arch']:9.3f} wall-s/arch  "
              f"({len(wall)} archs, batch {entries[name]['batch_size']})", flush=True)

    for name in names:
        spec = PROXIES.get(name)
        if not spec.needs_population:
            continue
        inputs = [c.label for c in parse_calls(list(spec.population_inputs))]
        if inputs and all(i in entries for i in inputs):
            entries[name] = {"seconds_per_arch": round(sum(entries[i]["seconds_per_arch"] for i in inputs), 4),
                             "cpu_seconds_per_arch": round(sum(entries[i]["cpu_seconds_per_arch"] for i in inputs), 4),
                             "archs": min(entries[i]["archs"] for i in inputs), "sum_of": inputs}
            print(f"{name:>20s}  {entries[name]['seconds_per_arch']:9.3f} s/arch  (sum of {', '.join(inputs)})")

    load = os.getloadavg()
    result = {
        SPACE_KEY: {
            "proxies": dict(sorted(entries.items())),
            "network_and_batch_seconds": round(statistics.median(build_s), 4) if build_s else None,
            "measured": {
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "machine": f"{os.cpu_count()} CPU cores ({platform.machine()}), torch {torch.__version__}, "
                           f"{torch.get_num_threads()} threads, no GPU",
                "load_average_1_5_15": [round(x, 2) for x in load],
                "command": "python " + " ".join([Path(sys.argv[0]).as_posix()] + sys.argv[1:]),
                "what": "median CPU seconds (all threads) and wall seconds of the proxy's own compute per arch at its "
                        "defaults (network build and "
                        "minibatch excluded, see network_and_batch_seconds), NB201 CIFAR-10 archs drawn with "
                        "generator seed 0",
            },
        }
    }
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out} (load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
