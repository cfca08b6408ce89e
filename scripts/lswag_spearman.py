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
from naslib_swap.proxies.lswag_interval import NUM_BINS, check_interval, stored_interval
from naslib_swap.suite.layer_interval import lswag_from_profile, read_profiles

MIN_BASELINE_ARCHS = 10  # a Spearman over fewer shared archs says nothing; the comparison is left out


def _baselines(sp, dataset: str, profs: list[dict], truth: dict[str, dict[str, float]]) -> dict:
    """Spearman (val) of each suite proxy in the preview file, over the profiled archs the file holds."""
    from naslib_swap.data.groundtruth import preview_zc

    data = preview_zc(sp.name)
    entries = data["nasbench101"][dataset] if sp.name == "nasbench101" else data.get(dataset, {})
    entries = {sp.key(k): v for k, v in entries.items()}
    held = [p for p in profs if p["arch"] in entries]
    y = np.array([truth["val"][p["arch"]] for p in held], dtype=float)
    rho = {}
    names = sorted({n for p in held for n in entries[p["arch"]] if n not in ("idx", "arch", "val_accuracy")})
    for n in names:
        if all(n in entries[p["arch"]] for p in held) and len(held) >= MIN_BASELINE_ARCHS:
            x = [float(v["score"] if isinstance(v := entries[p["arch"]][n], dict) else v) for p in held]
            rho[n] = float(stats.spearmanr(x, y).statistic)
    lsw = np.array([lswag_from_profile(p, (0, 10)) for p in held], dtype=float)
    same = float(stats.spearmanr(lsw, y).statistic) if len(held) >= MIN_BASELINE_ARCHS else float("nan")
    return {"n": len(held), "rho": rho, "lswag_same_archs": same}


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("profiles")
    ap.add_argument("--space", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--interval", default=None, help="lo-hi bins (default: the stored interval)")
    ap.add_argument("--intervals", default=None, help="interval file (default: the user cache / env var)")
    ap.add_argument("--baselines", action="store_true",
                    help="also the suite's proxies stored in its preview zc_<space>.json, "
                         "on the profiled archs it holds")
    ap.add_argument("--scores-out", default=None,
                    help="write per-arch scores (lswag all layers with both numerators, layer-wise, "
                         "Lambda, Psi) as JSON lines: a compact record of the profiles")
    ap.add_argument("--json", action="store_true")
    return ap.parse_args(argv)


def _variants(profs: list[dict], iv) -> dict:
    """The L-SWAG variants to rank, by name: a function of one profile each."""
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
    return variants


def _spearman_rows(variants: dict, profs: list[dict], truth: dict[str, dict[str, float]]) -> dict:
    """Per variant, the Spearman of its scores with each ground-truth metric (finite scores only)."""
    rho = {}
    for name, fn in variants.items():
        s = np.array([fn(p) for p in profs], dtype=float)
        row = {}
        for m, t in truth.items():
            y = np.array([t[p["arch"]] for p in profs], dtype=float)
            ok = np.isfinite(s)
            row[m] = float(stats.spearmanr(s[ok], y[ok]).statistic) if ok.sum() > 2 else float("nan")
        rho[name] = row
    return rho


def _write_scores(path: str, profs: list[dict]) -> None:
    with open(path, "w") as fh:
        for p in profs:
            rec = {"arch": p["arch"],  # no ground truth: benchmark data stays in the shared folder
                   "lswag": lswag_from_profile(p, (0, 10)),
                   "lswag_layerwise": lswag_from_profile(p, (0, 10), layerwise=True),
                   "lambda": sum(v for v in p["lam"] if v is not None), "psi": p["psi_upto"][-1]}
            if "lam_mean" in p:
                rec["lswag_mean"] = lswag_from_profile(p, (0, 10), numerator="mean")
            fh.write(json.dumps(rec) + "\n")


def _print_baselines(b: dict) -> None:
    if b["n"] < MIN_BASELINE_ARCHS:
        print(f"suite baselines: only {b['n']} of these archs are in the preview file (< {MIN_BASELINE_ARCHS}); "
              "no comparison")
    else:
        print(f"suite baselines (preview file, real images) on {b['n']} of these archs; "
              f"lswag all layers on the same archs: val {b['lswag_same_archs']:+.3f}")
        for name, rho in sorted(b["rho"].items(), key=lambda kv: -kv[1]):
            print(f"  {name:28s} val {rho:+.3f}")


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)

    profs = list({p["arch"]: p for p in read_profiles(args.profiles)}.values())
    sp = get_space(args.space)
    truth = {"val": sp.ground_truth(args.dataset, metric="val")}
    try:
        truth["test"] = sp.ground_truth(args.dataset, metric="test")
    except ValueError:  # NB101/NB301 (preview files) and TransNAS-Bench-101 have validation figures only
        pass
    iv = check_interval(args.interval) if args.interval else stored_interval(args.space, args.dataset, args.intervals)
    variants = _variants(profs, iv)
    out = {"n": len(profs), "interval": iv, "rho": _spearman_rows(variants, profs, truth)}
    if args.scores_out:
        _write_scores(args.scores_out, profs)
    if args.baselines:
        out["baselines"] = _baselines(sp, args.dataset, profs, truth)
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(f"{args.space}/{args.dataset}: {len(profs)} archs, interval {iv}")
        for name, row in out["rho"].items():
            print(f"  {name:28s} " + "  ".join(f"{m} {v:+.3f}" for m, v in row.items()))
        if args.baselines:
            _print_baselines(out["baselines"])
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
