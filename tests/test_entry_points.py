"""Entry-point plugins: real distributions (hand-written .dist-info) found by ``importlib.metadata``.

Each test writes one or two tiny installed distributions into a temporary folder and puts it on ``sys.path``, where
``importlib.metadata`` finds them exactly as it finds a pip-installed package; the registry is made to look for entry
points again and is restored afterwards. ``tests/test_extending.py`` runs a plugin distribution in a fresh
interpreter through the console entry point.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn

import naslib_swap.registry as reg
from naslib_swap.cli import main
from naslib_swap.errors import DuplicateNameError
from naslib_swap.proxies.base import Batch, compute_proxy

PLUGIN_SRC = '''
import torch.nn as nn
from naslib_swap.registry import ProxySpec

IMPORTED = True


def depth(net, batch, ctx, *, scale: float = 1.0):
    """number of leaf modules, times scale"""
    return scale * sum(1 for m in net.modules() if not list(m.children()))


SPEC = ProxySpec(name="{name}", fn=depth, higher_is_better=True, description="leaf modules of {dist}")
'''

DECORATED_SRC = '''
from naslib_swap.registry import register_proxy


@register_proxy("demo_decorated", higher_is_better=False)
def demo_decorated(net, batch, ctx):
    """always one"""
    return 1.0


def not_a_proxy(net, batch, ctx):
    return 0.0
'''


def write_dist(root: Path, dist: str, module: str, source: str, entry_points: str) -> None:
    """An installed distribution ``dist`` in ``root``: module ``module`` with ``source``, and ``entry_points.txt``."""
    (root / f"{module}.py").write_text(source)
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    (info / "RECORD").write_text("")
    (info / "top_level.txt").write_text(module + "\n")


def make_dist(root: Path, dist: str, module: str, proxy_name: str) -> None:
    """A distribution ``dist`` whose module ``module`` declares proxy ``proxy_name`` as a ProxySpec."""
    write_dist(root, dist, module, PLUGIN_SRC.format(name=proxy_name, dist=dist),
               f"[naslib_swap.proxies]\n{proxy_name} = {module}:SPEC\n")


@pytest.fixture
def fresh_proxies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``tmp_path`` on sys.path and the proxy registry ready to load entry points again; restored afterwards."""
    reg.list_proxies()  # the built-ins are in
    entries, sources = dict(reg.PROXIES._entries), dict(reg.PROXIES._sources)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(reg.PROXIES, "_loaded", False)
    yield tmp_path
    reg.PROXIES._entries.clear()
    reg.PROXIES._entries.update(entries)
    reg.PROXIES._sources.clear()
    reg.PROXIES._sources.update(sources)
    for name in [m for m in sys.modules if m.startswith("nsw_")]:
        del sys.modules[name]


def test_plugin_loaded_lazily_and_reachable(fresh_proxies: Path) -> None:
    make_dist(fresh_proxies, "nsw-demo-plugin", "nsw_demo_plugin", "demo_depth")
    assert "nsw_demo_plugin" not in sys.modules  # nothing loaded until a lookup
    spec = reg.get_proxy("demo_depth")
    assert "nsw_demo_plugin" in sys.modules and spec.options == {"scale": 1.0}
    assert "demo_depth" in reg.list_proxies("demo_*") and "swap" in reg.list_proxies()
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3))
    b = Batch(torch.zeros(2, 3, 8, 8), None)
    assert compute_proxy("demo_depth", net, b) == 3.0 and compute_proxy("demo_depth[scale=2.0]", net, b) == 6.0
    source = reg.PROXIES.source("demo_depth")
    assert "nsw-demo-plugin 1.0" in source and "nsw_demo_plugin:SPEC" in source


def test_duplicate_between_two_plugins_names_both(fresh_proxies: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_dist(fresh_proxies, "nsw-demo-a", "nsw_demo_a", "demo_twice")
    make_dist(fresh_proxies, "nsw-demo-b", "nsw_demo_b", "demo_twice")
    # Through the CLI: the error is one line naming both distributions, exit code 2, no traceback.
    assert main(["list"]) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert "registered twice" in err and "'demo_twice'" in err
    assert "nsw-demo-a 1.0" in err and "nsw-demo-b 1.0" in err


def test_plugin_claiming_a_builtin_name_is_rejected(fresh_proxies: Path) -> None:
    make_dist(fresh_proxies, "nsw-demo-clash", "nsw_demo_clash", "swap")
    with pytest.raises(DuplicateNameError) as e:
        reg.list_proxies()
    assert "naslib_swap.proxies.swap" in str(e.value) and "nsw-demo-clash 1.0" in str(e.value)


def test_decorated_function_entry_point_and_a_bad_one(fresh_proxies: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write_dist(fresh_proxies, "nsw-deco", "nsw_deco", DECORATED_SRC,
               "[naslib_swap.proxies]\ndemo_decorated = nsw_deco:demo_decorated\n")
    assert reg.get_proxy("demo_decorated").higher_is_better is False  # registered once, by its decorator
    (fresh_proxies / "nsw_deco-1.0.dist-info" / "entry_points.txt").write_text(
        "[naslib_swap.proxies]\nbad = nsw_deco:not_a_proxy\n")
    monkeypatch.setattr(reg.PROXIES, "_loaded", False)
    assert main(["list"]) == 2
    assert "is neither a module, a ProxySpec nor a function decorated with @register_proxy" in capsys.readouterr().err
