r"""TEG-NAS searches (Chen et al., TEG-NAS, TPAMI, Sec. 5.2): evolution, REINFORCE and TE-NAS-style pruning, guided
by the three training-free TEG indicators (``teg_ntk`` kappa, ``teg_lr`` R, ``teg_mse``; :mod:`naslib_swap.proxies.teg`).

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
  rank sum in the final population.
* ``teg-reinforce`` (Sec. 5.2.1): a policy of 6 x 5 logits (softmax per edge), Adam (lr 0.04 on NB201), ``steps``
  (500) sampled archs; loss :math:`-\log \pi(a_t) (r_t - b_t)`, :math:`b_t = 0.9 b_{t-1} + 0.1 r_t` (b_0 = 0), reward
  :math:`r_t = \sum_m s_m (m_t - m_{t-1}) / (\max W_m - \min W_m + 10^{-6})` with :math:`s` = -1 for kappa and
  MSE, +1 for R, and :math:`W_m` the last ``reward_window`` (10, the code) values of metric m (``reward_window=None``:
  all values so far, the paper's Eqs. 16-18); :math:`r_0 = 0`. Final: the most likely op on each edge.
* ``teg-prune`` (TE-NAS, Chen et al. ICLR 2021, Alg. 1, with TEG's third indicator): start from the supernet with all
  ops but ``none`` (``drop_none=True``, as the code) mixed with weight 1; each round, for every remaining op o of every
  undecided edge, score the supernet with o removed (weight 0) and its change from the current supernet:
  :math:`\Delta\kappa = (\kappa_0 - \kappa)/\kappa_0` (higher: prune), :math:`\Delta R = (R_0 - R)/R_0` (lower:
  prune), :math:`\Delta\mathrm{MSE} = (\mathrm{MSE}_0 - \mathrm{MSE})/\mathrm{MSE}_0` (higher: prune); rank each
  (dense ranks, ties equal, as the code), and on every edge prune the op with the smallest rank sum. Stops when every
  edge has one op. Failures count as TE-NAS's 1e5 (``nan_policy="te-nas"``) so that an op whose removal breaks the
  net is not pruned.

``budget`` caps the architectures scored (evolution, REINFORCE: distinct archs, cache hits are free) or the
perturbations scored (pruning: supernets, the base of each round included); a run cut short reports ``truncated``.

Only NAS-Bench-201 is supported: the DARTS space (``nasbench301``) has no thin-net builder (``stem=False``,
1-channel input, ``N``) yet, so these searches raise :class:`~naslib_swap.errors.NaslibSwapError` there.

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
from typing import Any, Iterable

import numpy as np
import torch

from ..errors import NaslibSwapError
from ..proxies.base import ProxyContext, compute_proxy
from ..proxies.teg import TE_NAS_BAD, TEG_INPUTS, teg_ranks
from ..registry import get_proxy, register_search
from ..rng import make_generator
from ..scoring import derive_seed
from ..spaces.base import SearchSpace
from ..types import Batch
from .base import SearchResult

METRICS = tuple(n for n, _ in TEG_INPUTS)
SIGN = {"teg_ntk": -1.0, "teg_lr": 1.0, "teg_mse": -1.0}  # reward sign: +1 higher is better


class TegSearchError(NaslibSwapError):
    """A TEG search asked for something it cannot do (space, options)."""


def _check_space(space: SearchSpace) -> None:
    if space.name != "nasbench201":
        raise TegSearchError(
            f"TEG searches are not available for {space.name} yet (they need a thin-net builder with "
            f"C/N/stem/in_channels overrides and a 6x5 op encoding); use --space nasbench201")


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="arch", disable=not enabled, leave=False)


class TegEvaluator:
    """Scores architectures (or supernets) with the three TEG indicators on fixed data; caches per arch key.

    Args:
        space, dataset, seed, device, data_root: as the search.
        C, N: size of the kappa/MSE network (the thin LR net is fixed by ``teg_lr``).
        batch_size: train batch (kappa, MSE) and test batch (MSE).
        reinits, crops, mse_variant, nan_policy: options of the indicators.
    """

    def __init__(self, space: SearchSpace, dataset: str, *, seed: int, device: str | torch.device = "cpu",
                 data_root: Any = None, C: int = 3, N: int = 1, batch_size: int = 64, reinits: int = 3,
                 crops: int = 3000, images: int = 256, mse_variant: str = "code", nan_policy: str = "teg") -> None:
        if C < 1 or N < 1 or batch_size < 2 or reinits < 1 or crops < 1:
            raise TegSearchError(f"bad TEG search sizes C={C} N={N} batch_size={batch_size} reinits={reinits} "
                                 f"crops={crops}; use C, N, reinits, crops >= 1 and batch_size >= 2")
        self.space, self.dataset, self.seed = space, dataset, int(seed)
        self.device = torch.device(device)
        self.data_root = data_root
        self.net_kw = {"C": int(C), "N": int(N)}
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

    def _make_batches(self, sizes: Iterable[int]) -> list[Batch]:
        key = tuple(int(s) for s in sizes)
        if key not in self._fixed:
            g = make_generator(derive_seed(self.seed, "teg-search-extra", key))
            self._fixed[key] = self.space.make_batches(self.dataset, list(key), g, data_root=self.data_root,
                                                       device=self.device)
        return self._fixed[key]

    def _score_net(self, build: Any) -> dict[str, float]:
        out = {}
        for m in METRICS:
            ctx = ProxyContext(device=self.device, generator=make_generator(derive_seed(self.seed, "teg-proxy", m)),
                               space=self.space.name, dataset=self.dataset, build_net=build,
                               make_batches=self._make_batches)
            out[m] = compute_proxy(self.specs[m], build(**self.net_kw), self.batch, ctx, copy_net=False,
                                   **self.opts[m])
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
                                              **{**self.net_kw, **kw}))
        return self.cache[key]

    def supernet(self, op_weights: torch.Tensor) -> dict[str, float]:
        """Raw indicator values of the supernet with these mixing weights (not cached)."""
        net_g = derive_seed(self.seed, "teg-supernet")
        return self._score_net(
            lambda **kw: self.space.supernet(self.dataset, generator=make_generator(net_g), device=self.device,  # type: ignore[attr-defined]
                                             op_weights=op_weights, **{**self.net_kw, **kw}))

    def filled(self, values: dict[str, float]) -> dict[str, float]:
        """NaN values replaced by the worst value seen so far in this search (TEG's rule)."""
        return {m: (v if math.isfinite(v) or m not in self.worst else self.worst[m]) for m, v in values.items()}


def _evaluator(space: SearchSpace, dataset: str, seed: int, device: Any, data_root: Any, opts: dict[str, Any],
               nan_policy: str = "teg") -> TegEvaluator:
    return TegEvaluator(space, dataset, seed=seed, device=device, data_root=data_root, nan_policy=nan_policy, **opts)


def _split_options(options: dict[str, Any], own: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Method options (with defaults) and evaluator options; anything else is an error naming the known ones."""
    ev_keys = ("C", "N", "batch_size", "reinits", "crops", "images", "mse_variant")
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
    evaluator's C=3, N=1, batch_size=64, reinits=3, crops=3000, images=256, mse_variant='code')."""
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
    best = final[int(np.argmin(teg_ranks([_row(ev, a) for a in final])))]
    return SearchResult(arch=space.parse(best), search_time_s=time.perf_counter() - t0, n_scored=ev.n_scored,
                        history=history, extra={"truncated": truncated, "data": ev.source})


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


@register_search("teg-reinforce")
def teg_reinforce(space: SearchSpace, dataset: str, *, seed: int, budget: int | None = None, device: str = "cpu",
                  data_root: Any = None, progress: bool = True, **options: Any) -> SearchResult:
    """REINFORCE with the TEG reward (options: steps=500, lr=0.04, gamma=0.9, reward_window=10, and the evaluator's)."""
    _check_space(space)
    space.check_dataset(dataset)
    mine, ev_opts = _split_options(options, {"steps": 500, "lr": 0.04, "gamma": 0.9, "reward_window": 10})
    steps, lr, gamma = int(mine["steps"]), float(mine["lr"]), float(mine["gamma"])
    window = None if mine["reward_window"] in (None, 0) else int(mine["reward_window"])
    if steps < 1 or lr <= 0 or not 0 <= gamma < 1:
        raise TegSearchError(f"bad REINFORCE options steps={steps} lr={lr} gamma={gamma}; need steps >= 1, lr > 0, "
                             f"0 <= gamma < 1")
    if budget is not None and budget < 1:
        raise TegSearchError(f"budget must be >= 1, got {budget}")
    t0 = time.perf_counter()
    g = make_generator(derive_seed(seed, "teg-reinforce"))
    ev = _evaluator(space, dataset, seed, device, data_root, ev_opts)
    n_edges, n_ops = 6, 5
    logits = torch.zeros(n_edges, n_ops, requires_grad=True)
    opt = torch.optim.Adam([logits], lr=lr)
    buffers: dict[str, list[float]] = {m: [] for m in METRICS}
    baseline, history, truncated = 0.0, [], False
    cap = budget if budget is not None else math.inf
    bar = _progress(steps, f"teg-reinforce {dataset}", progress)
    for step in range(steps):
        with torch.no_grad():
            probs = torch.softmax(logits, dim=1)
            choice = torch.multinomial(probs, 1, generator=g).view(-1)
        arch = tuple(int(c) for c in choice)
        if space.key(arch) not in ev.cache and ev.n_scored >= cap:
            truncated = True
            break
        values = ev.filled(ev.arch(arch))
        for m in METRICS:
            buffers[m].append(values[m] if math.isfinite(values[m]) else 0.0)
        reward = teg_reward(buffers, window)
        baseline = gamma * baseline + (1 - gamma) * reward
        log_prob = torch.log_softmax(logits, dim=1)[torch.arange(n_edges), choice].sum()
        loss = -log_prob * (reward - baseline)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append({"step": step, "arch": space.key(arch), "reward": reward, "baseline": baseline, **values})
        bar.update(1)
    bar.close()
    final = tuple(int(i) for i in logits.detach().argmax(dim=1))
    with torch.no_grad():
        entropy = float(-(torch.softmax(logits, 1) * torch.log_softmax(logits, 1)).sum(1).mean())
    return SearchResult(arch=space.parse(final), search_time_s=time.perf_counter() - t0, n_scored=ev.n_scored,
                        history=history, extra={"truncated": truncated, "policy_entropy": entropy, "data": ev.source})


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


@register_search("teg-prune")
def teg_prune(space: SearchSpace, dataset: str, *, seed: int, budget: int | None = None, device: str = "cpu",
              data_root: Any = None, progress: bool = True, **options: Any) -> SearchResult:
    """Prune the NB201 supernet by the ranks of the TEG indicators' changes (options: drop_none=True, precision=10,
    metrics=('teg_ntk','teg_lr','teg_mse'), and the evaluator's)."""
    _check_space(space)
    space.check_dataset(dataset)
    mine, ev_opts = _split_options(options, {"drop_none": True, "precision": 10, "metrics": METRICS})
    metrics = tuple(mine["metrics"]) if not isinstance(mine["metrics"], str) else (mine["metrics"],)
    if not metrics or any(m not in METRICS for m in metrics):
        raise TegSearchError(f"teg-prune metrics must be a subset of {METRICS}, got {mine['metrics']!r}")
    if budget is not None and budget < 1:
        raise TegSearchError(f"budget must be >= 1, got {budget}")
    prec = int(mine["precision"])
    t0 = time.perf_counter()
    ev = _evaluator(space, dataset, seed, device, data_root, ev_opts, nan_policy="te-nas")
    n_edges, n_ops, none_op = 6, 5, 1
    w = torch.ones(n_edges, n_ops)
    if mine["drop_none"]:
        w[:, none_op] = 0.0
    cap = budget if budget is not None else math.inf
    history: list[dict[str, Any]] = []
    truncated, rnd = False, 0
    bar = _progress(int(w.sum().item()) * 2, f"teg-prune {dataset}", progress)
    while bool((w.sum(dim=1) > 1).any()):
        if ev.n_scored >= cap:
            truncated = True
            break
        base = {m: _bad_to_const(v) for m, v in ev.supernet(w).items()}
        bar.update(1)
        cands: list[tuple[int, int]] = []
        deltas: dict[str, list[float]] = {m: [] for m in metrics}
        for e in range(n_edges):
            if w[e].sum() <= 1:
                continue
            for o in range(n_ops):
                if w[e, o] == 0:
                    continue
                if ev.n_scored >= cap:
                    truncated = True
                    break
                wp = w.clone()
                wp[e, o] = 0.0
                vals = {m: _bad_to_const(v) for m, v in ev.supernet(wp).items()}
                bar.update(1)
                cands.append((e, o))
                for m in metrics:
                    deltas[m].append(round((base[m] - vals[m]) / base[m], prec) if base[m] != 0 else 0.0)
                history.append({"round": rnd, "edge": e, "op": o, **vals})
            if truncated:
                break
        if not cands:
            break
        # kappa, MSE: removing o should lower them (large delta first); R: removing o should keep it (small first)
        total = np.zeros(len(cands))
        for m in metrics:
            total += np.asarray(_dense_rank(deltas[m], descending=SIGN[m] < 0))
        pruned = {}
        for i in np.argsort(total, kind="stable"):
            e, o = cands[int(i)]
            if e not in pruned:
                pruned[e] = o
        for e, o in pruned.items():
            w[e, o] = 0.0
        history.append({"round": rnd, "pruned": {int(e): int(o) for e, o in pruned.items()}})
        rnd += 1
        if truncated:
            break
    bar.close()
    # an edge left with several ops (budget exhausted) keeps its lowest-index remaining op
    arch = tuple(int(torch.nonzero(w[e])[0]) for e in range(n_edges))
    return SearchResult(arch=space.parse(arch), search_time_s=time.perf_counter() - t0, n_scored=ev.n_scored,
                        history=history, extra={"truncated": truncated, "rounds": rnd, "data": ev.source})
