"""``teg-paper``: TEG's indicators and searches (Chen et al., TEG-NAS; code VITA-Group/TEGNAS)."""
from __future__ import annotations

from . import Protocol

_TEG = {"reinits": 3, "init": "kaiming"}

PROTOCOL = Protocol(
    name="teg-paper",
    title="TEG-NAS (trainability, expressivity, generalization), Sec. 4-5, Tab. 2; code VITA-Group/TEGNAS",
    batch_size=64,
    proxy_options={
        "teg_ntk": dict(_TEG),
        "teg_lr": {**_TEG, "crops": 3000, "crop_size": 3},
        "teg_mse": {**_TEG, "variant": "paper", "train_size": 64, "test_size": 64},
    },
    image_split="train",
    search_options={
        "teg-evolution": {"population": 256, "sample_size": 64, "steps": 1000, "batch_size": 64, "reinits": 3,
                          "mse_variant": "paper"},
        "teg-reinforce": {"steps": 500, "gamma": 0.9, "reward_window": 10, "batch_size": 64, "reinits": 3,
                          "mse_variant": "paper"},
        "teg-prune": {"batch_size": 64, "reinits": 3, "mse_variant": "paper"},
    },
    archs=1000,
    seeds=(0, 1, 2, 3),
    sources={
        "batch_size": "Sec. 4: one minibatch of 64 for the NTK and for each MSE split (NOTES.md, TEG)",
        "proxy_options": "Sec. 3.4 / Alg. 1: each indicator averaged over three re-initialisations (Kaiming normal in "
                         "the code); linear regions on 3000 random 3x3 single-channel crops (code); MSE: the paper's "
                         "Eqs. 8-9 (variant 'paper'; the code's variant is 'code'), 64 train vs 64 held-out images",
        "image_split": "code: training images (NTK / linear regions) and a held-out split (MSE)",
        "search_options": "evolution: population 256, sample 64, 1000 steps (code R_EA.py); REINFORCE: 500 steps, EMA "
                          "0.9, reward over the last 10 values (Sec. 5.1); pruning: TE-NAS's prune-by-ranking",
        "archs": "Sec. 5: correlation studies on 1000 NB201 archs",
        "seeds": "Sec. 5.1: every Tab. 2 search run four times with different seeds",
    },
    notes="The authors score their indicators on tiny indicator nets (teg_ntk[width=3,cells=1] on NB201, the "
          "searches' teg-indicator profile); the proxies here score the net they are given unless width/cells are set.",
)
