"""Seed papers' correlation tables, reproduced cell by cell: ours beside the paper's number.

A table (:data:`TABLES`) is data: its cells (space, task, proxy, the paper's figure and where in the paper it is), the
protocol it runs under by default, and a note. :func:`reproduce` runs what the cells need through the suite runner
and its resumable store (one ``correlate`` per task), then returns one row per cell with our Spearman against the
val and test ground truth (where the benchmark has both), n, seeds, protocol, the images used (real or the named
stand-in) and the ground truths' sources; :func:`write_outputs` writes markdown, JSON and a PNG.

Scales: ``quick`` (minutes on a laptop CPU: 30 archs of seed 9000 per NB201 task, 20 preview archs on NB101/NB301,
re-initialisations capped at 4, labelled so) and ``paper`` (the paper's size: the protocol's archs and seeds; on
NB101/NB301, whose full benchmarks are not in the shared data, every preview arch, drawn without replacement).

Example:
    >>> print(", ".join(t for t in TABLES))
    swap-fig4, lswag-tab3
    >>> [(c.dataset, c.proxy, c.paper) for c in TABLES["swap-fig4"].cells][:2]
    [('cifar10', 'swap', 0.79), ('cifar10', 'reg_swap', 0.88)]
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ..errors import NaslibSwapError
from ..protocols import get_protocol
from ..proxies.base import apply_protocol
from .config import resolve
from .runner import run_correlation

__all__ = ["Cell", "Scale", "SCALES", "TABLES", "Table", "get_table", "reproduce", "write_outputs", "markdown"]


@dataclass(frozen=True)
class Cell:
    """One number of a paper's table."""

    space: str
    dataset: str
    proxy: str
    paper: float
    where: str  # the paper's table / figure and its row and column


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    protocol: str
    cells: tuple[Cell, ...]
    reference: str
    note: str = ""


@dataclass(frozen=True)
class Scale:
    """How much of a table's protocol to run. ``archs``: per space (``None``: the protocol's archs; ``"all"``: every
    arch of the key list, drawn without replacement); ``seeds`` (``None``: the protocol's); ``max_reinits``: caps the
    re-initialisations a protocol sets (a cap shows in the proxy's label)."""

    name: str
    archs: Mapping[str, int | str | None] = field(default_factory=dict)
    default_archs: int | str | None = None
    seeds: tuple[int, ...] | None = None
    max_reinits: int | None = None
    batch_size: int | None = None
    description: str = ""

    def archs_for(self, space: str) -> int | str | None:
        return self.archs.get(space, self.default_archs)


SCALES: dict[str, Scale] = {
    "quick": Scale("quick", archs={"nasbench101": 20, "nasbench301": 20}, default_archs=30, seeds=(9000,),
                   max_reinits=4,
                   description="quick: 30 archs of the suite's seed-9000 draw per NB201 task, 20 preview archs on "
                               "NB101/NB301, re-initialisations capped at 4 (the project measured 4 and 32 give the "
                               "same ranking: .841 vs .842 on 300 NB201 archs)"),
    "paper": Scale("paper", archs={"nasbench101": "all", "nasbench301": "all"}, default_archs=None, seeds=None,
                   description="paper: the protocol's archs and seeds (1000 archs x 5 seeds on NB201); NB101/NB301: "
                               "every preview arch (500 / 725; the paper drew 1000 from the full benchmarks, not in "
                               "the shared data)"),
}

_SWAP_FIG4 = "SWAP-NAS (Peng et al., ICLR 2024) Sec. 4.1, Fig. 4"
_FIG4 = ("Fig. 4 is a heat map; its text conversion (shared/papers/swap-nas.txt) keeps the rows' values without column "
         "headers. Columns: NB201 by matching the NB201 figures the paper quotes for reg-SWAP/SWAP/NWOT "
         "(.88/.90/.87, .79/.81/.76, .77/.80/.77 for C10/C100/IN16); NB101 = 4th and NB301 = 7th value of each row, "
         "as read in docs/results/spaces.md")

TABLES: dict[str, Table] = {
    "swap-fig4": Table(
        name="swap-fig4",
        title="SWAP Fig. 4: Spearman of SWAP and reg-SWAP on NB201 (3 tasks), NB101 and NB301",
        protocol="swap-paper",
        reference=_SWAP_FIG4,
        note=_FIG4,
        cells=(
            Cell("nasbench201", "cifar10", "swap", 0.79, "Fig. 4, row swap, NB201 CIFAR-10"),
            Cell("nasbench201", "cifar10", "reg_swap", 0.88, "Fig. 4, row reg_swap, NB201 CIFAR-10"),
            Cell("nasbench201", "cifar100", "swap", 0.81, "Fig. 4, row swap, NB201 CIFAR-100"),
            Cell("nasbench201", "cifar100", "reg_swap", 0.90, "Fig. 4, row reg_swap, NB201 CIFAR-100"),
            Cell("nasbench201", "ImageNet16-120", "swap", 0.76, "Fig. 4, row swap, NB201 ImageNet16-120"),
            Cell("nasbench201", "ImageNet16-120", "reg_swap", 0.87, "Fig. 4, row reg_swap, NB201 ImageNet16-120"),
            Cell("nasbench101", "cifar10", "swap", 0.47, "Fig. 4, row swap, NB101 (4th column)"),
            Cell("nasbench101", "cifar10", "reg_swap", 0.75, "Fig. 4, row reg_swap, NB101 (4th column)"),
            Cell("nasbench301", "cifar10", "swap", 0.58, "Fig. 4, row swap, NB301 (7th column)"),
            Cell("nasbench301", "cifar10", "reg_swap", 0.63, "Fig. 4, row reg_swap, NB301 (7th column)"),
        ),
    ),
    "lswag-tab3": Table(
        name="lswag-tab3",
        title="L-SWAG Tab. 3, last row (full L-SWAG): Spearman on NB201 (3 tasks)",
        protocol="lswag-paper",
        reference="L-SWAG (Casarin et al., CVPR 2025) Sec. 4.3, Tab. 3",
        note="Tab. 3's TransNAS columns (AE, jigsaw, normal) need Taskonomy images, not in the shared data; only the "
             "NB201 columns are reproduced here.",
        cells=(
            Cell("nasbench201", "cifar10", "lswag", 0.79, "Tab. 3, last row (all components), NB201 C10"),
            Cell("nasbench201", "cifar100", "lswag", 0.83, "Tab. 3, last row (all components), NB201 C100"),
            Cell("nasbench201", "ImageNet16-120", "lswag", 0.80, "Tab. 3, last row (all components), NB201 In16-120"),
        ),
    ),
}

NOT_YET = {
    "lswag-tab1": "L-SWAG Tab. 1 (LIBRA rows) needs the LIBRA pipeline over the suite's 13 proxies: use the libra "
                  "command (docs/results/lswag_libra.md)",
    "teg-tab2": "TEG-NAS Tab. 2 is a search table: run the teg-prune search under the teg-paper protocol, 4 seeds",
    "zcpt-tab2": "Zero-Cost-PT Tab. 2 is a search table: run the zc-pt search under the zcpt-paper protocol",
}


class ReproduceError(NaslibSwapError):
    """A table or scale that cannot be reproduced."""


def get_table(name: str) -> Table:
    if name in TABLES:
        return TABLES[name]
    if name in NOT_YET:
        raise ReproduceError(f"table {name!r} is not reproducible by this command yet: {NOT_YET[name]}",
                             param="table")
    raise ReproduceError(f"unknown table {name!r}; known: {', '.join(TABLES)}", param="table")


def get_scale(scale: str | Scale) -> Scale:
    if isinstance(scale, Scale):
        return scale
    if scale not in SCALES:
        raise ReproduceError(f"unknown scale {scale!r}; use {' or '.join(SCALES)}", param="scale")
    return SCALES[scale]


def _labels(proxies: Sequence[str], protocol: str, scale: Scale) -> dict[str, str]:
    """Proxy name -> the stored label under the protocol, with the scale's cap on re-initialisations."""
    out = {}
    for name in proxies:
        call = apply_protocol(protocol, name)
        reinits = call.options.get("reinits")
        if scale.max_reinits is not None and isinstance(reinits, int) and reinits > scale.max_reinits:
            call = call.with_options(reinits=scale.max_reinits)
        out[name] = call.label
    return out


def _groups(table: Table) -> dict[tuple[str, str], list[str]]:
    groups: dict[tuple[str, str], list[str]] = {}
    for c in table.cells:
        groups.setdefault((c.space, c.dataset), [])
        if c.proxy not in groups[(c.space, c.dataset)]:
            groups[(c.space, c.dataset)].append(c.proxy)
    return groups


def _task_config(space: str, dataset: str, labels: list[str], protocol: str, scale: Scale,
                 overrides: Mapping[str, Any]) -> dict[str, Any]:
    from ..registry import get_space
    from .sampler import suite_keys

    proto = get_protocol(protocol)
    archs: Any = scale.archs_for(space)
    unique = False
    if archs == "all":
        archs = len(suite_keys(get_space(space), dataset, overrides.get("data_root")))
        unique = True
    flags: dict[str, Any] = {
        "space": space, "dataset": dataset, "proxies": labels, "protocol": proto.name,
        "seeds": list(scale.seeds if scale.seeds is not None else proto.seeds),
        "archs": archs if archs is not None else proto.archs, "unique": unique,
        "batch_size": scale.batch_size, "truth_metrics": ["val", "test"], "baselines": False,
    }
    flags.update({k: v for k, v in overrides.items() if v is not None})
    return resolve(flags=flags)


def reproduce(table: str | Table, scale: str | Scale = "quick", db: str | Path = "reproduce.sqlite", *,
              protocol: str | None = None, progress: bool = True, log: Callable[[str], None] | None = None,
              **overrides: Any) -> dict[str, Any]:
    """Run (or resume) what ``table`` needs into ``db`` and return ``{"table", "scale", "protocol", "rows", ...}``.

    ``overrides`` are config keys for every task (``archs``, ``seeds``, ``workers``, ``device``, ``data_root``,
    ``batch_size``); each row is one cell: ours (val, test: mean and std over seeds), the paper's figure, n, seeds.
    """
    tab = table if isinstance(table, Table) else get_table(table)
    sc = get_scale(scale)
    proto = get_protocol(protocol or tab.protocol)
    groups = _groups(tab)
    # everything is checked before anything runs
    plans = {}
    for (space, dataset), proxies in groups.items():
        labels = _labels(proxies, proto.name, sc)
        plans[(space, dataset)] = (labels, _task_config(space, dataset, list(labels.values()), proto.name, sc,
                                                        overrides))
    t0, cpu0 = time.perf_counter(), time.process_time()
    summaries = {}
    for key, (labels, cfg) in plans.items():
        if log:
            log(f"{key[0]}/{key[1]}: {', '.join(labels.values())} on {cfg['archs']} archs x seeds "
                f"{','.join(map(str, cfg['seeds']))}")
        summaries[key] = run_correlation(cfg, db, progress=progress)
    rows = [_row(c, plans[(c.space, c.dataset)], summaries[(c.space, c.dataset)]) for c in tab.cells]
    return {"table": tab.name, "title": tab.title, "reference": tab.reference, "note": tab.note,
            "scale": sc.name, "scale_description": sc.description, "protocol": proto.name,
            "protocol_title": proto.title, "images_note": proto.images_note, "db": str(db), "rows": rows,
            "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - cpu0}


def _row(cell: Cell, plan: tuple[dict[str, str], dict[str, Any]], summary: dict[str, Any]) -> dict[str, Any]:
    labels, cfg = plan
    label = labels[cell.proxy]
    row: dict[str, Any] = {**asdict(cell), "label": label, "seeds": ",".join(map(str, cfg["seeds"])),
                           "archs": cfg["archs"], "unique": cfg["unique"],
                           "images": summary["sources"].get(label, ""),
                           "s_per_arch": summary["seconds_per_arch"].get(label, math.nan)}
    for metric in ("val", "test"):
        res = summary["results"].get(metric, {}).get(label)
        m = res["mean"] if res else {}
        row[metric] = m.get("spearman", math.nan)
        row[f"{metric}_std"] = m.get("spearman_std", math.nan) if m.get("seeds", 0) > 1 else math.nan
        row[f"{metric}_n"] = int(m["n"] / m["seeds"]) if m else 0  # per seed
        row[f"{metric}_source"] = summary["truth"].get(metric, "")
    row["n_seeds"] = int((summary["results"].get("val", {}).get(label) or {"mean": {}})["mean"].get("seeds", 0))
    row["diff_val"] = row["val"] - cell.paper
    return row


def _f(v: Any, std: Any = math.nan) -> str:
    if v is None or not isinstance(v, (int, float)) or not math.isfinite(v):
        return "–"
    return f"{v:.3f}" if not math.isfinite(std) else f"{v:.3f} ± {std:.3f}"


def markdown(result: dict[str, Any]) -> str:
    """The side-by-side table, with everything needed to read it."""
    lines = [f"## {result['title']}", "",
             f"Paper: {result['reference']}. Protocol: `{result['protocol']}` ({result['protocol_title']}); images: "
             f"{result['images_note']}. Scale: {result['scale_description']}.", "",
             "| space | task | proxy | paper | ours val | ours test | ours - paper (val) | n / seed | seeds | "
             "proxy label | images | paper cell |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['space']} | {r['dataset']} | {r['proxy']} | {r['paper']:.2f} | {_f(r['val'], r['val_std'])}"
                     f" | {_f(r['test'], r['test_std'])} | {_f(r['diff_val'])} | {r['val_n']} | {r['seeds']} | "
                     f"`{r['label']}` | {r['images']} | {r['where']} |")
    truths = sorted({(r["space"], r["dataset"], m, r[f"{m}_source"]) for r in result["rows"] for m in ("val", "test")
                     if r[f"{m}_source"]})
    lines += ["", "Ground truth: " + "; ".join(f"{s}/{d} {m}: {src}" for s, d, m, src in truths) + ".",
              f"Spearman, mean ± std over seeds where there are several; store `{result['db']}`; this run "
              f"{result['wall_s']:.0f} s wall, {result['cpu_s']:.0f} s CPU of this process (0 when every cell was "
              f"already stored)."]
    if result.get("note"):
        lines += ["", f"Note: {result['note']}."]
    return "\n".join(lines) + "\n"


def write_outputs(result: dict[str, Any], out: str | Path) -> list[Path]:
    """``<table>_<scale>.md``, ``.json`` and ``.png`` (paper vs ours, per cell) in ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    stem = f"{result['table']}_{result['scale']}"
    md, js, png = d / f"{stem}.md", d / f"{stem}.json", d / f"{stem}.png"
    md.write_text(markdown(result))
    js.write_text(json.dumps(result, indent=1, default=lambda v: None))
    rows = result["rows"]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(rows)), 4.0))
    for i, (key, lab) in enumerate((("paper", "paper"), ("val", "ours (val)"), ("test", "ours (test)"))):
        vals = [r[key] if isinstance(r[key], (int, float)) and math.isfinite(r[key]) else 0.0 for r in rows]
        ax.bar(x + (i - 1) * 0.27, vals, 0.27, label=lab)
    ax.set_xticks(x, [f"{r['space'].replace('nasbench', 'NB')}\n{r['dataset'][:8]}\n{r['proxy']}" for r in rows],
                  fontsize=7)
    ax.set_ylabel("Spearman")
    ax.set_ylim(min(0.0, *[r["val"] for r in rows if math.isfinite(r["val"])]), 1.0)
    ax.set_title(f"{result['table']} ({result['scale']}, protocol {result['protocol']})", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return [md, js, png]


def tiny_scale(archs: int = 3, seeds: Sequence[int] = (9000,), batch_size: int | None = None) -> Scale:
    """A scale for tests and smoke runs: a few archs of one seed, one re-initialisation."""
    return replace(SCALES["quick"], name="tiny", archs={}, default_archs=archs, seeds=tuple(seeds), max_reinits=1,
                   batch_size=batch_size, description=f"tiny: {archs} archs x {len(seeds)} seed(s), smoke test only")
