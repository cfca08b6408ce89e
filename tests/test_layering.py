"""The import graph of the package: floors only import downwards (or sideways), no cycles, no private reach-ins.

Floors (docs/design.md): 0 shared values; 1 registry, spaces, data; 2 proxies; 3 scoring, suite, search, ensemble;
4 the hosts and users: cli, integrations, the package root. Every ``import`` statement counts, at module level or
inside a function, so a lazy import cannot hide an upward arrow or a cycle.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "naslib_swap"

FLOORS = {
    0: ("errors", "types", "rng", "_version", "grammar", "modelstats", "ranking"),
    1: ("registry", "spaces", "data", "sizes", "protocols"),
    2: ("proxies",),
    3: ("scoring", "suite", "search", "ensemble"),
    4: ("cli", "integrations", "__init__", "__main__"),
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Fully qualified ``naslib_swap`` modules (or names in them) this file imports, anywhere in it."""
    mod = _module_name(path)
    pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{a.name}" for a in node.names)
    return {m for m in out if m == "naslib_swap" or m.startswith("naslib_swap.") or m == "naslib" or
            m.startswith("naslib.")}


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}


def _resolve(name: str) -> str | None:
    """The module a dotted import name lives in (``naslib_swap.rng.make_generator`` -> ``naslib_swap.rng``)."""
    while name and name not in MODULES:
        name = name.rsplit(".", 1)[0] if "." in name else ""
    return name or None


def floor(mod: str) -> int:
    top = mod.split(".")[1] if "." in mod else "__init__"
    for f, names in FLOORS.items():
        if top in names:
            return f
    raise AssertionError(f"{mod} is on no floor: add its package to FLOORS in tests/test_layering.py")


def edges() -> dict[str, set[str]]:
    out = {}
    for mod, path in MODULES.items():
        targets = {_resolve(t) for t in _imports(path) if t.startswith("naslib_swap")}
        out[mod] = {t for t in targets if t and t != mod and not mod.startswith(t + ".")}  # a package's own __init__
    return out


GRAPH = edges()


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_floors_only_import_down(mod: str) -> None:
    up = sorted(t for t in GRAPH[mod] if floor(t) > floor(mod))
    assert not up, f"{mod} (floor {floor(mod)}) imports upward: {up}"


def test_no_import_cycle() -> None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(GRAPH.get(m, ())):
            if state.get(t) == 1:
                cycle = stack[stack.index(t):] + [t]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)


def test_no_private_module_is_imported_from_another_package() -> None:
    bad = []
    for mod, targets in GRAPH.items():
        for t in targets:
            parent, _, leaf = t.rpartition(".")
            if leaf.startswith("_") and leaf not in ("__init__", "_version") and not mod.startswith(parent + "."):
                bad.append(f"{mod} -> {t}")
    assert not bad, "private modules used outside their package: " + ", ".join(sorted(bad))


def test_cli_and_naslib_stay_at_the_edge() -> None:
    for mod, path in MODULES.items():
        raw = _imports(path)
        if not mod.startswith("naslib_swap.cli") and mod != "naslib_swap.__main__":
            assert not any(_resolve(t) and _resolve(t).startswith("naslib_swap.cli") for t in raw if
                           t.startswith("naslib_swap")), f"{mod} imports the CLI"
        if not mod.startswith("naslib_swap.integrations"):
            assert not any(t == "naslib" or t.startswith("naslib.") for t in raw), f"{mod} imports naslib"


def _branches_on_space_name(node: ast.Compare) -> bool:
    """``space.name == ...``, ``space.name in (...)``, or a space-ish value compared with a string literal."""
    parts = [node.left, *node.comparators]
    text = [ast.unparse(p) for p in parts]
    if any(t.endswith("space.name") or t.endswith("space_name") for t in text):
        return True
    literal = [isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts]
    return any(literal) and any("space" in t for t, lit in zip(text, literal) if not lit)


def test_no_caller_branches_on_a_space_name() -> None:
    files = [p for pkg in ("search", "suite", "proxies", "ensemble") for p in (ROOT / pkg).rglob("*.py")]
    bad = []
    for path in [*files, ROOT / "scoring.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and _branches_on_space_name(node):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert not bad, "branches on a space's name: " + "; ".join(bad)


def test_library_errors_name_no_command_line_flag() -> None:
    """Below cli/, a user error speaks the library's terms; the CLI adds its flag (``NaslibSwapError.param``)."""
    import re

    flag = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
    bad = []
    for mod, path in MODULES.items():
        if mod.startswith("naslib_swap.cli") or mod.startswith("naslib_swap.integrations"):
            continue  # the CLI speaks in flags; the NASLib integration speaks NASLib's runner's
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and node.exc is not None:
                for sub in ast.walk(node.exc):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and flag.search(sub.value):
                        bad.append(f"{mod}:{node.lineno}: {sub.value.strip()[:70]}")
    assert not bad, "library errors that name a CLI flag: " + "; ".join(bad)
