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
