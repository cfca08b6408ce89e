r"""L-SWAG's layer-interval selection over random networks of a benchmark (the paper's Sec. 3.1 and App. D.1).

For each of ``n`` architectures drawn uniformly from the space (``space.sample`` with a seeded generator; or, with
``pool="groundtruth"``, without replacement from the archs that have ground truth for the dataset, so that the same
profiles also give L-SWAG's Spearman on spaces known only through a sample, NB101/NB301), one
*profile* is computed on one minibatch (seeded per arch): the percentile bin and :math:`\Lambda_l` of every layer,
and the SWAP counts needed to evaluate L-SWAG under *any* interval afterwards (:math:`\Psi_l` of the activations
feeding each layer, and :math:`\Psi` of the activations of layers :math:`1..` up to the end of each bin). The
per-bin mean and std of :math:`\Lambda_l` over all layers of all nets give the curve; the spike rule of
:func:`naslib_swap.proxies.lswag_interval.spike_interval` gives ``(lo, hi)``. No ground truth is used.

Profiles are appended to a JSON-lines file as they finish, so a killed run loses nothing and a rerun computes only
the missing archs.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import torch

from ..errors import NaslibSwapError
from ..proxies.hooks import unique_rows
from ..proxies.lswag import act_types, all_layer_terms_multi, trace_forward
from ..proxies.lswag_interval import NUM_BINS, SPIKE_RULE, spike_interval
from ..registry import get_space
from ..rng import derive_seed, make_generator


def arch_profile(space: Any, dataset: str, arch: Any, *, seed: int = 0, batch_size: int = 64,
                 data_root: str | Path | None = None, device: str = "cpu", acts: str = "relu+gelu") -> dict[str, Any]:
    """The L-SWAG profile of one arch: per layer ``bins``, ``lam`` (NaN-free: None), ``lam_mean`` (the same with ZiCo's
    mean numerator, ``numerator="mean"``; from the same gradients), ``psi_layer``; per bin 0..10 ``psi_upto`` (SWAP of
    the activations of every layer whose bin is <= b). Net and batch seeded from (seed, arch)."""
    sp = get_space(space) if isinstance(space, str) else space
    arch = sp.parse(arch)
    key = sp.key(arch)
    net = sp.build(arch, dataset, generator=make_generator(derive_seed(seed, sp.name, dataset, key, "net")),
                   device=device)
    net.train(True)
    batch = sp.make_batch(dataset, batch_size, make_generator(derive_seed(seed, sp.name, dataset, key, "data")),
                          data_root=data_root, device=device)
    tr = trace_forward(net, batch.inputs, act_types(acts))
    _, terms = all_layer_terms_multi(net, batch, ("one", "mean"), acts=acts, trace=tr)
    lam, lam_mean = terms["one"], terms["mean"]
    bins = tr.bins()
    psi_layer = []
    for i in range(tr.num_layers):
        parts = [p for p, f in zip(tr.patterns, tr.feeds) if f == i]
        psi_layer.append(int(unique_rows(torch.cat(parts)).shape[0]) if parts else 0)
    psi_upto = []
    for b in range(NUM_BINS):
        last = max((i for i, lb in enumerate(bins) if lb <= b), default=-1)
        parts = [p for p, f in zip(tr.patterns, tr.feeds) if f <= last]
        psi_upto.append(int(unique_rows(torch.cat(parts)).shape[0]) if parts else 0)
    return {"arch": key, "bins": bins, "lam": [None if not math.isfinite(v) else v for v in lam],
            "lam_mean": [None if not math.isfinite(v) else v for v in lam_mean],
            "psi_layer": psi_layer, "psi_upto": psi_upto, "source": batch.source, "batch_size": batch_size}


def lswag_from_profile(profile: dict[str, Any], interval: Sequence[int], layerwise: bool = False,
                       numerator: str = "one") -> float:
    """L-SWAG of a stored profile under ``interval`` (the same value the ``lswag`` proxies compute with the same
    ``numerator``)."""
    field = {"one": "lam", "mean": "lam_mean"}.get(numerator)
    if field is None:
        raise NaslibSwapError(f"L-SWAG numerator must be 'one' or 'mean', got {numerator!r}")
    if field not in profile:
        raise NaslibSwapError(f"this profile has no {field!r} (written by an older version); recompute it with "
                              "naslib-swap lswag-interval")
    lam = profile[field]
    lo, hi = interval
    inside = [i for i, b in enumerate(profile["bins"]) if lo <= b <= hi and lam[i] is not None]
    if layerwise:
        return float(sum(lam[i] * profile["psi_layer"][i] for i in inside))
    if not inside:
        return float("nan")
    return float(sum(lam[i] for i in inside)) * profile["psi_upto"][hi]


def read_profiles(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.is_file():
        return []
    out = []
    for line in p.read_text().splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by a kill: recomputed on the next run
    return out


POOLS = ("space", "groundtruth")


def profile_archs(space: Any, n: int, seed: int, *, pool: str = "space", dataset: str | None = None,
                 data_root: str | Path | None = None) -> list[str]:
    """``n`` random archs: ``pool="space"`` draws uniformly from the space (``space.sample``; repeats possible, as
    random draws); ``pool="groundtruth"`` draws without replacement from the archs with ground truth for ``dataset``
    (all of them when there are fewer than ``n``)."""
    sp = get_space(space) if isinstance(space, str) else space
    g = make_generator(seed)
    if pool == "space":
        return [sp.key(sp.sample(g)) for _ in range(n)]
    if pool != "groundtruth":
        raise NaslibSwapError(f"unknown arch pool {pool!r}; choose one of {', '.join(POOLS)}")
    if dataset is None:
        raise NaslibSwapError("pool='groundtruth' needs the dataset whose ground truth defines the pool")
    keys = sorted(sp.ground_truth(dataset, data_root=data_root))
    order = torch.randperm(len(keys), generator=g)[:n].tolist()
    return [keys[i] for i in order]


def compute_profiles(space: str, dataset: str, n: int, *, seed: int = 0, batch_size: int = 64,
                     out: str | Path, data_root: str | Path | None = None, device: str = "cpu",
                     progress: bool = True, pool: str = "space") -> list[dict[str, Any]]:
    """Profiles of ``n`` random archs (:func:`profile_archs`), appended to ``out`` (JSON lines) as they finish;
    existing ones are reused."""
    sp = get_space(space)
    sp.check_dataset(dataset)
    archs = profile_archs(sp, n, seed, pool=pool, dataset=dataset, data_root=data_root)
    done = {p["arch"]: p for p in read_profiles(out) if p.get("batch_size") == batch_size and "lam_mean" in p}
    todo = [a for a in dict.fromkeys(archs) if a not in done]
    it: Iterable[str] = todo
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(todo, desc=f"L-SWAG profiles {space}/{dataset}", unit="arch", initial=len(archs) - len(todo),
                  total=len(set(archs)))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "a") as fh:
        for a in it:
            prof = arch_profile(sp, dataset, a, seed=seed, batch_size=batch_size, data_root=data_root, device=device)
            fh.write(json.dumps(prof) + "\n")
            fh.flush()
            done[a] = prof
    return [done[a] for a in archs if a in done]


def bin_stats(profiles: Sequence[dict[str, Any]]) -> dict[str, list[float]]:
    """Mean, std and count of :math:`\\Lambda_l` per percentile bin over every layer of every profile."""
    vals: list[list[float]] = [[] for _ in range(NUM_BINS)]
    for p in profiles:
        for b, v in zip(p["bins"], p["lam"]):
            if v is not None:
                vals[b].append(v)
    return {"mean": [float(np.mean(v)) if v else float("nan") for v in vals],
            "std": [float(np.std(v)) if v else float("nan") for v in vals],
            "count": [len(v) for v in vals]}


def interval_record(space: str, dataset: str, profiles: Sequence[dict[str, Any]], seed: int,
                    batch_size: int) -> dict[str, Any]:
    """The interval and curve to store for (space, dataset)."""
    st = bin_stats(profiles)
    lo, hi = spike_interval(st["mean"])
    return {"lo": lo, "hi": hi, **st, "n_archs": len(profiles), "seed": seed, "batch_size": batch_size,
            "rule": SPIKE_RULE, "space": space, "dataset": dataset}


def plot_curve(record: dict[str, Any], path: str | Path) -> Path:
    """PNG of the per-bin mean +- std of the per-layer log term, with the chosen interval shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.arange(NUM_BINS)
    m = np.asarray(record["mean"], dtype=float)
    s = np.asarray(record["std"], dtype=float)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(x, m, marker="o")
    ax.fill_between(x, m - s, m + s, alpha=0.25)
    ax.axvspan(record["lo"] - 0.5, record["hi"] + 0.5, color="orange", alpha=0.2,
               label=f"interval {record['lo']}-{record['hi']}")
    ax.set_xlabel("percentile bin of the layer")
    ax.set_ylabel(r"$\Lambda_l$ = log sum 1/std|grad|")
    ax.set_title(f"{record['space']}/{record['dataset']}: {record['n_archs']} random nets")
    ax.set_xticks(x)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
