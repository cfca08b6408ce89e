"""The AutoFormer subnet as a stand-alone ``nn.Module`` (Chen et al., "AutoFormer: Searching Transformers for Visual
Recognition", ICCV 2021; public code github microsoft/Cream, ``AutoFormer/model``, MIT; written anew here).

A subnet of a supernet is the supernet with its weights sliced to the sampled sizes. Built alone it is:

* patch embedding: ``Conv2d(3, E, 16, stride 16)`` with bias, tokens ``(B, 196, E)`` at 224x224;
* a class token and an absolute position embedding ``(1, 197, E)`` (held by one leaf module, :class:`Tokens`);
* ``depth`` pre-norm blocks: ``x + Attn(LN(x))`` then ``x + fc2(GELU(fc1(LN(x))))`` with ``fc1: E -> int(E * r_i)``;
* attention with ``h_i`` heads of 64 dims each (AutoFormer's ``change_qkv``: ``qkv: E -> 3 * 64 h_i`` with bias,
  ``proj: 64 h_i -> E``), scale ``64 ** -0.5``, and AutoFormer's 2-D relative position embeddings on keys and values
  (per block two :class:`RelativePosition2D` modules, each a vertical and a horizontal table of
  ``2 * 14 + 2`` rows of 64 dims; row 0 is the class token's);
* a final LayerNorm on the class token and a linear head (``gp=False``: the class token, not a mean of tokens).

Dropout and drop-path are training-time only and absent here (the proxies score the net at initialisation).
Initialisation as AutoFormer's ``_init_weights``: linear weights truncated normal (std 0.02), biases 0, LayerNorm 1/0,
class token, position and relative tables truncated normal (std 0.02); the patch convolution keeps PyTorch's default.

Every parameter sits in a leaf module that runs in the forward pass, so the suite's leaf-module parameter count and a
plain count agree, and both equal AutoFormer's ``get_sampled_params_numel`` (``scripts/check_vit_structure.py``
checks all 3,003 subnets of the shared tables). :meth:`AutoFormerViT.autoformer_flops` counts FLOPs in AutoFormer's
own convention (``Vision_TransformerSuper.get_complexity``), which the tables' ``flops_m`` follow.

The MLPs' ``nn.GELU`` modules are the net's activation points (:meth:`AutoFormerViT.activation_points`): SWAP-style
proxies binarise their ``(B, tokens, hidden)`` outputs at > 0 (GELU(x) > 0 exactly where x > 0).
"""
from __future__ import annotations

import functools
from typing import Sequence, cast

import torch
import torch.nn as nn

HEAD_DIM = 64  # AutoFormer's sampled q/k/v width per head (``sample_q_embed_dim = num_heads * 64``)
MAX_RELATIVE_POSITION = 14  # AutoFormer's ``--max_relative_position`` default


def _trunc_normal(t: torch.Tensor, std: float = 0.02) -> None:
    nn.init.trunc_normal_(t, std=std, a=-2.0, b=2.0)  # timm's trunc_normal_: bounds are absolute, not in stds


class PatchEmbed(nn.Module):
    """Non-overlapping ``patch x patch`` patches projected to ``embed_dim`` by a strided convolution."""

    def __init__(self, embed_dim: int, patch_size: int = 16, in_chans: int = 3) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class Tokens(nn.Module):
    """Prepends the class token and adds the absolute position embedding (a leaf: it holds both parameters)."""

    def __init__(self, embed_dim: int, num_patches: int) -> None:
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        _trunc_normal(self.cls_token)
        _trunc_normal(self.pos_embed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        return torch.cat((cls, x), dim=1) + self.pos_embed


@functools.lru_cache(maxsize=32)
def relative_index(num_tokens: int, max_relative_position: int, device: torch.device | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """AutoFormer's table rows for every (query, key) token pair: vertical and horizontal, ``(N, N)`` each.

    Cached per size (every block asks for the same indices). Patch tokens lie on a ``side x side`` grid; the
    clipped offset ``d`` in ``[-m, m]`` maps to row ``d + m + 1``, and every pair involving the class token (token 0)
    to row 0.

    Example:
        >>> v, h = relative_index(5, 14)   # class token + a 2x2 grid
        >>> h[1:, 1:].tolist()
        [[15, 16, 15, 16], [14, 15, 14, 15], [15, 16, 15, 16], [14, 15, 14, 15]]
        >>> int(v[0].sum() + v[:, 0].sum())
        0
    """
    n = num_tokens - 1
    side = int(n ** 0.5)
    r = torch.arange(n, device=device)
    dv = (r[None, :] // side - r[:, None] // side).clamp(-max_relative_position, max_relative_position)
    dh = (r[None, :] % side - r[:, None] % side).clamp(-max_relative_position, max_relative_position)
    pad = torch.nn.functional.pad
    v = pad(dv + max_relative_position + 1, (1, 0, 1, 0), value=0)
    h = pad(dh + max_relative_position + 1, (1, 0, 1, 0), value=0)
    return v.long(), h.long()


class RelativePosition2D(nn.Module):
    """AutoFormer's 2-D relative position embedding: ``table_v[row_v(i, j)] + table_h[row_h(i, j)]``, ``(N, N, d)``."""

    def __init__(self, head_dim: int = HEAD_DIM, max_relative_position: int = MAX_RELATIVE_POSITION) -> None:
        super().__init__()
        self.max_relative_position = max_relative_position
        self.embeddings_table_v = nn.Parameter(torch.zeros(2 * max_relative_position + 2, head_dim))
        self.embeddings_table_h = nn.Parameter(torch.zeros(2 * max_relative_position + 2, head_dim))
        _trunc_normal(self.embeddings_table_v)
        _trunc_normal(self.embeddings_table_h)

    def forward(self, num_tokens: int) -> torch.Tensor:
        v, h = relative_index(num_tokens, self.max_relative_position, self.embeddings_table_v.device)
        return self.embeddings_table_v[v] + self.embeddings_table_h[h]


class Attention(nn.Module):
    """Multi-head self-attention with ``num_heads`` heads of :data:`HEAD_DIM` and relative positions on k and v."""

    def __init__(self, embed_dim: int, num_heads: int, relative_position: bool = True) -> None:
        super().__init__()
        self.num_heads = num_heads
        inner = num_heads * HEAD_DIM
        self.scale = HEAD_DIM ** -0.5
        self.qkv = nn.Linear(embed_dim, 3 * inner, bias=True)
        self.rel_pos_embed_k = RelativePosition2D() if relative_position else None
        self.rel_pos_embed_v = RelativePosition2D() if relative_position else None
        self.proj = nn.Linear(inner, embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, HEAD_DIM).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        if self.rel_pos_embed_k is not None:
            attn = attn + torch.einsum("bhqd,qkd->bhqk", q, self.rel_pos_embed_k(n)) * self.scale
        attn = attn.softmax(dim=-1)
        out = attn @ v
        if self.rel_pos_embed_v is not None:
            out = out + torch.einsum("bhqk,qkd->bhqd", attn, self.rel_pos_embed_v(n))
        return self.proj(out.transpose(1, 2).reshape(b, n, -1))


class Mlp(nn.Module):
    """``fc2(GELU(fc1(x)))`` with ``int(embed_dim * mlp_ratio)`` hidden units (AutoFormer's truncation)."""

    def __init__(self, embed_dim: int, mlp_ratio: float) -> None:
        super().__init__()
        hidden = int(embed_dim * mlp_ratio)
        self.fc1 = nn.Linear(embed_dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """A pre-norm transformer encoder block (AutoFormer's ``TransformerEncoderLayer`` with ``pre_norm=True``)."""

    def __init__(self, embed_dim: int, mlp_ratio: float, num_heads: int, relative_position: bool = True) -> None:
        super().__init__()
        self.attn_layer_norm = nn.LayerNorm(embed_dim)
        self.attn = Attention(embed_dim, num_heads, relative_position)
        self.ffn_layer_norm = nn.LayerNorm(embed_dim)
        self.mlp = Mlp(embed_dim, mlp_ratio)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.attn_layer_norm(x))
        return x + self.mlp(self.ffn_layer_norm(x))


class AutoFormerViT(nn.Module):
    """One AutoFormer subnet.

    Args:
        embed_dim: token width (the same in every block, as AutoFormer's search samples it).
        mlp_ratios, num_heads: per block; their length is the depth.
        num_classes: head size (1000 for ImageNet).
        img_size, patch_size, in_chans: input geometry (224, 16, 3 in the benchmark; tests use small images).
        relative_position: AutoFormer's relative position embeddings (on in the benchmark).

    Example:
        >>> net = AutoFormerViT(16, [4.0, 3.5], [1, 2], num_classes=10, img_size=32, patch_size=8)
        >>> net(torch.zeros(2, 3, 32, 32)).shape
        torch.Size([2, 10])
        >>> len(net.activation_points())
        2
    """

    def __init__(self, embed_dim: int, mlp_ratios: Sequence[float], num_heads: Sequence[int], num_classes: int = 1000,
                 *, img_size: int = 224, patch_size: int = 16, in_chans: int = 3,
                 relative_position: bool = True) -> None:
        super().__init__()
        if len(mlp_ratios) != len(num_heads):
            raise ValueError("one mlp ratio and one head count per block")
        self.embed_dim = embed_dim
        self.num_patches = (img_size // patch_size) ** 2
        self.patch_embed = PatchEmbed(embed_dim, patch_size, in_chans)
        self.tokens = Tokens(embed_dim, self.num_patches)
        self.blocks = nn.ModuleList(Block(embed_dim, r, h, relative_position) for r, h in zip(mlp_ratios, num_heads))
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, num_classes)
        for m in self.modules():  # AutoFormer's _init_weights
            if isinstance(m, nn.Linear):
                _trunc_normal(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.tokens(self.patch_embed(x))
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x)[:, 0])

    def block_list(self) -> list[Block]:
        return [cast(Block, b) for b in self.blocks]

    def activation_points(self) -> list[nn.Module]:
        """The modules whose outputs are this net's activation patterns: each block's MLP ``nn.GELU``, whose output
        is a 3-D ``(batch, tokens, hidden)`` tensor (every token x hidden unit is one pattern value)."""
        return [blk.mlp.act for blk in self.block_list()]

    def autoformer_flops(self) -> float:
        """FLOPs in AutoFormer's convention (``Vision_TransformerSuper.get_complexity(196)``), the tables'
        ``flops_m`` x 1e6.

        Multiply-accumulates of the linear maps over the tokens, with AutoFormer's own sequence lengths: the patch
        projection over ``L = num_patches`` positions (plus ``E`` for its bias), the position embedding
        ``(L + 1) E / 2``, each block's LayerNorms, qkv, attention products, projection and MLP over ``L + 2`` tokens
        (its code adds one twice), the relative-position terms ``2 (m s^2) + s^2 / 2 + s q / 2`` with ``s = L + 2``,
        ``q = 64 h``, and the head over ``L + 1`` tokens; the final LayerNorm is not counted.
        """
        L = self.num_patches
        conv = self.patch_embed.proj
        total = float(conv.out_channels + L * conv.weight.numel())
        total += (L + 1) * self.embed_dim / 2.0
        s = L + 2
        for blk in self.block_list():
            a = blk.attn
            q = a.qkv.out_features // 3
            total += 2 * s * self.embed_dim  # the two LayerNorms
            total += s * a.qkv.weight.numel() + 2 * s * s * q + s * a.proj.weight.numel()
            if a.rel_pos_embed_k is not None:
                m = float(a.rel_pos_embed_k.max_relative_position)
                total += m * s * s + s * s / 2.0 + m * s * s + s * q / 2.0
            total += s * (blk.mlp.fc1.weight.numel() + blk.mlp.fc2.weight.numel())
        total += (L + 1) * self.head.weight.numel()
        return total
