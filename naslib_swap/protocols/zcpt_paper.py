"""``zcpt-paper``: Zero-Cost-PT (Xiang et al.; code zerocostptnas/zerocost_operation_score)."""
from __future__ import annotations

from . import Protocol

PROTOCOL = Protocol(
    name="zcpt-paper",
    title="Zero-Cost-PT, Sec. 4-5, Tab. 2 (NB201) and the authors' code",
    proxy_options={"nwot": {"bn_mode": "eval"}},
    image_split="train",
    search_options={
        "zc-pt": {"proxy": "nwot", "bn_mode": "eval", "order": "random", "proposals": 10, "validate": 100,
                  "alpha_std": 0.001},
    },
    archs=1000,
    seeds=(0, 1, 2, 3),
    sources={
        "proxy_options": "code: the 'jacob' score is NWOT's log-determinant with the model in eval mode",
        "image_split": "code: CIFAR training batches",
        "search_options": "Sec. 4 / Fig. 4: random edge order, N = 10 proposals, V = 100 validation batches; supernet "
                          "C=16, N=5 with alpha ~ 1e-3 randn (code); NB201 batch 256, DARTS 64 (the spaces' "
                          "supernet batch, the search's default)",
        "archs": "Zero-Cost-PT reports searches, not correlations: the suite's 1000 archs when one correlates under it",
        "seeds": "Tab. 2: mean and std over independent runs (four here, as TEG-NAS)",
    },
    notes="Search on CIFAR-10, final arch evaluated on all three NB201 datasets (Sec. 5.1).",
)
