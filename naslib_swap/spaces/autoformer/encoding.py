"""AutoFormer architectures: the search-space definitions, the encoding, and AutoFormer's evolution operators.

An architecture is AutoFormer's candidate tuple (``evolution.py``'s ``cand_tuple``), flat and hashable::

    (depth, r_1, ..., r_depth, h_1, ..., h_depth, embed_dim)

with per-block MLP ratios ``r_i`` (floats) and head counts ``h_i``. Its readable form is
``embed=448 depth=13 mlp=3.5,3.0,... heads=6,5,...``; a row of the shared data tables (``depth``, ``embed_dim``,
``mlp_ratio`` and ``num_heads`` as lists or space-separated strings) is accepted too.

Sampling and variation follow AutoFormer's evolution search (``EvolutionSearcher``): a random candidate draws the
depth, then each block's MLP ratio and head count, then the embedding dim, each uniformly; a mutation re-draws the
depth with probability ``s_prob`` (new blocks drawn at random, surplus blocks cut), each block's MLP ratio and head
count with probability ``m_prob`` each, and the embedding dim with probability ``s_prob`` (defaults 0.4 and 0.2);
a crossover takes every position from one parent or the other at random (parents of equal depth).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import torch


@dataclass(frozen=True)
class Choices:
    """One AutoFormer supernet's search space (``experiments/supernet/supernet-*.yaml``)."""

    embed_dim: tuple[int, ...]
    mlp_ratio: tuple[float, ...]
    num_heads: tuple[int, ...]
    depth: tuple[int, ...]

    def size(self) -> int:
        """Number of distinct subnets."""
        per_block = len(self.mlp_ratio) * len(self.num_heads)
        return len(self.embed_dim) * sum(per_block ** d for d in self.depth)


TINY = Choices(embed_dim=(192, 216, 240), mlp_ratio=(3.5, 4.0), num_heads=(3, 4), depth=(12, 13, 14))
SMALL = Choices(embed_dim=(320, 384, 448), mlp_ratio=(3.0, 3.5, 4.0), num_heads=(5, 6, 7), depth=(12, 13, 14))
BASE = Choices(embed_dim=(528, 576, 624), mlp_ratio=(3.0, 3.5, 4.0), num_heads=(9, 10), depth=(14, 15, 16))

Arch = tuple  # (depth, *mlp_ratios, *num_heads, embed_dim)


def decode(arch: Arch) -> tuple[int, list[float], list[int], int]:
    """``(depth, mlp_ratios, num_heads, embed_dim)`` of a canonical architecture."""
    d = int(arch[0])
    return d, [float(r) for r in arch[1:d + 1]], [int(h) for h in arch[d + 1:2 * d + 1]], int(arch[-1])


def encode(depth: int, mlp_ratios: Sequence[float], num_heads: Sequence[int], embed_dim: int) -> Arch:
    return (int(depth), *(float(r) for r in mlp_ratios), *(int(h) for h in num_heads), int(embed_dim))


def _fmt_ratio(r: float) -> str:
    return f"{r:g}" if r != int(r) else f"{int(r)}.0"


def to_readable(arch: Arch) -> str:
    """``embed=E depth=D mlp=r_1,...,r_D heads=h_1,...,h_D``.

    Example:
        >>> to_readable((2, 3.5, 4.0, 3, 4, 192))
        'embed=192 depth=2 mlp=3.5,4.0 heads=3,4'
    """
    d, r, h, e = decode(arch)
    return f"embed={e} depth={d} mlp={','.join(map(_fmt_ratio, r))} heads={','.join(map(str, h))}"


def _numbers(value: Any, kind: type) -> list[Any] | None:
    """A list of numbers from a list/tuple or a comma/space-separated string; None if it is not one."""
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value.strip().strip("[]()")) if v]
    if not isinstance(value, (list, tuple)) and hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return None
    out: list[Any] = []
    for v in value:
        try:
            x = float(v)
        except (TypeError, ValueError):
            return None
        if kind is int:
            if x != int(x):
                return None
            out.append(int(x))
        else:
            out.append(x)
    return out


def from_fields(depth: Any, embed_dim: Any, mlp_ratio: Any, num_heads: Any) -> tuple[Arch | None, str]:
    """The arch from its four fields, or ``(None, problem)``."""
    dl = _numbers([depth], int)
    el = _numbers([embed_dim], int)
    r = _numbers(mlp_ratio, float)
    h = _numbers(num_heads, int)
    if dl is None or el is None:
        return None, "depth and embed_dim must be integers"
    if r is None or h is None:
        return None, "mlp_ratio and num_heads must be lists of numbers (or space-separated strings)"
    if len(r) != dl[0] or len(h) != dl[0]:
        return None, f"depth {dl[0]} needs {dl[0]} mlp ratios and {dl[0]} head counts, got {len(r)} and {len(h)}"
    return encode(dl[0], r, h, el[0]), ""


def parse_readable(text: str) -> tuple[Arch | None, str]:
    """``embed=E depth=D mlp=... heads=...`` (any order; ``embed_dim``/``mlp_ratio``/``num_heads`` also)."""
    fields: dict[str, str] = {}
    for m in re.finditer(r"(\w+)\s*=\s*([^=]*?)(?=\s+\w+\s*=|$)", text.strip()):
        fields[m.group(1).lower()] = m.group(2)
    alias = {"embed": "embed_dim", "mlp": "mlp_ratio", "heads": "num_heads"}
    fields = {alias.get(k, k): v for k, v in fields.items()}
    missing = [k for k in ("depth", "embed_dim", "mlp_ratio", "num_heads") if k not in fields]
    if missing:
        return None, f"it lacks {', '.join(missing)}"
    unknown = [k for k in fields if k not in ("depth", "embed_dim", "mlp_ratio", "num_heads")]
    if unknown:
        return None, f"unknown field(s) {', '.join(unknown)}"
    return from_fields(fields["depth"], fields["embed_dim"], fields["mlp_ratio"], fields["num_heads"])


def check(arch: Arch, c: Choices) -> str:
    """The first way ``arch`` leaves the space ``c`` ('' if it is inside)."""
    d, r, h, e = decode(arch)
    if d not in c.depth:
        return f"depth {d} is not one of {list(c.depth)}"
    if e not in c.embed_dim:
        return f"embed_dim {e} is not one of {list(c.embed_dim)}"
    bad_r = sorted({x for x in r if x not in c.mlp_ratio})
    if bad_r:
        return f"mlp ratio(s) {bad_r} not in {list(c.mlp_ratio)}"
    bad_h = sorted({x for x in h if x not in c.num_heads})
    if bad_h:
        return f"head count(s) {bad_h} not in {list(c.num_heads)}"
    return ""


def _pick(seq: Sequence[Any], g: torch.Generator) -> Any:
    return seq[int(torch.randint(len(seq), (1,), generator=g))]


def _coin(p: float, g: torch.Generator) -> bool:
    return float(torch.rand((1,), generator=g)) < p


def sample(c: Choices, g: torch.Generator) -> Arch:
    """AutoFormer's ``get_random_cand``: depth, then per block MLP ratio, then per block heads, then embed dim."""
    d = _pick(c.depth, g)
    r = [_pick(c.mlp_ratio, g) for _ in range(d)]
    h = [_pick(c.num_heads, g) for _ in range(d)]
    return encode(d, r, h, _pick(c.embed_dim, g))


def mutate(arch: Arch, c: Choices, g: torch.Generator, *, m_prob: float = 0.2, s_prob: float = 0.4,
           blocks: bool = True, sizes: bool = True) -> Arch:
    """AutoFormer's ``get_mutation`` (``blocks``: the per-block part, ``sizes``: depth and embed dim)."""
    d, r, h, e = decode(arch)
    if sizes and _coin(s_prob, g):
        nd = _pick(c.depth, g)
        if nd > d:
            r = r + [_pick(c.mlp_ratio, g) for _ in range(nd - d)]
            h = h + [_pick(c.num_heads, g) for _ in range(nd - d)]
        else:
            r, h = r[:nd], h[:nd]
        d = nd
    if blocks:
        for i in range(d):
            if _coin(m_prob, g):
                r[i] = _pick(c.mlp_ratio, g)
        for i in range(d):
            if _coin(m_prob, g):
                h[i] = _pick(c.num_heads, g)
    if sizes and _coin(s_prob, g):
        e = _pick(c.embed_dim, g)
    return encode(d, r, h, e)


def crossover(a: Arch, b: Arch, g: torch.Generator) -> tuple[Arch, Arch]:
    """AutoFormer's ``get_crossover``: each position from ``a`` or ``b`` at random; two complementary children.

    AutoFormer re-draws parents until their depths agree. Given two parents of different depths, the children keep
    their own parent's depth and exchange the MLP ratio and head count of the blocks both have, and the embed dim.
    """
    da, ra, ha, ea = decode(a)
    db, rb, hb, eb = decode(b)
    n = min(da, db)
    ca: tuple[list[Any], list[Any]] = (list(ra), list(ha))
    cb: tuple[list[Any], list[Any]] = (list(rb), list(hb))
    for i in range(n):
        for k in (0, 1):
            if _coin(0.5, g):
                ca[k][i], cb[k][i] = cb[k][i], ca[k][i]
    e1, e2 = (eb, ea) if _coin(0.5, g) else (ea, eb)
    return encode(da, ca[0], ca[1], e1), encode(db, cb[0], cb[1], e2)
