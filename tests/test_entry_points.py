"""Entry-point plugins: real distributions (hand-written .dist-info) on sys.path of a fresh interpreter.

Each test writes one or two tiny installed distributions into a temporary folder, then runs a subprocess with that
folder on PYTHONPATH, so ``importlib.metadata`` finds them exactly as it finds a pip-installed package.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN_SRC = '''
import torch.nn as nn
from naslib_swap.registry import ProxySpec

IMPORTED = True


def depth(net, batch, ctx, *, scale: float = 1.0):
    """number of leaf modules, times scale"""
    return scale * sum(1 for m in net.modules() if not list(m.children()))


SPEC = ProxySpec(name="{name}", fn=depth, higher_is_better=True, description="leaf modules of {dist}")
'''


def make_dist(root: Path, dist: str, module: str, proxy_name: str) -> None:
    """Write an installed distribution ``dist`` with module ``module`` declaring proxy ``proxy_name``."""
    (root / f"{module}.py").write_text(PLUGIN_SRC.format(name=proxy_name, dist=dist))
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[naslib_swap.proxies]\n{proxy_name} = {module}:SPEC\n")
    (info / "RECORD").write_text("")
    (info / "top_level.txt").write_text(module + "\n")


def run_py(root: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow
def test_plugin_loaded_lazily_and_reachable(tmp_path: Path) -> None:
    make_dist(tmp_path, "nsw-demo-plugin", "nsw_demo_plugin", "demo_depth")
    proc = run_py(tmp_path, """
        import json, sys
        import torch, torch.nn as nn
        import naslib_swap.registry as reg
        before = "nsw_demo_plugin" in sys.modules           # nothing loaded at import time
        spec = reg.get_proxy("demo_depth")                  # first lookup loads the entry points
        after = "nsw_demo_plugin" in sys.modules
        from naslib_swap.proxies.base import Batch, compute_proxy
        net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3))
        b = Batch(torch.zeros(2, 3, 8, 8), None)
        print(json.dumps({"before": before, "after": after, "listed": "demo_depth" in reg.list_proxies("demo_*"),
                          "score": compute_proxy("demo_depth", net, b),
                          "scaled": compute_proxy("demo_depth", net, b, scale=2.0),
                          "source": reg.PROXIES.source("demo_depth"), "builtin_swap": "swap" in reg.list_proxies()}))
    """)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["before"] is False and out["after"] is True
    assert out["listed"] and out["builtin_swap"]
    assert out["score"] == 3.0 and out["scaled"] == 6.0
    assert "nsw-demo-plugin 1.0" in out["source"] and "nsw_demo_plugin:SPEC" in out["source"]


@pytest.mark.slow
def test_duplicate_between_two_plugins_names_both(tmp_path: Path) -> None:
    make_dist(tmp_path, "nsw-demo-a", "nsw_demo_a", "demo_twice")
    make_dist(tmp_path, "nsw-demo-b", "nsw_demo_b", "demo_twice")
    # Through the CLI: the error is one line naming both distributions, exit code 2, no traceback.
    proc = run_py(tmp_path, "import sys; from naslib_swap.cli import main; sys.exit(main(['list']))")
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert "registered twice" in err and "'demo_twice'" in err
    assert "nsw-demo-a 1.0" in err and "nsw-demo-b 1.0" in err


@pytest.mark.slow
def test_plugin_claiming_a_builtin_name_is_rejected(tmp_path: Path) -> None:
    make_dist(tmp_path, "nsw-demo-clash", "nsw_demo_clash", "swap")
    proc = run_py(tmp_path, """
        from naslib_swap.errors import DuplicateNameError
        import naslib_swap.registry as reg
        try:
            reg.list_proxies()
        except DuplicateNameError as e:
            print("DUP", e)
    """)
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.strip().splitlines()[-1]
    assert line.startswith("DUP ") and "naslib_swap.proxies.swap" in line and "nsw-demo-clash 1.0" in line


DECORATED_SRC = '''
from naslib_swap.registry import register_proxy


@register_proxy("demo_decorated", higher_is_better=False)
def demo_decorated(net, batch, ctx):
    """always one"""
    return 1.0


def not_a_proxy(net, batch, ctx):
    return 0.0
'''


@pytest.mark.slow
def test_decorated_function_entry_point_and_a_bad_one(tmp_path: Path) -> None:
    (tmp_path / "nsw_deco.py").write_text(DECORATED_SRC)
    info = tmp_path / "nsw_deco-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: nsw-deco\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[naslib_swap.proxies]\ndemo_decorated = nsw_deco:demo_decorated\n")
    (info / "RECORD").write_text("")
    proc = run_py(tmp_path, """
        import naslib_swap.registry as reg
        print(reg.get_proxy("demo_decorated").higher_is_better)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False"  # registered once, by its decorator, metadata kept
    (info / "entry_points.txt").write_text("[naslib_swap.proxies]\nbad = nsw_deco:not_a_proxy\n")
    proc = run_py(tmp_path, "import sys; from naslib_swap.cli import main; sys.exit(main(['list']))")
    assert proc.returncode == 2
    assert "is neither a module, a ProxySpec nor a function decorated with @register_proxy" in proc.stderr
