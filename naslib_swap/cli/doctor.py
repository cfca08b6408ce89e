"""``naslib-swap doctor [--naslib]``: check the environment, print each problem with its fix.

Checks torch (version, CPU/CUDA build, devices), the shared data folder and which of its files are there, and with
``--naslib`` the NASLib set-up: importable (in a child interpreter, so a crashing import is reported, not suffered),
branch and commit, NASLib's own data files, numpy/pandas/scikit-learn against NASLib's known breakages, torchvision
against torch, ray. Exit code 0 when no problem is found, 1 otherwise (2 for a usage error, as everywhere).

Example:
    naslib-swap doctor --naslib
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass
from importlib import util as import_util
from pathlib import Path
from typing import Any

import torch

from ..data.paths import ENV_VAR, resolve_data_root
from ..errors import DataNotFoundError
from ..integrations.compat import NASLIB_PINS, installed_version, matching_torchvision, version_problems

OK, NOTE, PROBLEM = "ok", "note", "PROBLEM"

DATA_FILES = {
    "nb201/accuracy.csv": "NB201 ground truth (correlate, search results, our optimizers' accuracies inside NASLib)",
    "nb201/suite_zero_cifar10.csv": "the suite's 13 proxies on NB201 cifar10 (correlate --baselines, libra)",
    "nb201/suite_zero_ImageNet16-120.csv": "the suite's proxies on NB201 ImageNet16-120",
    "suite_zero_preview/zc_nasbench201.json": "NASLib-schema zc file (naslib-run --zc-json, NASLib's ensembles)",
    "tnb101/micro_accuracy.csv": "TransNAS-Bench-101 micro ground truth",
    "tnb101/macro_accuracy.csv": "TransNAS-Bench-101 macro ground truth",
    "images/cifar10_test_first1017.npz": "real CIFAR-10 images (else no cifar10 batches)",
    "images/cifar100_test_first916.npz": "real CIFAR-100 images (also the ImageNet16-120 stand-in)",
}
NASLIB_DATA = {
    "zc_nasbench201.json": "NASLib's correlation/xgb/bbo runners (or pass naslib-run --zc-json)",
    "nb201_cifar10_full_training.pickle": "get_dataset_api('nasbench201', 'cifar10'): Develop's correlation runner, "
                                          "Develop's Bananas/NPENAS, NASLib's own queries of NB201 accuracies",
    "nasbench_only108.pkl": "get_dataset_api('nasbench101')",
    "transnas-bench_v10141024.pth": "get_dataset_api('transbench101_*')",
}


@dataclass
class Check:
    """One line of the report: what was checked, its status, what was found and (for a problem) the fix."""

    what: str
    status: str
    found: str
    fix: str = ""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check torch, the data folder and (--naslib) the NASLib set-up; print fixes")
    p.add_argument("--naslib", action="store_true", help="also check NASLib and the packages it needs")
    p.add_argument("--data-root", default=None, help="the shared data folder (default: $NASLIB_SWAP_DATA, ...)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def torch_checks() -> list[Check]:
    py = Check("python", OK, f"{platform.python_version()} ({sys.executable})")
    cuda = torch.version.cuda
    build = f"CUDA {cuda}" if cuda else "CPU-only"
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append(f"cuda x{torch.cuda.device_count()} ({torch.cuda.get_device_name(0)})")
    elif cuda:
        return [py, Check("torch", PROBLEM, f"{torch.__version__}, {build} build, but no CUDA device is usable",
                      "install the CPU build (pip install torch==<version> --index-url "
                      "https://download.pytorch.org/whl/cpu) or fix the CUDA driver")]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    return [py, Check("torch", OK, f"{torch.__version__}, {build} build, devices: {', '.join(devices)}")]


def data_checks(data_root: str | None) -> list[Check]:
    try:
        root = resolve_data_root(data_root)
    except DataNotFoundError as exc:
        return [Check("data folder", PROBLEM, str(exc).split(";")[0],
                      f"set {ENV_VAR}=/path/to/data (the folder with nb201/, images/, ...) or pass --data-root")]
    out = [Check("data folder", OK, str(root))]
    for rel, why in DATA_FILES.items():
        there = (root / rel).is_file()
        out.append(Check(f"  {rel}", OK if there else NOTE, "present" if there else f"missing: {why}",
                         "" if there else f"put {rel} under {root}"))
    return out


NASLIB_PROBE = r"""
import json, os, sys
out = {}
try:
    import naslib_swap  # the collections aliases NASLib's Develop branch needs on Python >= 3.10
    import naslib
    out["path"] = os.path.dirname(os.path.abspath(naslib.__file__))
    import naslib.search_spaces, naslib.predictors
    out["ok"] = True
except BaseException as e:
    out["error"] = (type(e).__name__ + ": " + str(e)).splitlines()[0][:300]
try:
    import torchvision
    out["torchvision"] = torchvision.__version__
    import torch
    torch.ops.torchvision.nms
    out["torchvision_ops"] = True
except BaseException as e:
    out["torchvision_error"] = (type(e).__name__ + ": " + str(e)).splitlines()[0][:300]
print(json.dumps(out))
"""


def probe_naslib() -> dict[str, Any]:
    """Import NASLib and torchvision in a child interpreter (a broken build can abort the process)."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p))
    proc = subprocess.run([sys.executable, "-c", NASLIB_PROBE], capture_output=True, text=True, env=env, timeout=300)
    lines = proc.stdout.strip().splitlines()
    try:
        return dict(json.loads(lines[-1]))
    except (IndexError, ValueError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"the import crashed the interpreter (exit {proc.returncode}): {tail[:300]}"}


def naslib_branch_and_commit(path: Path) -> tuple[str, str]:
    """``zerocost`` / ``Develop`` (by where the measure registry lives) and the checkout's git commit."""
    if (path / "predictors" / "pruners" / "measures").is_dir():
        branch = "zerocost"
    elif (path / "predictors" / "utils" / "pruners" / "measures").is_dir():
        branch = "Develop"
    else:
        branch = "unknown layout"
    try:
        commit = subprocess.run(["git", "-C", str(path.parent), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return branch, commit or "unknown (not a git checkout)"


def torchvision_checks(torch_version: str, tv_version: str | None, ops_error: str | None,
                       naslib_ok: bool = False) -> list[Check]:
    want = matching_torchvision(torch_version)
    index = "https://download.pytorch.org/whl/cpu" if "+cpu" in torch_version or not torch.version.cuda else \
        "https://download.pytorch.org/whl/cu" + str(torch.version.cuda).replace(".", "")
    fix = f'pip install "torchvision=={want}.*" --index-url {index} --no-deps' if want else \
        "install the torchvision release built for your torch"
    if tv_version is None:
        return [Check("torchvision", PROBLEM, "not installed (NASLib imports it)", fix)]
    if want and not tv_version.startswith(want + "."):
        return [Check("torchvision", PROBLEM, f"{tv_version} does not match torch {torch_version} (needs {want}.x)",
                      fix)]
    if ops_error:
        # The PyPI wheel is a CUDA build: beside a CPU torch its ops fail to register and `import torchvision` raises
        # (operator torchvision::nms does not exist). NASLib uses only datasets/transforms: if it imports, a note.
        return [Check("torchvision", NOTE if naslib_ok else PROBLEM, f"{tv_version}: its C++ ops do not load "
                      f"({ops_error}); a CUDA build beside a CPU torch" +
                      ("; NASLib imports anyway (it uses no torchvision ops)" if naslib_ok else ""), fix)]
    return [Check("torchvision", OK, f"{tv_version}, matches torch {torch_version}")]


DEVELOP_DEPS = "lightgbm ngboost pybnn nasbench_pytorch pyro-ppl grakel"


def _import_fix(error: str, branch: str) -> str:
    """The fix for a failed NASLib import: the missing module, else the pins and torchvision lines."""
    if "No module named " not in error:
        return "see the lines below (pins, torchvision) and docs/naslib.md"
    dep = error.split("No module named ")[-1].strip("'\" ").split(".")[0]
    if dep.startswith("naslib"):
        return "put the whole NASLib checkout on PYTHONPATH (docs/naslib.md)"
    extra = f" (Develop's predictors need {DEVELOP_DEPS}; then re-pin scikit-learn<1.6)" if branch == "Develop" else ""
    return f"pip install {dep}{extra}"


def naslib_checks() -> list[Check]:
    out: list[Check] = []
    spec = import_util.find_spec("naslib")
    probe = probe_naslib()
    path = Path(probe["path"]) if probe.get("path") else (
        Path(next(iter(spec.submodule_search_locations or []), "")) if spec is not None else None)
    if spec is None and path is None:
        out.append(Check("NASLib", PROBLEM, "not importable",
                         "git clone https://github.com/automl/NASLib -b zerocost (or -b Develop) and put the "
                         "checkout on PYTHONPATH or in a .pth file (its setup.py refuses Python > 3.9)"))
    else:
        assert path is not None
        branch, commit = naslib_branch_and_commit(path)
        if probe.get("ok"):
            out.append(Check("NASLib", OK, f"{branch} {commit} at {path}"))
        else:
            err = str(probe.get("error"))
            out.append(Check("NASLib", PROBLEM, f"{branch} {commit} at {path}; import fails: {err}",
                             _import_fix(err, branch)))
        for name, why in NASLIB_DATA.items():
            there = (path / "data" / name).is_file()
            out.append(Check(f"  naslib/data/{name}", OK if there else NOTE, "present" if there else
                             f"missing: needed by {why}", "" if there else f"put it in {path / 'data'}"))
    versions = {d: installed_version(d) for d in NASLIB_PINS}
    bad = dict(version_problems(versions))
    for dist in NASLIB_PINS:
        problem = next((p for p in bad if p.startswith(dist)), None)
        if problem:
            out.append(Check(dist, PROBLEM, problem, bad[problem]))
        else:
            out.append(Check(dist, OK if versions[dist] else PROBLEM, versions[dist] or "not installed",
                             "" if versions[dist] else f'pip install "{NASLIB_PINS[dist]}"'))
    out += torchvision_checks(torch.__version__, probe.get("torchvision") or installed_version("torchvision"),
                              probe.get("torchvision_error"), naslib_ok=bool(probe.get("ok")))
    ray = installed_version("ray")
    out.append(Check("ray", OK if ray else NOTE, ray or "not installed (optional: correlate --workers with ray)",
                     "" if ray else 'pip install "ray[default]" (optional)'))
    return out


def run(args: argparse.Namespace) -> int:
    checks = torch_checks() + data_checks(args.data_root)
    if args.naslib:
        checks += naslib_checks()
    else:
        checks.append(Check("NASLib", NOTE, "not checked", "naslib-swap doctor --naslib"))
    problems = [c for c in checks if c.status == PROBLEM]
    if args.format == "json":
        print(json.dumps({"checks": [asdict(c) for c in checks], "problems": len(problems)}, indent=1))
    else:
        for c in checks:
            print(f"[{c.status:>7}] {c.what}: {c.found}" + (f"\n          fix: {c.fix}" if c.fix and c.status != OK
                                                                 and not c.what.startswith("  ") else ""))
        print(f"{len(problems)} problem(s) found" if problems else "no problems found")
    return 1 if problems else 0
