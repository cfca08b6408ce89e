r"""TEG-NAS searches (Chen et al., TEG-NAS, TPAMI, Sec. 5.2): evolution, REINFORCE and TE-NAS-style pruning, guided
by the three training-free TEG indicators (``teg_ntk`` kappa, ``teg_lr`` R, ``teg_mse``; :mod:`naslib_swap.proxies.teg`).

Spaces: ``nasbench201`` and ``nasbench301`` (the DARTS space, see "DARTS" below).

Indicator networks (the authors' code, ``Buffer_Reward_Generator`` / ``prune_tenas.py``): kappa and MSE on a tiny
NB201 net (``C=3, N=1`` with stem; options ``C``/``N``), R on the thin net (``C=1, N=1``, no stem, 1-channel input).
Every architecture of a search sees the same minibatches (``batch_size`` 64 train for kappa and MSE, a disjoint 64
test batch for MSE, the same image pool for the 3x3 crops) and the same proxy generator seed, so differences between
architectures are not sampling noise. Indicator values are cached per architecture within a search. A failed
indicator (NaN) is replaced by the worst value seen so far in the search (TEG's rule). The MSE uses the code's
cell-parameter kernel (``mse_variant="code"``, the default): on the tiny net the paper's last-layer kernel has rank
<= 4C, below the train batch, so its inverse is meaningless (``docs/results/teg.md``); ``mse_variant="paper"``
selects it.

* ``teg-evolution`` (Sec. 5.2.2, Real et al.'s aging evolution): a population of ``population`` (256) random archs;
  ``steps`` (1000) times sample ``sample_size`` (64) of them, take as parent the one with the smallest TEG rank sum
  (kappa asc + R desc + MSE asc, ranked within the sample), add its mutation and remove the oldest. Final: the best
  rank sum in the final population. Archs come from the space's own ``sample``/``mutate``.
* ``teg-reinforce`` (Sec. 5.2.1): a policy of logits (NB201: 6 x 5, softmax per edge; DARTS below), Adam (``lr``
  0.04 on NB201, 0.07 on DARTS), ``steps`` (500) sampled archs; loss :math:`-\log \pi(a_t) (r_t - b_t)`,
  :math:`b_t = 0.9 b_{t-1} + 0.1 r_t` (b_0 = 0), reward
  :math:`r_t = \sum_m s_m (m_t - m_{t-1}) / (\max W_m - \min W_m + 10^{-6})` with :math:`s` = -1 for kappa and
  MSE, +1 for R, and :math:`W_m` the last ``reward_window`` (10, the code) values of metric m (``reward_window=None``:
  all values so far, the paper's Eqs. 16-18); :math:`r_0 = 0`. Final: the most likely op on each edge (DARTS: the
  DARTS derivation of :func:`darts_genotype`).
* ``teg-prune`` (TE-NAS, Chen et al. ICLR 2021, Alg. 1, with TEG's third indicator): start from the supernet with all
  ops but ``none`` (``drop_none=True``, as the code) mixed with weight 1; each round, for every remaining op o of every
  undecided edge, score the supernet with o removed (weight 0) and its change from the current supernet:
  :math:`\Delta\kappa = (\kappa_0 - \kappa)/\kappa_0` (higher: prune), :math:`\Delta R = (R_0 - R)/R_0` (lower:
  prune), :math:`\Delta\mathrm{MSE} = (\mathrm{MSE}_0 - \mathrm{MSE})/\mathrm{MSE}_0` (higher: prune); rank each
  (dense ranks, ties equal, as the code), and on every edge prune the op with the smallest rank sum. Stops when every
  edge has one op (DARTS: then the topology step below). Failures count as TE-NAS's 1e5 (``nan_policy="te-nas"``) so
  that an op whose removal breaks the net is not pruned.

``budget`` caps the architectures scored (evolution, REINFORCE: distinct archs, cache hits are free) or the
perturbations scored (pruning: supernets, the base of each round included); a run cut short reports ``truncated``.

DARTS (``nasbench301``), following TEGNAS / TENAS:

* Indicator networks: the authors' DARTS supernet config ``C=1, N=1, depth=2, stem_multiplier=1`` (affine BNs, pools
  without BN, a final BN + ReLU), i.e. only the first two cells of a 3-cell DARTS net: one normal cell (C=1) and one
  reduction cell (C=2), so both cell types shape every indicator at a few hundred parameters. Here that is
  ``NasBench301.build(C=1, layers=3, depth=2, stem_multiplier=1, affine=True, pool_bn=False, lastact=True)`` (options
  ``C``, ``N`` -> ``layers = 3N``, ``depth``, default ``N + 1``: the first stage and the first reduction cell); the thin
  net for R is the same with ``stem=False, in_channels=1`` (the 1-channel 3x3 crops enter the first cell directly;
  the reduction cell pads odd sizes as the authors' FactorizedReduce). Stand-alone archs are built as discrete
  :class:`~naslib_swap.spaces._darts.DartsNetwork` s (the authors mask their supernet to the same sub-network).
* ``teg-reinforce``: logits ``(2, 14, 8)`` (normal, reduce; the 14 edges in DARTS order; all 8 DARTS ops, ``none``
  included, as the authors' ``Policy_DARTS``). A sample draws one op per edge from the softmax; then every node with
  more than two incoming edges (nodes 1-3) keeps two of them, drawn without replacement with probabilities softmax
  of the sampled ops' logits (the authors' ``select_action``); :math:`\log \pi(a_t)` sums the op log-probabilities of
  the kept edges only. A sampled ``none`` on a kept edge is scored as a zero edge (the authors do the same); the
  final arch never holds one: :func:`darts_genotype` on ``softmax(logits)`` keeps, per node, the two inputs whose best
  non-``none`` op weighs most, each with that op (DARTS' and the authors' ``genotype()``).
* ``teg-prune``: the op rounds run on the 2 x 14 = 28 edges of the supernet (history ``edge`` = ``14 * cell + edge``;
  ``none`` is always dropped: NB301 archs have none); then TE-NAS's topology step (``prune_func_rank_group``): for
  each cell and each node with more than 2 incoming edges, score the supernet with each incoming edge removed, rank
  the three changes as above within the node, and keep the 2 edges whose removal is least prunable (largest rank sum;
  ties: the lower input), removing the rest at once. Cost: ``28 * 27`` op perturbations + 6 bases, then
  ``2 * (3 + 4 + 5)`` edge perturbations + 6 bases. Out of budget: an edge keeps its lowest-index remaining op and an
  undecided node its two lowest inputs.
* Results: ``arch`` is a NASLib compact pair (``space.parse`` accepts it), ``extra["genotype"]`` its DARTS genotype.
  NB301 has no ground truth for arbitrary archs here (no surrogate; only the 725 preview archs have a
  ``val_accuracy``), so the CLI's ``val_acc``/``test_acc`` are None unless the arch is one of them
  (``extra["ground_truth"]`` says so).

Example:
    >>> from naslib_swap.registry import get_space, get_search
    >>> res = get_search("teg-evolution")(get_space("nasbench201"), "cifar10", seed=0, progress=False, population=4,
    ...     sample_size=2, steps=2, C=1, batch_size=8, reinits=1, crops=100)
    >>> len(res.arch), res.n_scored <= 6
    (6, True)
"""
from __future__ import annotations

import collections
import math
import time
from typing import Any, Callable, Iterable

import numpy as np
import torch

from ..errors import NaslibSwapError
from ..proxies.base import ProxyContext, compute_proxy
from ..proxies.teg import TE_NAS_BAD, TEG_METRICS, teg_ranks
from ..registry import get_proxy, register_search
from ..rng import make_generator, seeded
from ..scoring import derive_seed
from ..spaces._darts import CELL_EDGES, DARTS_PRIMITIVES, NUM_NODES, DartsNetwork, edge_index
from ..spaces.base import SearchSpace
from ..types import Batch
from .base import SearchResult

METRICS = TEG_METRICS
SIGN = {"teg_ntk": -1.0, "teg_lr": 1.0, "teg_mse": -1.0}  # reward sign: +1 higher is better
SPACES = ("nasbench201", "nasbench301")
DEFAULT_LR = {"nasbench201": 0.04, "nasbench301": 0.07}  # the paper's REINFORCE learning rates (Sec. 5.2.1)
DARTS_EDGES, DARTS_OPS = len(CELL_EDGES), len(DARTS_PRIMITIVES)  # 14 edges per cell, 8 ops ('none' first)
DARTS_NONE = DARTS_PRIMITIVES.index("none")
# the authors' DARTS indicator supernet besides C / N / depth: stem to C channels, affine BNs, plain pools, final BN+ReLU
DARTS_NET = {"stem_multiplier": 1, "affine": True, "pool_bn": False, "lastact": True}
NO_GROUND_TRUTH = ("nasbench301 has no accuracy for arbitrary archs here (no surrogate; only the 725 preview archs have "
                   "a val_accuracy): val_acc/test_acc are None unless the arch is one of them")

DartsCells = tuple[list[tuple[str, int]], list[tuple[str, int]]]


class TegSearchError(NaslibSwapError):
    """A TEG search asked for something it cannot do (space, options)."""


def _check_space(space: SearchSpace) -> None:
    if space.name not in SPACES:
        raise TegSearchError(f"TEG searches are not available for {space.name} (they need the authors' indicator "
                             f"networks); use --space nasbench201 or --space nasbench301")


def _darts(space: SearchSpace) -> bool:
    return space.name == "nasbench301"


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="arch", disable=not enabled, leave=False)


def _genotype_str(cells: DartsCells) -> str:
    return (f"Genotype(normal={cells[0]}, normal_concat=[2, 3, 4, 5], "
            f"reduce={cells[1]}, reduce_concat=[2, 3, 4, 5])")


def _darts_extra(space: SearchSpace, arch: Any) -> dict[str, Any]:
    """What a DARTS result adds: its genotype and why it has no accuracy."""
    if not _darts(space):
        return {}
    return {"genotype": space.to_string(arch), "ground_truth": NO_GROUND_TRUTH}


class TegEvaluator:
    """Scores architectures (or supernets) with the three TEG indicators on fixed data; caches per arch key.

    Args:
        space, dataset, seed, device, data_root: as the search.
        C, N: size of the kappa/MSE network (None: the authors' C, 3 on NB201 and 1 on DARTS; the thin LR net is
            fixed by ``teg_lr``). On DARTS ``N`` is the number of cells per stage (``layers = 3N``).
        depth: DARTS only: keep the first ``depth`` cells (None: ``N + 1``, the first stage and the first reduction
            cell; the authors' ``depth=2``).
        batch_size: train batch (kappa, MSE) and test batch (MSE).
        reinits, crops, mse_variant, nan_policy: options of the indicators.
    """

    def __init__(self, space: SearchSpace, dataset: str, *, seed: int, device: str | torch.device = "cpu",
                 data_root: Any = None, C: int | None = None, N: int = 1, depth: int | None = None,
                 batch_size: int = 64, reinits: int = 3, crops: int = 3000, images: int = 256,
                 mse_variant: str = "code", nan_policy: str = "teg") -> None:
        C = (1 if _darts(space) else 3) if C is None else int(C)
        if C < 1 or N < 1 or batch_size < 2 or reinits < 1 or crops < 1:
            raise TegSearchError(f"bad TEG search sizes C={C} N={N} batch_size={batch_size} reinits={reinits} "
                                 f"crops={crops}; use C, N, reinits, crops >= 1 and batch_size >= 2")
        if depth is not None and not _darts(space):
            raise TegSearchError(f"the depth option applies to nasbench301 only, not {space.name}; drop it")
        if depth is not None and not 1 <= int(depth) <= 3 * int(N):
            raise TegSearchError(f"bad TEG search depth={depth}; use 1 <= depth <= 3N = {3 * int(N)} cells")
        self.space, self.dataset, self.seed = space, dataset, int(seed)
        self.device = torch.device(device)
        self.data_root = data_root
        self.depth = None if depth is None else int(depth)
        self.net_kw = self._sizes({"C": C, "N": int(N)})
        data_g = make_generator(derive_seed(seed, space.name, dataset, "teg-search-data"))
        images = min(int(images), 512)
        # one draw of disjoint data for the whole search: NTK/MSE train batch, MSE test batch, crop pool
        tr, te, pool = space.make_batches(dataset, [batch_size, batch_size, images], data_g,
                                          data_root=data_root, device=self.device)
        self.batch, self._fixed = tr, {(batch_size, batch_size): [tr, te], (images,): [pool]}
        self.opts = {
            "teg_ntk": {"reinits": reinits, "nan_policy": nan_policy},
            "teg_lr": {"reinits": reinits, "crops": crops, "images": images},
            "teg_mse": {"reinits": reinits, "nan_policy": nan_policy, "variant": mse_variant,
                        "train_size": batch_size, "test_size": batch_size},
        }
        self.specs = {m: get_proxy(m) for m in METRICS}
        self.cache: dict[str, dict[str, float]] = {}
        self.n_scored = 0
        self.worst: dict[str, float] = {}
        self.source = tr.source

    def _sizes(self, kw: dict[str, Any]) -> dict[str, Any]:
        """Builder overrides of the space for generic sizes ``C``, ``N`` (and ``stem``, ``in_channels``, ...).

        NB201 takes them as they are; DARTS turns ``N`` cells per stage into ``layers = 3N`` cut to ``depth`` cells and
        adds the authors' :data:`DARTS_NET` settings (the thin net of ``teg_lr`` asks for ``N=1`` and gets the same
        two cells).
        """
        if not _darts(self.space):
            return dict(kw)
        out = {k: v for k, v in kw.items() if k != "N"}
        if "N" in kw:
            n = int(kw["N"])
            out["layers"] = 3 * n
            out["depth"] = min(self.depth if self.depth is not None else n + 1, 3 * n)
        return {**DARTS_NET, **out}

    def _kw(self, kw: dict[str, Any]) -> dict[str, Any]:
        return {**self.net_kw, **self._sizes(kw)}

    def _make_batches(self, sizes: Iterable[int]) -> list[Batch]:
        key = tuple(int(s) for s in sizes)
        if key not in self._fixed:
            g = make_generator(derive_seed(self.seed, "teg-search-extra", key))
            self._fixed[key] = self.space.make_batches(self.dataset, list(key), g, data_root=self.data_root,
                                                       device=self.device)
        return self._fixed[key]

    def _score_net(self, build: Callable[..., torch.nn.Module]) -> dict[str, float]:
        out = {}
        for m in METRICS:
            ctx = ProxyContext(device=self.device, generator=make_generator(derive_seed(self.seed, "teg-proxy", m)),
                               space=self.space.name, dataset=self.dataset, build_net=build,
                               make_batches=self._make_batches)
            out[m] = compute_proxy(self.specs[m], build(), self.batch, ctx, copy_net=False, **self.opts[m])
        self.n_scored += 1
        for m, v in out.items():
            if math.isfinite(v):
                w = self.worst.get(m)
                self.worst[m] = v if w is None else (min(w, v) if SIGN[m] > 0 else max(w, v))
        return out

    def arch(self, arch: Any) -> dict[str, float]:
        """Raw indicator values of a stand-alone architecture (cached)."""
        key = self.space.key(arch)
        if key not in self.cache:
            net_g = derive_seed(self.seed, "teg-net")
            self.cache[key] = self._score_net(
                lambda **kw: self.space.build(arch, self.dataset, generator=make_generator(net_g), device=self.device,
                                              **self._kw(kw)))
        return self.cache[key]

    def cells(self, cells: DartsCells) -> dict[str, float]:
        """Raw indicator values of a DARTS genotype that may hold ``none`` ops (REINFORCE's samples; cached by its
        genotype string). Built as a :class:`DartsNetwork` directly: the space's parser rejects ``none``."""
        key = _genotype_str(cells)
        if key not in self.cache:
            net_g = derive_seed(self.seed, "teg-net")
            classes = self.space.num_classes(self.dataset)

            def build(**kw: Any) -> torch.nn.Module:
                with seeded(make_generator(net_g)):
                    net = DartsNetwork(cells[0], cells[1], num_classes=classes, **self._kw(kw))
                return net.to(self.device)

            self.cache[key] = self._score_net(build)
        return self.cache[key]

    def supernet(self, op_weights: torch.Tensor) -> dict[str, float]:
        """Raw indicator values of the supernet with these mixing weights (not cached)."""
        net_g = derive_seed(self.seed, "teg-supernet")
        return self._score_net(
            lambda **kw: self.space.supernet(self.dataset, generator=make_generator(net_g), device=self.device,  # type: ignore[attr-defined]
                                             op_weights=op_weights, **self._kw(kw)))

    def filled(self, values: dict[str, float]) -> dict[str, float]:
        """NaN values replaced by the worst value seen so far in this search (TEG's rule)."""
        return {m: (v if math.isfinite(v) or m not in self.worst else self.worst[m]) for m, v in values.items()}


def _evaluator(space: SearchSpace, dataset: str, seed: int, device: Any, data_root: Any, opts: dict[str, Any],
               nan_policy: str = "teg") -> TegEvaluator:
    return TegEvaluator(space, dataset, seed=seed, device=device, data_root=data_root, nan_policy=nan_policy, **opts)


def _split_options(options: dict[str, Any], own: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Method options (with defaults) and evaluator options; anything else is an error naming the known ones."""
    ev_keys = ("C", "N", "depth", "batch_size", "reinits", "crops", "images", "mse_variant")
    unknown = [k for k in options if k not in own and k not in ev_keys]
    if unknown:
        raise TegSearchError(f"unknown TEG search option(s) {', '.join(map(repr, unknown))}; known: "
                             f"{', '.join(list(own) + list(ev_keys))}")
    mine = {k: options.get(k, v) for k, v in own.items()}
    return mine, {k: options[k] for k in ev_keys if k in options}


def _row(ev: TegEvaluator, arch: Any) -> dict[str, float]:
    return ev.filled(ev.arch(arch))


# ---------------------------------------------------------------------------------------------------------------
# aging evolution
# ---------------------------------------------------------------------------------------------------------------

@register_search("teg-evolution")
def teg_evolution(space: SearchSpace, dataset: str, *, seed: int, budget: int | None = None, device: str = "cpu",
                  data_root: Any = None, progress: bool = True, **options: Any) -> SearchResult:
    """Aging evolution guided by the TEG rank sum (options: population=256, sample_size=64, steps=1000, and the
    evaluator's C, N=1, depth (DARTS), batch_size=64, reinits=3, crops=3000, images=256, mse_variant='code')."""
    _check_space(space)
    space.check_dataset(dataset)
    mine, ev_opts = _split_options(options, {"population": 256, "sample_size": 64, "steps": 1000})
    pop_size, sample_size, steps = int(mine["population"]), int(mine["sample_size"]), int(mine["steps"])
    if pop_size < 1 or not 1 <= sample_size <= pop_size or steps < 0:
        raise TegSearchError(f"bad evolution sizes population={pop_size} sample_size={sample_size} steps={steps}; "
                             f"need 1 <= sample_size <= population and steps >= 0")
    if budget is not None and budget < 1:
        raise TegSearchError(f"budget must be >= 1, got {budget}")
    t0 = time.perf_counter()
    g = make_generator(derive_seed(seed, "teg-evolution"))
    ev = _evaluator(space, dataset, seed, device, data_root, ev_opts)
    cap = budget if budget is not None else math.inf
    population: collections.deque = collections.deque()
    history: list[dict[str, Any]] = []
    truncated = False
    bar = _progress(min(pop_size + steps, int(cap) if budget else pop_size + steps), f"teg-evolution {dataset}", progress)
    while len(population) < pop_size:
        if ev.n_scored >= cap:
            truncated = True
            break
        arch = space.sample(g)
        before = ev.n_scored
        ev.arch(arch)
        bar.update(ev.n_scored - before)
        population.append(arch)
        history.append({"step": -1, "arch": space.key(arch), **ev.arch(arch)})
    for step in range(steps):
        if truncated or ev.n_scored >= cap or not population:
            truncated = truncated or step < steps
            break
        k = min(sample_size, len(population))
        idx = torch.randperm(len(population), generator=g)[:k].tolist()
        sample = [population[i] for i in idx]
        ranks = teg_ranks([_row(ev, a) for a in sample])
        parent = sample[int(np.argmin(ranks))]
        child = space.mutate(parent, g)
        before = ev.n_scored
        values = ev.arch(child)
        bar.update(ev.n_scored - before)
        population.append(child)
        population.popleft()
        history.append({"step": step, "arch": space.key(child), "parent": space.key(parent), **values})
    bar.close()
    final = list(population)
    best = space.parse(final[int(np.argmin(teg_ranks([_row(ev, a) for a in final])))])
    return SearchResult(arch=best, search_time_s=time.perf_counter() - t0, n_scored=ev.n_scored,
                        history=history, extra={"truncated": truncated, "data": ev.source, **_darts_extra(space, best)})


# ---------------------------------------------------------------------------------------------------------------
# REINFORCE
# ---------------------------------------------------------------------------------------------------------------

def teg_reward(buffers: dict[str, list[float]], window: int | None = 10) -> float:
    r"""TEG's reward for the last entry of per-metric buffers (Sec. 5.2.1; window as the code, ``None``: paper).

    Example:
        >>> round(teg_reward({"teg_ntk": [10.0, 5.0], "teg_lr": [1.0, 3.0], "teg_mse": [2.0, 2.0]}), 4)
        2.0
    """
    first = next(iter(buffers.values()))
    if len(first) < 2:
        return 0.0
    total = 0.0
    for m, vals in buffers.items():
        recent = vals[-window:] if window else vals
        total += SIGN[m] * (vals[-1] - vals[-2]) / (max(recent) - min(recent) + 1e-6)
    return float(total)


def darts_genotype(weights: torch.Tensor, *, exclude_none: bool = True) -> DartsCells:
    """DARTS' derivation of a genotype from op weights ``(2, 14, 8)`` (normal, reduce; edges in
    :data:`~naslib_swap.spaces._darts.CELL_EDGES` order, ops in ``DARTS_PRIMITIVES`` order, ``none`` first).

    Per intermediate node, the strength of an incoming edge is its largest op weight (``none`` excluded); the node
    keeps its two strongest inputs (ties: the lower input) with their strongest op (ties: the lower op index), as
    DARTS' and the TEG authors' ``genotype()``. The two pairs of a node are listed by ascending input.

    Example:
        >>> w = torch.zeros(2, 14, 8)
        >>> w[:, 2, 4] = 1.0  # node 1 <- input 0: sep_conv_3x3
        >>> w[:, 4, 3] = 0.5  # node 1 <- node 0 (input 2): skip_connect
        >>> darts_genotype(w)[0][2:4]
        [('sep_conv_3x3', 0), ('skip_connect', 2)]
    """
    if tuple(weights.shape) != (2, DARTS_EDGES, DARTS_OPS):
        raise TegSearchError(f"DARTS op weights must have shape (2, {DARTS_EDGES}, {DARTS_OPS}), got "
                             f"{tuple(weights.shape)}; pass softmax(logits) of normal and reduce cells")
    w = weights.detach().float().cpu().clone()
    if exclude_none:
        w[..., DARTS_NONE] = -math.inf
    cells: list[list[tuple[str, int]]] = []
    for t in range(2):
        pairs: list[tuple[str, int]] = []
        for i in range(NUM_NODES):
            strength = {j: float(w[t, edge_index(i, j)].max()) for j in range(i + 2)}
            kept = sorted(strength, key=lambda j: (-strength[j], j))[:2]
            for j in sorted(kept):
                pairs.append((DARTS_PRIMITIVES[int(w[t, edge_index(i, j)].argmax())], j))
        cells.append(pairs)
    return cells[0], cells[1]


def darts_sample(logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One REINFORCE action on DARTS (the authors' ``select_action``): ``(2, 14)`` op indices, -1 on dropped edges.

    Every edge draws an op from ``softmax(logits)`` (``none`` included); each node with more than two incoming edges
    then keeps two of them, drawn without replacement with probabilities ``softmax`` of the drawn ops' logits.
    """
    with torch.no_grad():
        probs = torch.softmax(logits.detach(), dim=-1).view(-1, DARTS_OPS)
        ops = torch.multinomial(probs, 1, generator=generator).view(2, DARTS_EDGES)
        for t in range(2):
            for i in range(1, NUM_NODES):  # node 0 has exactly two inputs: both stay
                edges = torch.tensor([edge_index(i, j) for j in range(i + 2)])
                p = torch.softmax(logits.detach()[t, edges, ops[t, edges]], dim=0)
                keep = torch.multinomial(p, 2, replacement=False, generator=generator)
                dropped = torch.ones(len(edges), dtype=torch.bool)
                dropped[keep] = False
                ops[t, edges[dropped]] = -1
    return ops


def darts_action_cells(action: torch.Tensor) -> DartsCells:
    """Genotype cells (``none`` possible) of a :func:`darts_sample` action: per node its kept inputs, ascending."""
    cells: list[list[tuple[str, int]]] = []
    for t in range(2):
        pairs = []
        for i in range(NUM_NODES):
            for j in range(i + 2):
                op = int(action[t, edge_index(i, j)])
                if op >= 0:
                    pairs.append((DARTS_PRIMITIVES[op], j))
        if len(pairs) != 2 * NUM_NODES:
            raise TegSearchError(f"a DARTS action must keep 2 inputs per node, got {len(pairs)} edges in cell {t}")
        cells.append(pairs)
    return cells[0], cells[1]


@register_search("teg-reinforce")
def teg_reinforce(space: SearchSpace, dataset: str, *, seed: int, budget: int | None = None, device: str = "cpu",
                  data_root: Any = None, progress: bool = True, **options: Any) -> SearchResult:
    """REINFORCE with the TEG reward (options: steps=500, lr=0.04 on NB201 / 0.07 on DARTS, gamma=0.9,
    reward_window=10, and the evaluator's)."""
    _check_space(space)
    space.check_dataset(dataset)
    mine, ev_opts = _split_options(options, {"steps": 500, "lr": None, "gamma": 0.9, "reward_window": 10})
    lr = DEFAULT_LR[space.name] if mine["lr"] is None else float(mine["lr"])
    steps, gamma = int(mine["steps"]), float(mine["gamma"])
    window = None if mine["reward_window"] in (None, 0) else int(mine["reward_window"])
    if steps < 1 or lr <= 0 or not 0 <= gamma < 1:
        raise TegSearchError(f"bad REINFORCE options steps={steps} lr={lr} gamma={gamma}; need steps >= 1, lr > 0, "
                             f"0 <= gamma < 1")
    if budget is not None and budget < 1:
        raise TegSearchError(f"budget must be >= 1, got {budget}")
    t0 = time.perf_counter()
    g = make_generator(derive_seed(seed, "teg-reinforce"))
    ev = _evaluator(space, dataset, seed, device, data_root, ev_opts)
    darts = _darts(space)
    # NB201: 6 edges x 5 ops; DARTS: (normal, reduce) x 14 edges x 8 ops. Zero logits: a uniform start.
    logits = torch.zeros((2, DARTS_EDGES, DARTS_OPS) if darts else (6, 5), requires_grad=True)
    opt = torch.optim.Adam([logits], lr=lr)
    buffers: dict[str, list[float]] = {m: [] for m in METRICS}
    baseline, history, truncated = 0.0, [], False
    cap = budget if budget is not None else math.inf
    bar = _progress(steps, f"teg-reinforce {dataset}", progress)
    for step in range(steps):
        if darts:
            choice = darts_sample(logits, g)
            cells = darts_action_cells(choice)
            key = _genotype_str(cells)
            score: Callable[[], dict[str, float]] = lambda: ev.cells(cells)  # noqa: E731
            kept = choice >= 0
        else:
            with torch.no_grad():
                probs = torch.softmax(logits, dim=1)
                choice = torch.multinomial(probs, 1, generator=g).view(-1)
            arch = tuple(int(c) for c in choice)
            key = space.key(arch)
            score = lambda: ev.arch(arch)  # noqa: E731
            kept = torch.ones_like(choice, dtype=torch.bool)
        if key not in ev.cache and ev.n_scored >= cap:
            truncated = True
            break
        values = ev.filled(score())
        for m in METRICS:
            buffers[m].append(values[m] if math.isfinite(values[m]) else 0.0)
        reward = teg_reward(buffers, window)
        baseline = gamma * baseline + (1 - gamma) * reward
        # log pi(a): the op log-probabilities of the edges the action uses (DARTS: the two kept per node)
        chosen = torch.log_softmax(logits, dim=-1).gather(-1, choice.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        log_prob = chosen[kept].sum()
        loss = -log_prob * (reward - baseline)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append({"step": step, "arch": key, "reward": reward, "baseline": baseline, **values})
        bar.update(1)
    bar.close()
    with torch.no_grad():
        if darts:
            normal, reduce = darts_genotype(torch.softmax(logits, dim=-1))
            final = space.from_genotype_cells(normal, reduce)  # type: ignore[attr-defined]
        else:
            final = space.parse(tuple(int(i) for i in logits.argmax(dim=1)))
        entropy = float(-(torch.softmax(logits, -1) * torch.log_softmax(logits, -1)).sum(-1).mean())
    return SearchResult(arch=final, search_time_s=time.perf_counter() - t0, n_scored=ev.n_scored,
                        history=history, extra={"truncated": truncated, "policy_entropy": entropy, "lr": lr,
                                                "data": ev.source, **_darts_extra(space, final)})


# ---------------------------------------------------------------------------------------------------------------
# TE-NAS-style pruning
# ---------------------------------------------------------------------------------------------------------------

def _dense_rank(values: list[float], descending: bool) -> list[int]:
    """Dense ranks (0, 1, ...; equal values share a rank), as the TE-NAS code ranks the indicator changes."""
    order = sorted(set(values), reverse=descending)
    pos = {v: i for i, v in enumerate(order)}
    return [pos[v] for v in values]


def _bad_to_const(v: float) -> float:
    return v if math.isfinite(v) else TE_NAS_BAD


class _Pruner:
    """Scores supernets for TE-NAS pruning: rank sums of the indicator changes; counts against the budget.

    ``w`` is ``(edges, ops)`` (NB201 6 x 5, DARTS 28 x 8); ``shape`` is what the space's supernet takes.
    """

    def __init__(self, ev: TegEvaluator, metrics: tuple[str, ...], prec: int, cap: float, shape: tuple[int, ...],
                 history: list[dict[str, Any]], bar: Any) -> None:
        self.ev, self.metrics, self.prec, self.cap, self.shape = ev, metrics, prec, cap, shape
        self.history, self.bar = history, bar
        self.truncated = False

    def out_of_budget(self) -> bool:
        if self.ev.n_scored >= self.cap:
            self.truncated = True
        return self.truncated

    def score(self, w: torch.Tensor) -> dict[str, float]:
        vals = {m: _bad_to_const(v) for m, v in self.ev.supernet(w.view(self.shape)).items()}
        self.bar.update(1)
        return vals

    def delta(self, base: dict[str, float], vals: dict[str, float]) -> dict[str, float]:
        return {m: (round((base[m] - vals[m]) / base[m], self.prec) if base[m] != 0 else 0.0) for m in self.metrics}

    def rank_sums(self, deltas: list[dict[str, float]]) -> np.ndarray:
        """Sum over metrics of dense ranks, 0 = most prunable: kappa, MSE fall most (large delta first); R keeps
        (small delta first)."""
        total = np.zeros(len(deltas))
        for m in self.metrics:
            total += np.asarray(_dense_rank([d[m] for d in deltas], descending=SIGN[m] < 0))
        return total


def _prune_ops(pr: _Pruner, w: torch.Tensor) -> int:
    """TE-NAS's op rounds on ``w`` (in place) until every edge has one op or the budget ends; returns the rounds."""
    rnd = 0
    n_edges, n_ops = w.shape
    while bool((w.sum(dim=1) > 1).any()):
        if pr.out_of_budget():
            break
        base = pr.score(w)
        cands: list[tuple[int, int]] = []
        deltas: list[dict[str, float]] = []
        for e in range(n_edges):
            if w[e].sum() <= 1:
                continue
            for o in range(n_ops):
                if w[e, o] == 0:
                    continue
                if pr.out_of_budget():
                    break
                wp = w.clone()
                wp[e, o] = 0.0
                vals = pr.score(wp)
                cands.append((e, o))
                deltas.append(pr.delta(base, vals))
                pr.history.append({"round": rnd, "edge": e, "op": o, **vals})
            if pr.truncated:
                break
        if not cands:
            break
        total = pr.rank_sums(deltas)
        pruned: dict[int, int] = {}
        for i in np.argsort(total, kind="stable"):
            e, o = cands[int(i)]
            if e not in pruned:
                pruned[e] = o
        for e, o in pruned.items():
            w[e, o] = 0.0
        pr.history.append({"round": rnd, "pruned": {int(e): int(o) for e, o in pruned.items()}})
        rnd += 1
        if pr.truncated:
            break
    return rnd


def _prune_darts_topology(pr: _Pruner, w: torch.Tensor) -> list[list[tuple[int, int]]]:
    """TE-NAS's DARTS topology step on ``w`` ``(28, ops)`` (in place): per cell and node with more than two inputs,
    score the supernet without each incoming edge and keep the two least prunable (largest rank sum; ties: the lower
    input). Returns the two kept inputs per node, ``kept[cell][node]``; out of budget a node keeps its two lowest."""
    kept: list[list[tuple[int, int]]] = [[], []]
    for t in range(2):
        for i in range(NUM_NODES):
            alive = list(range(i + 2))
            rows = {j: t * DARTS_EDGES + edge_index(i, j) for j in alive}
            if len(alive) > 2 and not pr.out_of_budget():
                base = pr.score(w)
                deltas: list[dict[str, float]] = []
                for j in alive:
                    if pr.out_of_budget():
                        break
                    wp = w.clone()
                    wp[rows[j]] = 0.0
                    vals = pr.score(wp)
                    deltas.append(pr.delta(base, vals))
                    pr.history.append({"stage": "topology", "cell": t, "node": i, "input": j, **vals})
                if len(deltas) == len(alive):
                    total = dict(zip(alive, pr.rank_sums(deltas).tolist()))
                    alive = sorted(sorted(alive, key=lambda j: (-total[j], j))[:2])
                    pr.history.append({"stage": "topology", "cell": t, "node": i, "kept": list(alive)})
            alive = alive[:2]
            for j in range(i + 2):
                if j not in alive:
                    w[rows[j]] = 0.0
            kept[t].append((alive[0], alive[1]))
    return kept


@register_search("teg-prune")
def teg_prune(space: SearchSpace, dataset: str, *, seed: int, budget: int | None = None, device: str = "cpu",
              data_root: Any = None, progress: bool = True, **options: Any) -> SearchResult:
    """Prune the NB201 or DARTS supernet by the ranks of the TEG indicators' changes (options: drop_none=True,
    precision=10, metrics=('teg_ntk','teg_lr','teg_mse'), and the evaluator's)."""
    _check_space(space)
    space.check_dataset(dataset)
    mine, ev_opts = _split_options(options, {"drop_none": True, "precision": 10, "metrics": METRICS})
    metrics = tuple(mine["metrics"]) if not isinstance(mine["metrics"], str) else (mine["metrics"],)
    if not metrics or any(m not in METRICS for m in metrics):
        raise TegSearchError(f"teg-prune metrics must be a subset of {METRICS}, got {mine['metrics']!r}")
    if budget is not None and budget < 1:
        raise TegSearchError(f"budget must be >= 1, got {budget}")
    darts = _darts(space)
    if darts and not mine["drop_none"]:
        raise TegSearchError("teg-prune on nasbench301 always drops 'none' (NB301 archs have no 'none' op); "
                             "remove drop_none=False")
    prec = int(mine["precision"])
    t0 = time.perf_counter()
    ev = _evaluator(space, dataset, seed, device, data_root, ev_opts, nan_policy="te-nas")
    if darts:
        n_edges, n_ops, none_op, shape = 2 * DARTS_EDGES, DARTS_OPS, DARTS_NONE, (2, DARTS_EDGES, DARTS_OPS)
    else:
        n_edges, n_ops, none_op, shape = 6, 5, 1, (6, 5)
    w = torch.ones(n_edges, n_ops)
    if mine["drop_none"]:
        w[:, none_op] = 0.0
    cap = budget if budget is not None else math.inf
    history: list[dict[str, Any]] = []
    bar = _progress(int(w.sum().item()) * 2, f"teg-prune {dataset}", progress)
    pr = _Pruner(ev, metrics, prec, cap, shape, history, bar)
    rnd = _prune_ops(pr, w)
    # an edge left with several ops (budget exhausted) keeps its lowest-index remaining op
    choice = [int(torch.nonzero(w[e])[0]) for e in range(n_edges)]
    extra: dict[str, Any] = {}
    if darts:
        for e, o in enumerate(choice):  # one op per edge before the topology step
            w[e].zero_()
            w[e, o] = 1.0
        kept = _prune_darts_topology(pr, w)
        cells = [[(DARTS_PRIMITIVES[choice[t * DARTS_EDGES + edge_index(i, j)]], j) for i in range(NUM_NODES)
                  for j in kept[t][i]] for t in range(2)]
        arch = space.from_genotype_cells(cells[0], cells[1])  # type: ignore[attr-defined]
        extra = _darts_extra(space, arch)
    else:
        arch = space.parse(tuple(choice))
    bar.close()
    return SearchResult(arch=arch, search_time_s=time.perf_counter() - t0, n_scored=ev.n_scored, history=history,
                        extra={"truncated": pr.truncated, "rounds": rnd, "data": ev.source, **extra})
