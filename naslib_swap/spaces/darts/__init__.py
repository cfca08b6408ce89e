"""The DARTS space's building blocks (shared by NAS-Bench-301 and DARTS supernets); not a registered space.

* :mod:`.genotype`: op names (:data:`DARTS_PRIMITIVES`, the DARTS paper's order, ``none`` first, the order of
  DARTS' ``alpha`` columns and of :class:`DartsSuperNet`'s ``op_weights``; :data:`NASLIB_EDGE_OPS`, the order of the op
  list NASLib puts on every NB301 edge; :data:`COMPACT_OPS`, the 7 op ids of NASLib's NB301 compact encoding), the 14
  ``(input, node)`` edges :data:`CELL_EDGES`, and the derivations of a genotype (DARTS' from edge weights, from a
  per-edge op choice, from a REINFORCE action);
* :mod:`.ops`: :func:`make_darts_op` ``(name, C, stride, affine)``, one op module;
* :mod:`.network`: :class:`DartsCell` (a discrete cell from 8 ``(op name, input)`` pairs) and :class:`DartsNetwork`
  (stem, ``layers`` cells with reductions at ``layers // 3`` and ``2 * layers // 3``, optional DARTS auxiliary head,
  classifier; options ``stem=False``, ``depth``, ``lastact`` for TEG's small indicator networks);
* :mod:`.supernet`: :class:`DartsSuperNet`, every edge of both cell types holding all 8 ops mixed by ``op_weights``
  ``(2, 14, 8)``;
* :mod:`.operators`: SWAP-NAS's mutation and crossover operators on the compact encoding.

Faithful to NASLib's NB301 network (``zerocost`` branch, what NAS-Bench-Suite-Zero scores): cell ops have
non-affine BN (``affine=False``), the pooling ops are followed by a non-affine BN (``pool_bn=True``), the preprocessing
(ReLUConvBN 1x1 / FactorizedReduce) and stem are affine. With ``C=32, layers=8, auxiliary=False`` the parameter and
FLOP counts equal the suite's for the preview archs (``scripts/check_suite_structure.py``). The DARTS paper's evaluation
network differs only in ``affine=True`` ops, pools without BN, ``C=36, layers=20`` and the auxiliary head.
"""
from .genotype import (
    CELL_EDGES,
    COMPACT_OPS,
    DARTS_EDGES,
    DARTS_NONE,
    DARTS_OPS,
    DARTS_PRIMITIVES,
    NASLIB_EDGE_OPS,
    NUM_NODES,
    GenotypeCell,
    GenotypeCells,
    action_cells,
    cells_from_choice,
    derive_genotype,
    edge_index,
    genotype_str,
    sample_action,
)
from .network import DartsCell, DartsNetwork
from .ops import make_darts_op
from .supernet import DartsSuperNet

__all__ = ["CELL_EDGES", "COMPACT_OPS", "DARTS_EDGES", "DARTS_NONE", "DARTS_OPS", "DARTS_PRIMITIVES", "NASLIB_EDGE_OPS",
           "NUM_NODES", "DartsCell", "DartsNetwork", "DartsSuperNet", "GenotypeCell", "GenotypeCells", "action_cells",
           "cells_from_choice", "derive_genotype", "edge_index", "genotype_str", "make_darts_op", "sample_action"]
