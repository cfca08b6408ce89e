"""SWAP's cost over one bare forward, now and as before (interleaved A/B on the same archs and batches).

Usage:
    OMP_NUM_THREADS=1 python scripts/ab_swap_overhead.py [--archs 30] [--seed 7]

Per NB201 arch (random, seeded; CIFAR-10 minibatch of 64 from the shared data): one bare no-grad train-mode forward of
a copy of the net; SWAP alone as it runs now (the read-only proxy borrows the net, a repeated activation of the same
tensor is counted once); SWAP as it ran before both changes (a deep copy of the net, every activation packed), by
switching the two off. The order of the three alternates between archs so that a change of machine load hits all
alike. Prints this process's CPU seconds (means), the ratios to the forward (mean and per-arch median) and the number
of archs whose two SWAP scores differ (must be 0).
"""
from __future__ import annotations

import argparse
import copy
import json
import statistics as st
import time
from typing import Any

import torch

import naslib_swap.proxies.base as base
import naslib_swap.proxies.passes as passes
import naslib_swap.proxies.swap as swap_module
from naslib_swap.scoring import ArchScorer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--archs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(1)
    scorer = ArchScorer("nasbench201", "cifar10", "swap", seed=0)
    gen = torch.Generator().manual_seed(args.seed)
    times: dict[str, list[float]] = {"forward": [], "now": [], "before": []}
    mismatches = 0
    for i in range(args.archs):
        inputs = scorer.arch_inputs(scorer.space.sample(gen))
        batch = inputs.batch(64)
        fresh = inputs.fresh_context
        assert fresh is not None  # a context per SWAP call: nothing cached between them

        def forward() -> tuple[float, Any]:
            net = copy.deepcopy(inputs.net).train()
            t = time.process_time()
            with torch.no_grad():
                net(batch.inputs)
            return time.process_time() - t, None

        def now() -> tuple[float, Any]:
            ctx = fresh()
            t = time.process_time()
            value = base.compute_proxy("swap", inputs.net, batch, ctx)
            return time.process_time() - t, value

        def before() -> tuple[float, Any]:
            ctx = fresh()
            kinds, borrowable = swap_module._ELEMENTWISE, passes.borrowable
            swap_module._ELEMENTWISE = ()
            setattr(passes, "borrowable", lambda net, device: False)
            try:
                t = time.process_time()
                value = base.compute_proxy("swap", inputs.net, batch, ctx)
                return time.process_time() - t, value
            finally:
                swap_module._ELEMENTWISE = kinds
                setattr(passes, "borrowable", borrowable)

        values = {}
        for name, fn in (("forward", forward), ("now", now), ("before", before))[::1 if i % 2 == 0 else -1]:
            seconds, values[name] = fn()
            times[name].append(seconds)
        mismatches += values["now"] != values["before"]
    mean = {k: st.mean(v) for k, v in times.items()}
    print(json.dumps({
        "archs": args.archs, "mean_cpu_s": mean,
        "now_over_forward": mean["now"] / mean["forward"], "before_over_forward": mean["before"] / mean["forward"],
        "median_now_over_forward": st.median(a / b for a, b in zip(times["now"], times["forward"])),
        "median_before_over_forward": st.median(a / b for a, b in zip(times["before"], times["forward"])),
        "score_mismatches": mismatches, "loadavg": open("/proc/loadavg").read().split()[:3],
    }, indent=1))


if __name__ == "__main__":
    main()
