"""scripts/suite_agreement.py: the draw it scores, and resuming from a file a kill cut short."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from conftest import NEEDS_DATA
from naslib_swap.registry import get_space

_PATH = Path(__file__).resolve().parents[1] / "scripts" / "suite_agreement.py"
_spec = importlib.util.spec_from_file_location("suite_agreement", _PATH)
assert _spec is not None and _spec.loader is not None
agree = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(agree)


@NEEDS_DATA
def test_preview_draw_holds_only_archs_with_stored_cifar100_scores() -> None:
    from naslib_swap.suite.baselines import baseline_scores

    space = get_space("nasbench201")
    preview = agree.draw(space, "cifar100", 9000, 20, "preview")
    suite = agree.draw(space, "cifar100", 9000, 20)
    assert len(preview) == len(set(preview)) == 20
    # cifar100's only stored scores are the preview's 725 archs: every preview-drawn arch has them, the suite draw
    # (9,445 archs) mostly not
    assert baseline_scores(space, "cifar100", preview).arch.nunique() == 20
    assert baseline_scores(space, "cifar100", suite).arch.nunique() < 10
    assert agree.draw(space, "cifar100", 9000, 5, "preview") == preview[:5]  # first n of the same draw


def test_records_skip_a_line_cut_short() -> None:
    lines = [json.dumps({"arch": "a", "scores": {}}), '{"arch": "b", "sco']
    assert [r["arch"] for r in agree._records(lines)] == ["a"]


_SEEDS_PATH = _PATH.parent / "live_seed_table.py"
_sspec = importlib.util.spec_from_file_location("live_seed_table", _SEEDS_PATH)
assert _sspec is not None and _sspec.loader is not None
seeds = importlib.util.module_from_spec(_sspec)
_sspec.loader.exec_module(seeds)


def _write(path: Path, rows: dict[str, dict[str, float]]) -> None:
    path.write_text("".join(json.dumps({"arch": a, "scores": {p: [v, 0.5] for p, v in sc.items()}}) + "\n"
                            for a, sc in rows.items()))


def test_seed_scores_keep_the_first_archs_and_combine_aznas_over_them_only(tmp_path: Path) -> None:
    import numpy as np
    from scipy.stats import kendalltau, spearmanr

    g = np.random.default_rng(0)
    archs = [f"a{i}" for i in range(8)]
    comps = ("az_expressivity", "az_progressivity", "az_trainability", "flops")
    rows = {a: {c: float(g.normal()) for c in comps} | {"zico": float(i)} for i, a in enumerate(archs)}
    _write(tmp_path / "s.jsonl", rows)
    _write(tmp_path / "x.jsonl", {a: {"meco": float(-i)} for i, a in enumerate(archs)})
    live = seeds.seed_scores([str(tmp_path / "s.jsonl"), str(tmp_path / "x.jsonl")], 5)
    assert list(live) == archs[:5] and all("meco" in live[a] for a in live)
    # AZ-NAS is population-relative: combined over the 5 kept archs, it equals the proxy computed on those 5 alone
    from naslib_swap.proxies.base import PopulationScore

    pop = PopulationScore("aznas")
    for a in archs[:5]:
        pop.update(a, {c: rows[a][c] for c in comps})
    assert {a: live[a]["aznas"][0] for a in live} == pop.compute()
    truth = {a: float(v) for a, v in zip(archs, g.normal(size=8))}
    rho, tau, n = seeds.correlations(live, truth, "zico")
    x, y = [live[a]["zico"][0] for a in live], [truth[a] for a in live]
    assert n == 5 and rho == spearmanr(x, y)[0] and tau == kendalltau(x, y)[0]
    assert np.isnan(seeds.correlations(live, {}, "zico")[0])
