"""Spearman of L-SWAG (both variants, several intervals) from the profiles ``naslib-swap lswag-interval`` stored.

Usage:
    python scripts/lswag_spearman.py PROFILES.jsonl --space nasbench201 --dataset cifar10 [--interval 8-10]

Each profile holds every layer's Lambda_l and the SWAP counts, so L-SWAG under any interval is computed without
rescoring (:func:`naslib_swap.suite.layer_interval.lswag_from_profile`, equal to the ``lswag`` proxies). Prints the
Spearman with the benchmark's validation accuracy (and test accuracy where the space has it) for: all layers, the
given/stored interval, each single bin, Lambda alone and Psi alone.
"""
from __future__ import annotations

import argparse
import json

import numpy as np
from scipy import stats

from naslib_swap import get_space
from naslib_swap.proxies._lswag_interval import NUM_BINS, check_interval, stored_interval
from naslib_swap.suite.layer_interval import lswag_from_profile, read_profiles


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("profiles")
    ap.add_argument("--space", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--interval", default=None, help="lo-hi bins (default: the stored interval)")
    ap.add_argument("--intervals", default=None, help="interval file (default: the user cache / env var)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    profs = list({p["arch"]: p for p in read_profiles(args.profiles)}.values())
    sp = get_space(args.space)
    truth = {m: sp.ground_truth(args.dataset, metric=m) for m in ("val", "test")}
    iv = check_interval(args.interval) if args.interval else stored_interval(args.space, args.dataset, args.intervals)
    variants = {"lswag all (0-10)": lambda p: lswag_from_profile(p, (0, 10)),
                "lswag_layerwise all": lambda p: lswag_from_profile(p, (0, 10), layerwise=True),
                "Lambda alone (all)": lambda p: sum(v for v in p["lam"] if v is not None),
                "Psi alone (= SWAP, ReLU)": lambda p: p["psi_upto"][-1]}
    if all("lam_mean" in p for p in profs):  # ZiCo's numerator (Tab. 3 ablation), from the same gradients
        variants["lswag numerator=mean all"] = lambda p: lswag_from_profile(p, (0, 10), numerator="mean")
        variants["Lambda numerator=mean alone"] = lambda p: sum(v for v in p["lam_mean"] if v is not None)
    if iv is not None:
        variants[f"lswag {iv[0]}-{iv[1]}"] = lambda p: lswag_from_profile(p, iv)
        variants[f"lswag_layerwise {iv[0]}-{iv[1]}"] = lambda p: lswag_from_profile(p, iv, layerwise=True)
    for b in range(NUM_BINS):
        variants[f"lswag bin {b}"] = (lambda b: lambda p: lswag_from_profile(p, (b, b)))(b)
    out = {"n": len(profs), "interval": iv, "rho": {}}
    for name, fn in variants.items():
        s = np.array([fn(p) for p in profs], dtype=float)
        row = {}
        for m, t in truth.items():
            y = np.array([t[p["arch"]] for p in profs], dtype=float)
            ok = np.isfinite(s)
            row[m] = float(stats.spearmanr(s[ok], y[ok]).statistic) if ok.sum() > 2 else float("nan")
        out["rho"][name] = row
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(f"{args.space}/{args.dataset}: {len(profs)} archs, interval {iv}")
        for name, row in out["rho"].items():
            print(f"  {name:28s} val {row['val']:+.3f}  test {row['test']:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
