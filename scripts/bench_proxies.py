"""Cost of scoring NB201 archs with many proxies: each proxy alone, all of them planned together, and the floor.

Usage:
    OMP_NUM_THREADS=1 nice -n 10 python scripts/bench_proxies.py [--archs 50] [--batch-size 64] [--dataset cifar10]
        [--proxies swap,reg_swap,...] [--device cpu] [--out bench.json] [--resume]

For each of ``--archs`` random NB201 archs (seeded), on the arch's own minibatch (``ArchScorer.arch_inputs``, real
images from the shared data folder), back to back so that a change of machine load hits every phase alike:

* ``floor``: one bare forward (train-mode BN, no grad) and one forward + task-loss backward, of a copy of the net;
* ``alone``: each proxy by itself (``share=False``: its own passes, on its own copy of the net unless the proxy is
  read-only and borrows it; the arch's cache cleared before each, so reg_swap does not reuse SWAP's count, nor
  flops the params' stats);
* ``planned``: all proxies through the planner (``naslib_swap.proxies.planner``), which must give the same scores
  (checked, bit for bit; a mismatch is counted and printed).

Times are wall seconds and this process's CPU seconds (``time.process_time``: less sensitive to other jobs on a
shared machine). Peak memory per phase: CUDA ``torch.cuda.max_memory_allocated``; CPU the process's peak resident
set (``VmHWM`` of /proc/self/status, reset before each phase by writing 5 to /proc/self/clear_refs). Also compares
``torch.no_grad`` with ``torch.inference_mode`` for the forward-only passes (the SWAP/NWOT pass). Prints a summary
and writes everything to ``--out`` (JSON).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import torch

from naslib_swap.proxies import passes
from naslib_swap.proxies.planner import plan, run_step
from naslib_swap.rng import make_generator
from naslib_swap.scoring import ArchScorer

OURS = ["swap", "reg_swap", "nwot", "lswag", "zico"]
SUITE_LIVE = ["epe_nas", "fisher", "flops", "grad_norm", "grasp", "jacov", "l2_norm", "params", "plain", "snip",
              "synflow", "zen"]


class Peak:
    """Peak memory of a phase (MiB)."""

    def __init__(self, cuda: bool) -> None:
        self.cuda = cuda
        self.clear_refs = Path("/proc/self/clear_refs")
        self.resettable = self._reset_rss()
        self.kind = ("torch.cuda.max_memory_allocated" if cuda else
                     "peak RSS (VmHWM, reset per phase)" if self.resettable else "peak RSS since start (ru_maxrss)")

    def _reset_rss(self) -> bool:
        try:
            self.clear_refs.write_text("5")
            return True
        except OSError:
            return False

    def reset(self) -> None:
        if self.cuda:
            torch.cuda.reset_peak_memory_stats()
        elif self.resettable:
            self._reset_rss()

    def read(self) -> float:
        if self.cuda:
            return torch.cuda.max_memory_allocated() / 2**20
        if self.resettable:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any], sync: Callable[[], None]) -> tuple[Any, float, float]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    sync()
    return out, time.perf_counter() - w, time.process_time() - c


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--dataset", default="cifar10")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--proxies", default=",".join(OURS + SUITE_LIVE))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    ap.add_argument("--out", default=None, help="write the measurements to this JSON file")
    ap.add_argument("--resume", action="store_true",
                    help="keep the archs already measured in --out (same settings) and measure only the rest")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    labels = [p for p in args.proxies.split(",") if p]
    scorer = ArchScorer("nasbench201", args.dataset, labels, batch_size=args.batch_size, seed=args.seed,
                        device=args.device)
    calls = scorer.leaf_jobs()
    g = make_generator(args.seed)
    archs = [scorer.space.key(scorer.space.sample(g)) for _ in range(args.archs)]
    cuda = torch.device(args.device).type == "cuda"

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    peak = Peak(cuda)
    load_before = os.getloadavg()
    rows: list[dict[str, Any]] = []
    peaks = {"floor": 0.0, "alone": 0.0, "planned": 0.0}
    mismatches: list[str] = []
    source = ""
    if args.resume:
        rows, peaks, mismatches, source, load_before = resumed(args, archs, calls)
    done = {r["arch"] for r in rows}
    for k, arch in enumerate(archs):
        if arch in done:
            continue
        row, source = measure_arch(scorer, calls, arch, args.batch_size, peak, peaks, mismatches, sync)
        row["loadavg_1min"] = os.getloadavg()[0]  # the machine's load while this arch ran (a shared machine)
        rows.append(row)
        print(f"[{k + 1}/{len(archs)}] {arch}: planned {row['planned_cpu']:.2f} cpu-s, alone "
              f"{sum(v for key, v in row.items() if key.startswith('alone_cpu|')):.2f} cpu-s", file=sys.stderr)
        summary = summarise(rows, calls, args, peak.kind, peaks, mismatches, (load_before, os.getloadavg()), source)
        if args.out:  # after every arch: an interrupted run keeps what it measured (--resume goes on from it)
            Path(args.out).write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    if not rows:
        raise SystemExit("nothing measured: --archs is 0")
    print_summary(summarise(rows, calls, args, peak.kind, peaks, mismatches, (load_before, os.getloadavg()), source))
    return 0


def resumed(args: argparse.Namespace, archs: list[str], calls: list[Any]
            ) -> tuple[list[dict[str, Any]], dict[str, float], list[str], str, Any]:
    """What an earlier run with the same settings left in ``--out``: its rows (of archs in this draw), peaks,
    mismatches, images and starting load."""
    if not args.out or not Path(args.out).exists():
        return [], {"floor": 0.0, "alone": 0.0, "planned": 0.0}, [], "", os.getloadavg()
    old = json.loads(Path(args.out).read_text())
    s = old["summary"]
    same = (s["dataset"], s["batch_size"], s["device"], sorted(s["cpu"]["alone_s_per_arch"])) == (
        args.dataset, args.batch_size, args.device, sorted(c.label for c in calls))
    if not same:
        raise SystemExit(f"--resume: {args.out} was measured with other settings (dataset, batch size, device or "
                         f"proxies); pass another --out")
    rows = [r for r in old["rows"] if r["arch"] in set(archs)]
    print(f"resuming: {len(rows)} archs already measured in {args.out}", file=sys.stderr)
    return rows, dict(s["peak_mib"]), list(s["mismatches"]), s.get("images", ""), s["loadavg_before"]


def measure_arch(scorer: ArchScorer, calls: list[Any], arch: str, batch_size: int, peak: Peak,
                 peaks: dict[str, float], mismatches: list[str], sync: Callable[[], None]
                 ) -> tuple[dict[str, Any], str]:
    """One arch: the floor, each proxy alone, all planned, and the forward-only pass under both grad switches."""
    inputs, w_in, c_in = timed(lambda: scorer.arch_inputs(arch), sync)
    batch = inputs.batch(batch_size)
    row: dict[str, Any] = {"arch": arch, "inputs_wall": w_in, "inputs_cpu": c_in}
    # the floor: a bare forward and a forward + backward of a copy, as a proxy's own pass would run
    peak.reset()
    net, row["copy_wall"], row["copy_cpu"] = timed(lambda: copy.deepcopy(inputs.net).train(), sync)
    with torch.no_grad():
        _, row["fwd_wall"], row["fwd_cpu"] = timed(lambda: net(batch.inputs), sync)
    net.zero_grad()
    _, row["fb_wall"], row["fb_cpu"] = timed(lambda: batch.loss_fn(net(batch.inputs), batch.targets).backward(), sync)
    net = None  # freed before the next phase
    peaks["floor"] = max(peaks["floor"], peak.read())
    # each proxy alone (the arch's cache cleared: nothing carried over from another proxy)
    alone: dict[str, float] = {}
    peak.reset()
    for step in plan(calls, inputs.ctx, scorer.batch_size_for, share=False):
        inputs.ctx.cache.clear()
        [(v, _)], w, c = timed(lambda: run_step(step, calls, inputs.net, batch, inputs.context), sync)
        label = calls[step.jobs[0]].label
        alone[label] = v
        row[f"alone_wall|{label}"], row[f"alone_cpu|{label}"] = w, c
    peaks["alone"] = max(peaks["alone"], peak.read())
    # all planned together
    inputs.ctx.cache.clear()
    peak.reset()

    def planned() -> dict[str, float]:
        out = {}
        for step in plan(calls, inputs.ctx, scorer.batch_size_for):
            for i, (v, _) in zip(step.jobs, run_step(step, calls, inputs.net, batch, inputs.context)):
                out[calls[i].label] = v
        return out

    together, row["planned_wall"], row["planned_cpu"] = timed(planned, sync)
    peaks["planned"] = max(peaks["planned"], peak.read())
    for lab, v in alone.items():
        if not (v == together[lab] or (v != v and together[lab] != together[lab])):
            mismatches.append(f"{arch} {lab}: alone {v!r} planned {together[lab]!r}")
    # torch.no_grad vs torch.inference_mode on the forward-only pass (SWAP + NWOT taps)
    fwd_only = [c for c in calls if c.name in ("swap", "nwot")]
    for mode, switch in (("no_grad", torch.no_grad), ("inference_mode", torch.inference_mode)):
        passes.grad_off = switch
        inputs.ctx.cache.clear()
        steps = plan(fwd_only, inputs.ctx, scorer.batch_size_for)
        _, row[f"{mode}_wall"], row[f"{mode}_cpu"] = timed(
            lambda: [run_step(s, fwd_only, inputs.net, batch, inputs.context) for s in steps], sync)
    passes.grad_off = torch.no_grad
    return row, batch.source


def summarise(rows: list[dict[str, Any]], calls: list[Any], args: argparse.Namespace, peak_kind: str,
              peaks: dict[str, float], mismatches: list[str], loads: tuple[Any, Any],
              source: str) -> dict[str, Any]:
    n = len(rows)

    def mean(key: str) -> float:
        return statistics.mean(r[key] for r in rows) if rows and key in rows[0] else float("nan")

    out: dict[str, Any] = {
        "space": "nasbench201", "dataset": args.dataset, "archs": n, "batch_size": args.batch_size,
        "device": args.device, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs", "images": source,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"), "loadavg_before": loads[0], "loadavg_after": loads[1],
        "peak_memory_kind": peak_kind,
        "peak_mib": dict(peaks),
        "mismatches": mismatches,
    }
    for unit in ("wall", "cpu"):
        per = {c.label: mean(f"alone_{unit}|{c.label}") for c in calls}
        alone_sum = sum(per.values())
        planned = mean(f"planned_{unit}")
        floor = mean(f"fb_{unit}")  # one forward + one backward
        out[unit] = {
            "alone_s_per_arch": per, "sum_alone": alone_sum, "planned": planned,
            "planned_over_sum_alone": planned / alone_sum, "forward": mean(f"fwd_{unit}"),
            "forward_backward": mean(f"fb_{unit}"), "planned_over_fwd_bwd": planned / floor,
            "swap_over_forward": per.get("swap", float("nan")) / mean(f"fwd_{unit}"),
            "arch_inputs": mean(f"inputs_{unit}"), "net_copy": mean(f"copy_{unit}"),
            "no_grad_fwd_pass": mean(f"no_grad_{unit}"), "inference_mode_fwd_pass": mean(f"inference_mode_{unit}"),
        }
    return out


def print_summary(s: dict[str, Any]) -> None:
    print(f"NB201 {s['dataset']}, {s['archs']} archs, batch {s['batch_size']}, {s['device']}, torch "
          f"{s['torch']} threads {s['threads']} (OMP_NUM_THREADS={s['omp_num_threads']}), {s['machine']}; "
          f"images: {s['images']}")
    print(f"load average before {s['loadavg_before']}, after {s['loadavg_after']}")
    for unit in ("wall", "cpu"):
        u = s[unit]
        print(f"\n-- {unit} seconds per arch --")
        for lab, v in sorted(u["alone_s_per_arch"].items(), key=lambda kv: -kv[1]):
            print(f"  {lab:28s} {v:8.4f}")
        print(f"  sum of alone {u['sum_alone']:.3f}; all planned {u['planned']:.3f} "
              f"-> planned / sum of alone = {u['planned_over_sum_alone']:.3f}")
        print(f"  bare forward {u['forward']:.4f}, one forward + one backward {u['forward_backward']:.4f}; "
              f"planned / (forward + backward) = {u['planned_over_fwd_bwd']:.2f}")
        print(f"  swap / bare forward = {u['swap_over_forward']:.2f}x (read-only proxies borrow the net: a copy, "
              f"{u['net_copy']:.4f}, is what the others pay); arch build + batch {u['arch_inputs']:.3f}")
        print(f"  forward-only shared pass (swap+nwot): no_grad {u['no_grad_fwd_pass']:.4f}, "
              f"inference_mode {u['inference_mode_fwd_pass']:.4f}")
    pk = s["peak_mib"]
    print(f"\npeak memory ({s['peak_memory_kind']}): floor {pk['floor']:.0f} MiB, alone {pk['alone']:.0f} MiB, "
          f"planned {pk['planned']:.0f} MiB")
    print(f"planned scores different from alone: {len(s['mismatches'])}")
    for m in s["mismatches"][:10]:
        print("  " + m)


if __name__ == "__main__":
    sys.exit(main())
