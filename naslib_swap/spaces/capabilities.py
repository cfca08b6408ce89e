"""Optional, typed parts of the space contract that searches check with ``isinstance``.

A space class mixes in the capabilities it has; a search that needs one calls :func:`require`, which fails with one
line naming the capability and the space. Nothing here knows a concrete space.

* :class:`EvolvableSpace`: SWAP-NAS's variation operators (op mutation, connectivity mutation, crossover).
* :class:`SupernetSpace`: a supernet holding every op on every edge, mixed by a weight matrix (Zero-Cost-PT,
  TE-NAS pruning), and the per-node topology (which incoming edges compete, how many a node keeps).
* :class:`PolicySpace`: a categorical policy over the cell (REINFORCE): its shape, sampling, and the derivation of
  the final architecture.

The sizing vocabulary every space understands (``width``, ``cells``, ...) is part of the base contract
(:meth:`naslib_swap.spaces.base.SearchSpace.net_options`), not a capability.
"""
from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Hashable, Sequence

import torch
import torch.nn as nn

from ..errors import NaslibSwapError


class MissingCapabilityError(NaslibSwapError, TypeError):
    """A search asked a space for a capability the space does not have."""


class SizeError(NaslibSwapError, TypeError):
    """A size or build profile a space cannot honour (a TypeError too: builders reject unknown keywords so)."""


class BudgetExhausted(Exception):
    """Raised by a perturbation scorer when its budget is spent (caught by the search, never by a user)."""


def require(space: Any, capability: type, search: str) -> None:
    """Fail with one line if ``space`` lacks ``capability`` (e.g. ``require(space, SupernetSpace, "zc-pt")``).

    Example:
        >>> require(object(), SupernetSpace, "zc-pt")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        naslib_swap.spaces.capabilities.MissingCapabilityError: zc-pt needs a space with a supernet (SupernetSpace);
            object has none
    """
    if not isinstance(space, capability):
        what = getattr(capability, "what", capability.__name__)
        name = getattr(space, "name", type(space).__name__)
        raise MissingCapabilityError(f"{search} needs a space with {what} ({capability.__name__}); {name} has none")


def require_profiles(space: Any, profiles: Sequence[str], search: str, why: str) -> None:
    """Fail with one line if ``space`` lacks one of the build ``profiles`` a search needs (``why`` names them).

    Example:
        >>> require_profiles(object(), ("teg-indicator",), "teg-prune", "TEG's indicator networks")
        ... # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        naslib_swap.spaces.capabilities.MissingCapabilityError: teg-prune needs a space with TEG's indicator networks
            (build profile teg-indicator); object has none
    """
    have = getattr(space, "profiles", {})
    missing = [p for p in profiles if p not in have]
    if missing:
        name = getattr(space, "name", type(space).__name__)
        raise MissingCapabilityError(f"{search} needs a space with {why} (build profile {', '.join(missing)}); "
                                     f"{name} has none")


# --------------------------------------------------------------------------------------------------------------------
# evolution operators
# --------------------------------------------------------------------------------------------------------------------

class EvolvableSpace(abc.ABC):
    """SWAP-NAS's variation operators (Peng et al., ICLR 2024, Appendix C, Figs. 13-14). Every operator draws only
    from ``generator`` and returns valid architectures of the space."""

    what: ClassVar[str] = "mutation and crossover operators"

    @abc.abstractmethod
    def op_mutation(self, arch: Any, generator: torch.Generator) -> Any:
        """Change the operation of one existing connection (Fig. 13a)."""

    @abc.abstractmethod
    def connectivity_mutation(self, arch: Any, generator: torch.Generator) -> Any:
        """Move one connection to another position (Fig. 13b)."""

    @abc.abstractmethod
    def crossover(self, a: Any, b: Any, generator: torch.Generator) -> tuple[Any, Any]:
        """Two children that swap the incoming connections of one node between ``a`` and ``b`` (Fig. 14)."""


# --------------------------------------------------------------------------------------------------------------------
# supernets
# --------------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NodeInputs:
    """One node whose incoming edges compete in a topology step: it keeps ``keep`` of ``inputs``.

    Attributes:
        cell, node: where the node is (for history records).
        inputs: the node's candidate inputs, ascending.
        rows: the row of each input's edge in the supernet's ``(edges, ops)`` weight matrix.
        keep: how many inputs the node keeps.
    """

    cell: int
    node: int
    inputs: tuple[int, ...]
    rows: tuple[int, ...]
    keep: int = 2


@dataclass
class Supernet:
    """What a perturbation search needs from a space's supernet.

    Attributes:
        net: the module; ``set_weights(W)`` makes it compute with mixing weights ``W`` (E x O).
        set_weights: installs a weight matrix.
        weights0: softmax(alpha) over the candidate ops of each edge (0 where an op is not a candidate).
        candidates: (E x O) bool, the ops each edge may keep.
        fixed_order: the ``fixed`` edge order (input towards output).
        topology: the nodes that keep only some of their inputs after the op selection (empty: none).
        to_arch: ``to_arch(choice, kept)`` -> the space's architecture; ``choice[e]`` = op kept on edge e, ``kept``
            the inputs kept per :attr:`topology` node (None: each keeps its first ``keep``).
    """

    net: nn.Module
    set_weights: Callable[[torch.Tensor], None]
    weights0: torch.Tensor
    candidates: torch.Tensor
    fixed_order: tuple[int, ...]
    topology: tuple[NodeInputs, ...]
    to_arch: Callable[..., Any]


def mixing_weights(num_edges: int, candidates: torch.Tensor, generator: torch.Generator,
                   std: float = 1e-3) -> torch.Tensor:
    """softmax(alpha) over each edge's candidate ops, alpha ~ std * N(0, 1); 0 for ops that are not candidates.

    Example:
        >>> w = mixing_weights(2, torch.ones(2, 3, dtype=torch.bool), torch.Generator().manual_seed(0))
        >>> [round(float(s), 6) for s in w.sum(1)]
        [1.0, 1.0]
    """
    alpha = std * torch.randn(candidates.shape, generator=generator)
    alpha = alpha.masked_fill(~candidates, float("-inf"))
    return torch.softmax(alpha, dim=1)


class SupernetSpace(abc.ABC):
    """A supernet whose edges hold every op, mixed by a weight matrix of shape :attr:`mixing_shape` (seen by the
    searches as ``(edges, ops)``: all leading axes flattened into rows).

    Class attributes:
        mixing_shape: the shape of the supernet's ``op_weights`` (NB201 ``(6, 5)``, DARTS ``(2, 14, 8)``).
        none_op: the index of the ``none`` op on the op axis, or None.
        archs_have_none: whether an architecture of the space may hold ``none`` (if not, ``none`` is never a
            candidate to keep).
        supernet_batch_size: Zero-Cost-PT's perturbation minibatch on this space (the paper: 256 NB201, 64 DARTS;
            default 64).
        fixed_order: the rows from the cell input towards its output (Zero-Cost-PT's ``fixed`` order).
        topology: the nodes that keep only some of their incoming edges (DARTS: 2 of ``i + 2``; NB201: none).
    """

    what: ClassVar[str] = "a supernet"
    mixing_shape: ClassVar[tuple[int, ...]]
    none_op: ClassVar[int | None] = None
    archs_have_none: ClassVar[bool] = True
    supernet_batch_size: ClassVar[int] = 64
    fixed_order: ClassVar[tuple[int, ...]]
    topology: ClassVar[tuple[NodeInputs, ...]] = ()

    @property
    def mixing_rows(self) -> tuple[int, int]:
        """``(edges, ops)``: the weight matrix as the searches see it."""
        return math.prod(self.mixing_shape[:-1]), self.mixing_shape[-1]

    @abc.abstractmethod
    def supernet_module(self, dataset: str, *, generator: torch.Generator | None = None,
                        device: torch.device | str = "cpu", op_weights: torch.Tensor | None = None,
                        profile: str | None = None, **sizes: Any) -> nn.Module:
        """The untrained supernet module (weights drawn from ``generator``; ``op_weights`` of :attr:`mixing_shape`,
        default all ones) with a ``set_op_weights(W)`` method; ``profile``/``sizes`` as
        :meth:`~naslib_swap.spaces.base.SearchSpace.build`."""

    @abc.abstractmethod
    def arch_from_choice(self, choice: Sequence[int], kept: Sequence[Sequence[int]] | None = None) -> Any:
        """The architecture keeping op ``choice[e]`` on edge (row) ``e`` and, per :attr:`topology` node, the inputs
        in ``kept`` (None: the first ``keep`` inputs of each)."""

    def candidates(self) -> torch.Tensor:
        """``(edges, ops)`` bool: the ops an edge may end with (all but ``none`` when archs cannot hold it)."""
        cand = torch.ones(*self.mixing_rows, dtype=torch.bool)
        if not self.archs_have_none and self.none_op is not None:
            cand[:, self.none_op] = False
        return cand

    def supernet(self, dataset: str, generator: torch.Generator, device: torch.device | str = "cpu", *,
                 alpha_std: float = 1e-3, **sizes: Any) -> Supernet:
        """The supernet with ``softmax(alpha)`` mixing weights, as Zero-Cost-PT starts from it (Xiang et al.,
        AAAI 2023: ``alpha ~ alpha_std * N(0, 1)``, one draw). ``sizes`` in the sizing vocabulary; the default is
        the space's ``"supernet"`` build profile. ``alpha`` is drawn before the module's weights, both from
        ``generator``."""
        cand = self.candidates()
        w0 = mixing_weights(cand.shape[0], cand, generator, alpha_std)
        net = self.supernet_module(dataset, generator=generator, device=device, op_weights=w0.view(self.mixing_shape),
                                   profile="supernet", **sizes)
        shape = self.mixing_shape
        return Supernet(net=net, set_weights=lambda w: net.set_op_weights(w.view(shape)), weights0=w0,  # type: ignore[operator]
                        candidates=cand, fixed_order=self.fixed_order, topology=self.topology,
                        to_arch=self.arch_from_choice)


# --------------------------------------------------------------------------------------------------------------------
# policies
# --------------------------------------------------------------------------------------------------------------------

class PolicySpace(abc.ABC):
    """A categorical policy over the cell's ops for REINFORCE (TEG-NAS, Chen et al., TPAMI, Sec. 5.2.1).

    Class attributes:
        policy_shape: the shape of the policy's logits (NB201 ``(6, 5)``, DARTS ``(2, 14, 8)``).
        reinforce_lr: the paper's REINFORCE learning rate on this space (NB201 0.04, DARTS 0.07).

    An *action* is what :meth:`sample_action` draws: an architecture, or on spaces whose sampled cells may hold ops
    the space's archs cannot (DARTS ``none``) a space-specific sampled cell, scored with :meth:`build_action`.
    """

    what: ClassVar[str] = "a cell policy"
    policy_shape: ClassVar[tuple[int, ...]]
    reinforce_lr: ClassVar[float]

    @abc.abstractmethod
    def sample_action(self, logits: torch.Tensor, generator: torch.Generator) -> tuple[Hashable, torch.Tensor]:
        """One action drawn from ``logits`` (of :attr:`policy_shape`) and its log-probability (differentiable in
        ``logits``)."""

    @abc.abstractmethod
    def action_key(self, action: Any) -> str:
        """A string identifying the action (its cache and history key)."""

    @abc.abstractmethod
    def build_action(self, action: Any, dataset: str, *, generator: torch.Generator | None = None,
                     device: torch.device | str = "cpu", profile: str | None = None, **sizes: Any) -> nn.Module:
        """The network of a sampled action (as :meth:`~naslib_swap.spaces.base.SearchSpace.build`)."""

    @abc.abstractmethod
    def derive(self, logits: torch.Tensor) -> Any:
        """The final architecture of a trained policy (the most likely ops; DARTS: DARTS' derivation)."""


__all__ = ["BudgetExhausted", "EvolvableSpace", "MissingCapabilityError", "NodeInputs", "PolicySpace", "SizeError",
           "Supernet", "SupernetSpace", "mixing_weights", "require", "require_profiles"]
