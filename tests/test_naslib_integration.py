"""NASLib integration: our proxies as NASLib measures, runners, optimizers, LIBRA and zc files on NASLib's code path.

Runs only where NASLib (automl/NASLib, branch zerocost or Develop) is importable; CI has no NASLib, so the module is
skipped there with the reason. Run it with a NASLib checkout on PYTHONPATH (see docs/naslib.md):

    PYTHONPATH=/path/to/NASLib /path/to/naslib-venv/bin/python -m pytest -q tests/test_naslib_integration.py
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

try:
    import naslib_swap.integrations.naslib as nl
except ImportError as exc:  # NaslibNotAvailableError is an ImportError
    pytest.skip(f"{str(exc).split(';')[0]}: these tests need a NASLib checkout on PYTHONPATH (docs/naslib.md)",
                allow_module_level=True)

from naslib.predictors import ZeroCost  # noqa: E402
from naslib.search_spaces import NasBench201SearchSpace  # noqa: E402

from naslib_swap.data.groundtruth import has_data, preview_zc  # noqa: E402
from naslib_swap.errors import NaslibSwapError  # noqa: E402
from naslib_swap.modelstats import count_parameters  # noqa: E402
from naslib_swap.proxies.base import Batch, compute_proxy  # noqa: E402
from naslib_swap.registry import PROXIES, get_space, list_proxies  # noqa: E402
from naslib_swap.rng import make_generator  # noqa: E402

ARCH = (2, 2, 0, 4, 2, 0)


def nb201_graph(arch: tuple[int, ...], seed: int = 0) -> NasBench201SearchSpace:
    torch.manual_seed(seed)  # NASLib initialises its graph from the global RNG
    g = NasBench201SearchSpace(n_classes=10)
    g.set_spec(arch)
    g.parse()
    return g


@pytest.fixture(scope="module")
def graph() -> NasBench201SearchSpace:
    return nb201_graph(ARCH)


@pytest.fixture(scope="module")
def batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = make_generator(3)
    return torch.randn(8, 3, 32, 32, generator=g), torch.randint(0, 10, (8,), generator=g)


def test_install_is_idempotent_and_complete() -> None:
    first = nl.install()
    second = nl.install()  # NASLib raises KeyError on a duplicate; ours must not
    mod = nl.measures_module()
    per_graph = [n for n in list_proxies() if not PROXIES.get(n).needs_population]
    assert sorted(first.installed + first.naslib_owned) == sorted(per_graph)
    assert second.installed == first.installed
    assert first.population == [n for n in list_proxies() if PROXIES.get(n).needs_population]
    assert "swap" in first.installed and "reg_swap" in first.installed
    for name in first.installed:
        assert name in mod.available_measures and mod.available_measures.count(name) == 1
    # flops/params are answered by NASLib's find_measures itself: ours must not be reported as installed
    for name in nl.NASLIB_SPECIAL:
        if name in list_proxies():
            assert name in first.naslib_owned and name not in first.installed


def test_naslib_graph_has_relu_modules(graph: NasBench201SearchSpace) -> None:
    # SWAP hooks nn.ReLU modules: NASLib's ReLUConvBN and the head use nn.ReLU modules once the graph is parsed.
    assert sum(isinstance(m, torch.nn.ReLU) for m in graph.modules()) > 0


def test_zerocost_query_equals_our_proxy_on_the_same_graph(graph, batch) -> None:
    x, y = batch
    loader = [(x, y)]
    for name in ("swap", "reg_swap"):
        via_naslib = ZeroCost(method_type=name).query(graph, dataloader=loader)
        ctx = nl.context_for_graph(graph)
        direct = compute_proxy(name, graph, Batch(x, y, graph.get_loss_fn(), 10), ctx)
        assert math.isfinite(via_naslib) and via_naslib > 0
        assert via_naslib == pytest.approx(direct, rel=1e-6)
    ctx = nl.context_for_graph(graph)
    assert ctx.space == "nasbench201" and ctx.dataset == "cifar10"
    assert ctx.option_defaults == get_space("nasbench201").proxy_defaults("cifar10")


def test_a_protocol_and_a_label_reach_naslibs_measures(graph) -> None:
    from naslib_swap.proxies.base import apply_protocol

    g = make_generator(5)
    x, y = torch.randn(24, 3, 32, 32, generator=g), torch.randint(0, 10, (24,), generator=g)
    loader = [(x, y)]
    nl.install()
    try:
        nl.set_protocol("swap-paper")
        call = nl.measure_call("swap")
        assert call.options["init"] == "normal" and call.options["reinits"] == 32  # the authors' code
        small = apply_protocol("swap-paper", "swap[reinits=2]")
        name = nl.install_label("swap[reinits=2]")
        assert name in nl.measures_module().available_measures
        via_naslib = ZeroCost(method_type=name).query(graph, dataloader=loader)
        first16 = Batch(x[:16], y[:16], graph.get_loss_fn(), 10)  # the protocol's batch: 16 of NASLib's 24
        direct = compute_proxy(small, graph, first16, nl.context_for_graph(graph))
        assert via_naslib == pytest.approx(direct, rel=1e-6)
        assert via_naslib != pytest.approx(compute_proxy(small, graph, Batch(x, y, graph.get_loss_fn(), 10),
                                                         nl.context_for_graph(graph)), rel=1e-6)
    finally:
        nl.set_protocol(None)
    with pytest.raises(NaslibSwapError, match="unknown protocol"):
        nl.set_protocol("swap-papr")
    with pytest.raises(NaslibSwapError):
        nl.install_label("swap[reinitz=2]")


def test_parameter_counts_match_our_network() -> None:
    space = get_space("nasbench201")
    for arch in [(0, 1, 2, 3, 4, 0), (2, 2, 2, 2, 2, 2), (1, 1, 1, 1, 1, 1)]:
        ours = space.build(arch, "cifar10", generator=make_generator(0))
        assert count_parameters(nb201_graph(arch)) == count_parameters(ours)


def test_optimizer_classes_are_metaoptimizers() -> None:
    from naslib.optimizers.core.metaclasses import MetaOptimizer

    classes = nl.optimizer_classes()
    assert "swap_nas" in classes
    for cls in classes.values():
        assert issubclass(cls, MetaOptimizer) and cls.using_step_function is False
    with pytest.raises(nl.UnknownNameError):
        nl.get_optimizer("no_such_search", None)


def test_swap_nas_runs_as_naslib_optimizer() -> None:
    if not has_data():
        pytest.skip("shared data folder absent: swap-nas scores real images and reads the NB201 ground truth "
                    "(set NASLIB_SWAP_DATA)")
    from fvcore.common.config import CfgNode

    config = CfgNode({"dataset": "cifar10", "seed": 0, "search": CfgNode({
        "seed": 0, "budget": 3, "options": {"population": 2, "cycles": 1, "mutations": 1, "batch_size": 4,
                                             "width": 2, "cells": 1}})})
    opt = nl.get_optimizer("swap_nas", config)
    opt.adapt_search_space(NasBench201SearchSpace(n_classes=10))
    opt.new_epoch(0)
    train_acc, val_acc, test_acc, train_time = opt.train_statistics()
    final = opt.get_final_architecture()
    assert len(final.get_hash()) == 6 and train_time >= 0
    if has_data():
        key = get_space("nasbench201").key(final.get_hash())
        assert val_acc == pytest.approx(get_space("nasbench201").ground_truth("cifar10")[key])
    assert opt.get_model_size() > 0


def test_libra_predictor_on_zc_scores() -> None:
    if not has_data():
        pytest.skip("shared data folder absent: no suite preview zc file")
    zc = preview_zc("nasbench201")["cifar10"]
    keys = sorted(zc)[:120]
    names = ["nwot", "synflow", "jacov", "snip", "params", "flops"]
    rows = [{n: zc[k][n] for n in names if n in zc[k]} for k in keys]
    acc = [zc[k]["val_accuracy"] for k in keys]
    pred = nl.libra_predictor(zc_names=[n for n in names if n in rows[0]])
    pred.set_pre_computations(xtrain_zc_info={"zero_cost_scores": rows[:80]})
    pred.fit(keys[:80], acc[:80])
    assert 1 <= len(pred.fit_result.chosen) <= 3
    out = pred.query(keys[80:], info=[{"zero_cost_scores": r} for r in rows[80:]])
    from scipy import stats

    assert len(out) == 40 and stats.spearmanr(out, acc[80:]).statistic > 0.3


def _tiny_zc_file(tmp_path: Path, n: int = 12) -> Path:
    """A zc_nasbench201.json in NASLib's schema: preview entries of n archs plus our swap score (tiny nets)."""
    from naslib_swap.scoring import score

    zc = preview_zc("nasbench201")["cifar10"]
    keys = sorted(zc)[:n]
    res = score("nasbench201", "cifar10", keys, "swap", batch_size=8, net_options={"width": 4, "cells": 1})
    data = {"cifar10": {}}
    by_arch = {r.arch: r for r in res if r.proxy == "swap"}
    for k in keys:
        entry = dict(zc[k])
        entry["swap"] = {"score": float(by_arch[k].score), "time": float(by_arch[k].time_s)}
        data["cifar10"][k] = entry
    path = tmp_path / "zc_nasbench201.json"
    path.write_text(json.dumps(data))
    return path


def test_naslib_runner_reads_our_zc_file_with_predictor_swap(tmp_path: Path) -> None:
    if not has_data():
        pytest.skip("shared data folder absent: no suite preview zc file")
    if nl.branch() != "zerocost":
        pytest.skip("the correlation runner that reads precomputed zc files is tested on the zerocost layout")
    zc_file = _tiny_zc_file(tmp_path)
    cfg = tmp_path / "predictor_config.yaml"
    cfg.write_text("search_space: nasbench201\ndataset: cifar10\npredictor: swap\ntest_size: 12\ntrain_size: 3\n"
                   f"out_dir: {tmp_path / 'run'}\nconfig_type: zc_swap\nseed: 0\nbatch_size: 64\ncutout: False\n"
                   "cutout_length: 16\ncutout_prob: 1.0\ntrain_portion: 0.7\n")
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-c",
                           "import sys; from naslib_swap.cli import main; sys.exit(main(sys.argv[1:]))",
                           "naslib-run", "--config", str(cfg), "--zc-json", str(zc_file), "--shared-images", "64"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "run" / "zc_swap" / "nasbench201" / "cifar10" / "swap" / "0" / "scores.json"
    assert out.is_file(), proc.stderr[-2000:]
    results = json.loads(out.read_text())[1]
    assert math.isfinite(results["spearman"]) and math.isfinite(results["kendalltau"])


def test_naslib_run_rejects_missing_config(tmp_path: Path) -> None:
    from naslib_swap.cli import main

    assert main(["naslib-run", "--config", str(tmp_path / "nope.yaml")]) == 2


def test_runner_scripts_are_found() -> None:
    path = nl.runner_path("correlation")
    assert path.is_file() and path.suffix == ".py"
    with pytest.raises(nl.NaslibIntegrationError):
        nl.runner_path("no_such_runner")


NASLIB_ROOT = str(Path(nl.naslib.__file__).resolve().parents[1])


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter of this environment, with NASLib and this checkout on the path."""
    full = dict(os.environ, PYTHONPATH=os.pathsep.join([NASLIB_ROOT, str(Path(__file__).resolve().parents[1])]),
                **env)
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=300)


def test_measures_return_float64(graph, batch) -> None:
    # NASLib sums the list in float: a float32 tensor would round a SWAP count above 2**24
    x, y = batch
    out = nl.make_measure(PROXIES.get("swap"))(graph, x, y, loss_fn=graph.get_loss_fn())
    assert len(out) == 1 and out[0].dtype == torch.float64
    big = 2 ** 24 + 1
    assert float(torch.tensor(float(big), dtype=torch.float64)) == big  # what float64 keeps and float32 loses
    assert float(torch.tensor(float(big))) != big


def test_swap_nas_test_skips_without_data() -> None:
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k",
                           "test_swap_nas_runs_as_naslib_optimizer", "-rs"],
                          env=dict(os.environ, NASLIB_SWAP_DATA=os.devnull + "_absent",
                                   PYTHONPATH=os.pathsep.join([NASLIB_ROOT, str(Path(__file__).resolve().parents[1])])),
                          capture_output=True, text=True, timeout=300)
    assert "1 skipped" in proc.stdout and "shared data folder absent" in proc.stdout, proc.stdout[-2000:]


def test_import_naslib_swap_first_makes_naslib_predictors_importable() -> None:
    # Develop's naslib/predictors/gp imports collections.Iterable (gone in Python 3.10)
    proc = _python("import naslib_swap\nimport naslib.predictors\nprint('ok')")
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-1500:]


def test_bind_argv_reaches_naslibs_parser(tmp_path: Path) -> None:
    import naslib.utils as nutils

    parse_args = getattr(nutils, "parse_args", None) or nutils.utils.parse_args
    cfg = str(tmp_path / "c.yaml")
    nl.bind_argv(["--config-file", cfg, "seed", "3"])
    parsed = parse_args()
    assert parsed.config_file == cfg and parsed.opts == ["seed", "3"]


def test_shared_images_replace_naslibs_loaders() -> None:
    import naslib.utils as nutils
    from fvcore.common.config import CfgNode

    nl.use_shared_images(8, seed=0)
    home = nutils if hasattr(nutils, "get_train_val_loaders") else nutils.utils  # Develop / zerocost
    loaders = home.get_train_val_loaders(CfgNode({"dataset": "cifar10", "search_space": "nasbench201",
                                                    "batch_size": 4}))
    xs = [x for x, _ in loaders[0]]
    assert [tuple(x.shape) for x in xs] == [(4, 3, 32, 32), (4, 3, 32, 32)]
    for name in nl.UTILS_MODULES:  # every home of the helper serves ours (zerocost: utils.utils, Develop: dataset)
        mod = sys.modules.get(name)
        if mod is not None and hasattr(mod, "get_train_val_loaders"):
            assert mod.get_train_val_loaders is home.get_train_val_loaders


SEARCH_CONFIG = """search_space: nasbench201
dataset: cifar10
optimizer: swap_nas
out_dir: {out}
seed: 0
search: {{seed: 0, epochs: 1, checkpoint_freq: 1000, budget: 3,
         options: {{population: 2, cycles: 1, mutations: 1, batch_size: 4, width: 2, cells: 1}}}}
"""


def test_naslib_run_search_config_in_process(tmp_path: Path, monkeypatch) -> None:
    """The docs' search config (no predictor/evaluation keys) through naslib-run after NASLib was imported."""
    if not has_data():
        pytest.skip("shared data folder absent: swap-nas scores real images (set NASLIB_SWAP_DATA)")
    from naslib_swap.cli import main

    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "search_config.yaml"
    cfg.write_text(SEARCH_CONFIG.format(out=tmp_path / "run"))
    assert main(["naslib-run", "--config", str(cfg)]) == 0
    errors = list((tmp_path / "run").rglob("errors.json"))
    assert len(errors) == 1, errors
    _, record = json.loads(errors[0].read_text())
    assert record["params"] > 0 and len(record["valid_acc"]) == 1


def test_errors_json_params_is_the_found_archs_count(tmp_path: Path) -> None:
    if not has_data():
        pytest.skip("shared data folder absent: swap-nas scores real images (set NASLIB_SWAP_DATA)")
    from fvcore.common.config import CfgNode

    cfg = nl.complete_search_config(yaml_load(SEARCH_CONFIG.format(out=tmp_path / "run")))
    config = CfgNode(cfg)
    config.save = str(tmp_path / "save")
    trainer = nl.run_search_with_trainer(config)
    _, record = json.loads((tmp_path / "save" / "errors.json").read_text())
    graph = trainer.optimizer.get_final_architecture()
    graph.parse()
    assert record["params"] == pytest.approx(count_parameters(graph) / 1e6) and record["params"] > 0


def yaml_load(text: str) -> dict:
    import yaml

    return yaml.safe_load(text)


def _synthetic_zc(n: int, seed: int = 0) -> tuple[list[dict], list[float]]:
    """Zero-cost score dicts (NASLib's shape) where 'good' tracks the target, 'size' is params-like, 'noise' not."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    params = y + rng.normal(size=n)
    rows = [{"good": float(y[i] + 0.3 * rng.normal()), "also_good": float(y[i] + 0.4 * rng.normal()),
             "noise": float(rng.normal()), "params": float(params[i])} for i in range(n)]
    return rows, [float(v) for v in y]


def test_naslib_ensemble_builds_libra_by_name() -> None:
    """NASLib's own Ensemble (what Bananas/NPENAS construct) with predictor_type='libra', NASLib's call order."""
    from naslib.predictors.ensemble import Ensemble

    assert nl.install().ensembles == ["libra"]
    rows, y = _synthetic_zc(120)
    ens = Ensemble(num_ensemble=2, ss_type="nasbench201", predictor_type="libra", zc=True, zc_only=True)
    ens.set_pre_computations(xtrain_zc_info={"zero_cost_scores": rows[:80]})
    ens.fit([None] * 80, y[:80])  # NASLib: default_hyperparams -> set_hyperparams on every member, then fit
    assert ens.hyperparams == {"tolerance": 0.1, "combine": "rank_sum"}
    member = ens.ensemble[0]
    assert member.fit_result.chosen[0] == "good" and "noise" not in member.model.get_fscore()
    batch = ens.query([None] * 40, [{"zero_cost_scores": r} for r in rows[80:]])
    assert batch.shape == (2, 40)
    # Bananas' acquisition queries one arch at a time: the same score as inside the batch
    one = ens.query([None], [{"zero_cost_scores": rows[85]}])
    assert one[0][0] == pytest.approx(batch[0][5])
    from scipy import stats

    assert stats.spearmanr(batch[0], y[80:]).statistic > 0.5
    params = ens.set_random_hyperparams()
    assert set(params) == {"tolerance", "combine"} and ens.ensemble[1].get_hyperparams() == params
    # every other predictor type is still NASLib's own
    assert type(Ensemble(num_ensemble=1, predictor_type="xgb", ss_type="nasbench201").get_ensemble()[0]).__name__ \
        == "XGBoost"


def test_libra_without_params_or_scores_is_a_one_line_error() -> None:
    rows, y = _synthetic_zc(20)
    pred = nl.libra_predictor()
    with pytest.raises(nl.NaslibIntegrationError, match="set_pre_computations"):
        pred.fit([None] * 20, y)
    pred.set_pre_computations(xtrain_zc_info={"zero_cost_scores": [{k: v for k, v in r.items() if k != "params"}
                                                                   for r in rows]})
    with pytest.raises(nl.NaslibIntegrationError, match="'params' among the zero-cost scores"):
        pred.fit([None] * 20, y)


def test_libra_through_unmodified_zc_ensemble_evaluator(tmp_path: Path) -> None:
    if not has_data():
        pytest.skip("shared data folder absent: no suite preview zc file (set NASLIB_SWAP_DATA)")
    from fvcore.common.config import CfgNode
    from naslib.evaluators.zc_ensemble_evaluator import ZCEnsembleEvaluator
    from naslib.search_spaces import get_search_space

    zc_api = preview_zc("nasbench201")["cifar10"]
    names = ["fisher", "grad_norm", "jacov", "nwot", "params", "snip", "flops"]
    space = get_search_space("nasbench201", "cifar10")
    space.instantiate_model = False
    space.sample_without_replacement = True
    space.labeled_archs = [eval(k) for k in zc_api]
    config = CfgNode({"search_space": "nasbench201", "dataset": "cifar10", "seed": 0, "save": str(tmp_path)})
    evaluator = ZCEnsembleEvaluator(n_train=60, n_test=80, zc_names=names, zc_api=zc_api)
    evaluator.adapt_search_space(space, "cifar10", None, config)
    ensemble = nl.libra_ensemble_class()(num_ensemble=1, ss_type="nasbench201", config=config)
    evaluator.evaluate(ensemble, None)
    _, scores = json.loads((tmp_path / "scores.json").read_text())
    chosen = ensemble.ensemble[0].fit_result.chosen
    assert scores["spearman"] > 0.3 and math.isfinite(scores["kendalltau"])
    assert set(scores["feature_importances"]) == set(chosen)
    assert {n for n, v in scores["zc_feature_importances"].items() if v > 0} == set(chosen)


def test_bananas_searches_with_libra(tmp_path: Path) -> None:
    if not has_data():
        pytest.skip("shared data folder absent: no suite preview zc file (set NASLIB_SWAP_DATA)")
    if nl.branch() != "zerocost":
        pytest.skip("Develop's Bananas reads accuracies from NASLib's NB201 benchmark pickle (not installed here); "
                    "the zerocost Bananas reads them from the zc file")
    from fvcore.common.config import CfgNode
    from naslib.optimizers import Bananas
    from naslib.search_spaces import get_search_space

    nl.use_shared_images(8)
    zc_api = preview_zc("nasbench201")["cifar10"]
    config = CfgNode({"dataset": "cifar10", "search_space": "nasbench201", "seed": 0, "batch_size": 8,
                      "search": CfgNode({
                          "epochs": 14, "k": 2, "num_init": 10, "num_ensemble": 1, "predictor_type": "libra",
                          "acq_fn_type": "its", "acq_fn_optimization": "random_sampling", "encoding_type": "adj",
                          "num_arches_to_mutate": 2, "max_mutations": 1, "num_candidates": 20, "zc_ensemble": True,
                          "zc_names": ["jacov", "nwot", "snip", "params", "flops"], "zc_only": True})})
    space = get_search_space("nasbench201", "cifar10")
    space.instantiate_model = False  # as NASLib's bbo runner: archs are looked up, not built
    space.labeled_archs = [eval(k) for k in zc_api]
    opt = Bananas(config, zc_api=zc_api)
    opt.adapt_search_space(space)
    for epoch in range(config.search.epochs):
        opt.new_epoch(epoch)
    assert len(opt.train_data) == 14
    assert opt.train_statistics()[1] == max(zc_api[str(m.arch_hash)]["val_accuracy"] for m in opt.train_data)


def test_doctor_finds_this_naslib() -> None:
    proc = subprocess.run([sys.executable, "-m", "naslib_swap", "doctor", "--naslib", "--format", "json"],
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                              [NASLIB_ROOT, str(Path(__file__).resolve().parents[1])])),
                          capture_output=True, text=True, timeout=300)
    checks = {c["what"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["NASLib"]["status"] == "ok" and checks["NASLib"]["found"].startswith(nl.branch())
    for dist in ("numpy", "pandas", "scikit-learn"):
        assert checks[dist]["status"] == "ok"  # the pins this environment needs to pass the tests above
