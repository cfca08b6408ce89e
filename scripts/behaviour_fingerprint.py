"""Fingerprint of the package's scores and search results for fixed seeds, to check a refactoring changes nothing.

Scores every registered per-arch proxy on a few seeded archs of every space (small batches), and runs every search
at a tiny budget; writes one JSON of exact values (floats by ``repr``). Run it before and after a change and compare:

    python scripts/behaviour_fingerprint.py --out before.json
    ...change...
    python scripts/behaviour_fingerprint.py --out after.json --compare before.json

``--compare`` prints every differing entry and exits 1 if any differs (floats compared exactly: bit-identical on CPU).
Search options use the spellings of the package at the time; ``SEARCH_OPTIONS`` maps them.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from typing import Any

import torch

from naslib_swap import score
from naslib_swap.registry import get_proxy, get_search, get_space, list_proxies, list_searches
from naslib_swap.rng import make_generator

# (space, dataset, n archs, batch size, net options)
SCORING = [
    ("nasbench201", "cifar10", 3, 8, {}),
    ("nasbench201", "ImageNet16-120", 2, 8, {}),
    ("nasbench101", "cifar10", 2, 4, {}),
    ("nasbench301", "cifar10", 2, 4, {}),
    ("transbench101_micro", "jigsaw", 1, 2, {}),
    ("transbench101_macro", "class_scene", 1, 2, {}),
]
SLOW_ON = {"transbench101_micro", "transbench101_macro", "nasbench101", "nasbench301"}
SLOW_PROXIES = {"teg_ntk", "teg_mse", "teg_lr", "teg", "lswag", "lswag_layerwise"}

TINY_TEG = dict(batch_size=4, reinits=1, crops=50, images=8)
# method -> list of (space, dataset, kwargs); sizes in the spelling each search takes
SEARCHES: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "swap-nas": [("nasbench201", "cifar10", dict(population=4, cycles=3, mutations=2, batch_size=4, width=2, cells=1,
                                                 crossover_prob=0.5)),
                 ("nasbench301", "cifar10", dict(population=2, cycles=1, mutations=1, batch_size=2, width=2, cells=2,
                                                 mu=0.01))],
    "zc-pt": [("nasbench201", "cifar10", dict(width=2, cells=1, batch_size=4, proposals=2, validate=2, order="fixed",
                                              proxy="swap")),
              ("nasbench201", "cifar10", dict(width=2, cells=1, batch_size=4, proposals=2, validate=2,
                                              order="global-op-once", budget=40)),
              ("nasbench301", "cifar10", dict(width=2, cells=2, batch_size=2, proposals=1, validate=1, budget=8))],
    "teg-evolution": [("nasbench201", "cifar10", dict(population=4, sample_size=2, steps=3, width=1, **TINY_TEG))],
    "teg-reinforce": [("nasbench201", "cifar10", dict(budget=4, steps=6, width=1, **TINY_TEG)),
                      ("nasbench301", "cifar10", dict(steps=3, width=1, **TINY_TEG))],
    "teg-prune": [("nasbench201", "cifar10", dict(budget=6, width=1, **TINY_TEG)),
                  ("nasbench301", "cifar10", dict(budget=4, width=1, **TINY_TEG))],
    "libra-nas": [("nasbench201", "ImageNet16-120", dict(budget=4, population=3, sample_size=2,
                                                         proxies=["params", "flops"], batch_size=4))],
}
# the old spellings (before the sizing vocabulary): search -> {new: old} per space
OLD_SIZES = {"nasbench201": {"width": "C", "cells": "N"}, "nasbench301": {"width": "C", "cells": "layers"}}


def _spell(method: str, space: str, kw: dict[str, Any], old: bool) -> dict[str, Any]:
    if not old:
        return dict(kw)
    out = {}
    for k, v in kw.items():
        if k in ("width", "cells"):
            name = OLD_SIZES[space][k]
            if method == "swap-nas" and k == "cells":
                name = "N"
            if method.startswith("teg-"):
                name = "C" if k == "width" else "N"
            out[name] = v
        elif k == "proxies" and method == "libra-nas":
            out[k] = "+".join(v)
        else:
            out[k] = v
    return out


def scores(quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    proxies = [p for p in list_proxies() if not get_proxy(p).needs_population] + ["teg"]
    for space_name, dataset, n, bs, net_opts in SCORING:
        sp = get_space(space_name)
        g = make_generator(123)
        archs = [sp.sample(g) for _ in range(n)]
        use = [p for p in proxies if not (space_name in SLOW_ON and p in SLOW_PROXIES)]
        if "reg_swap" not in sp.proxy_defaults(dataset):
            use.remove("reg_swap")  # no default prior on this space: only the explicit label below
        if quick:
            use = [p for p in use if p not in SLOW_PROXIES]
        labels = use + ["reg_swap[mu=1.2,sigma=1.2]", "swap[init='normal',reinits=2]"]
        if space_name == "nasbench201" and not quick:
            labels += ["lswag[interval='2-6']", "reg_swap[mu='auto',sigma='auto']"]
        t = time.time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = score(space_name, dataset, archs, labels, batch_size=bs, seed=7, net_options=net_opts or None)
        for r in rows:
            out[f"score|{space_name}|{dataset}|{r.arch}|{r.proxy}"] = repr(float(r.score))
        print(f"scored {space_name}/{dataset}: {len(rows)} rows in {time.time() - t:.1f}s", file=sys.stderr)
    return out


def searches(old: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    known = set(list_searches())
    for method, runs in SEARCHES.items():
        if method not in known:
            continue
        for i, (space_name, dataset, kw) in enumerate(runs):
            kw = _spell(method, space_name, kw, old)
            budget = kw.pop("budget", None)
            t = time.time()
            res = get_search(method)(get_space(space_name), dataset, seed=0, budget=budget, progress=False, **kw)
            key = f"search|{method}|{space_name}|{i}"
            out[key + "|arch"] = repr(res.arch)
            out[key + "|n_scored"] = res.n_scored
            hist = [{k: v for k, v in h.items() if not k.endswith("_s")} for h in res.history]
            out[key + "|history"] = json.dumps(hist, sort_keys=True, default=repr)
            print(f"search {method} {space_name}: {time.time() - t:.1f}s", file=sys.stderr)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--compare", default=None, help="a fingerprint to compare with")
    ap.add_argument("--old-spellings", action="store_true", help="search sizes as C/N/layers (before the redesign)")
    ap.add_argument("--quick", action="store_true", help="skip the slow proxies")
    ap.add_argument("--no-search", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    fp = scores(args.quick)
    if not args.no_search:
        fp.update(searches(args.old_spellings))
    with open(args.out, "w") as f:
        json.dump(fp, f, indent=0, sort_keys=True)
    print(f"{len(fp)} entries -> {args.out}")
    if args.compare:
        with open(args.compare) as f:
            ref = json.load(f)
        common = sorted(set(ref) & set(fp))
        diff = [k for k in common if ref[k] != fp[k]]
        only = sorted(set(ref) ^ set(fp))
        for k in diff:
            print(f"DIFF {k}: {str(ref[k])[:120]} -> {str(fp[k])[:120]}")
        for k in only:
            print(f"ONLY IN {'reference' if k in ref else 'new'}: {k}")
        print(f"{len(common)} common entries, {len(diff)} differ, {len(only)} in one only")
        return 1 if diff or only else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
