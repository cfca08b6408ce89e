"""Shared fixtures. Tests that need the shared benchmark data skip with a clear message when it is absent."""
from __future__ import annotations

import pytest
import torch

from naslib_swap.data.groundtruth import has_data

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
