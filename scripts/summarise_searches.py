"""Summarise the search runs (docs/results/searches_*.jsonl): markdown tables and the SWAP-NAS size-control figure.

Example:
    python scripts/summarise_searches.py            # prints the tables, writes docs/figures/swap_nas_size_control.png
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from naslib_swap.modelstats import count_parameters
from naslib_swap.registry import get_space
from naslib_swap.rng import make_generator

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"
FIG = ROOT / "docs" / "figures" / "swap_nas_size_control.png"
DS = ("cifar10", "cifar100", "ImageNet16-120")


def load() -> list[dict]:
    rows = []
    for f in sorted(RESULTS.glob("searches_*.jsonl")):
        rows += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return rows


def nb201_sizes_m() -> np.ndarray:
    """Parameter count (M, all parameters, as reg-SWAP counts them) of all 15,625 NB201 archs, in closed form.

    Each conv3x3 edge of a stage with c channels adds 9c^2 + 2c (conv + affine BN), each conv1x1 c^2 + 2c, 5 cells per
    stage; the rest is the all-skip network. Checked against built networks below.
    """
    sp = get_space("nasbench201")
    base = count_parameters(sp.build((0,) * 6, "cifar10", generator=make_generator(0)))
    per3 = sum(5 * (9 * c * c + 2 * c) for c in (16, 32, 64))
    per1 = sum(5 * (c * c + 2 * c) for c in (16, 32, 64))
    for a in ((2, 3, 1, 4, 2, 2), (3, 3, 3, 0, 1, 2)):
        built = count_parameters(sp.build(a, "cifar10", generator=make_generator(0)))
        assert built == base + a.count(2) * per3 + a.count(3) * per1, (a, built)
    archs = np.array(list(sp.enumerate()))
    return (base + (archs == 2).sum(1) * per3 + (archs == 3).sum(1) * per1) / 1e6


def table(rows: list[dict]) -> str:
    by = defaultdict(list)
    for r in rows:
        if not r["tag"].startswith(("size-", "dsize-")):
            by[r["tag"]].append(r)
    out = ["| run | seeds | C10 test | C100 test | IN16 test | params (M) | CPU search time (s) | scored |",
           "|---|---|---|---|---|---|---|---|"]
    for tag, rs in by.items():
        cells = []
        for d in DS:
            v = np.array([r[f"test_{d}"] for r in rs], dtype=float)
            cells.append(f"{v.mean():.2f} ± {v.std():.2f}")
        t = np.array([r["search_time_s"] for r in rs])
        out.append(f"| {tag} | {len(rs)} | " + " | ".join(cells) +
                   f" | {np.mean([r['params_m'] for r in rs]):.3f} | {t.mean():.0f} | "
                   f"{np.mean([r['n_scored'] for r in rs]):.0f} |")
    return "\n".join(out)


def per_run(rows: list[dict]) -> str:
    out = ["| run | seed | arch | C10 | C100 | IN16 | params (M) | time (s) |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["tag"].startswith("dsize-"):
            continue
        out.append(f"| {r['tag']} | {r['seed']} | `{r['arch_str']}` | {r['test_cifar10']:.2f} | "
                   f"{r['test_cifar100']:.2f} | {r['test_ImageNet16-120']:.2f} | {r['params_m']:.3f} | "
                   f"{r['search_time_s']:.0f} |")
    return "\n".join(out)


def size_points(rows: list[dict]) -> list[tuple[float, float]]:
    pts = []
    for r in rows:
        if r["method"] != "swap-nas" or r["tag"].startswith("dsize-"):
            continue
        mu = r["options"].get("mu", 1.5)  # the space's default prior (1.5, 1.5)
        if r["tag"].startswith("size-") or (r["tag"] == "swapnas-P8-C6-m3" and r["seed"] in (0, 1)):
            pts.append((float(mu), float(r["params_m"])))
    return pts


def darts_points(rows: list[dict]) -> list[tuple[float, float]]:
    return [(float(r["options"]["mu"]), float(r["params_m"])) for r in rows if r["tag"].startswith("dsize-")]


def nb301_sizes_m(n: int = 300) -> np.ndarray:
    """Parameter counts (M) of ``n`` sampled NB301 suite networks (C=32, 8 cells), built on the meta device."""
    import torch

    sp = get_space("nasbench301")
    g = make_generator(0)
    out = []
    for _ in range(n):
        arch = sp.sample(g)  # sampled on the CPU: the meta device has no values to draw
        with torch.device("meta"):
            out.append(count_parameters(sp._build(arch, "cifar10")) / 1e6)
    return np.array(out)


def figure(rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = nb201_sizes_m()
    pts = size_points(rows)
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(13, 3.4))
    a.hist(sizes, bins=40, color="#888")
    a.set_xlabel("params (M)")
    a.set_ylabel("NB201 archs")
    a.set_title("(a) sizes of all 15,625 NB201 networks")
    if pts:
        rng = np.random.default_rng(0)
        x = np.array([p[0] for p in pts])
        b.scatter(x + rng.uniform(-0.03, 0.03, len(x)), [p[1] for p in pts], s=18)
        b.plot([0, 1.6], [0, 1.6], ls=":", c="k", lw=0.8, label="params = mu")
        b.legend(loc="upper left", fontsize=8)
    b.set_xlabel("mu = sigma (M)")
    b.set_ylabel("params of the found network (M)")
    b.set_title("(b) NB201: SWAP-NAS final size vs mu")
    dp = darts_points(rows)
    d_sizes = nb301_sizes_m()
    c.axhspan(np.percentile(d_sizes, 10), np.percentile(d_sizes, 90), color="#ddd", label="10-90% of sampled nets")
    if dp:
        rng = np.random.default_rng(1)
        x = np.array([p[0] for p in dp])
        c.scatter(x + rng.uniform(-0.02, 0.02, len(x)), [p[1] for p in dp], s=18, c="C1")
    c.legend(loc="upper left", fontsize=8)
    c.set_xlabel("mu = sigma (M)")
    c.set_ylabel("params of the found network (M)")
    c.set_title("(c) DARTS / NB301 (C=32, 8 cells)")
    fig.tight_layout()
    FIG.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIG, dpi=90)


def main() -> None:
    rows = load()
    print(table(rows))
    print()
    print(per_run(rows))
    print()
    pts = size_points(rows)
    by = defaultdict(list)
    for mu, p in pts:
        by[mu].append(p)
    print("size control (mu: final params M):", {k: [round(v, 3) for v in vs] for k, vs in sorted(by.items())})
    dby = defaultdict(list)
    for mu, p in darts_points(rows):
        dby[mu].append(p)
    print("DARTS size control (mu: final params M):", {k: [round(v, 3) for v in vs] for k, vs in sorted(dby.items())})
    figure(rows)
    print(f"wrote {FIG.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
