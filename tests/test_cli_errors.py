"""Bad input on the command line: exit 2 and one line naming the problem (and the flag, where the CLI has one)."""
from __future__ import annotations

import pytest

from naslib_swap.cli import main

BAD = [
    (["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", "(0, 2, 3, 2, 3, 1)",
      "--proxies", "reg_swap[mu=abc]"], "reg_swap' option mu='abc'"),
    (["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", "(0, 2, 3, 2, 3, 1)",
      "--proxies", "swap", "--device", "tpu"], "device 'tpu'"),
    (["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", "(0, 2, 3, 2, 3, 1)",
      "--proxies", "swap", "--batch-size", "5000"], "out of range; use 1..1024 (flag --batch-size)"),
    (["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", "(0, 2, 3, 2, 3, 1)",
      "--proxies", "reg_swap[mu=1.2"], "unclosed bracket"),
    (["search", "--space", "nasbench201", "--dataset", "cifar10", "--method", "swap-nas", "--option", "foo=1"],
     "search 'swap-nas' has no option 'foo'"),
    (["search", "--space", "nasbench201", "--dataset", "cifar10", "--method", "swap-nas", "--option", "muu=0.8"],
     "has no option 'muu'"),
    (["search", "--space", "nasbench201", "--dataset", "cifar10", "--method", "swap-nas", "--option", "mu=abc"],
     "option mu='abc'"),
    (["search", "--space", "nasbench201", "--dataset", "cifar10", "--method", "zc-pt", "--option", "mu"],
     "write key=value"),
    (["search", "--space", "nasbench201", "--dataset", "cifar10", "--method", "libra-nas", "--option",
      "proxies=swap+nope"], "unknown proxy 'nope'"),
    (["correlate", "--space", "nasbench201", "--dataset", "cifar10", "--proxies", "swap", "--seeds", "9004-9000",
      "--db", "/tmp/never-written.sqlite"], "reversed range"),
    (["libra", "--space", "nasbench201", "--dataset", "cifar10", "--eval-seeds", "9004-9001"], "reversed range"),
]


@pytest.mark.parametrize("argv, expect", BAD, ids=[" ".join(a[:1] + a[-2:]) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2(argv, expect, capsys):
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert expect in err, err
