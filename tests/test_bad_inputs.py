"""A table of bad inputs to every command, as a new user types them: each gets exit code 2, one line on stderr that
names the problem, no traceback, and leaves no file behind."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from naslib_swap.cli import main
from naslib_swap.data.groundtruth import has_data

NB201 = ["--space", "nasbench201", "--dataset", "cifar10"]
ARCH = ["--arch", "(0, 2, 3, 2, 3, 1)"]
SCORE = ["score", *NB201, *ARCH]
CORR = ["correlate", "--space", "nasbench201", "--dataset", "ImageNet16-120", "--proxies", "params", "--archs", "3",
        "--seeds", "9000", "--no-progress"]
SEARCH = ["search", *NB201, "--no-progress"]
D = True  # the case reads the shared data folder (skipped without it)

# (argv with {tmp} for the test's folder, a fragment of the expected message, needs data)
CASES: list[tuple[list[str], str, bool]] = [
    # names
    (["score", "--space", "nb999", "--dataset", "cifar10", *ARCH, "--proxies", "swap"], "unknown space 'nb999'", False),
    (["score", "--space", "nasbench201", "--dataset", "cifar11", *ARCH, "--proxies", "swap"],
     "unknown dataset 'cifar11'", False),
    ([*SCORE, "--proxies", "swapp"], "unknown proxy 'swapp'", False),
    ([*SCORE, "--proxies", "swap,,nwot2"], "unknown proxy 'nwot2'", False),
    ([*SEARCH, "--method", "random-walk"], "unknown search method 'random-walk'", False),
    (["lswag-interval", "--space", "nb999", "--dataset", "cifar10", "--out", "{tmp}/iv"], "unknown space", False),
    # architectures, every space
    (["score", *NB201, "--arch", "(0, 2, 3)", "--proxies", "params"], "bad nasbench201 architecture", False),
    (["score", *NB201, "--arch", "(0, 2, 3, 2, 3, 7)", "--proxies", "params"], "bad nasbench201 architecture", False),
    (["score", *NB201, "--arch", "|conv~0|+|x|", "--proxies", "params"], "bad nasbench201 architecture", False),
    (["score", "--space", "nasbench101", "--dataset", "cifar10", "--arch", "(1, 2)", "--proxies", "params"],
     "bad nasbench101 architecture", False),
    (["score", "--space", "nasbench301", "--dataset", "cifar10", "--arch", "Genotype(normal=[])", "--proxies",
      "params"], "bad nasbench301 architecture", False),
    (["score", "--space", "transbench101_micro", "--dataset", "jigsaw", "--arch", "(1, 2, 3)", "--proxies",
      "params"], "bad transbench101_micro architecture", False),
    (["score", "--space", "transbench101_macro", "--dataset", "jigsaw", "--arch", "(9, 9)", "--proxies", "params"],
     "bad transbench101_macro architecture", False),
    (["score", "--space", "autoformer_small", "--dataset", "imagenet", "--arch", "embed=320 depth=12 mlp=3 heads=5",
      "--proxies", "params"], "bad autoformer_small architecture", False),
    (["score", "--space", "autoformer_base", "--dataset", "imagenet", "--arch", "(14, 3.0)", "--proxies", "params"],
     "bad autoformer_base architecture", False),
    (["score", "--space", "autoformer_tiny", "--dataset", "cifar10", "--arch", "(1,)", "--proxies", "params"],
     "unknown dataset 'cifar10' for space autoformer_tiny", False),
    (["score", *NB201, "--proxies", "params"], "no architecture given", False),
    (["score", *NB201, "--archs-file", "{tmp}/none.txt", "--proxies", "params"], "archs file", False),
    # proxy options
    ([*SCORE, "--proxies", "reg_swap[mu=abc]"], "option mu='abc'", False),
    ([*SCORE, "--proxies", "reg_swap[muu=1]"], "has no option 'muu'", False),
    ([*SCORE, "--proxies", "swap[reinits=1.5]"], "reinits=1.5: expected an integer", False),
    ([*SCORE, "--proxies", "reg_swap[formula=new]"], "formula='new'", False),
    ([*SCORE, "--proxies", "reg_swap[mu=1.2"], "unclosed bracket", False),
    ([*SCORE, "--proxies", "reg_swap[mu]"], "write key=value", False),
    ([*SCORE, "--proxies", "reg_swap[mu=1,mu=2]"], "given twice", False),
    ([*SCORE, "--proxies", "swap[bn_mode=test]"], "bn_mode", False),
    ([*SCORE, "--proxies", "teg"], "score at least 2 distinct archs", False),
    # numbers and devices
    ([*SCORE, "--proxies", "params", "--batch-size", "0"], "batch size 0 out of range", False),
    ([*SCORE, "--proxies", "params", "--batch-size", "-3"], "out of range", False),
    ([*SCORE, "--proxies", "params", "--batch-size", "5000"], "out of range", False),
    ([*SCORE, "--proxies", "params", "--batch-size", "abc"], "invalid int value", False),
    ([*SCORE, "--proxies", "params", "--device", "tpu"], "device 'tpu'", False),
    ([*SCORE, "--proxies", "params", "--device", "cuda:3"], "device 'cuda:3'", False),
    ([*SCORE, "--proxies", "params", "--seed", "x"], "invalid int value", False),
    # correlate: ranges, sizes, files, config
    ([*CORR, "--db", "{tmp}/r.sqlite", "--seeds", "9004-9000"], "reversed range", False),
    ([*CORR, "--db", "{tmp}/r.sqlite", "--seeds", "nine"], "bad range", False),
    ([*CORR, "--db", "{tmp}/r.sqlite", "--archs", "1"], "at least 2 archs", False),
    ([*CORR, "--db", "{tmp}/r.sqlite", "--archs", "0"], "at least 1", False),
    ([*CORR, "--db", "{tmp}/r.sqlite", "--workers", "0"], "at least 1", False),
    ([*CORR, "--db", "{tmp}/nodir/r.sqlite"], "does not exist", D),
    ([*CORR, "--db", "{tmp}/r.sqlite", "--proxies", "swap[x=1]"], "has no option 'x'", D),
    ([*CORR, "--db", "{tmp}/r.sqlite", "--batch-size", "0"], "batch size 0", D),
    ([*CORR, "--db", "{tmp}/r.sqlite", "--device", "cuda"], "device 'cuda'", D),
    ([*CORR, "--db", "{tmp}/corrupt.sqlite"], "cannot read results store", D),
    (["correlate", "--db", "{tmp}/r.sqlite", "--config", "{tmp}/none.yaml"], "not found", False),
    (["correlate", "--db", "{tmp}/r.sqlite", "--config", "{tmp}/bad.yaml"], "not valid YAML", False),
    (["correlate", "--db", "{tmp}/r.sqlite"], "no space/dataset given", False),
    ([*CORR, "--db", "{tmp}/r.sqlite", "archs_per_seed=3"], "unknown config key", False),
    ([*CORR, "--db", "{tmp}/r.sqlite", "archs=many"], "archs must be an integer", False),
    # report and export
    (["report", "--db", "{tmp}/none.sqlite", "--out", "{tmp}/rep"], "not found", False),
    (["report", "--db", "{tmp}/corrupt.sqlite", "--out", "{tmp}/rep"], "cannot read results store", False),
    (["report", "--db", "{tmp}/none.sqlite", "--out", "{tmp}/taken.txt"], "is an existing file", False),
    (["export", "--db", "{tmp}/none.sqlite", "--out", "{tmp}/exp"], "not found", False),
    (["export", "--db", "{tmp}/none.sqlite", "--format", "csv", "--out", "{tmp}/exp"], "invalid choice", False),
    # search options and capabilities
    ([*SEARCH, "--method", "swap-nas", "--option", "foo=1"], "has no option 'foo'", False),
    ([*SEARCH, "--method", "swap-nas", "--option", "mu=abc"], "option mu='abc'", False),
    ([*SEARCH, "--method", "swap-nas", "--option", "population=1"], "population >= 2", False),
    ([*SEARCH, "--method", "swap-nas", "--option", "width=0"], "width", False),
    ([*SEARCH, "--method", "zc-pt", "--option", "order=sideways"], "unknown zc-pt order", False),
    ([*SEARCH, "--method", "zc-pt", "--option", "proxy=teg"], "population", False),
    ([*SEARCH, "--method", "zc-pt", "--option", "proposals"], "write key=value", False),
    ([*SEARCH, "--method", "teg-prune", "--option", "depth=2"], "cannot set depth", D),
    ([*SEARCH, "--method", "teg-reinforce", "--option", "gamma=1.5"], "gamma", D),
    ([*SEARCH, "--method", "libra-nas", "--option", "proxies=swap+nope"], "unknown proxy 'nope'", False),
    (["search", "--space", "transbench101_micro", "--dataset", "jigsaw", "--method", "zc-pt"],
     "needs a space with a supernet", False),
    (["search", "--space", "nasbench101", "--dataset", "cifar10", "--method", "swap-nas"],
     "needs a space with mutation and crossover operators", False),
    (["search", "--space", "nasbench101", "--dataset", "cifar10", "--method", "teg-evolution"],
     "teg-evolution needs a space with", False),
    ([*SEARCH, "--method", "swap-nas", "--budget", "x"], "invalid int value", False),
    # libra
    (["libra", *NB201, "--eval-seeds", "9004-9001"], "reversed range", False),
    (["libra", *NB201, "--eval-seeds", "9000-9001"], "include the fit seed 9000", D),
    (["libra", *NB201, "--archs", "2"], "at least 3", False),
    (["libra", *NB201, "--pool", "nwot,nope", "--archs", "100"], "nope", D),
    (["libra", *NB201, "--db", "{tmp}/none.sqlite"], "not found", False),
    # argparse itself
    (["score", "--space", "nasbench201"], "the following arguments are required", False),
    (["list", "--format", "xml"], "invalid choice", False),
    (["frobnicate"], "invalid choice", False),
]


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as e:  # argparse's own usage errors
        return int(e.code or 0)


@pytest.mark.parametrize("argv, expect, data", CASES, ids=[f"{i:02d}-{' '.join(a[:1] + a[-2:])}"[:70]
                                                           for i, (a, _, _) in enumerate(CASES)])
def test_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                   argv: list[str], expect: str, data: bool) -> None:
    if data and not has_data():
        pytest.skip("shared data folder (../shared/data) not found")
    (tmp_path / "corrupt.sqlite").write_bytes(b"not a database " * 64)
    (tmp_path / "bad.yaml").write_text("space: [nasbench201\n")
    (tmp_path / "taken.txt").write_text("keep")
    before = sorted(p.name for p in tmp_path.iterdir())
    monkeypatch.chdir(tmp_path)
    rc = _run([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert expect in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    with pytest.raises(sqlite3.DatabaseError):  # and the corrupt store is left as it was
        sqlite3.connect(tmp_path / "corrupt.sqlite").execute("SELECT 1 FROM sqlite_master").fetchone()


def test_the_table_covers_every_command() -> None:
    commands = {argv[0] for argv, _, _ in CASES}
    assert {"score", "correlate", "report", "export", "search", "libra", "lswag-interval", "list"} <= commands
    assert len(CASES) >= 70
