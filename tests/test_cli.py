"""The CLI's contract: one-line errors with exit code 2, JSON shapes other tools rely on."""
import json
import subprocess
import sys

import pytest

from conftest import NEEDS_DATA
from naslib_swap.cli import main

ARCH = "(0, 2, 3, 2, 3, 1)"


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", ARCH, "--proxies", "swapx"],
         "unknown proxy 'swapx'; known:"),
        (["score", "--space", "nb201", "--dataset", "cifar10", "--arch", ARCH, "--proxies", "swap"],
         "unknown space 'nb201'; known: "),
        (["score", "--space", "nasbench201", "--dataset", "imagenet", "--arch", ARCH, "--proxies", "swap"],
         "unknown dataset 'imagenet' for space nasbench201"),
        (["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", "(0, 2, 3)", "--proxies", "swap"],
         "has 3 entries, not 6; expected"),
        (["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", "(0, 2, 3, 2, 3, 9)",
          "--proxies", "swap"],
         "op indices must be integers 0..4"),
        (["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", "zebra", "--proxies", "swap"],
         "cannot parse it"),
        (["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", ARCH, "--proxies", "swap",
          "--batch-size", "0"], "batch size 0 out of range"),
        (["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", ARCH, "--proxies", "swap",
          "--data-root", "/nonexistent/data"], "data folder not found"),
        (["score", "--space", "nasbench201", "--dataset", "cifar10", "--archs-file", "/nonexistent.txt",
          "--proxies", "swap"], "archs file /nonexistent.txt not found"),
        (["score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", ARCH, "--proxies", "reg_swap[muu=1]"],
         "has no option 'muu'"),
    ],
)
def test_errors_are_one_line(capsys, argv, fragment):
    rc, out, err = run(capsys, *argv)
    assert rc == 2
    assert fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err


@NEEDS_DATA
def test_missing_data_file_is_named(capsys, tmp_path):
    (tmp_path / "images").mkdir()
    rc, _, err = run(capsys, "score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", ARCH,
                     "--proxies", "swap", "--data-root", str(tmp_path))
    assert rc == 2 and "missing data file" in err and "cifar10_test_first1017.npz" in err


def test_list_json(capsys):
    rc, out, _ = run(capsys, "list", "--format", "json")
    data = json.loads(out)
    assert rc == 0
    names = {p["name"]: p for p in data["proxies"]}
    assert names["swap"]["higher_is_better"] is True and "nasbench201" in {s["name"] for s in data["spaces"]}


@NEEDS_DATA
def test_score_json_and_string_arch(capsys):
    nb = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    rc, out, _ = run(capsys, "score", "--space", "nasbench201", "--dataset", "cifar10", "--arch", ARCH, "--arch", nb,
                     "--proxies", "swap,params", "--batch-size", "8", "--format", "json")
    rows = json.loads(out)
    assert rc == 0 and len(rows) == 4
    assert {tuple(r) for r in rows} == {("arch", "proxy", "score", "time_s")}
    assert rows[1] == {**rows[1], "arch": ARCH, "proxy": "params", "score": 0.615386}
    assert rows[2]["arch"] == "(2, 2, 0, 4, 2, 0)"


@pytest.mark.slow
def test_console_script_entry_point():
    r = subprocess.run([sys.executable, "-m", "naslib_swap.cli", "score", "--space", "x", "--dataset", "y",
                        "--arch", ARCH, "--proxies", "swap"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("naslib-swap: error: unknown space 'x'")
