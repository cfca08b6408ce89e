"""``suite``: NAS-Bench-Suite-Zero's protocol (the default): every proxy as defined, one random minibatch of 64 per
arch, the network as built (PyTorch's default init), BN in train mode, 1000 archs per seed, seeds 9000-9004."""
from __future__ import annotations

from . import Protocol

PROTOCOL = Protocol(
    name="suite",
    title="NAS-Bench-Suite-Zero (NASLib zerocost branch): the package's defaults, unchanged",
    batch_size=None,
    image_split="test",
    archs=1000,
    seeds=(9000, 9001, 9002, 9003, 9004),
    sources={
        "batch_size": "none set: each proxy's paper default, else the space's default_batch_size (64, the suite's "
                      "test_batch_size in NASLib's zc configs)",
        "image_split": "the shared folder's real test images (the suite draws from its own data loader)",
        "archs": "NAS-Bench-Suite-Zero: test_size 1000 per task",
        "seeds": "NAS-Bench-Suite-Zero: seeds 9000-9004",
    },
    notes="today's behaviour: a run without --protocol and a run with --protocol suite give the same labels and scores",
)
