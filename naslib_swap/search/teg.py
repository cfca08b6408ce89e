r"""TEG-NAS searches (Chen et al., TEG-NAS, TPAMI, Sec. 5.2): evolution, REINFORCE and TE-NAS-style pruning, guided
by the three training-free TEG indicators (``teg_ntk`` kappa, ``teg_lr`` R, ``teg_mse``;
:mod:`naslib_swap.proxies.teg`).

Spaces: any space with TEG's indicator networks (build profiles ``teg-indicator`` and ``teg-thin``); REINFORCE also
needs a cell policy (:class:`~naslib_swap.spaces.capabilities.PolicySpace`) and pruning a supernet
(:class:`~naslib_swap.spaces.capabilities.SupernetSpace`). Built in: ``nasbench201`` and ``nasbench301`` (the DARTS
space, see "DARTS" below). Directions of better come from each indicator's ``higher_is_better``.

Indicator networks (the authors' code, ``Buffer_Reward_Generator`` / ``prune_tenas.py``): kappa and MSE on a tiny
NB201 net (``C=3, N=1`` with stem, the space's ``teg-indicator`` profile; options ``width``/``cells``), R on the thin
net (``C=1, N=1``, no stem, 1-channel input; the ``teg-thin`` profile).
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
* ``teg-reinforce`` (Sec. 5.2.1): a policy of logits (the space's ``policy_shape``; NB201: 6 x 5, softmax per edge;
  DARTS below), Adam (``lr``: the space's ``reinforce_lr``, 0.04 on NB201, 0.07 on DARTS), ``steps`` (500) sampled
  archs; loss :math:`-\log \pi(a_t) (r_t - b_t)`,
  :math:`b_t = 0.9 b_{t-1} + 0.1 r_t` (b_0 = 0), reward
  :math:`r_t = \sum_m s_m (m_t - m_{t-1}) / (\max W_m - \min W_m + 10^{-6})` with :math:`s` = -1 for kappa and
  MSE, +1 for R, and :math:`W_m` the last ``reward_window`` (10, the code) values of metric m (``reward_window=None``:
  all values so far, the paper's Eqs. 16-18); :math:`r_0 = 0`. Final: ``space.derive(logits)``, the most likely op
  on each edge (DARTS: DARTS' derivation).
* ``teg-prune`` (TE-NAS, Chen et al. ICLR 2021, Alg. 1, with TEG's third indicator): start from the supernet with all
  ops but ``none`` (``drop_none=True``, as the code) mixed with weight 1; each round, for every remaining op o of every
  undecided edge, score the supernet with o removed (weight 0) and its change from the current supernet:
  :math:`\Delta\kappa = (\kappa_0 - \kappa)/\kappa_0` (higher: prune), :math:`\Delta R = (R_0 - R)/R_0` (lower:
  prune), :math:`\Delta\mathrm{MSE} = (\mathrm{MSE}_0 - \mathrm{MSE})/\mathrm{MSE}_0` (higher: prune); rank each
  (dense ranks, ties equal, as the code; :func:`naslib_swap.ranking.rank`), and on every edge prune the op with the
  smallest rank sum. Stops when every edge has one op (on spaces with a topology, DARTS: then the topology step
  below). Failures count as TE-NAS's 1e5 (``nan_policy="te-nas"``) so that an op whose removal breaks the net is not
  pruned.

``budget`` caps the architectures scored (evolution, REINFORCE: distinct archs, cache hits are free) or the
perturbations scored (pruning: supernets, the base of each round included); a run cut short reports ``truncated``.

DARTS (``nasbench301``), following TEGNAS / TENAS:

* Indicator networks: the authors' DARTS supernet config ``C=1, N=1, depth=2, stem_multiplier=1`` (affine BNs, pools
  without BN, a final BN + ReLU), i.e. only the first two cells of a 3-cell DARTS net: one normal cell (C=1) and one
  reduction cell (C=2), so both cell types shape every indicator at a few hundred parameters. Here that is
  the ``teg-indicator`` profile, ``NasBench301.build(C=1, layers=3, depth=2, stem_multiplier=1, affine=True,
  pool_bn=False, lastact=True)`` (options ``width``; ``cells`` = ``layers``, default 3; ``depth``, default
  ``layers // 3 + 1``: the first stage and the first reduction cell); the thin net for R is the same with
  ``stem=False, in_channels=1`` (the ``teg-thin`` profile: the 1-channel 3x3 crops enter the first cell directly; the
  reduction cell pads odd sizes as the authors' FactorizedReduce). Stand-alone archs are built as discrete
  ``DartsNetwork`` s (``spaces/darts/network.py``; the authors mask their supernet to the same sub-network).
* ``teg-reinforce``: logits ``(2, 14, 8)`` (normal, reduce; the 14 edges in DARTS order; all 8 DARTS ops, ``none``
  included, as the authors' ``Policy_DARTS``). A sample draws one op per edge from the softmax; then every node with
  more than two incoming edges (nodes 1-3) keeps two of them, drawn without replacement with probabilities softmax
  of the sampled ops' logits (the authors' ``select_action``); :math:`\log \pi(a_t)` sums the op log-probabilities of
  the kept edges only. A sampled ``none`` on a kept edge is scored as a zero edge (the authors do the same); the
  final arch never holds one: DARTS' derivation
  (``derive_genotype``, ``spaces/darts/genotype.py``) on ``softmax(logits)`` keeps, per node, the two inputs whose best
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
    ...     sample_size=2, steps=2, width=1, batch_size=8, reinits=1, crops=100)
    >>> len(res.arch), res.n_scored <= 6
    (6, True)
"""
from __future__ import annotations

import contextlib
import math
import time
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import torch

from ..errors import NaslibSwapError
from ..proxies.base import ProxyContext, compute_proxy
from ..proxies.teg import TE_NAS_BAD, TEG_METRICS, teg_ranks
from ..ranking import rank
from ..registry import get_proxy, register_search
from ..rng import derive_seed, make_generator
from ..spaces.base import NodeInputs, PolicySpace, SearchSpace, SupernetSpace, require, require_profiles
from ..types import Batch
from .base import SearchResult
from .evolution import aging_evolution
from .fanout import Fanout, Scatter, ScorerRecipe, scatter

METRICS = TEG_METRICS
PROFILES = ("teg-indicator", "teg-thin")  # the build profiles of TEG's indicator nets


class TegSearchError(NaslibSwapError):
    """A TEG search asked for something it cannot do (space, options)."""


def _higher_is_better(metric: str) -> bool:
    return get_proxy(metric).higher_is_better


def _check_space(space: SearchSpace, search: str, capability: type | None = None) -> None:
    if capability is not None:
        require(space, capability, search)
    require_profiles(space, PROFILES, search, "TEG's indicator networks")


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="arch", disable=not enabled, leave=False)


def _result_extra(space: SearchSpace, arch: Any) -> dict[str, Any]:
    """What a result adds on this space: its native form (DARTS: the genotype) and why it may lack ground truth."""
    note = space.ground_truth_note
    return {**space.result_extra(arch), **({"ground_truth": note} if note else {})}


class TegEvaluator:
    """Scores architectures (or supernets) with the three TEG indicators on fixed data; caches per arch key.

    Args:
        space, dataset, seed, device, data_root: as the search.
        width, cells, depth: sizes of the kappa/MSE network in the sizing vocabulary (None: the space's
            ``teg-indicator`` profile; NB201 C=3, N=1; DARTS C=1, 3 cells, depth 2); the thin LR net is the
            ``teg-thin`` profile (with ``depth``).
        batch_size: train batch (kappa, MSE) and test batch (MSE).
        reinits, crops, mse_variant, nan_policy: options of the indicators.
    """

    def __init__(self, space: SearchSpace, dataset: str, *, seed: int, device: str | torch.device = "cpu",
                 data_root: Any = None, width: int | None = None, cells: int | None = None, depth: int | None = None,
                 batch_size: int = 64, reinits: int = 3, crops: int = 3000, images: int = 256,
                 mse_variant: str = "code", nan_policy: str = "teg") -> None:
        if batch_size < 2 or reinits < 1 or crops < 1:
            raise TegSearchError(f"bad TEG search sizes batch_size={batch_size} reinits={reinits} crops={crops}; "
                                 f"use reinits, crops >= 1 and batch_size >= 2")
        self.space, self.dataset, self.seed = space, dataset, int(seed)
        self.device = torch.device(device)
        self.data_root = data_root
        self.sizes = {k: v for k, v in (("width", width), ("cells", cells), ("depth", depth)) if v is not None}
        self.thin = {"depth": depth} if depth is not None else {}
        space.net_options("teg-indicator", **self.sizes)  # a size the space cannot honour fails here, in one line
        space.net_options("teg-thin", **self.thin)
        data_g = make_generator(derive_seed(seed, space, dataset, "teg-search-data"))
        images = min(int(images), 512)
        # one draw of disjoint data for the whole search: NTK/MSE train batch, MSE test batch, crop pool
        tr, te, pool = space.make_batches(dataset, [batch_size, batch_size, images], data_g,
                                          data_root=data_root, device=self.device)
        self.batch, self._fixed = tr, {(batch_size, batch_size): [tr, te], (images,): [pool]}
        self.opts: dict[str, dict[str, Any]] = {
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
        self.scatter: Scatter | None = None  # set by a search that fans its batches out
        self.ready: dict[Any, dict[str, float]] = {}  # values the workers computed, not yet asked for
        self.n_remote = 0  # evaluations done by workers

    def request(self, kw: dict[str, Any]) -> dict[str, Any]:
        """Profile and sizes of the net an indicator asks ``ctx.build_net`` for: nothing (the indicator net) or the
        thin net (``profile="teg-thin"``)."""
        if not kw:
            return {"profile": "teg-indicator", **self.sizes}
        if kw == {"profile": "teg-thin"}:
            return {"profile": "teg-thin", **self.thin}
        raise TegSearchError(f"a TEG indicator asked for the net {kw}; the searches build only the indicator net "
                             f"and profile='teg-thin'")

    def _make_batches(self, sizes: Iterable[int]) -> list[Batch]:
        key = tuple(int(s) for s in sizes)
        if key not in self._fixed:
            g = make_generator(derive_seed(self.seed, "teg-search-extra", key))
            self._fixed[key] = self.space.make_batches(self.dataset, list(key), g, data_root=self.data_root,
                                                       device=self.device)
        return self._fixed[key]

    def _score_net(self, build: Callable[..., torch.nn.Module], ready: Any = None) -> dict[str, float]:
        """The three indicators of one net (or the value a worker computed for it, ``ready``), counted and folded
        into the worst values seen, in the order the search asks for them."""
        out = self.ready.pop(ready) if ready is not None and ready in self.ready else self._indicators(build)
        self.n_scored += 1
        for m, v in out.items():
            if math.isfinite(v):
                w = self.worst.get(m)
                self.worst[m] = v if w is None else (min(w, v) if _higher_is_better(m) else max(w, v))
        return out

    def prefetch_archs(self, archs: Iterable[Any], room: float) -> None:
        """Scores up to ``room`` distinct new archs on the workers of ``scatter`` (none without); :meth:`arch` then
        takes their values as if it had computed them."""
        if self.scatter is None:
            return
        todo: dict[str, Any] = {}
        for a in archs:
            k = self.space.key(a)
            if k not in self.cache and ("arch", k) not in self.ready and len(todo) < room:
                todo.setdefault(k, a)
        for k, v in zip(todo, self.scatter.map(_teg_arch, list(todo.values()), describe=self.space.key)):
            self.ready[("arch", k)] = v
        self.n_remote += len(todo)

    def prefetch_supernets(self, weights: list[torch.Tensor]) -> None:
        """Scores supernets with these mixing weights on the workers of ``scatter`` (none without); see
        :meth:`supernet`."""
        if self.scatter is None or not weights:
            return
        for w, v in zip(weights, self.scatter.map(_teg_supernet, weights, describe=lambda w: "a perturbed supernet")):
            self.ready[_weights_key(w)] = v
        self.n_remote += len(weights)

    def _indicators(self, build: Callable[..., torch.nn.Module]) -> dict[str, float]:
        out = {}
        for m in METRICS:
            ctx = ProxyContext.for_space(self.space, self.dataset, device=self.device, build_net=build,
                                         generator=make_generator(derive_seed(self.seed, "teg-proxy", m)),
                                         make_batches=self._make_batches)
            out[m] = compute_proxy(self.specs[m], build(), self.batch, ctx, copy_net=False, **self.opts[m])
        return out

    def arch(self, arch: Any) -> dict[str, float]:
        """Raw indicator values of a stand-alone architecture (cached)."""
        key = self.space.key(arch)
        if key not in self.cache:
            net_g = derive_seed(self.seed, "teg-net")
            self.cache[key] = self._score_net(
                lambda **kw: self.space.build(arch, self.dataset, generator=make_generator(net_g), device=self.device,
                                              **self.request(kw)), ("arch", key))
        return self.cache[key]

    def action(self, action: Any) -> dict[str, float]:
        """Raw indicator values of a policy's sampled action (cached by ``space.action_key``; on DARTS a genotype
        that may hold ``none``, which the space's parser would reject)."""
        space: Any = self.space
        key = space.action_key(action)
        if key not in self.cache:
            net_g = derive_seed(self.seed, "teg-net")
            self.cache[key] = self._score_net(
                lambda **kw: space.build_action(action, self.dataset, generator=make_generator(net_g),
                                                device=self.device, **self.request(kw)))
        return self.cache[key]

    def supernet(self, op_weights: torch.Tensor) -> dict[str, float]:
        """Raw indicator values of the supernet with these mixing weights (not cached)."""
        net_g = derive_seed(self.seed, "teg-supernet")
        space: Any = self.space
        return self._score_net(
            lambda **kw: space.supernet_module(self.dataset, generator=make_generator(net_g), device=self.device,
                                               op_weights=op_weights, **self.request(kw)), _weights_key(op_weights))

    def filled(self, values: dict[str, float]) -> dict[str, float]:
        """NaN values replaced by the worst value seen so far in this search (TEG's rule)."""
        return {m: (v if math.isfinite(v) or m not in self.worst else self.worst[m]) for m, v in values.items()}


def _weights_key(w: torch.Tensor) -> tuple[Any, ...]:
    return ("supernet", tuple(w.shape), w.detach().cpu().contiguous().numpy().tobytes())


def _teg_arch(ev: TegEvaluator, arch: Any) -> dict[str, float]:
    """A worker's evaluation of one arch (its own evaluator, built from the search's recipe)."""
    return ev.arch(arch)


def _teg_supernet(ev: TegEvaluator, weights: torch.Tensor) -> dict[str, float]:
    return ev.supernet(weights)


def _evaluator(space: SearchSpace, dataset: str, seed: int, device: Any, data_root: Any, opts: dict[str, Any],
               nan_policy: str = "teg") -> TegEvaluator:
    return TegEvaluator(space, dataset, seed=seed, device=device, data_root=data_root, nan_policy=nan_policy, **opts)


@contextlib.contextmanager
def _fanned(ev: TegEvaluator, backend: Fanout | None, opts: dict[str, Any], nan_policy: str = "teg"
            ) -> Iterator[TegEvaluator]:
    """``ev`` with the workers of ``backend`` (each builds its own evaluator from the same settings)."""
    recipe = ScorerRecipe(TegEvaluator, dict(space=ev.space, dataset=ev.dataset, seed=ev.seed, device=str(ev.device),
                                             data_root=ev.data_root, nan_policy=nan_policy, **opts))
    with scatter(backend, lambda: recipe, device=ev.device, data_root=ev.data_root) as fan:
        ev.scatter = fan
        try:
            yield ev
        finally:
            ev.scatter = None


# the indicator-net options every TEG search passes on to TegEvaluator (the registry declares them from its signature)
INDICATOR_OPTIONS = ("width", "cells", "depth", "batch_size", "reinits", "crops", "images", "mse_variant")


def _indicator_options(options: dict[str, Any]) -> dict[str, Any]:
    """The evaluator's options; anything else is an error naming the known ones (for calls that bypass the
    registry's check)."""
    unknown = [k for k in options if k not in INDICATOR_OPTIONS]
    if unknown:
        raise TegSearchError(f"unknown TEG search option(s) {', '.join(map(repr, unknown))}; known indicator "
                             f"options: {', '.join(INDICATOR_OPTIONS)}")
    return dict(options)


def _check_budget(budget: int | None) -> float:
    if budget is not None and budget < 1:
        raise TegSearchError(f"budget must be >= 1, got {budget}")
    return budget if budget is not None else math.inf


def _row(ev: TegEvaluator, arch: Any) -> dict[str, float]:
    return ev.filled(ev.arch(arch))


# ---------------------------------------------------------------------------------------------------------------
# aging evolution
# ---------------------------------------------------------------------------------------------------------------

@register_search("teg-evolution", options_from=TegEvaluator,
                 budget_unit="distinct architectures scored (three indicators each)")
def teg_evolution(space: SearchSpace, dataset: str, *, seed: int, budget: int | None = None, device: str = "cpu",
                  data_root: Any = None, progress: bool = True, population: int = 256, sample_size: int = 64,
                  steps: int = 1000, backend: Fanout | None = None, **indicator: Any) -> SearchResult:
    """Aging evolution guided by the TEG rank sum (``indicator``: the evaluator's width, cells, depth (DARTS),
    batch_size=64, reinits=3, crops=3000, images=256, mse_variant='code'). ``backend``
    (:class:`~naslib_swap.search.fanout.Fanout`) scores the initial population as one batch; each child's values
    decide later parents, so the steps score one child at a time here."""
    _check_space(space, "teg-evolution")
    space.check_dataset(dataset)
    ev_opts = _indicator_options(indicator)
    pop_size, sample_size, steps = int(population), int(sample_size), int(steps)
    if pop_size < 1 or not 1 <= sample_size <= pop_size or steps < 0:
        raise TegSearchError(f"bad evolution sizes population={pop_size} sample_size={sample_size} steps={steps}; "
                             f"need 1 <= sample_size <= population and steps >= 0")
    cap = _check_budget(budget)
    t0 = time.perf_counter()
    g = make_generator(derive_seed(seed, "teg-evolution"))
    ev = _evaluator(space, dataset, seed, device, data_root, ev_opts)
    history: list[dict[str, Any]] = []
    total = min(pop_size + steps, int(cap) if budget else pop_size + steps)
    bar = _progress(total, f"teg-evolution {dataset}", progress)

    def scored(arch: Any) -> dict[str, float]:
        before = ev.n_scored
        values = ev.arch(arch)
        bar.update(ev.n_scored - before)
        return values

    def select(members: Any, idx: list[int]) -> int:  # the smallest TEG rank sum within the sample
        return idx[int(np.argmin(teg_ranks([_row(ev, members[i]) for i in idx])))]

    with _fanned(ev, backend, ev_opts) as ev:
        final, truncated = aging_evolution(
            size=pop_size, sample_size=sample_size, steps=steps, generator=g, sample=space.sample,
            mutate=space.mutate, select=select, exhausted=lambda: ev.n_scored >= cap,
            on_member=lambda a: history.append({"step": -1, "arch": space.key(a), **scored(a)}),
            on_child=lambda step, parent, child, _: history.append(
                {"step": step, "arch": space.key(child), "parent": space.key(parent), **scored(child)}),
            on_population=(lambda archs: ev.prefetch_archs(archs, cap - ev.n_scored)) if ev.scatter else None)
    bar.close()
    best = space.parse(final[int(np.argmin(teg_ranks([_row(ev, a) for a in final])))])
    return SearchResult(arch=best, search_time_s=time.perf_counter() - t0, n_scored=ev.n_scored,
                        history=history,
                        extra={"truncated": truncated, "data": ev.source, "scoring_tasks": ev.n_remote,
                               **_result_extra(space, best)},
                        truncated=truncated)


# ---------------------------------------------------------------------------------------------------------------
# REINFORCE
# ---------------------------------------------------------------------------------------------------------------

def teg_reward(buffers: dict[str, list[float]], window: int | None = 10) -> float:
    r"""TEG's reward for the last entry of per-metric buffers (Sec. 5.2.1; window as the code, ``None``: paper); each
    metric counts with +1 if higher is better (its proxy's ``higher_is_better``), else -1.

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
        sign = 1.0 if _higher_is_better(m) else -1.0
        total += sign * (vals[-1] - vals[-2]) / (max(recent) - min(recent) + 1e-6)
    return float(total)


class _Reinforce:
    """REINFORCE state: the policy logits, Adam, the metric buffers and the moving-average baseline."""

    def __init__(self, space: Any, ev: TegEvaluator, lr: float, gamma: float, window: int | None) -> None:
        self.space, self.ev, self.gamma, self.window = space, ev, gamma, window
        self.logits = torch.zeros(space.policy_shape, requires_grad=True)  # zero logits: a uniform start
        self.opt = torch.optim.Adam([self.logits], lr=lr)
        self.buffers: dict[str, list[float]] = {m: [] for m in METRICS}
        self.baseline = 0.0

    def update(self, values: dict[str, float], log_prob: torch.Tensor) -> float:
        """One policy-gradient step, loss ``-log pi(a) (r - b)``; returns the reward."""
        for m in METRICS:
            self.buffers[m].append(values[m] if math.isfinite(values[m]) else 0.0)
        reward = teg_reward(self.buffers, self.window)
        self.baseline = self.gamma * self.baseline + (1 - self.gamma) * reward
        loss = -log_prob * (reward - self.baseline)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return reward

    def entropy(self) -> float:
        with torch.no_grad():
            return float(-(torch.softmax(self.logits, -1) * torch.log_softmax(self.logits, -1)).sum(-1).mean())


def _reinforce_options(space: Any, steps: int, lr: float | None, gamma: float, reward_window: int | None
                       ) -> dict[str, Any]:
    mine: dict[str, Any] = {"steps": steps, "lr": lr, "gamma": gamma, "reward_window": reward_window}
    mine["lr"] = space.reinforce_lr if mine["lr"] is None else float(mine["lr"])
    mine["steps"], mine["gamma"] = int(mine["steps"]), float(mine["gamma"])
    mine["reward_window"] = None if mine["reward_window"] in (None, 0) else int(mine["reward_window"])
    if mine["steps"] < 1 or mine["lr"] <= 0 or not 0 <= mine["gamma"] < 1:
        raise TegSearchError(f"bad REINFORCE options steps={mine['steps']} lr={mine['lr']} gamma={mine['gamma']}; "
                             f"need steps >= 1, lr > 0, 0 <= gamma < 1")
    return mine


@register_search("teg-reinforce", options_from=TegEvaluator,
                 budget_unit="distinct architectures scored (three indicators each)")
def teg_reinforce(space: SearchSpace, dataset: str, *, seed: int, budget: int | None = None, device: str = "cpu",
                  data_root: Any = None, progress: bool = True, steps: int = 500, lr: float | None = None,
                  gamma: float = 0.9, reward_window: int | None = 10, **indicator: Any) -> SearchResult:
    """REINFORCE with the TEG reward (``lr`` None: the space's ``reinforce_lr``, 0.04 on NB201, 0.07 on DARTS;
    ``reward_window`` None or 0: all values so far, the paper; ``indicator``: the evaluator's options)."""
    _check_space(space, "teg-reinforce", PolicySpace)
    sp: Any = space
    space.check_dataset(dataset)
    mine = _reinforce_options(sp, steps, lr, gamma, reward_window)
    ev_opts = _indicator_options(indicator)
    cap = _check_budget(budget)
    t0 = time.perf_counter()
    g = make_generator(derive_seed(seed, "teg-reinforce"))
    ev = _evaluator(space, dataset, seed, device, data_root, ev_opts)
    rl = _Reinforce(sp, ev, mine["lr"], mine["gamma"], mine["reward_window"])
    history: list[dict[str, Any]] = []
    truncated = False
    bar = _progress(mine["steps"], f"teg-reinforce {dataset}", progress)
    for step in range(mine["steps"]):
        action, log_prob = sp.sample_action(rl.logits, g)
        key = sp.action_key(action)
        if key not in ev.cache and ev.n_scored >= cap:
            truncated = True
            break
        values = ev.filled(ev.action(action))
        reward = rl.update(values, log_prob)
        history.append({"step": step, "arch": key, "reward": reward, "baseline": rl.baseline, **values})
        bar.update(1)
    bar.close()
    with torch.no_grad():
        final = sp.derive(rl.logits)
    return SearchResult(arch=final, search_time_s=time.perf_counter() - t0, n_scored=ev.n_scored,
                        history=history, extra={"truncated": truncated, "policy_entropy": rl.entropy(),
                                                "lr": mine["lr"], "data": ev.source, **_result_extra(space, final)},
                        truncated=truncated)


# ---------------------------------------------------------------------------------------------------------------
# TE-NAS-style pruning
# ---------------------------------------------------------------------------------------------------------------

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

    def prefetch(self, base: torch.Tensor, perturbed: list[torch.Tensor]) -> None:
        """A round's supernets on the workers: the base and as many perturbations as the budget lets the serial
        loop score after it."""
        if getattr(self.ev, "scatter", None) is None:  # serial (or an evaluator without workers)
            return
        room = self.cap - self.ev.n_scored - 1
        k = len(perturbed) if room >= len(perturbed) else max(0, int(room))
        self.ev.prefetch_supernets([x.view(self.shape) for x in [base, *perturbed[:k]]])

    def score(self, w: torch.Tensor) -> dict[str, float]:
        vals = {m: _bad_to_const(v) for m, v in self.ev.supernet(w.view(self.shape)).items()}
        self.bar.update(1)
        return vals

    def delta(self, base: dict[str, float], vals: dict[str, float]) -> dict[str, float]:
        return {m: (round((base[m] - vals[m]) / base[m], self.prec) if base[m] != 0 else 0.0) for m in self.metrics}

    def rank_sums(self, deltas: list[dict[str, float]]) -> np.ndarray:
        """Sum over metrics of dense ranks, 0 = most prunable: a lower-is-better indicator (kappa, MSE) that falls
        most (large delta first); a higher-is-better one (R) that keeps (small delta first)."""
        total = np.zeros(len(deltas))
        for m in self.metrics:
            total += rank([d[m] for d in deltas], descending=not _higher_is_better(m), ties="dense")
        return total


def _score_round(pr: _Pruner, w: torch.Tensor, rnd: int) -> tuple[list[tuple[int, int]], list[dict[str, float]]]:
    """One round's perturbations: each remaining op of each undecided edge removed; (edge, op) and their deltas."""
    todo = [(e, o) for e in range(w.shape[0]) if w[e].sum() > 1 for o in range(w.shape[1]) if w[e, o] != 0]
    pr.prefetch(w, [_without(w, (e, o)) for e, o in todo])
    base = pr.score(w)
    cands: list[tuple[int, int]] = []
    deltas: list[dict[str, float]] = []
    n_edges, n_ops = w.shape
    for e in range(n_edges):
        if w[e].sum() <= 1:
            continue
        for o in range(n_ops):
            if w[e, o] == 0:
                continue
            if pr.out_of_budget():
                break
            vals = pr.score(_without(w, (e, o)))
            cands.append((e, o))
            deltas.append(pr.delta(base, vals))
            pr.history.append({"round": rnd, "edge": e, "op": o, **vals})
        if pr.truncated:
            break
    return cands, deltas


def _without(w: torch.Tensor, index: Any) -> torch.Tensor:
    """``w`` with the mixing weights at ``index`` (an (edge, op), or a node's incoming row) set to 0."""
    wp = w.clone()
    wp[index] = 0.0
    return wp


def _prune_ops(pr: _Pruner, w: torch.Tensor) -> int:
    """TE-NAS's op rounds on ``w`` (in place) until every edge has one op or the budget ends; returns the rounds."""
    rnd = 0
    while bool((w.sum(dim=1) > 1).any()):
        if pr.out_of_budget():
            break
        cands, deltas = _score_round(pr, w, rnd)
        if not cands:
            break
        pruned: dict[int, int] = {}
        for i in np.argsort(pr.rank_sums(deltas), kind="stable"):  # per edge, its most prunable op
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


def _prune_node(pr: _Pruner, w: torch.Tensor, node: NodeInputs) -> list[int]:
    """The inputs one node keeps: score the supernet without each incoming edge and keep the ``keep`` least
    prunable (largest rank sum; ties: the lower input); out of budget its first ``keep``."""
    alive = list(node.inputs)
    rows = dict(zip(node.inputs, node.rows))
    if len(alive) > node.keep and not pr.out_of_budget():
        pr.prefetch(w, [_without(w, rows[j]) for j in alive])
        base = pr.score(w)
        deltas: list[dict[str, float]] = []
        for j in alive:
            if pr.out_of_budget():
                break
            vals = pr.score(_without(w, rows[j]))
            deltas.append(pr.delta(base, vals))
            pr.history.append({"stage": "topology", "cell": node.cell, "node": node.node, "input": j, **vals})
        if len(deltas) == len(alive):
            total = dict(zip(alive, pr.rank_sums(deltas).tolist()))
            alive = sorted(sorted(alive, key=lambda j: (-total[j], j))[:node.keep])
            pr.history.append({"stage": "topology", "cell": node.cell, "node": node.node, "kept": list(alive)})
    return alive[:node.keep]


def _prune_topology(pr: _Pruner, w: torch.Tensor, topology: tuple[NodeInputs, ...]) -> list[tuple[int, ...]]:
    """TE-NAS's topology step (``prune_func_rank_group``) on ``w`` (in place, one op per edge): per node of the
    space's ``topology``, the inputs it keeps (:func:`_prune_node`); the other incoming edges are removed."""
    kept: list[tuple[int, ...]] = []
    for node in topology:
        alive = _prune_node(pr, w, node)
        for j, row in zip(node.inputs, node.rows):
            if j not in alive:
                w[row] = 0.0
        kept.append(tuple(alive))
    return kept


def _prune_options(space: Any, drop_none: bool, precision: int, metrics: str | tuple[str, ...] | list[str]
                   ) -> dict[str, Any]:
    mine: dict[str, Any] = {"drop_none": drop_none, "precision": precision, "metrics": metrics}
    metrics = tuple(mine["metrics"]) if not isinstance(mine["metrics"], str) else (mine["metrics"],)
    if not metrics or any(m not in METRICS for m in metrics):
        raise TegSearchError(f"teg-prune metrics must be a subset of {METRICS}, got {mine['metrics']!r}")
    if not space.archs_have_none and not mine["drop_none"]:
        raise TegSearchError(f"teg-prune on {space} always drops 'none' (its archs have no 'none' op); "
                             f"remove drop_none=False")
    mine["metrics"], mine["precision"] = metrics, int(mine["precision"])
    return mine


@register_search("teg-prune", options_from=TegEvaluator,
                 budget_unit="supernet evaluations (three indicators each; a round scores every remaining op)")
def teg_prune(space: SearchSpace, dataset: str, *, seed: int, budget: int | None = None, device: str = "cpu",
              data_root: Any = None, progress: bool = True, drop_none: bool = True, precision: int = 10,
              metrics: str | tuple[str, ...] | list[str] = METRICS, backend: Fanout | None = None,
              **indicator: Any) -> SearchResult:
    """Prune the space's supernet by the ranks of the TEG indicators' changes (``metrics``: a subset of
    ('teg_ntk', 'teg_lr', 'teg_mse'); ``indicator``: the evaluator's options). ``backend``
    (:class:`~naslib_swap.search.fanout.Fanout`) scores each round's supernets (its base and every op removed; a
    topology node's base and every input removed) as one batch."""
    _check_space(space, "teg-prune", SupernetSpace)
    sp: Any = space
    space.check_dataset(dataset)
    mine = _prune_options(sp, drop_none, precision, metrics)
    ev_opts = _indicator_options(indicator)
    cap = _check_budget(budget)
    t0 = time.perf_counter()
    ev = _evaluator(space, dataset, seed, device, data_root, ev_opts, nan_policy="te-nas")
    n_edges, n_ops = sp.mixing_rows
    w = torch.ones(n_edges, n_ops)
    if mine["drop_none"] and sp.none_op is not None:
        w[:, sp.none_op] = 0.0
    history: list[dict[str, Any]] = []
    bar = _progress(int(w.sum().item()) * 2, f"teg-prune {dataset}", progress)
    pr = _Pruner(ev, mine["metrics"], mine["precision"], cap, sp.mixing_shape, history, bar)
    with _fanned(ev, backend, ev_opts, nan_policy="te-nas"):
        rnd = _prune_ops(pr, w)
        # an edge left with several ops (budget exhausted) keeps its lowest-index remaining op
        choice = [int(torch.nonzero(w[e])[0]) for e in range(n_edges)]
        kept = None
        if sp.topology:
            for e, o in enumerate(choice):  # one op per edge before the topology step
                w[e].zero_()
                w[e, o] = 1.0
            kept = _prune_topology(pr, w, sp.topology)
    arch = space.parse(sp.arch_from_choice(choice, kept))
    bar.close()
    return SearchResult(arch=arch, search_time_s=time.perf_counter() - t0, n_scored=ev.n_scored, history=history,
                        extra={"truncated": pr.truncated, "rounds": rnd, "data": ev.source,
                               "scoring_tasks": ev.n_remote,
                               **_result_extra(space, arch)},
                        truncated=pr.truncated)
