"""The one grammar for the strings users write: proxy labels, ``key=value`` options, lists and seed ranges.

Everything a user types is parsed here, once, at the edge (the CLI, a config file, the Python API), into typed values;
nothing below re-parses a string. Lists split only at top-level separators, so brackets, parentheses and quotes may
hold the separator: ``swap,reg_swap[mu=1.2,sigma=1.2]`` is two labels and ``lswag[interval=(2,6)]`` has one option.

Values are Python literals (numbers, quoted strings, tuples, lists, True/False/None) read with
:func:`ast.literal_eval`, never evaluated as code; a bare word is a string (``init=normal``).

Example:
    >>> parse_call("reg_swap[mu=1.2,sigma=1.2,init=normal]")
    ('reg_swap', {'mu': 1.2, 'sigma': 1.2, 'init': 'normal'})
    >>> split_list("swap,reg_swap[mu=1,sigma=1]+nwot", seps=",+")
    ['swap', 'reg_swap[mu=1,sigma=1]', 'nwot']
    >>> parse_range("9000-9002,9010")
    [9000, 9001, 9002, 9010]
"""
from __future__ import annotations

import ast
import re
from typing import Any, Mapping, Sequence

from .errors import GrammarError

_OPEN, _CLOSE = "([{", ")]}"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def split_list(text: str, seps: str = ",") -> list[str]:
    """Split ``text`` at the characters of ``seps`` that stand outside brackets and quotes; drop empty parts.

    Raises:
        GrammarError: unbalanced brackets or an unclosed quote.
    """
    parts: list[str] = []
    stack: list[str] = []
    quote = ""
    cur = ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in _OPEN:
            stack.append(_CLOSE[_OPEN.index(ch)])
        elif ch in _CLOSE:
            if not stack or stack.pop() != ch:
                raise GrammarError(f"unbalanced '{ch}' in {text!r}; check the brackets")
        elif ch in seps and not stack:
            parts.append(cur)
            cur = ""
            continue
        cur += ch
    if quote:
        raise GrammarError(f"unclosed quote {quote} in {text!r}; close it")
    if stack:
        raise GrammarError(f"unclosed bracket in {text!r}; add '{stack[-1]}'")
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def parse_value(text: str) -> Any:
    """A Python literal, else the text itself as a string (``normal`` -> ``'normal'``)."""
    s = text.strip()
    try:
        return ast.literal_eval(s)  # literals only: never eval()
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return s


def parse_assignment(text: str) -> tuple[str, Any]:
    """``key=value`` -> ``(key, value)``; the key must be an identifier."""
    key, eq, val = text.partition("=")
    key = key.strip()
    if not eq or not _KEY.match(key):
        raise GrammarError(f"bad option {text!r}: write key=value with a name as key, e.g. mu=1.2")
    return key, parse_value(val)


def parse_assignments(parts: str | list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``"a=1,b='x'"`` (or a list of ``key=value`` strings, as repeated ``--option`` flags) -> a dict.

    Example:
        >>> parse_assignments(["proxy=reg_swap[mu=1.2,sigma=1.2]", "order=fixed"])
        {'proxy': 'reg_swap[mu=1.2,sigma=1.2]', 'order': 'fixed'}
    """
    items = split_list(parts) if isinstance(parts, str) else [p for part in parts for p in split_list(part)]
    out: dict[str, Any] = {}
    for item in items:
        key, value = parse_assignment(item)
        if key in out:
            raise GrammarError(f"option {key!r} is given twice; give it once")
        out[key] = value
    return out


def parse_call(label: str) -> tuple[str, dict[str, Any]]:
    """``name`` or ``name[key=value,...]`` -> ``(name, options)``.

    Example:
        >>> parse_call("lswag[interval=(2,6),acts='relu+gelu']")
        ('lswag', {'interval': (2, 6), 'acts': 'relu+gelu'})
    """
    if not isinstance(label, str):
        raise GrammarError(f"expected a name such as swap or reg_swap[mu=1.2], got {label!r}")
    text = label.strip()
    name, bracket, body = text.partition("[")
    name = name.strip()
    if not _NAME.match(name):
        raise GrammarError(f"bad name {label!r}: write name or name[key=value,...], e.g. reg_swap[mu=1.2,sigma=1.2]")
    if not bracket:
        return name, {}
    if not body.endswith("]"):
        raise GrammarError(f"bad {label!r}: options go in brackets at the end, e.g. reg_swap[mu=1.2,sigma=1.2]")
    split_list(body[:-1])  # balance check of the body alone
    return name, parse_assignments(body[:-1])


def format_call(name: str, options: Mapping[str, Any]) -> str:
    """The canonical spelling of a call: options sorted by key, values by ``repr`` (parsed back by :func:`parse_call`).

    Example:
        >>> format_call("reg_swap", {"sigma": 1.2, "mu": 1.2})
        'reg_swap[mu=1.2,sigma=1.2]'
    """
    if not options:
        return name
    return f"{name}[{','.join(f'{k}={options[k]!r}' for k in sorted(options))}]"


def parse_range(text: str | int) -> list[int]:
    """``"9000-9004"``, ``"9000,9002"``, ``"9000-9002,9010"`` or an int -> the list of ints, in order, no repeats.

    Raises:
        GrammarError: a part that is not an int or ``a-b``, a reversed range (``9004-9000``), or nothing at all.
    """
    out: list[int] = []
    for part in split_list(str(text)):
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)|(-?\d+)", part)
        if not m:
            raise GrammarError(f"bad range {text!r}: write e.g. 9000-9004 or 9000,9002")
        if m.group(3) is not None:
            out.append(int(m.group(3)))
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if b < a:
            raise GrammarError(f"reversed range {part!r} in {text!r}: write {b}-{a}")
        out.extend(range(a, b + 1))
    if not out:
        raise GrammarError(f"empty range {text!r}: write e.g. 9000-9004")
    return list(dict.fromkeys(out))


def parse_shard(text: str | Sequence[int]) -> tuple[int, int]:
    """``"I/N"`` (or ``[I, N]``) -> ``(I, N)`` with ``0 <= I < N``: the I-th of N disjoint parts of a run's work.

    Example:
        >>> parse_shard("2/8")
        (2, 8)

    Raises:
        GrammarError: not two integers ``I/N``, or ``I`` outside ``0..N-1``.
    """
    parts = [str(p).strip() for p in text] if isinstance(text, (list, tuple)) else str(text).split("/")
    if len(parts) != 2 or not all(re.fullmatch(r"\d+", p) for p in parts):
        raise GrammarError(f"bad shard {text!r}: write I/N, e.g. 0/8 for the first of 8 parts")
    i, n = int(parts[0]), int(parts[1])
    if not 0 <= i < n:
        raise GrammarError(f"bad shard {text!r}: I/N needs 0 <= I < N (parts count from 0: 0/{max(n, 1)} .. "
                           f"{max(n, 1) - 1}/{max(n, 1)})")
    return i, n
