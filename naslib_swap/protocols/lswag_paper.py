"""``lswag-paper``: L-SWAG's setting (Casarin et al., CVPR 2025; no public code)."""
from __future__ import annotations

from . import Protocol

PROTOCOL = Protocol(
    name="lswag-paper",
    title="L-SWAG / LIBRA (Casarin et al., CVPR 2025), Sec. 3.1 and 4, App. D",
    batch_size=64,
    space_batch_size={"transbench101_micro": 32, "transbench101_macro": 32},
    proxy_options={
        "lswag": {"numerator": "one", "interval": None, "acts": "relu+gelu"},
        "lswag_layerwise": {"numerator": "one", "interval": None, "acts": "relu+gelu"},
    },
    image_split="test",
    archs=1000,
    seeds=(9000, 9001, 9002, 9003, 9004),
    sources={
        "batch_size": "Sec. 4 (experimental setting): batch 64",
        "space_batch_size": "Sec. 4: batch 32 on TransNAS-Bench-101 (memory)",
        "proxy_options": "numerator 1 (Eq. 1 and Tab. 3: removing ZiCo's mean helps); interval None = the measured "
                         "per-benchmark interval (Sec. 3.1, Eq. 6: the spike of the per-bin log term over random nets; "
                         "shipped in naslib_swap/proxies/lswag_intervals.json, a user's lswag-interval run overrides "
                         "it); ReLU or GELU patterns (Sec. 3)",
        "image_split": "not stated in the paper; the suite's data (it evaluates on NAS-Bench-Suite-Zero)",
        "archs": "Sec. 4: 1000 architectures per benchmark",
        "seeds": "Sec. 4: mean of 5 runs",
    },
    notes="Init and BN mode are not stated: the network as built (PyTorch default init), BN in train mode, as the "
          "suite.",
)
