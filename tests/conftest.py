"""Shared fixtures. Tests that need the shared benchmark data skip with a clear message when it is absent."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from naslib_swap.data.groundtruth import has_data
from naslib_swap.spaces.nasbench201 import NasBench201
from naslib_swap.types import Batch

NEEDS_DATA = pytest.mark.skipif(
    not has_data(), reason="shared benchmark data not found (../shared/data or $NASLIB_SWAP_DATA); see README"
)


@pytest.fixture(autouse=True)
def _few_threads():
    # tiny nets gain nothing from threads, and oversubscribed threads make them 100x slower on a busy machine
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


# tiny NB201 nets on synthetic images: the planner's and the borrowed-net tests need no data folder
TINY = {"width": 4, "cells": 1}
ARCHS = ["(2, 3, 4, 0, 2, 3)", "(0, 2, 2, 1, 3, 4)"]


class SyntheticNB201(NasBench201):
    """NB201 nets on synthetic 16x16 images (the tests that use it need no data folder)."""

    def make_batches(self, dataset, sizes, generator, *, data_root=None, device="cpu"):
        return [Batch(torch.randn(s, 3, 16, 16, generator=generator).to(device),
                      torch.randint(0, 10, (s,), generator=generator).to(device), nn.CrossEntropyLoss(), 10,
                      "synthetic N(0,1) images") for s in sizes]
