"""AutoFormer's Vision Transformer spaces: ``autoformer_tiny``, ``autoformer_small``, ``autoformer_base``.

The three supernets of AutoFormer (Chen et al., ICCV 2021; github microsoft/Cream ``AutoFormer``), on ImageNet-1k
(``imagenet``: 1000 classes, 224x224 inputs). NASLib has no ViT space, so the names are AutoFormer's. Search spaces
(``experiments/supernet/supernet-*.yaml``):

| space | embed dim | MLP ratio | heads | depth |
|---|---|---|---|---|
| ``autoformer_tiny`` | 192, 216, 240 | 3.5, 4 | 3, 4 | 12, 13, 14 |
| ``autoformer_small`` (L-SWAG's ViT space) | 320, 384, 448 | 3, 3.5, 4 | 5, 6, 7 | 12, 13, 14 |
| ``autoformer_base`` | 528, 576, 624 | 3, 3.5, 4 | 9, 10 | 14, 15, 16 |

Encodings, sampling and AutoFormer's evolution operators: :mod:`.encoding`; the network: :mod:`.network`.

Ground truth: the shared tables ``vit/autoformer_<size>.csv`` (1,001 subnets each, from OoD-ViT-NAS) hold each
subnet's ImageNet-1k top-1 **with weights inherited from the trained supernet** (not trained alone), which
:meth:`AutoFormerSpace.ground_truth` returns as ``imagenet_top1`` (also under the suite's metric name ``val``). The
suite protocol draws from those 1,001 subnets (:meth:`AutoFormerSpace.table_keys`), and its baselines are the
tables' ``params_m`` and ``flops_m``, the authors' figures on AutoFormer's networks
(:meth:`AutoFormerSpace.table_baselines`). Inputs: no ImageNet images are available, so batches are the **stand-in**
real CIFAR-10 test images resized to 224x224 with ImageNet normalisation, named in every result.

Example:
    >>> from naslib_swap.registry import get_space
    >>> sp = get_space("autoformer_tiny")
    >>> a = sp.parse({"depth": 12, "embed_dim": 192, "mlp_ratio": "4 " * 12, "num_heads": [3] * 12})
    >>> sp.to_string(a)
    'embed=192 depth=12 mlp=4.0,4.0,4.0,4.0,4.0,4.0,4.0,4.0,4.0,4.0,4.0,4.0 heads=3,3,3,3,3,3,3,3,3,3,3,3'
    >>> sp.parse("embed=200 depth=12 mlp=4 heads=3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    naslib_swap.errors.ArchFormatError: bad autoformer_tiny architecture '...': depth 12 needs 12 mlp ratios ...
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Mapping, Sequence

import pandas as pd
import torch
import torch.nn as nn

from ...registry import register_space
from ..base import SearchSpace, parse_int_tuple
from ..capabilities import EvolvableSpace
from . import encoding as enc
from .network import AutoFormerViT

TABLE_REF = ("OoD-ViT-NAS (NeurIPS 2024) architecture tables; ImageNet-1k top-1 of subnets with weights inherited "
             "from the trained AutoFormer supernet")


class AutoFormerSpace(EvolvableSpace, SearchSpace):
    """One AutoFormer supernet's space of subnets (subclasses set :attr:`choices` and :attr:`table`).

    Sizing vocabulary: ``depth`` keeps the first blocks, ``width`` sets the embedding dim, ``in_channels`` the
    input channels; builder keywords ``img_size`` and ``patch_size`` make small test nets.
    """

    choices: ClassVar[enc.Choices]
    table: ClassVar[str]
    datasets = ("imagenet",)
    arch_format = ("an AutoFormer candidate (depth, r_1..r_depth, h_1..h_depth, embed_dim), the string "
                   "'embed=E depth=D mlp=r_1,... heads=h_1,...', or a table row dict (depth, embed_dim, mlp_ratio, "
                   "num_heads)")
    sizing: ClassVar[Mapping[str, str]] = {"depth": "keep_blocks", "width": "embed_dim", "in_channels": "in_chans"}
    # reg-SWAP's size prior from the space's own size histogram: no paper value exists for these spaces
    proxy_option_defaults: ClassVar[dict[str, dict[str, Any]]] = {"reg_swap": {"mu": "auto", "sigma": "auto"}}
    ground_truth_note = "only the 1,001 subnets of the shared table have an ImageNet top-1"
    m_prob: ClassVar[float] = 0.2  # AutoFormer's evolution defaults
    s_prob: ClassVar[float] = 0.4

    # -- encodings ----------------------------------------------------------------------------------------------
    def parse(self, arch: Any) -> tuple:
        if isinstance(arch, Mapping) or isinstance(arch, pd.Series):
            row = dict(arch)
            missing = [k for k in ("depth", "embed_dim", "mlp_ratio", "num_heads") if k not in row]
            if missing:
                raise self.arch_error(arch, f"the row lacks {', '.join(missing)}")
            a, problem = enc.from_fields(row["depth"], row["embed_dim"], row["mlp_ratio"], row["num_heads"])
        elif isinstance(arch, str) and "=" in arch:
            a, problem = enc.parse_readable(arch)
        else:
            a, problem = self._parse_tuple(arch)
        if a is None:
            raise self.arch_error(arch, problem)
        problem = enc.check(a, self.choices)
        if problem:
            raise self.arch_error(arch, problem)
        return a

    def _parse_tuple(self, arch: Any) -> tuple[tuple | None, str]:
        t = parse_int_tuple(arch)
        if t is None or not t:
            return None, "cannot parse it"
        if any(isinstance(v, tuple) for v in t):
            return None, "it must be a flat tuple"
        d = t[0]
        if not isinstance(d, int) or isinstance(d, bool):
            return None, "its first entry (the depth) must be an integer"
        if len(t) != 2 * d + 2:
            return None, f"depth {d} needs {2 * d + 2} entries, it has {len(t)}"
        return enc.from_fields(d, t[-1], list(t[1:d + 1]), list(t[d + 1:2 * d + 1]))

    def to_string(self, arch: Any) -> str:
        return enc.to_readable(self.parse(arch))

    def decode(self, arch: Any) -> dict[str, Any]:
        """``{"depth", "embed_dim", "mlp_ratio": [...], "num_heads": [...]}`` (the table's fields)."""
        d, r, h, e = enc.decode(self.parse(arch))
        return {"depth": d, "embed_dim": e, "mlp_ratio": r, "num_heads": h}

    def result_extra(self, arch: Any) -> dict[str, Any]:
        return {"subnet": self.to_string(arch)}

    def arch_features(self, arch: Any) -> tuple[float, ...]:
        """A fixed-length vector for Hamming distances between subnets (the table-restricted view snaps to the
        nearest table arch with it): depth, embed dim, then each block position's MLP ratio and head count, with 0
        where a shallower subnet has no block.

        Example:
            >>> from naslib_swap.registry import get_space
            >>> len(get_space("autoformer_tiny").arch_features((12,) + (4.0,) * 12 + (3,) * 12 + (192,)))
            30
        """
        d, r, h, e = enc.decode(self.parse(arch))
        pad = max(self.choices.depth) - d
        return (float(d), float(e), *r, *([0.0] * pad), *map(float, h), *([0.0] * pad))

    # -- sampling and AutoFormer's evolution ----------------------------------------------------------------------
    def sample(self, generator: torch.Generator) -> tuple:
        return enc.sample(self.choices, generator)

    def _changed(self, arch: Any, generator: torch.Generator, **parts: bool) -> tuple:
        a = self.parse(arch)
        for _ in range(1000):  # AutoFormer's mutation may return its parent; the contract asks for a change
            b = enc.mutate(a, self.choices, generator, m_prob=self.m_prob, s_prob=self.s_prob, **parts)
            if b != a:
                return b
        raise RuntimeError("mutation produced no change in 1000 draws")  # probability ~0

    def mutate(self, arch: Any, generator: torch.Generator) -> tuple:
        """AutoFormer's mutation (depth and embed dim with ``s_prob``, each block's ratio and heads with
        ``m_prob``), re-drawn until the child differs from ``arch``."""
        return self._changed(arch, generator)

    def op_mutation(self, arch: Any, generator: torch.Generator) -> tuple:
        """The per-block part of AutoFormer's mutation (MLP ratios and head counts, ``m_prob`` each)."""
        return self._changed(arch, generator, sizes=False)

    def connectivity_mutation(self, arch: Any, generator: torch.Generator) -> tuple:
        """The size part of AutoFormer's mutation (depth, embed dim, ``s_prob`` each): a transformer has no
        connections to move, so SWAP-NAS's structural mutation changes its shape."""
        return self._changed(arch, generator, blocks=False)

    def crossover(self, a: Any, b: Any, generator: torch.Generator) -> tuple[tuple, tuple]:
        return enc.crossover(self.parse(a), self.parse(b), generator)

    # -- datasets and networks ------------------------------------------------------------------------------------
    def num_classes(self, dataset: str) -> int:
        return 1000

    def input_shape(self, dataset: str) -> tuple[int, ...]:
        return (3, 224, 224)

    def _build(self, arch: Any, dataset: str, *, keep_blocks: int | None = None,
               embed_dim: int | None = None, in_chans: int = 3, img_size: int = 224, patch_size: int = 16,
               num_classes: int | None = None, **overrides: Any) -> nn.Module:
        d, r, h, e = enc.decode(arch)
        n = d if keep_blocks is None else min(d, int(keep_blocks))
        return AutoFormerViT(embed_dim or e, r[:n], h[:n], num_classes or self.num_classes(dataset),
                             img_size=img_size, patch_size=patch_size, in_chans=in_chans)

    def param_count(self, arch: Any, dataset: str) -> int:
        """Parameters of the subnet, exactly as :class:`AutoFormerViT` holds them (AutoFormer's
        ``get_sampled_params_numel``), without building it; a test checks it against built nets.

        Example:
            >>> from naslib_swap.registry import get_space
            >>> get_space("autoformer_tiny").param_count((12,) + (4.0,) * 12 + (3,) * 12 + (192,), "imagenet")
            5809576
        """
        d, r, h, e = enc.decode(self.parse(arch))
        patches = (224 // 16) ** 2
        total = 3 * 16 * 16 * e + e + (patches + 2) * e + 2 * e + e * self.num_classes(dataset) + \
            self.num_classes(dataset)
        rel = 2 * 2 * (2 * 14 + 2) * 64
        for ratio, heads in zip(r, h):
            hidden, q = int(e * ratio), 64 * heads
            total += 4 * e + (e * 3 * q + 3 * q) + (q * e + e) + rel + (e * hidden + hidden) + (hidden * e + e)
        return total

    # -- ground truth and the suite's table ---------------------------------------------------------------------
    def _table(self, data_root: str | Path | None) -> pd.DataFrame:
        from ...data.groundtruth import vit_table

        return vit_table(self.table, data_root)

    def table_archs(self, data_root: str | Path | None = None) -> list[tuple]:
        """The table's subnets in file order."""
        t = self._table(data_root)
        return [self.parse({"depth": d, "embed_dim": e, "mlp_ratio": r, "num_heads": h})
                for d, e, r, h in zip(t.depth, t.embed_dim, t.mlp_ratio, t.num_heads)]

    def table_keys(self, dataset: str, data_root: str | Path | None = None) -> list[str]:
        """The keys the suite protocol samples from: the table's 1,001 subnets in file order."""
        self.check_dataset(dataset)
        return [self.key(a) for a in self.table_archs(data_root)]

    def table_column(self, column: str, data_root: str | Path | None = None) -> dict[str, float]:
        t = self._table(data_root)
        return {self.key(a): float(v) for a, v in zip(self.table_archs(data_root), t[column])}

    def table_baselines(self, dataset: str, archs: Sequence[str], data_root: str | Path | None = None
                        ) -> pd.DataFrame:
        """``params`` and ``flops`` of ``archs`` from the table (``params_m``, ``flops_m``: the authors' figures on
        AutoFormer's networks at 224x224), as ``DataFrame[arch, proxy, score, seconds]``."""
        self.check_dataset(dataset)
        cols = {"params": self.table_column("params_m", data_root), "flops": self.table_column("flops_m", data_root)}
        rows = [(a, p, cols[p][a], float("nan")) for a in dict.fromkeys(archs) for p in cols if a in cols[p]]
        return pd.DataFrame(rows, columns=["arch", "proxy", "score", "seconds"])

    def table_baseline_source(self, dataset: str) -> str:
        return f"params_m and flops_m of vit/{self.table}.csv (the authors' counts on AutoFormer's networks)"

    def ground_truth_source(self, dataset: str, metric: str = "val") -> str:
        return f"imagenet_top1 of vit/{self.table}.csv ({TABLE_REF})"

    def ground_truth(self, dataset: str, *, data_root: str | Path | None = None,
                     metric: str = "val") -> dict[str, float]:
        """ImageNet-1k top-1 of the table's subnets (``metric`` ``val`` or ``imagenet_top1``; there is no other)."""
        self.check_dataset(dataset)
        if metric not in ("val", "imagenet_top1"):
            raise ValueError(f"{self.name} has only the imagenet_top1 ground truth (metric 'val'), not {metric!r}")
        return self.table_column("imagenet_top1", data_root)


@register_space
class AutoFormerTiny(AutoFormerSpace):
    name = "autoformer_tiny"
    choices = enc.TINY
    table = "autoformer_tiny"


@register_space
class AutoFormerSmall(AutoFormerSpace):
    name = "autoformer_small"
    choices = enc.SMALL
    table = "autoformer_small"


@register_space
class AutoFormerBase(AutoFormerSpace):
    name = "autoformer_base"
    choices = enc.BASE
    table = "autoformer_base"


__all__ = ["AutoFormerBase", "AutoFormerSmall", "AutoFormerSpace", "AutoFormerTiny", "AutoFormerViT"]
