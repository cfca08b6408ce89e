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
    (["lswag-interval", "--space", "nb999", "--dataset", "cifar10", "--out", "{tmp}/iv.png"], "unknown space", False),
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
    # more of each kind, as a new user types them (issue 21's second pass)
    ([*SCORE, "--proxies", ""], "no proxy given", False),
    ([*SCORE, "--proxies", "swap[reinits=0]"], "reinits must be >= 1", False),
    ([*SCORE, "--proxies", "reg_swap[sigma=0]"], "sigma must be > 0", False),
    ([*SCORE, "--proxies", "reg_swap[mu=-1]"], "must be > 0", False),
    ([*SCORE, "--proxies", "lswag[interval=(5,2)]"], "bad L-SWAG interval (5, 2)", False),
    ([*SCORE, "--proxies", "lswag[interval=(2,5,7)]"], "give two percentile bins", False),
    ([*SCORE, "--proxies", "lswag[interval=abc]"], "bad L-SWAG interval", False),
    ([*SCORE, "--proxies", "swap[init=foo]"], "init must be 'default' or 'normal'", False),
    ([*SCORE, "--proxies", "teg_mse[variant=x]"], "variant must be 'paper' or 'code'", False),
    (["score", *NB201, "--arch", "|nor_conv_3x3~0|+|none~0|", "--proxies", "params"], "3 node groups", False),
    (["score", "--space", "nasbench301", "--dataset", "cifar10", "--arch", "Genotype(normal=[('conv_9x9', 0)])",
      "--proxies", "params"], "needs normal=... and reduce=...", False),
    (["score", "--space", "nasbench101", "--dataset", "cifar10", "--arch", "([[0,1],[1,0]], [0,1])", "--proxies",
      "params"], "bad nasbench101 architecture", False),
    (["score", "--space", "transbench101_micro", "--dataset", "cifar10", "--arch", "(1, 2, 3, 1, 2, 3)",
      "--proxies", "params"], "unknown dataset 'cifar10' for space transbench101_micro", False),
    (["score", *NB201, "--archs-file", "{tmp}/bad_archs.txt", "--proxies", "params"], "bad_archs.txt, line 2", False),
    ([*SCORE, "--proxies", "swap", "--data-root", "{tmp}/nodata"], "data folder not found", False),
    ([*SCORE, "--proxies", "params", "--format", "xml"], "invalid choice", False),
    ([*SCORE, "--proxies", "params", "--batch-size", "1.5"], "invalid int value", False),
    ([*CORR, "--db", "{tmp}/r.sqlite", "--seeds", "9000,abc"], "bad range", False),
    ([*CORR, "--db", "{tmp}/r.sqlite", "--archs", "-5"], "at least 1", False),
    ([*CORR, "--db", "{tmp}/r.sqlite", "--proxies", ""], "no proxy given", False),
    ([*CORR, "--db", "{tmp}/r.sqlite", "--workers", "-1"], "at least 1", False),
    ([*CORR, "--db", "{tmp}"], "cannot open results store", D),
    ([*CORR, "--db", "{tmp}/r.sqlite", "--archs", "20000", "--unique"], "draw without replacement", D),
    (["correlate", "--space", "nasbench201", "--dataset", "jigsaw", "--proxies", "params", "--db", "{tmp}/r.sqlite"],
     "unknown dataset 'jigsaw'", False),
    ([*SEARCH, "--method", "swap-nas", "--seed", "abc"], "invalid int value", False),
    ([*SEARCH, "--method", "swap-nas", "--budget", "0"], "use a budget >= 1", False),
    ([*SEARCH, "--method", "swap-nas", "--budget", "-1"], "use a budget >= 1", False),
    ([*SEARCH, "--method", "swap-nas", "--option", "mu=-1"], "must be > 0", False),
    ([*SEARCH, "--method", "swap-nas", "--option", "mutations=-2"], "mutations >= 1", False),
    ([*SEARCH, "--method", "zc-pt", "--option", "proxy=nope"], "unknown proxy 'nope'", False),
    ([*SEARCH, "--method", "zc-pt", "--option", "proposals=0"], "proposals >= 1", False),
    ([*SEARCH, "--method", "teg-evolution", "--option", "population=0"], "bad evolution sizes", False),
    ([*SEARCH, "--method", "teg-reinforce", "--option", "lr=-1"], "lr > 0", False),
    ([*SEARCH, "--method", "libra-nas", "--option", "combine_method=foo"], "unknown combine_method 'foo'", False),
    (["search", "--space", "nasbench301", "--dataset", "cifar100", "--method", "swap-nas"],
     "unknown dataset 'cifar100'", False),
    (["libra", *NB201, "--combine", "foo"], "invalid choice", False),
    (["libra", *NB201, "--tolerance", "-0.1"], "tolerance is a Spearman window", D),
    (["libra", *NB201, "--fit-seed", "x"], "invalid int value", False),
    (["libra", *NB201, "--eval-seeds", ""], "empty range", False),
    (["libra", "--space", "nb999", "--dataset", "cifar10"], "unknown space 'nb999'", D),
    (["libra", *NB201, "--db", "{tmp}/corrupt.sqlite"], "cannot read results store", False),
    (["lswag-interval", *NB201, "--archs", "0", "--out", "{tmp}/iv.png"], "at least 1", False),
    (["lswag-interval", "--space", "nasbench201", "--dataset", "cifar11", "--out", "{tmp}/iv.png"],
     "unknown dataset 'cifar11'", False),
    (["lswag-interval", *NB201, "--archs", "2", "--out", "{tmp}/taken.txt"], "give a .png, .pdf, .svg file", False),
    (["lswag-interval", *NB201, "--archs", "2", "--out", "{tmp}/nodir/iv.png"], "does not exist", False),
    (["lswag-interval", *NB201, "--batch-size", "0", "--out", "{tmp}/iv.png"], "--batch-size must be", False),
    (["lswag-interval", *NB201, "--device", "tpu", "--out", "{tmp}/iv.png"], "device 'tpu'", False),
    (["report", "--db", "{tmp}/taken.txt", "--out", "{tmp}/rep"], "file is not a database", False),
    (["export", "--db", "{tmp}/corrupt.sqlite", "--out", "{tmp}/exp"], "cannot read results store", False),
    (["list", "--format"], "expected one argument", False),
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
    (tmp_path / "bad_archs.txt").write_text("(0, 2, 3, 2, 3, 1)\n(9, 9)\n")
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
    assert len(CASES) >= 102  # issue 21: at least the 102 kinds a new user tried
