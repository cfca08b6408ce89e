"""``--threads`` on score and correlate: torch's intra-op threads for the process (score) or each worker."""
from __future__ import annotations

import pytest
import torch

from naslib_swap.cli import main
from naslib_swap.data.groundtruth import has_data


def test_threads_below_one_is_a_one_line_error(capsys, tmp_path) -> None:
    assert main(["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", "(0, 2, 3, 2, 3, 1)",
                 "--proxies", "params", "--threads", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--threads must be at least 1" in err[0]
    assert main(["correlate", "--space", "nasbench201", "--dataset", "cifar10", "--proxies", "params",
                 "--db", str(tmp_path / "r.sqlite"), "--threads", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "threads must be at least 1" in err[0] and "--threads" in err[0]


@pytest.mark.skipif(not has_data(), reason="shared data folder (../shared/data) not found")
def test_score_sets_the_threads(capsys) -> None:
    before = torch.get_num_threads()
    try:
        assert main(["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", "(0, 2, 3, 2, 3, 1)",
                     "--proxies", "params", "--batch-size", "2", "--threads", "1"]) == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
