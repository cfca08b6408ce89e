"""NASLib host integration: our proxies as NASLib measures, our searches as NASLib optimizers.

This is the only module of the package that imports ``naslib`` (github automl/NASLib, branch ``zerocost`` or
``Develop``). Importing it installs every proxy of :data:`naslib_swap.registry.PROXIES` -- built-ins and whatever
third-party packages declare in the ``naslib_swap.proxies`` entry-point group -- into NASLib's measure registry, so
that NASLib's own code path scores them::

    import naslib_swap.integrations.naslib          # the one line a NASLib script adds
    from naslib.predictors import ZeroCost
    score = ZeroCost(method_type="swap").query(graph, dataloader)

What NASLib expects and how it is met:

* NASLib's measure decorator (``measures.measure(name, bn=True, copy_net=True)``) deep-copies the graph, moves it to
  the device and calls ``func(net, inputs, targets, loss_fn=, split_data=)``; its reduction (``sum_arr``) sums a
  list of tensors, so every measure returns ``[torch.tensor(score, dtype=torch.float64)]`` (float64: exact
  integer counts up to 2**53).
* The proxy runs through :func:`naslib_swap.proxies.base.compute_proxy` (its BN mode, label and gradient rules) with
  a :class:`~naslib_swap.proxies.base.ProxyContext` whose device comes from the net's parameters, whose generator is
  seeded from :func:`install`'s ``seed`` and whose size prior / arch builder come from our space of the same name
  (``graph.get_type()``, e.g. ``nasbench201``) when we have it.
* A name NASLib already owns (``params``, ``flops``, ...) is left to NASLib; a population proxy (TEG's rank sum)
  cannot be a per-graph measure and is skipped; :func:`install` reports both.
* A name is registered once per process; calling :func:`install` again is a no-op (NASLib raises KeyError on a
  duplicate).
* Protocols and labels: ``install(protocol="swap-paper")`` (``naslib-run --protocol``) makes every measure run under
  that named protocol (:mod:`naslib_swap.protocols`): its options (``init``, ``reinits``, ...) under any the label
  sets, and its minibatch: the first ``B`` images of NASLib's batch when NASLib's is larger (NASLib's
  ``batch_size`` decides the loader; set it >= the protocol's). A label with options (``swap[reinits=4]``, or
  ``swap[protocol='swap-paper']``) becomes a measure of that exact name with :func:`install_label` (``naslib-run``
  does it for the config's ``predictor``), so ``predictor: "swap[reinits=4]"`` works in a NASLib config.

Example (needs a NASLib checkout on ``sys.path``):
    >>> import naslib_swap.integrations.naslib as nl          # doctest: +SKIP
    >>> "swap" in nl.install().installed                      # doctest: +SKIP
    True
"""
from __future__ import annotations

import importlib
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn as nn

from ..errors import NaslibSwapError, UnknownNameError
from ..protocols import get_protocol
from ..proxies.base import PROTOCOL_OPTION, ProxyCall, ProxyContext, apply_protocol, compute_proxy
from ..registry import PROXIES, SEARCHES, SPACES, ProxySpec
from ..rng import make_generator
from ..types import Batch
from .compat import NASLIB_PINS, add_collections_aliases, installed_version, version_problems


class NaslibNotAvailableError(NaslibSwapError, ImportError):
    """NASLib cannot be imported (not on ``sys.path``, or a dependency of it is missing)."""


class NaslibIntegrationError(NaslibSwapError, RuntimeError):
    """A NASLib object we cannot adapt (unknown layout, missing optimizer, a feature not built yet)."""


# Develop imports ``collections.Iterable`` (removed in Python 3.10) in naslib/predictors/gp; the package root already
# added the aliases (so ``import naslib_swap`` first is enough); again here in case someone removed them since.
add_collections_aliases()

try:
    import naslib  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise NaslibNotAvailableError(
        f"NASLib is not importable ({exc}); put a NASLib checkout (automl/NASLib, branch zerocost or Develop) on "
        f"PYTHONPATH and install its dependencies with numpy<2, pandas<3, scikit-learn<1.6 (see docs/naslib.md)"
    ) from exc

def compatibility_problems() -> list[str]:
    """Installed package versions known to break NASLib (some silently); empty when the pins hold."""
    found = version_problems({d: installed_version(d) for d in NASLIB_PINS})
    return [f"{problem}; {fix}" for problem, fix in found]


for _problem in compatibility_problems():
    warnings.warn(f"naslib-swap: {_problem}", RuntimeWarning, stacklevel=2)

MEASURE_MODULES = ("naslib.predictors.pruners.measures", "naslib.predictors.utils.pruners.measures")
"""Where the measure registry lives: ``zerocost`` branch, then ``Develop`` branch."""


def measures_module() -> Any:
    """NASLib's measure registry module for whichever branch is installed."""
    errors = []
    missing = set()
    for name in MEASURE_MODULES:
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            errors.append(f"{name}: {exc}")
            dep = getattr(exc, "name", None) or ""
            if isinstance(exc, ModuleNotFoundError) and dep and not dep.startswith("naslib"):
                missing.add(dep.split(".")[0])
    if missing:
        raise NaslibIntegrationError(
            f"NASLib needs {', '.join(sorted(missing))}, which is not installed: pip install "
            f"{' '.join(sorted(missing))} (Develop's predictors need lightgbm ngboost pybnn nasbench_pytorch pyro-ppl "
            f"grakel; then re-pin scikit-learn<1.6; see docs/naslib.md)"
        )
    raise NaslibIntegrationError(
        "found no NASLib measure registry (" + "; ".join(errors) + "); use NASLib's zerocost or Develop branch"
    )


def branch() -> str:
    """``"zerocost"`` or ``"Develop"``: which NASLib layout is installed."""
    return "zerocost" if measures_module().__name__ == MEASURE_MODULES[0] else "Develop"


# ---------------------------------------------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------------------------------------------

_SETTINGS: dict[str, Any] = {"seed": 0, "protocol": None}
NASLIB_SPECIAL = ("flops", "params")
"""Names ``find_measures`` answers itself (tensorwatch model stats) before it looks at the measure registry."""
_INSTALLED: dict[str, ProxySpec] = {}


@dataclass
class InstallReport:
    """What :func:`install` did.

    Attributes:
        installed: our proxies that NASLib can now score (this call or an earlier one).
        naslib_owned: names NASLib already had (its own implementation is kept).
        population: population proxies, not per-graph measures (score their inputs and combine outside NASLib).
        optimizers: NASLib optimizer names of our searches (see :func:`optimizer_classes`).
        ensembles: ``predictor_type`` names NASLib's ``Ensemble`` now builds from us (``libra``).
        branch: the NASLib layout found.
    """

    installed: list[str] = field(default_factory=list)
    naslib_owned: list[str] = field(default_factory=list)
    population: list[str] = field(default_factory=list)
    optimizers: list[str] = field(default_factory=list)
    ensembles: list[str] = field(default_factory=list)
    branch: str = ""


def space_for_graph(net: Any) -> Any | None:
    """Our space of the same name as a NASLib graph (``graph.get_type()``), or None."""
    get_type = getattr(net, "get_type", None)
    name = get_type() if callable(get_type) else getattr(net, "space_name", None)
    if not name or name not in SPACES:
        return None
    return SPACES.get(name)()


def _dataset_for(space: Any, num_classes: int | None) -> str | None:
    # NASLib graphs know their head size, not their dataset; the first dataset of that size is the one.
    if space is None or num_classes is None:
        return None
    for ds in space.datasets:
        if space.num_classes(ds) == num_classes:
            return ds
    return None


def _device_of(net: nn.Module) -> torch.device:
    for p in net.parameters():
        return p.device
    return torch.device("cpu")


def context_for_graph(net: nn.Module, device: torch.device | None = None, seed: int | None = None) -> ProxyContext:
    """The :class:`ProxyContext` a proxy gets for a NASLib graph.

    Device from the net's parameters; generator seeded with ``seed`` (default: :func:`install`'s); space, dataset and
    size prior from our space of the same name; ``build_net`` rebuilds the graph's architecture (``get_hash()``) with
    our builder, for proxies that need thin variants.
    """
    device = device or _device_of(net)
    seed = _SETTINGS["seed"] if seed is None else seed
    space = space_for_graph(net)
    num_classes = getattr(net, "num_classes", None)
    dataset = _dataset_for(space, num_classes)
    generator = make_generator(seed, device)
    if space is None or dataset is None:
        return ProxyContext(device=device, generator=generator, dataset=dataset)
    get_hash = getattr(net, "get_hash", None)
    arch = get_hash() if callable(get_hash) else None
    return ProxyContext.for_space(space, dataset, generator=generator, device=device, arch=arch, net_seed=seed)


def set_protocol(protocol: str | None) -> None:
    """Every measure of ours runs under ``protocol`` from now on (None: the suite's, the default); a bad name fails
    here, in one line."""
    _SETTINGS["protocol"] = None if protocol is None else get_protocol(protocol).name


def measure_call(label: str | ProxySpec) -> ProxyCall:
    """The call a measure runs: ``label`` under the installed protocol (the label's own options win; a label that
    names a protocol keeps it)."""
    return apply_protocol(_SETTINGS["protocol"], label)


def protocol_batch(call: ProxyCall, batch: Batch, space: Any = None) -> Batch:
    """The first ``B`` samples of NASLib's ``batch``, ``B`` the call's protocol batch for the proxy (and space), when
    the batch is larger; else the batch as it is."""
    name = call.options.get(PROTOCOL_OPTION)
    if name is None:
        return batch
    size = get_protocol(name).batch_for(call.name, getattr(space, "name", None))
    if size is None or len(batch.inputs) <= size:
        return batch
    targets = None if batch.targets is None else batch.targets[:size]
    return Batch(batch.inputs[:size], targets, batch.loss_fn, batch.num_classes,
                 f"{batch.source}, first {size} (protocol {name})")


def make_measure(spec: ProxySpec | str) -> Callable[..., list[torch.Tensor]]:
    """NASLib's measure function for one of our proxies or labels: ``func(net, inputs, targets, loss_fn=,
    split_data=)``; the protocol is read at call time (:func:`set_protocol`), so one registration serves any."""
    label = spec if isinstance(spec, str) else spec.name
    first = measure_call(label)  # checks the label now, not inside NASLib's loop

    def naslib_measure(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, loss_fn: Any = None,
                       split_data: int = 1, **_: Any) -> list[torch.Tensor]:
        ctx = context_for_graph(net)
        call = measure_call(label)
        batch = Batch(inputs, targets, loss_fn or nn.CrossEntropyLoss(), getattr(net, "num_classes", None),
                      "NASLib dataloader batch")
        batch = protocol_batch(call, batch, space_for_graph(net))
        # NASLib's wrapper already deep-copied the graph; compute_proxy sets the BN mode the proxy declares.
        score = compute_proxy(call, net, batch, ctx, copy_net=False)
        # float64: NASLib sums this list; float32 would round counts above 2**24 (SWAP's can be that large)
        return [torch.tensor(score, dtype=torch.float64)]

    naslib_measure.__name__ = f"naslib_swap_{first.name}"
    naslib_measure.__doc__ = f"naslib-swap proxy '{label}': {first.spec.description}"
    return naslib_measure


def install_label(label: str) -> str:
    """Register ``label`` (a proxy with options, e.g. ``swap[reinits=4]``) as a NASLib measure of that exact name,
    idempotently; returns the name. A plain proxy name is :func:`install_measures`' job (returned as it is)."""
    call = measure_call(label)  # an unknown proxy, option or protocol fails here, in one line
    if call.spec.needs_population:
        raise NaslibIntegrationError(f"'{label}' combines a population of architectures; NASLib scores one graph "
                                     f"at a time: score its inputs as measures and combine them outside NASLib")
    mod = measures_module()
    if label in _INSTALLED or label in PROXIES:
        return label
    if label in mod._measure_impls:
        raise NaslibIntegrationError(f"NASLib already has a measure named '{label}'; choose another label")
    mod.measure(label, bn=True, copy_net=True)(make_measure(label))
    _INSTALLED[label] = call.spec
    return label


def install_measures(seed: int | None = None) -> InstallReport:
    """Register every proxy of our registry (entry points included) into NASLib's measure registry, idempotently."""
    if seed is not None:
        _SETTINGS["seed"] = int(seed)
    mod = measures_module()
    report = InstallReport(branch=branch())
    for name, spec in PROXIES.items():
        if spec.needs_population:
            report.population.append(name)
            continue
        if name in NASLIB_SPECIAL or (name in mod._measure_impls and name not in _INSTALLED):
            report.naslib_owned.append(name)
            continue
        if name in mod._measure_impls:
            (report.installed if name in _INSTALLED else report.naslib_owned).append(name)
            continue
        mod.measure(name, bn=True, copy_net=True)(make_measure(spec))
        _INSTALLED[name] = spec
        report.installed.append(name)
    return report


def install(seed: int | None = None, protocol: str | None = None, labels: Any = ()) -> InstallReport:
    """Install our proxies as NASLib measures and list our searches as NASLib optimizers (idempotent).

    Args:
        seed: seed of the generator every measure call gets (default 0).
        protocol: a named protocol every measure runs under (None: keep the current one, initially the suite's).
        labels: proxy labels with options to register as measures of those names (:func:`install_label`).
    """
    if protocol is not None:
        set_protocol(protocol)
    report = install_measures(seed)
    for label in labels:
        name = install_label(label)
        if name not in report.installed:
            report.installed.append(name)
    report.optimizers = sorted(optimizer_classes())
    report.ensembles = install_libra_ensemble()
    return report


# ---------------------------------------------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------------------------------------------

def naslib_optimizer_name(method: str) -> str:
    """NASLib's config spelling of a search method: ``swap-nas`` -> ``swap_nas``."""
    return method.replace("-", "_")


_OPT_CLASSES: dict[str, type] = {}


def _metaoptimizer_base() -> type:
    from naslib.optimizers.core.metaclasses import MetaOptimizer

    return MetaOptimizer


def _cfg_get(cfg: Any, key: str, default: Any = None) -> Any:
    if cfg is None:
        return default
    try:
        return cfg.get(key, default)
    except AttributeError:
        return getattr(cfg, key, default)


# The method bodies of ``_make_optimizer_class``'s ``SearchOptimizer`` (``opt`` is the optimizer instance, ``method``
# the search it runs).

def _opt_adapt_search_space(opt: Any, method: str, search_space: Any, dataset_api: Any) -> None:
    opt.search_space = search_space.clone()
    opt.dataset_api = dataset_api
    name = search_space.get_type()
    if name not in SPACES:
        raise NaslibIntegrationError(
            f"search '{method}' runs on our spaces ({', '.join(SPACES.names())}); NASLib space '{name}' has no "
            f"naslib-swap counterpart yet"
        )
    opt.space = SPACES.get(name)()


def _opt_new_epoch(opt: Any, method: str) -> None:
    if opt.result is not None:
        return
    run = SEARCHES.get(method)
    t0 = time.time()
    budget = None if opt.budget in (None, "None") else int(opt.budget)
    opt.result = run(opt.space, opt.dataset, seed=opt.seed, budget=budget, device=opt.device,
                     progress=False, **opt.options)
    opt._train_time = time.time() - t0


def _opt_query(opt: Any, metric_name: str) -> float:
    # NASLib's benchmark api when the runner loaded one; otherwise the shared suite ground truth.
    arch = opt.result.arch
    if opt.dataset_api is not None:
        from naslib.search_spaces.core.query_metrics import Metric

        return float(opt.get_final_architecture().query(
            getattr(Metric, metric_name), opt.dataset, dataset_api=opt.dataset_api))
    try:
        table = opt.space.ground_truth(opt.dataset, metric="val" if "VAL" in metric_name else "test")
        return float(table[opt.space.key(arch)])
    except (NaslibSwapError, NotImplementedError, KeyError):
        return -1.0


def _opt_train_statistics(opt: Any) -> tuple[float, float, float, float]:
    if opt.result is None:
        raise NaslibIntegrationError("train_statistics() before new_epoch(): call new_epoch(0) first")
    if opt._stats is None:
        val = opt._query("VAL_ACCURACY")
        test = opt._query("TEST_ACCURACY")
        opt._stats = (-1.0, val, test, float(opt._train_time))
    return opt._stats


def _opt_final_architecture(opt: Any) -> Any:
    if opt.result is None:
        raise NaslibIntegrationError("no architecture yet: the search runs in new_epoch(0)")
    graph = opt.search_space.clone()
    graph.set_spec(opt.result.arch)
    return graph


def _opt_model_size(opt: Any) -> float:
    from ..modelstats import count_parameters

    if opt.result is None:
        return 0.0  # NASLib's Trainer logs the model size before the search has run
    graph = opt.get_final_architecture()
    graph.parse()  # an unparsed NASLib graph has no modules yet
    return count_parameters(graph) / 1e6


def _make_optimizer_class(method: str) -> type:
    base = _metaoptimizer_base()

    class SearchOptimizer(base):  # type: ignore[misc, valid-type]
        """A naslib-swap search run as a NASLib ``MetaOptimizer`` (discrete, no step function).

        The whole search runs in the first epoch (``config.search.epochs: 1`` is enough); later epochs report the
        same incumbent. ``config.search`` may hold ``budget`` (architectures scored), ``device`` and ``options`` (a
        dict of the search's keyword options).
        """

        using_step_function = False
        search_method = method

        def __init__(self, config: Any) -> None:
            super().__init__()
            self.config = config
            search_cfg = _cfg_get(config, "search")
            self.seed = int(_cfg_get(search_cfg, "seed", _cfg_get(config, "seed", 0)))
            self.budget = _cfg_get(search_cfg, "budget", None)
            self.device = str(_cfg_get(search_cfg, "device", "cpu"))
            self.options = dict(_cfg_get(search_cfg, "options", {}) or {})
            self.dataset = _cfg_get(config, "dataset")
            self.result: Any = None
            self.search_space: Any = None
            self.dataset_api: Any = None
            self._stats: tuple[float, float, float, float] | None = None

        def adapt_search_space(self, search_space: Any, scope: Any = None, dataset_api: Any = None) -> None:
            _opt_adapt_search_space(self, method, search_space, dataset_api)

        def new_epoch(self, epoch: int) -> None:
            _opt_new_epoch(self, method)

        def _query(self, metric_name: str) -> float:
            return _opt_query(self, metric_name)

        def train_statistics(self, report_incumbent: bool = True) -> tuple[float, float, float, float]:
            return _opt_train_statistics(self)

        def test_statistics(self) -> Any:
            return None

        def get_final_architecture(self) -> Any:
            return _opt_final_architecture(self)

        def get_op_optimizer(self) -> Any:
            return None

        def get_checkpointables(self) -> dict[str, Any]:
            return {"model": self.search_space}

        def get_model_size(self) -> float:
            return _opt_model_size(self)

    SearchOptimizer.__name__ = SearchOptimizer.__qualname__ = f"NaslibSwap_{naslib_optimizer_name(method)}"
    return SearchOptimizer


def optimizer_classes() -> dict[str, type]:
    """NASLib ``MetaOptimizer`` subclasses of our searches (entry points included), keyed by NASLib name."""
    for method in SEARCHES.names():
        key = naslib_optimizer_name(method)
        if key not in _OPT_CLASSES:
            _OPT_CLASSES[key] = _make_optimizer_class(method)
    return dict(_OPT_CLASSES)


def optimizers(config: Any) -> dict[str, Any]:
    """Instances for a NASLib runner's ``supported_optimizers`` dict:
    ``supported_optimizers.update(optimizers(config))``."""
    return {name: cls(config) for name, cls in optimizer_classes().items()}


def get_optimizer(name: str, config: Any) -> Any:
    """One of our searches as a NASLib optimizer (``swap_nas`` or ``swap-nas``)."""
    classes = optimizer_classes()
    key = naslib_optimizer_name(name)
    if key not in classes:
        raise UnknownNameError(f"unknown naslib-swap optimizer '{name}'; "
                               f"known: {', '.join(sorted(classes)) or '(none)'}")
    return classes[key](config)


# ---------------------------------------------------------------------------------------------------------------
# LIBRA inside NASLib
# ---------------------------------------------------------------------------------------------------------------

_LIBRA_CLASSES: dict[str, type] = {}
LIBRA = "libra"
"""The ``predictor_type`` under which NASLib's ``Ensemble`` (and so Bananas, NPENAS) builds LIBRA after install()."""


def _zc_table(rows: list[dict[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame([{k: (v["score"] if isinstance(v, dict) else v) for k, v in r.items()} for r in rows])


class LibraModel:
    """What NASLib's ``ZCEnsembleEvaluator`` reads as ``ensemble.ensemble[0].model``: the chosen proxies.

    ``get_fscore()`` gives every chosen proxy the same importance (the rank-sum combination weighs them equally) and
    leaves the rest out, as XGBoost leaves out features it never split on.
    """

    def __init__(self, fit: Any) -> None:
        self.fit = fit

    def get_fscore(self) -> dict[str, float]:
        return {name: 1.0 / len(self.fit.chosen) for name in self.fit.chosen}


def _libra_hyperparams(defaults: dict[str, Any], params: dict[str, Any] | None) -> dict[str, Any]:
    from ..ensemble import libra

    merged = {**defaults, **(params or {})}
    if merged["combine"] not in libra.COMBINE_METHODS:
        raise NaslibIntegrationError(f"unknown LIBRA combine '{merged['combine']}'; known: "
                                     f"{', '.join(libra.COMBINE_METHODS)}")
    return merged


def _libra_fit(pred: Any, ytrain: Any) -> float:
    from ..ensemble import libra

    if pred.train_zc is None:
        raise NaslibIntegrationError(
            "LIBRA needs zero-cost scores: call set_pre_computations(xtrain_zc_info={'zero_cost_scores': [...]}) "
            "first (NASLib: set zc_ensemble True and list zc_names)"
        )
    table = _zc_table(pred.train_zc)
    if libra.PARAMS not in table.columns:
        raise NaslibIntegrationError(
            f"LIBRA's bias matching needs '{libra.PARAMS}' among the zero-cost scores; add it to zc_names "
            f"(have: {', '.join(map(str, table.columns))})"
        )
    table[libra.TARGET] = [float(v) for v in ytrain]
    pool = pred.zc_names or [c for c in table.columns if c != libra.TARGET]
    pred.fit_result = libra.libra_select(table, pool, tolerance=pred.tolerance, combine_method=pred.combine)
    pred.reference = table
    pred.model = LibraModel(pred.fit_result)
    return 0.0


def _libra_feature_map(pred: Any) -> dict[str, str]:
    # zc name -> feature name in get_fscore(): the same names (NASLib's XGBoost maps them to f0, f1, ...)
    names = pred.zc_names or (list(pred.fit_result.spearman) if pred.fit_result is not None else [])
    return {name: name for name in names}


def _libra_query(pred: Any, info: Any) -> Any:
    from ..ensemble import libra

    if pred.fit_result is None:
        raise NaslibIntegrationError("LIBRA query before fit(): fit it on labelled archs first")
    if info is None:
        raise NaslibIntegrationError("LIBRA query needs info=[{'zero_cost_scores': {...}}, ...] "
                                     "(NASLib: set zc_ensemble True)")
    table = _zc_table([d["zero_cost_scores"] for d in info])
    return libra.combine_reference(pred.reference, table, pred.fit_result.chosen, pred.combine)


def libra_predictor_class() -> type:
    """The NASLib ``Predictor`` that fits LIBRA (:mod:`naslib_swap.ensemble.libra`) on zero-cost scores.

    NASLib's predictor contract, as its zc ensembles (``Ensemble``, ``ZCEnsembleEvaluator``, Bananas, NPENAS) use it:

    * ``set_pre_computations(xtrain_zc_info={"zero_cost_scores": [dict per arch]})`` before ``fit(xtrain, ytrain)``;
      ``fit`` runs LIBRA's Algorithm 1 on the training archs (``ytrain`` is the ground truth; ``params`` must be among
      the scores, for the bias matching). The arch encodings ``xtrain`` are not used: LIBRA is zero-cost only.
    * ``query(xtest, info)`` with ``info`` a list of ``{"zero_cost_scores": dict}``: the chosen proxies' rank sum,
      each proxy ranked against the training archs (:func:`~naslib_swap.ensemble.libra.combine_reference`), so one
      arch queried alone scores as it would in a batch. **A ranking score, not an accuracy**: NASLib's Spearman and
      Kendall tau of it are meaningful, its MAE/RMSE/Pearson are not.
    * ``default_hyperparams`` / ``set_hyperparams`` / ``get_hyperparams`` / ``set_random_hyperparams``:
      ``tolerance`` (the Spearman window, 0.1) and ``combine`` (``rank_sum``, ``zscore``, ``rank_product``).
    * ``model.get_fscore()`` (:class:`LibraModel`) and ``zc_to_features_map``: the chosen proxies as feature
      importances, keyed by zc name.
    """
    if "predictor" not in _LIBRA_CLASSES:
        _LIBRA_CLASSES["predictor"] = _build_libra_predictor_class()
    return _LIBRA_CLASSES["predictor"]


def _build_libra_predictor_class() -> type:
    import numpy as np
    from naslib.predictors.predictor import Predictor

    from ..ensemble import libra

    class LibraPredictor(Predictor):  # type: ignore[misc, valid-type]
        default_hyperparams = {"tolerance": libra.DEFAULT_TOLERANCE, "combine": "rank_sum"}

        def __init__(self, zc_names: list[str] | None = None, tolerance: float = libra.DEFAULT_TOLERANCE,
                     combine: str = "rank_sum", ss_type: str | None = None, encoding_type: Any = None,
                     hpo_seed: int = 0, **_: Any) -> None:
            super().__init__(ss_type=ss_type)
            self.zc_names = list(zc_names) if zc_names else None
            self.encoding_type = encoding_type
            self.hyperparams: dict[str, Any] = {}
            self.set_hyperparams({"tolerance": tolerance, "combine": combine})
            self._hpo_rng = np.random.default_rng(hpo_seed)
            self.train_zc: list[dict[str, Any]] | None = None
            self.reference: Any = None
            self.fit_result: Any = None
            self.model: LibraModel | None = None

        @property
        def tolerance(self) -> float:
            return float(self.hyperparams["tolerance"])

        @property
        def combine(self) -> str:
            return str(self.hyperparams["combine"])

        def set_hyperparams(self, params: dict[str, Any] | None) -> None:
            self.hyperparams = _libra_hyperparams(self.default_hyperparams, params)

        def get_hyperparams(self) -> dict[str, Any]:
            return dict(self.hyperparams)

        def set_random_hyperparams(self) -> dict[str, Any]:
            # NASLib's HPO loop: a random window width and combination (own generator, no global state)
            params = {"tolerance": float(self._hpo_rng.choice([0.05, 0.1, 0.15, 0.2])),
                      "combine": str(self._hpo_rng.choice(libra.COMBINE_METHODS))}
            self.set_hyperparams(params)
            return params

        def set_pre_computations(self, unlabeled: Any = None, xtrain_zc_info: Any = None, xtest_zc_info: Any = None,
                                 unlabeled_zc_info: Any = None) -> None:
            if xtrain_zc_info is not None:
                self.train_zc = list(xtrain_zc_info["zero_cost_scores"])

        @property
        def zc_to_features_map(self) -> dict[str, str]:
            return _libra_feature_map(self)

        def fit(self, xtrain: Any, ytrain: Any, train_info: Any = None, **kwargs: Any) -> float:
            return _libra_fit(self, ytrain)

        def query(self, xtest: Any, info: Any = None) -> Any:
            return _libra_query(self, info)

    return LibraPredictor


def libra_predictor(*args: Any, **kwargs: Any) -> Any:
    """An instance of :func:`libra_predictor_class` (``zc_names``, ``tolerance``, ``combine``, ``ss_type``)."""
    return libra_predictor_class()(*args, **kwargs)


def _libra_members(ensemble: Any) -> list[Any]:
    cls = libra_predictor_class()
    names = getattr(ensemble, "zc_names", None)
    return [cls(zc_names=names, ss_type=ensemble.ss_type, hpo_seed=i) for i in range(ensemble.num_ensemble)]


def libra_ensemble_class() -> type:
    """NASLib's ``Ensemble`` with LIBRA members: pass it wherever NASLib takes an ensemble.

    ``LibraEnsemble(num_ensemble=1, zc_names=None, ss_type=None, config=None)`` goes to NASLib's unmodified
    ``ZCEnsembleEvaluator.evaluate(ensemble, loader)``; members are :func:`libra_predictor_class` instances (LIBRA
    is deterministic, so ``num_ensemble`` > 1 only repeats it). After :func:`install`, NASLib's own ``Ensemble``
    also builds LIBRA for ``predictor_type="libra"`` (how Bananas and NPENAS read ``search.predictor_type``).
    """
    if "ensemble" in _LIBRA_CLASSES:
        return _LIBRA_CLASSES["ensemble"]
    from naslib.predictors.ensemble import Ensemble

    class LibraEnsemble(Ensemble):  # type: ignore[misc, valid-type]
        def __init__(self, num_ensemble: int = 1, zc_names: list[str] | None = None, ss_type: str | None = None,
                     config: Any = None, encoding_type: Any = None, hpo_wrapper: bool = True, zc: bool = True,
                     zc_only: bool = True, predictor_type: str = LIBRA) -> None:
            super().__init__(encoding_type=encoding_type, num_ensemble=num_ensemble, predictor_type=LIBRA,
                             ss_type=ss_type, hpo_wrapper=hpo_wrapper, config=config, zc=zc, zc_only=zc_only)
            self.zc_names = list(zc_names) if zc_names else None

        def get_ensemble(self) -> list[Any]:
            return _libra_members(self)

    _LIBRA_CLASSES["ensemble"] = LibraEnsemble
    return LibraEnsemble


def install_libra_ensemble() -> list[str]:
    """Make NASLib's own ``Ensemble`` build LIBRA for ``predictor_type="libra"`` (idempotent); returns ``["libra"]``.

    NASLib's ``Ensemble.get_ensemble`` keeps its predictors in a local dict, so there is no registry to add to; the
    method is wrapped once: ``"libra"`` gets LIBRA members, every other type NASLib's own. Where NASLib's ensemble
    module cannot be imported (Develop without its predictor dependencies) nothing is wrapped and ``[]`` returned.
    """
    try:
        from naslib.predictors.ensemble import Ensemble
    except ImportError as exc:
        warnings.warn(f"naslib-swap: NASLib's Ensemble is not importable ({exc}); LIBRA is not available as "
                      f"predictor_type 'libra'", RuntimeWarning, stacklevel=2)
        return []

    original = Ensemble.get_ensemble
    if getattr(original, "_naslib_swap", False):
        return [LIBRA]

    def get_ensemble(self: Any) -> list[Any]:
        if self.predictor_type == LIBRA:
            return _libra_members(self)
        return original(self)

    get_ensemble._naslib_swap = True  # type: ignore[attr-defined]
    get_ensemble.__doc__ = original.__doc__
    Ensemble.get_ensemble = get_ensemble
    return [LIBRA]


# ---------------------------------------------------------------------------------------------------------------
# Runners and data
# ---------------------------------------------------------------------------------------------------------------

RUNNERS: dict[str, dict[str, str]] = {
    "zerocost": {
        "correlation": "runners/runner.py",
        "xgb": "runners/bbo/xgb_runner.py",
        "bbo": "runners/bbo/runner.py",
        "benchmarks": "runners/benchmarks/runner.py",
    },
    "Develop": {
        "correlation": "runners/zc/runner.py",
        "xgb": "runners/zc/bbo/xgb_runner.py",
        "bbo": "runners/zc/bbo/runner.py",
        "benchmarks": "runners/zc/benchmarks/runner.py",
    },
}


def runner_path(kind: str = "correlation") -> Path:
    """The path of NASLib's runner script ``kind`` inside the installed naslib package."""
    root = Path(naslib.__file__).resolve().parent
    table = RUNNERS[branch()]
    if kind not in table:
        raise NaslibIntegrationError(f"unknown NASLib runner '{kind}'; choose one of {', '.join(table)}")
    path = root / table[kind]
    if not path.is_file():
        raise NaslibIntegrationError(f"NASLib runner {path} is missing in this checkout; pick another --runner")
    return path


def use_zc_file(path: str | os.PathLike[str]) -> None:
    """Make NASLib's ``get_zc_benchmark_api`` read ``zc_<space>.json`` files from ``path`` (a file or a folder).

    NASLib reads them from inside its package (``naslib/data``); this points it at our merged export instead.
    """
    import json

    target = Path(path)
    if not target.exists():
        raise NaslibIntegrationError(f"zc file or folder {target} does not exist; run `naslib-swap export` first")

    def get_zc_benchmark_api(search_space: str, dataset: str) -> Any:
        f = target if target.is_file() else target / f"zc_{search_space}.json"
        if not f.is_file():
            raise NaslibIntegrationError(f"{f} is missing; export zc_{search_space}.json there")
        with open(f) as fh:
            data = json.load(fh)
        if dataset not in data:
            raise NaslibIntegrationError(f"{f} has no dataset '{dataset}'; it has {', '.join(data)}")
        return data[dataset]

    replace_naslib_function("get_zc_benchmark_api", get_zc_benchmark_api)


def use_shared_images(n: int = 256, seed: int = 0, data_root: str | os.PathLike[str] | None = None) -> None:
    """Replace NASLib's ``get_train_val_loaders`` with loaders over our image data (no torchvision download).

    NASLib's correlation evaluator builds CIFAR loaders (``download=True``) even when it only reads precomputed zc
    scores, and its live paths need one batch. This serves ``n`` images of the config's dataset from
    :mod:`naslib_swap.data.images` (real images where the shared data folder has them, else the named stand-in) as
    train, valid and test loaders (the batch's ``source`` names which).
    """
    from torch.utils.data import DataLoader, TensorDataset

    from ..data.images import image_batches

    def get_train_val_loaders(config: Any, mode: str = "train") -> Any:
        dataset = _cfg_get(config, "dataset")
        space_name = _cfg_get(config, "search_space")
        space = SPACES.get(space_name)() if space_name in SPACES else None
        shape = space.input_shape(dataset) if space is not None else None
        classes = space.num_classes(dataset) if space is not None else None
        b = image_batches(dataset, [n], make_generator(seed), data_root=data_root, input_shape=shape,
                          num_classes=classes)[0]
        bs = int(_cfg_get(config, "batch_size", 64) or 64)
        assert b.targets is not None  # image batches are labelled
        ds = TensorDataset(b.inputs, b.targets)
        loader = DataLoader(ds, batch_size=bs, shuffle=False)
        return loader, loader, loader, None, None

    replace_naslib_function("get_train_val_loaders", get_train_val_loaders)


# Where NASLib keeps its helpers: ``naslib.utils.utils`` on zerocost, the ``naslib.utils`` package on Develop (which
# has no ``utils.utils``); ``naslib.utils`` re-exports them on both, and Develop's ``dataset``/``get_dataset_api``
# modules define some of them.
UTILS_MODULES = ("naslib.utils", "naslib.utils.utils", "naslib.utils.dataset", "naslib.utils.get_dataset_api")


def _naslib_utils_modules() -> list[Any]:
    mods = []
    for name in UTILS_MODULES:
        try:
            mods.append(importlib.import_module(name))
        except ImportError:
            continue  # not on this branch
    return mods


def replace_naslib_function(name: str, new: Callable[..., Any]) -> list[str]:
    """Put ``new`` in place of NASLib's helper ``name`` wherever NASLib holds it; returns the modules changed.

    NASLib modules import helpers by name (``from naslib.utils.utils import get_train_val_loaders`` in Bananas), so
    the helper's home module and every already imported ``naslib`` module holding the same function get ``new``;
    modules imported later read it from the home module.
    """
    originals = {id(getattr(m, name)) for m in _naslib_utils_modules() if hasattr(m, name)}
    if not originals:
        raise NaslibIntegrationError(f"NASLib has no '{name}' in {', '.join(UTILS_MODULES)}; use its zerocost or "
                                     f"Develop branch")
    changed = []
    for modname, mod in list(sys.modules.items()):
        if mod is None or not (modname == "naslib" or modname.startswith("naslib.")):
            continue
        current = getattr(mod, name, None)
        if current is not None and (id(current) in originals or getattr(current, "_naslib_swap", False)):
            setattr(mod, name, new)
            changed.append(modname)
    new._naslib_swap = True  # type: ignore[attr-defined]  # a later replacement replaces this one too
    return changed


def bind_argv(args: list[str]) -> None:
    """Make NASLib's ``parse_args()`` read ``args`` (its default ``args=sys.argv[1:]`` is bound at import time).

    Raises:
        NaslibIntegrationError: NASLib's parser still reads other arguments afterwards (it would run another config).
    """
    bound = 0
    for mod in _naslib_utils_modules():
        fn = getattr(mod, "parse_args", None)
        if fn is not None and fn.__defaults__:
            defaults = list(fn.__defaults__)
            defaults[-1] = list(args)
            fn.__defaults__ = tuple(defaults)
            bound += 1
    parsed = None
    for mod in _naslib_utils_modules():
        if getattr(mod, "parse_args", None) is not None:
            parsed = mod.parse_args()
            break
    want = args[args.index("--config-file") + 1] if "--config-file" in args else None
    if not bound or parsed is None or getattr(parsed, "config_file", None) != want:
        raise NaslibIntegrationError(
            f"could not make NASLib's parse_args read {' '.join(args)} (it reads "
            f"{getattr(parsed, 'config_file', None)!r}); NASLib would run another config: use its zerocost or "
            f"Develop branch"
        )


def complete_search_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """The keys NASLib's ``get_config_from_args`` needs for a search config, added where missing (a copy).

    zerocost builds the output path from ``predictor``; Develop's ``nas`` config type writes into
    ``config.evaluation`` and ``config.search``.
    """
    out = dict(cfg)
    out.setdefault("predictor", "none")
    out.setdefault("config_type", "search")
    out.setdefault("out_dir", "run")
    if not isinstance(out.get("search"), dict):
        out["search"] = {}
    if not isinstance(out.get("evaluation"), dict):
        out["evaluation"] = {}
    return out


def run_search_from_args() -> Any:
    """:func:`run_search_with_trainer` with the config NASLib reads from ``sys.argv`` (``naslib-swap naslib-run``)."""
    from naslib import utils as nutils

    return run_search_with_trainer(nutils.get_config_from_args())


def run_search_with_trainer(config: Any) -> Any:
    """Run one of our searches under NASLib's ``Trainer`` (NASLib's runners hard-code their optimizer dicts).

    Mirrors NASLib's search runner: search space from the config, dataset api when available, ``Trainer.search``
    (writes ``errors.json`` under ``config.save``). Returns the trainer.
    """
    from naslib.defaults.trainer import Trainer
    from naslib.search_spaces import get_search_space
    from naslib.utils import get_dataset_api

    opt = get_optimizer(config.optimizer, config)
    space = get_search_space(name=config.search_space, dataset=config.dataset)
    try:
        dataset_api = get_dataset_api(config.search_space, config.dataset)
    except (FileNotFoundError, OSError, KeyError, NotImplementedError, AssertionError):
        dataset_api = None  # NASLib's benchmark pickles are optional; the shared ground truth is used instead
    opt.adapt_search_space(space, dataset_api=dataset_api)
    os.makedirs(Path(config.save) / "search", exist_ok=True)  # Trainer checkpoints there; not every parser makes it
    trainer = Trainer(opt, config, lightweight_output=True)

    def record_model_size(epoch: int) -> None:
        # Trainer reads get_model_size() once, before the search has found anything; log the found arch's count.
        record = getattr(trainer, "errors_dict", None) or getattr(trainer, "search_trajectory", None)
        if record is not None and opt.result is not None:
            record["params"] = opt.get_model_size()
            trainer._log_to_json()

    trainer.search(resume_from="", after_epoch=record_model_size, report_incumbent=False)
    return trainer


install()
