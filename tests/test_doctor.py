"""``naslib-swap doctor``: each check's verdict and fix on constructed environments, and the exit code."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from naslib_swap.cli import doctor, main
from naslib_swap.integrations.compat import matching_torchvision, version_problems


def test_version_problems_flag_naslibs_known_breakages() -> None:
    good = {"numpy": "1.26.4", "pandas": "2.3.3", "scikit-learn": "1.5.2"}
    assert version_problems(good) == []
    bad = version_problems({"numpy": "2.0.0", "pandas": "3.0.1", "scikit-learn": "1.6.0"})
    assert [fix for _, fix in bad] == ['pip install "numpy<2"', 'pip install "pandas<3"',
                                      'pip install "scikit-learn<1.6"']
    assert "NaN" in bad[2][0]  # the silent one says what it does
    assert version_problems({"numpy": None, "pandas": None, "scikit-learn": None}) == []


@pytest.mark.parametrize("tv,ops_error,naslib_ok,status", [
    (None, None, False, doctor.PROBLEM),                        # not installed
    ("0.27.0", None, True, doctor.PROBLEM),                     # built for another torch
    ("0.28.0+cu130", "operator torchvision::nms does not exist", False, doctor.PROBLEM),  # CUDA wheel, import fails
    ("0.28.0+cu130", "no attribute 'nms'", True, doctor.NOTE),  # ops missing but NASLib imports
    ("0.28.0+cpu", None, True, doctor.OK),
])
def test_torchvision_check(tv, ops_error, naslib_ok, status) -> None:
    (check,) = doctor.torchvision_checks("2.13.0+cpu", tv, ops_error, naslib_ok=naslib_ok)
    assert check.status == status
    if status != doctor.OK:
        assert "torchvision==0.28.*" in check.fix
    assert matching_torchvision("2.6.0") == "0.21"


def test_data_checks_list_missing_files(tmp_path: Path) -> None:
    (tmp_path / "nb201").mkdir()
    (tmp_path / "nb201" / "accuracy.csv").write_text("arch\n")
    checks = {c.what.strip(): c for c in doctor.data_checks(str(tmp_path))}
    assert checks["data folder"].status == doctor.OK
    assert checks["nb201/accuracy.csv"].status == doctor.OK
    assert checks["images/cifar10_test_first1017.npz"].status == doctor.NOTE
    (missing,) = doctor.data_checks(str(tmp_path / "absent"))
    assert missing.status == doctor.PROBLEM and "NASLIB_SWAP_DATA" in missing.fix


def test_cli_exit_code_and_output(tmp_path: Path, capsys) -> None:
    assert main(["doctor", "--data-root", str(tmp_path)]) == 0
    assert "no problems found" in capsys.readouterr().out
    assert main(["doctor", "--data-root", str(tmp_path / "absent")]) == 1
    out = capsys.readouterr().out
    assert "[PROBLEM] data folder" in out and "fix: set NASLIB_SWAP_DATA" in out
    assert main(["doctor", "--data-root", str(tmp_path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["problems"] == 0


def test_naslib_checks_without_naslib(monkeypatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setattr(doctor, "probe_naslib", lambda: {"error": "ModuleNotFoundError: No module named 'naslib'"})
    monkeypatch.setattr(doctor.import_util, "find_spec", lambda name: None)
    monkeypatch.setattr(doctor, "installed_version", lambda d: {"numpy": "2.1.0", "pandas": "2.2.0",
                                                                "scikit-learn": "1.6.1"}.get(d))
    assert main(["doctor", "--naslib", "--data-root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "[PROBLEM] NASLib: not importable" in out and "git clone https://github.com/automl/NASLib" in out
    assert 'fix: pip install "scikit-learn<1.6"' in out and 'fix: pip install "numpy<2"' in out
    assert "[     ok] pandas: 2.2.0" in out


def test_naslib_branch_from_layout(tmp_path: Path) -> None:
    zc = tmp_path / "zc" / "naslib"
    (zc / "predictors" / "pruners" / "measures").mkdir(parents=True)
    dev = tmp_path / "dev" / "naslib"
    (dev / "predictors" / "utils" / "pruners" / "measures").mkdir(parents=True)
    assert doctor.naslib_branch_and_commit(zc)[0] == "zerocost"
    assert doctor.naslib_branch_and_commit(dev)[0] == "Develop"


def test_a_missing_naslib_dependency_is_named() -> None:
    fix = doctor._import_fix("ModuleNotFoundError: No module named 'lightgbm'", "Develop")
    assert fix.startswith("pip install lightgbm") and "grakel" in fix
    assert doctor._import_fix("RuntimeError: operator torchvision::nms does not exist", "zerocost").startswith("see")
