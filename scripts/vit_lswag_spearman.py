"""Spearman of L-SWAG (and its parts) vs ImageNet top-1 on an AutoFormer space, beside the table's params and FLOPs on
the same subnets.

Usage:
    PYTHONPATH=$PWD python scripts/vit_lswag_spearman.py PROFILES.jsonl --space autoformer_tiny [--interval lo-hi]

``PROFILES.jsonl`` is what ``naslib-swap lswag-interval --pool groundtruth`` wrote (one L-SWAG profile per subnet of
the table). Printed, over the profiled subnets: L-SWAG with every layer (0-10) and with ``--interval`` (default: the
stored one, else all), the layer-wise variant, Lambda alone, Psi alone (the SWAP count of every MLP GELU output: the
``swap`` proxy on the same batch), and the table's ``params_m`` / ``flops_m``.
"""
from __future__ import annotations

import argparse
import json
import math

from scipy import stats

from naslib_swap import get_space
from naslib_swap.proxies.lswag_interval import NUM_BINS, check_interval, stored_interval
from naslib_swap.suite.layer_interval import lswag_from_profile, read_profiles


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("profiles")
    ap.add_argument("--space", required=True)
    ap.add_argument("--interval", default=None, help="lo-hi bins (default: the stored interval, else 0-10)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    sp = get_space(args.space)
    profs = read_profiles(args.profiles)
    truth = sp.ground_truth("imagenet")
    profs = [p for p in profs if p["arch"] in truth]
    if len(profs) < 3:
        raise SystemExit(f"only {len(profs)} profiled subnets with ground truth; need at least 3")
    interval = (check_interval(args.interval) if args.interval else
                stored_interval(sp.name, "imagenet") or (0, NUM_BINS - 1))
    y = [truth[p["arch"]] for p in profs]
    cols = {
        "lswag (bins 0-10)": [lswag_from_profile(p, (0, NUM_BINS - 1)) for p in profs],
        f"lswag (bins {interval[0]}-{interval[1]})": [lswag_from_profile(p, interval) for p in profs],
        "lswag_layerwise (0-10)": [lswag_from_profile(p, (0, NUM_BINS - 1), layerwise=True) for p in profs],
        "Lambda alone (0-10)": [sum(v for v in p["lam"] if v is not None) for p in profs],
        "Psi = swap (all GELUs)": [p["psi_upto"][NUM_BINS - 1] for p in profs],
        "params_m (table)": [sp.table_column("params_m")[p["arch"]] for p in profs],
        "flops_m (table)": [sp.table_column("flops_m")[p["arch"]] for p in profs],
    }
    res = {k: float(stats.spearmanr(v, y).statistic) for k, v in cols.items()}
    out = {"space": sp.name, "n": len(profs), "batch_size": profs[0].get("batch_size"), "source": profs[0]["source"],
           "spearman": res}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"{sp.name}: n={out['n']} table subnets, batch {out['batch_size']}, inputs: {out['source']}")
    for k, v in res.items():
        print(f"  {k:<28s} {v:+.3f}" if math.isfinite(v) else f"  {k:<28s} nan")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
