"""Scale-out benchmark: one process vs 2 local workers vs Ray on 2 CPUs, Ray's per-task overhead, and a projection of
the full 19-task suite table from per-arch costs measured here.

    python scripts/bench_scale.py [--archs 200] [--cost-archs 1] [--out /tmp/bench_scale] [--json FILE]

1. NB201 cifar10, NASLib's draw of ``--archs`` archs of seed 9000, proxies swap + reg_swap (the suite protocol):
   wall time of ``correlate`` serial, with ``workers=2`` and with ``backend=ray`` on a local Ray of 2 CPUs (Ray's
   start is timed apart), each into a fresh store; the three stores must hold the same scores. Parallel efficiency
   = t1 / (2 x t2).
2. Ray's per-task overhead: a unit that does nothing, through the same engine (``RayEngine``): one at a time (round
   trip) and 400 pipelined on the 2 CPUs (throughput), against the mean serial time of one NB201 unit.
3. Per-arch cost of every suite task (NB101, NB201 x 3, NB301, TransNAS micro x 7, macro x 7): ``--cost-archs``
   archs of seed 9000 scored with swap, one torch thread (reg_swap reuses SWAP's count: its extra cost is a parameter
   count), times the distinct archs of NASLib's 5 draws of 1000 archs (seeds 9000-9004): CPU-hours of the table, and
   wall time on 1, 8 and 64 nodes of this machine's kind (2 cores) at the Ray efficiency measured in 1.

The machine is shared: ``uptime``'s load average is printed beside every timing.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from naslib_swap.registry import get_space  # noqa: E402
from naslib_swap.scoring import ArchScorer  # noqa: E402
from naslib_swap.suite.backends import RayEngine  # noqa: E402
from naslib_swap.suite.config import resolve  # noqa: E402
from naslib_swap.suite.runner import run_correlation  # noqa: E402
from naslib_swap.suite.sampler import sample_archs, suite_keys  # noqa: E402

TASKS = ([("nasbench101", "cifar10")] + [("nasbench201", d) for d in ("cifar10", "cifar100", "ImageNet16-120")] +
         [("nasbench301", "cifar10")] +
         [(f"transbench101_{k}", t) for k in ("micro", "macro") for t in
          ("class_scene", "class_object", "jigsaw", "room_layout", "segmentsemantic", "normal", "autoencoder")])
SEEDS = [9000, 9001, 9002, 9003, 9004]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def scores(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT seed, arch, proxy, score, nan_flag FROM scores ORDER BY seed, arch, proxy"
                           ).fetchall()


def scaling(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    import ray

    flags = dict(space="nasbench201", dataset="cifar10", proxies=["swap", "reg_swap"], seeds=[9000],
                 archs=args.archs, baselines=False, truth_metrics=["val"])
    res: dict[str, Any] = {"archs": args.archs}
    runs = [("serial", {}), ("workers2", {"workers": 2}), ("ray2", {"backend": "ray"})]
    for name, extra in runs:
        db = out / f"{name}.sqlite"
        if name == "ray2":
            t0 = time.perf_counter()
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
            res["ray_start_s"] = time.perf_counter() - t0
        before = load()
        t0 = time.perf_counter()
        summary = run_correlation(resolve(flags={**flags, **extra}), db, progress=False)
        wall = time.perf_counter() - t0
        res[name] = {"wall_s": wall, "units": summary["units_run"], "load_before": before, "load_after": load()}
        print(f"{name}: {summary['units_run']} units in {wall:.1f} s (load {before} -> {load()})", flush=True)
    ref = scores(out / "serial.sqlite")
    res["identical"] = {n: scores(out / f"{n}.sqlite") == ref for n in ("workers2", "ray2")}
    with sqlite3.connect(out / "serial.sqlite") as con:
        unit_s = [r[0] for r in con.execute("SELECT SUM(seconds) FROM scores GROUP BY seed, arch")]
    res["unit_s_mean"] = statistics.mean(unit_s)
    t1 = res["serial"]["wall_s"]
    for n in ("workers2", "ray2"):
        res[n]["efficiency"] = t1 / (2 * res[n]["wall_s"])
    res["overhead"] = overhead(ray, res["unit_s_mean"])
    ray.shutdown()
    return res


def _noop_init(cfg: dict[str, Any], leaf: list[str]) -> None:
    pass


def _noop(unit: tuple) -> tuple:
    return unit[0], unit[1], [], "", None


def overhead(ray: Any, unit_s: float) -> dict[str, float]:
    cfg = resolve(flags=dict(space="nasbench201", dataset="cifar10", backend="ray"))
    with RayEngine(cfg, [], work=_noop, init=_noop_init) as eng:
        for i in range(4):  # workers started and set up
            eng.submit((0, f"w{i}", ()))
        while eng.units:
            eng.wait()
        t0 = time.perf_counter()
        n = 100
        for i in range(n):
            eng.submit((0, f"a{i}", ()))
            eng.wait()
        rtt = (time.perf_counter() - t0) / n
        m = 400
        t0 = time.perf_counter()
        for i in range(m):
            eng.submit((0, f"b{i}", ()))
        got = 0
        while got < m:
            got += len(eng.wait())
        thr = (time.perf_counter() - t0) / m
    out = {"round_trip_ms": rtt * 1e3, "pipelined_ms": thr * 1e3, "unit_s": unit_s,
           "round_trip_pct_of_unit": 100 * rtt / unit_s, "pipelined_pct_of_unit": 100 * thr / unit_s}
    print(f"ray per-task overhead: {rtt * 1e3:.1f} ms round trip, {thr * 1e3:.2f} ms per task pipelined; one NB201 "
          f"unit (swap+reg_swap) {unit_s:.3f} s serial -> {out['round_trip_pct_of_unit']:.1f}% / "
          f"{out['pipelined_pct_of_unit']:.2f}% (load {load()})", flush=True)
    return out


def costs(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)
    rows = {}
    for space_name, dataset in TASKS:
        space = get_space(space_name)
        keys = suite_keys(space, dataset, None, "suite")
        distinct = sum(len(set(sample_archs(keys, 1000, s, False, space=space))) for s in SEEDS)
        archs = list(dict.fromkeys(sample_archs(keys, 1000, 9000, False, space=space)))[:args.cost_archs]
        scorer = ArchScorer(space, dataset, ["swap"], seed=9000)
        before = load()
        t0 = time.perf_counter()
        for a in archs:
            scorer.score_arch(a)
        per = (time.perf_counter() - t0) / len(archs)
        rows[f"{space_name}/{dataset}"] = {"s_per_arch": per, "units": distinct, "cpu_h": per * distinct / 3600,
                                           "load": before}
        print(f"{space_name}/{dataset}: {per:.2f} s/arch ({len(archs)} archs, load {before}), {distinct} distinct "
              f"units over seeds 9000-9004 -> {per * distinct / 3600:.1f} CPU-h", flush=True)
    return rows


def projection(rows: dict[str, Any], eff: float, cores: int = 2) -> dict[str, float]:
    total = sum(r["cpu_h"] for r in rows.values())
    eff = min(eff, 1.0)
    wall = {str(nodes): total / (nodes * cores * eff) for nodes in (1, 8, 64)}
    print(f"19-task table: {total:.1f} CPU-h; wall on 1 / 8 / 64 nodes of {cores} cores at efficiency {eff:.2f}: "
          + " / ".join(f"{h:.1f} h" for h in wall.values()), flush=True)
    return {"cpu_h": total, "efficiency": eff, "cores_per_node": cores, "wall_h": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", type=int, default=200)
    ap.add_argument("--cost-archs", type=int, default=1, help="archs timed per task for the projection (0: skip)")
    ap.add_argument("--out", default="/tmp/bench_scale")
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for p in out.glob("*.sqlite*"):
        p.unlink()
    print(f"load average at start: {load()} (1, 5, 15 min); {os.cpu_count()} CPUs", flush=True)
    res: dict[str, Any] = {"scaling": scaling(args, out)}
    sc = res["scaling"]
    print(f"efficiency t1/(2 t2): workers=2 {sc['workers2']['efficiency']:.2f}, ray 2 CPUs "
          f"{sc['ray2']['efficiency']:.2f}; identical scores: {sc['identical']}", flush=True)
    if args.cost_archs:
        res["costs"] = costs(args)
        res["projection"] = projection(res["costs"], sc["ray2"]["efficiency"])
    res["load_end"] = load()
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
