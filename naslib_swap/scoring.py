"""Score architectures of a benchmark space with registered proxies: the Python API behind ``naslib-swap score``.

Example:
    >>> from naslib_swap import score
    >>> rows = score("nasbench201", "cifar10", ["(0, 2, 3, 2, 3, 1)"], ["swap", "params"], batch_size=8)
    >>> [(r.proxy, r.score > 0) for r in rows]
    [('swap', True), ('params', True)]

Reproducibility: the minibatch, the network's initial weights and the proxy's own randomness for an architecture are
drawn from generators seeded by ``(seed, architecture key)``, so a score does not depend on which other
architectures are scored with it, nor on their order, nor on global random state.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import torch

from .errors import ProxyInputError
from .proxies.base import ProxyContext, compute_proxy, resolve_options
from .registry import ProxySpec, get_proxy, get_space
from .rng import make_generator
from .spaces.base import SearchSpace
from .types import Batch

MAX_BATCH = 1024


@dataclass
class ScoreResult:
    """One (architecture, proxy) score. ``arch`` is the NASLib key (``str`` of the tuple)."""

    arch: str
    proxy: str
    score: float
    time_s: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_proxy_label(label: str) -> tuple[str, dict[str, Any]]:
    """Split ``"reg_swap[mu=1.2,sigma=1.2,formula='code']"`` into the proxy name and its options.

    Values are Python literals (numbers, quoted or bare strings, True/False/None); never evaluated as code.

    Example:
        >>> parse_proxy_label("reg_swap[mu=1.2,init=normal]")
        ('reg_swap', {'mu': 1.2, 'init': 'normal'})
    """
    text = label.strip()
    if "[" not in text:
        return text, {}
    if not text.endswith("]"):
        raise ProxyInputError(f"bad proxy '{label}': options go in brackets, e.g. reg_swap[mu=1.2,sigma=1.2]")
    name, body = text[:-1].split("[", 1)
    opts: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in body.split(","))):
        key, eq, val = part.partition("=")
        if not eq or not key.strip():
            raise ProxyInputError(f"bad proxy option '{part}' in '{label}': write key=value")
        try:
            opts[key.strip()] = ast.literal_eval(val.strip())
        except (ValueError, SyntaxError):
            opts[key.strip()] = val.strip()
    return name.strip(), opts


def split_proxies(text: str | Sequence[str]) -> list[str]:
    """Split a comma-separated proxy list, keeping commas inside brackets: ``"swap,reg_swap[mu=1,sigma=1]"``."""
    if not isinstance(text, str):
        return [str(t) for t in text]
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [p.strip() for p in out if p.strip()]


def derive_seed(*parts: Any) -> int:
    """A stable 63-bit seed from any parts (sha256 of their reprs; independent of PYTHONHASHSEED)."""
    h = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(h[:8], "little") >> 1


@functools.lru_cache(maxsize=32)
def sampled_sizes(space_name: str, dataset: str, n: int = 1000, seed: int = 0) -> tuple[float, ...]:
    """Parameter counts (millions) of ``n`` uniformly sampled archs of a space, seeded.

    Networks are built on the ``meta`` device (no memory, no initialisation). The result is cached on disk under
    ``$XDG_CACHE_HOME/naslib_swap`` (default ``~/.cache/naslib_swap``): building 1000 networks takes a minute.
    """
    import json
    import os

    from . import __version__
    from .modelstats import count_parameters

    cache_dir = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "naslib_swap"
    cache = cache_dir / f"sizes_{space_name}_{dataset}_{n}_{seed}_v{__version__}.json"
    if cache.is_file():
        try:
            return tuple(float(v) for v in json.loads(cache.read_text()))
        except (ValueError, OSError):
            pass  # a corrupt cache is recomputed
    space = get_space(space_name)
    g = make_generator(seed)
    sizes = []
    for _ in range(n):
        arch = space.sample(g)
        with torch.device("meta"):
            net = space._build(arch, dataset)
        sizes.append(count_parameters(net) / 1e6)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(sizes))
        tmp.replace(cache)  # atomic: a killed run leaves no half-written cache
    except OSError:
        pass  # a read-only home only costs the recomputation
    return tuple(sizes)


def sampled_size_prior(space_name: str, dataset: str, n: int = 1000, seed: int = 0, rule: str = "p90") -> tuple[float, float]:
    """reg-SWAP's ``auto`` prior: the size histogram of ``n`` sampled archs reduced by ``rule``
    (see :func:`naslib_swap.proxies.swap.auto_size_prior`)."""
    from .proxies.swap import auto_size_prior

    return auto_size_prior(sampled_sizes(space_name, dataset, n, seed), rule)


@dataclass
class _Job:
    label: str
    spec: ProxySpec
    options: dict[str, Any]


def _resolve_jobs(proxies: Iterable[str]) -> list[_Job]:
    jobs = []
    for label in proxies:
        name, opts = parse_proxy_label(label)
        spec = get_proxy(name)
        if not spec.needs_population:
            resolve_options(spec, {k: v for k, v in opts.items() if k != "bn_mode"})  # fail early on bad options
        jobs.append(_Job(label, spec, opts))
    return jobs


class ArchScorer:
    """Scores single architectures of one (space, dataset) with a fixed proxy list; reusable across archs.

    The suite runner and the searches use this directly; :func:`score` wraps it.
    """

    def __init__(
        self,
        space: str | SearchSpace,
        dataset: str,
        proxies: Sequence[str],
        *,
        batch_size: int | None = None,
        seed: int = 0,
        device: str | torch.device = "cpu",
        data_root: str | Path | None = None,
        net_options: dict[str, Any] | None = None,
    ) -> None:
        self.space = get_space(space) if isinstance(space, str) else space
        self.net_options = dict(net_options or {})
        self.dataset = self.space.check_dataset(dataset)
        self.jobs = _resolve_jobs(split_proxies(proxies))
        if not self.jobs:
            raise ProxyInputError("no proxy given; pass --proxies NAME[,NAME...] (see `naslib-swap list`)")
        if batch_size is not None and not 1 <= batch_size <= MAX_BATCH:
            raise ProxyInputError(f"batch size {batch_size} out of range; use 1..{MAX_BATCH}")
        self.batch_size = batch_size
        self.seed = int(seed)
        self.device = torch.device(device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise ProxyInputError("--device cuda was asked for but no CUDA device is available; use --device cpu")
        self.data_root = data_root

    def _batch_size_for(self, spec: ProxySpec) -> int:
        return self.batch_size or spec.batch_size or self.space.default_batch_size

    def leaf_jobs(self) -> list[_Job]:
        """Per-arch jobs, with each population proxy replaced by the per-arch proxies it combines."""
        out: list[_Job] = []
        seen = set()
        for job in self.jobs:
            todo = [_Job(n, get_proxy(n), {}) for n in job.spec.population_inputs] if job.spec.needs_population else [job]
            for j in todo:
                if j.label not in seen:
                    seen.add(j.label)
                    out.append(j)
        return out

    def score_arch(self, arch: Any, jobs: Sequence[_Job] | None = None) -> list[ScoreResult]:
        """Scores of one architecture for each per-arch job (population proxies excluded)."""
        arch = self.space.parse(arch)
        key = self.space.key(arch)
        seeds = {part: derive_seed(self.seed, self.space.name, self.dataset, key, part) for part in ("data", "net", "proxy", "extra")}
        net = self.space.build(arch, self.dataset, generator=make_generator(seeds["net"]), device=self.device,
                               **self.net_options)
        extra_g = make_generator(seeds["extra"])
        ctx = ProxyContext(
            device=self.device,
            generator=make_generator(seeds["proxy"]),
            space=self.space.name,
            dataset=self.dataset,
            size_prior=self.space.size_prior,
            build_net=lambda **kw: self.space.build(arch, self.dataset, generator=make_generator(seeds["net"]),
                                                    device=self.device, **{**self.net_options, **kw}),
            make_batches=lambda sizes: self.space.make_batches(self.dataset, sizes, extra_g,
                                                               data_root=self.data_root, device=self.device),
        )
        batches: dict[int, Batch] = {}
        out = []
        for job in jobs if jobs is not None else self.leaf_jobs():
            bs = self._batch_size_for(job.spec)
            if bs not in batches:
                batches[bs] = self.space.make_batch(self.dataset, bs, make_generator(seeds["data"]),
                                                    data_root=self.data_root, device=self.device)
            opts = dict(job.options)
            if opts.get("mu") == "auto" or opts.get("sigma") == "auto":
                ctx.cache["size_prior_auto"] = sampled_size_prior(self.space.name, self.dataset)
            t0 = time.perf_counter()
            value = compute_proxy(job.spec, net, batches[bs], ctx, **opts)
            out.append(ScoreResult(key, job.label, value, time.perf_counter() - t0))
        return out

    def combine_population(self, per_arch: dict[str, dict[str, ScoreResult]]) -> list[ScoreResult]:
        """Scores of the population proxies, from the per-arch scores of their inputs (``{arch: {label: result}}``)."""
        out = []
        keys = list(per_arch)
        for job in self.jobs:
            if not job.spec.needs_population:
                continue
            rows = [{n: per_arch[k][n].score for n in job.spec.population_inputs} for k in keys]
            combined = job.spec.combine(rows, **job.options)  # type: ignore[misc]
            for k, v in zip(keys, combined):
                t = sum(per_arch[k][n].time_s for n in job.spec.population_inputs)
                out.append(ScoreResult(k, job.label, float(v), t))
        return out


def score(
    space: str | SearchSpace,
    dataset: str,
    archs: Iterable[Any],
    proxies: str | Sequence[str],
    *,
    batch_size: int | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    data_root: str | Path | None = None,
    progress: bool = False,
    net_options: dict[str, Any] | None = None,
) -> list[ScoreResult]:
    """Score architectures with proxies.

    Args:
        space: NASLib's space name (``nasbench201``, ...) or a space instance.
        dataset: dataset / task name as NASLib spells it.
        archs: architectures in any form the space parses (NASLib tuples, tuple strings, NB201 strings, ...).
        proxies: names, optionally with options (``"reg_swap[mu=1.2,sigma=1.2]"``); a comma-separated string works.
        batch_size: minibatch size (default: the proxy's paper default, else the space's, 64).
        seed: base seed; each architecture's batch and weights derive from ``(seed, arch)``.
        device: ``cpu`` or ``cuda``.
        data_root: the shared data folder (default: ``NASLIB_SWAP_DATA`` or ``../shared/data``).
        progress: show a progress bar.
        net_options: space-specific network overrides (NB201: ``C``, ``N``), e.g. tiny nets for tests.

    Returns:
        one :class:`ScoreResult` per (arch, proxy), in input order then proxy order.
    """
    scorer = ArchScorer(space, dataset, split_proxies(proxies), batch_size=batch_size, seed=seed, device=device,
                        data_root=data_root, net_options=net_options)
    arch_list = [scorer.space.parse(a) for a in archs]
    it: Iterable[Any] = arch_list
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(arch_list, desc=f"scoring {scorer.space.name}/{scorer.dataset}", unit="arch")
    per_arch: dict[str, dict[str, ScoreResult]] = {}
    for arch in it:
        res = scorer.score_arch(arch)
        per_arch[scorer.space.key(arch)] = {r.proxy: r for r in res}
    pop = scorer.combine_population(per_arch)
    pop_by = {}
    for r in pop:
        pop_by.setdefault(r.arch, {})[r.proxy] = r
    out: list[ScoreResult] = []
    for key, rows in per_arch.items():
        for job in scorer.jobs:
            r = pop_by.get(key, {}).get(job.label) if job.spec.needs_population else rows.get(job.label)
            if r is not None:
                out.append(r)
    return out


def is_finite(x: float) -> bool:
    return math.isfinite(x)
