"""Ground truth from official benchmark files: small synthetic files in each official format, read through the real
APIs (``nas_201_api``, ``nats_bench``) where those are installed, and TransNAS-Bench-101's layout read by us."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from naslib_swap.data.official import OfficialFileError, detect, read_groundtruth
from naslib_swap.registry import get_space

ARCHS = ["|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
         "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|nor_conv_1x1~2|",
         "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"]


def _arch_results(api_utils, idx: int, arch: str, epochs: int, acc: float) -> dict:
    """An ArchResults state dict as the official files hold it: cifar10-valid (x-valid, ori-test), cifar10 (ori-test)
    and cifar100 (x-valid, x-test, ori-test), one seed each; accuracy ``acc + epoch/epochs`` (+1 on test sets)."""
    res = api_utils.ArchResults(idx, arch)
    sets = {"cifar10-valid": ["x-valid", "ori-test"], "cifar10": ["ori-test"],
            "cifar100": ["x-valid", "x-test", "ori-test"]}
    for ds, names in sets.items():
        curve = {e: acc + e / epochs for e in range(epochs)}
        rc = api_utils.ResultsCount(ds, None, curve, {e: 1.0 for e in range(epochs)}, 0.1, 10.0,
                                    {"arch_str": arch, "channel": 16, "num_cells": 5, "class_num": 10}, 777, epochs,
                                    None)
        accs, losses, times = {}, {}, {}
        for name in names:
            bonus = 1.0 if "test" in name else 0.0
            for e in range(epochs):
                accs[f"{name}@{e}"] = acc + e / epochs + bonus
                losses[f"{name}@{e}"] = 1.0
                times[f"{name}@{e}"] = 0.1
        rc.update_eval(accs, losses, times)
        res.update(ds, 777, rc)
    return res.state_dict()


def test_nb201_official_file_through_nas_201_api(tmp_path: Path) -> None:
    api_utils = pytest.importorskip("nas_201_api.api_utils", reason="pip install nas-bench-201 (the official API)")
    data = {"meta_archs": ARCHS, "evaluated_indexes": [0, 1], "total_archs": 3,
            "arch2infos": {i: {"less": _arch_results(api_utils, i, a, 12, 50.0 + i),
                               "full": _arch_results(api_utils, i, a, 200, 80.0 + i)} for i, a in enumerate(ARCHS[:2])}}
    path = tmp_path / "NAS-Bench-201-v1_1-096897.pth"
    torch.save(data, path)
    assert detect(torch.load(path, weights_only=False)) == "nb201"
    test200 = read_groundtruth(path, "cifar10", metric="test", epochs=200)
    assert test200.values == pytest.approx({ARCHS[0]: 80.0 + 199 / 200 + 1, ARCHS[1]: 81.0 + 199 / 200 + 1})
    valid12 = read_groundtruth(path, "cifar10", metric="valid", epochs=12)  # from the cifar10-valid run
    assert valid12.values[ARCHS[1]] == pytest.approx(51.0 + 11 / 12)
    c100 = read_groundtruth(path, "cifar100", metric="valid", epochs=200)
    assert c100.values[ARCHS[0]] == pytest.approx(80.0 + 199 / 200)
    space = get_space("nasbench201")
    keyed = test200.keyed_by(lambda a: space.key(space.parse(a)))
    assert keyed[space.key((2, 2, 0, 4, 2, 0))] == test200.values[ARCHS[0]]  # NASLib tuple of ARCHS[0]
    with pytest.raises(OfficialFileError, match="not 50"):
        read_groundtruth(path, "cifar10", epochs=50)
    with pytest.raises(OfficialFileError, match="ImageNet16-120"):
        read_groundtruth(path, "ImageNet16-120")


def test_nats_topology_file_through_nats_bench(tmp_path: Path) -> None:
    api_utils = pytest.importorskip("nats_bench.api_utils", reason="pip install nats-bench (the official API)")
    data = {"meta_archs": ARCHS, "evaluated_indexes": [0, 1, 2],
            "arch2infos": {i: {"12": _arch_results(api_utils, i, a, 12, 40.0 + i),
                               "200": _arch_results(api_utils, i, a, 200, 70.0 + i)} for i, a in enumerate(ARCHS)}}
    base = tmp_path / "NATS-tss-v1_0-3ffb9-full"
    api_utils.pickle_save(data, str(base))  # the official writer: bz2 pickle, '.pbz2'
    path = Path(str(base) + ".pbz2")
    t = read_groundtruth(path, "cifar10", metric="test", epochs=12)
    assert t.values == pytest.approx({a: 40.0 + i + 11 / 12 + 1 for i, a in enumerate(ARCHS)})
    assert read_groundtruth(path, "cifar100", metric="valid").values[ARCHS[2]] == pytest.approx(72.0 + 199 / 200)


def test_transnas_file_layout(tmp_path: Path) -> None:
    micro = ["64-41414-3_33_333", "64-41414-1_02_333"]
    data = {"task_list": ["class_scene", "autoencoder"], "info_names": ["encoder_params"],
            "metrics_dict": {"class_scene": ["train_top1", "valid_top1", "test_top1"],
                             "autoencoder": ["train_ssim", "valid_ssim", "test_ssim"]},
            "data": {"micro": {a: {"class_scene": {"total_epochs": 3, "model_info": {"encoder_params": 1.0},
                                                   "metrics": {"train_top1": [1, 2, 3], "valid_top1": [10 + i, 20 + i,
                                                                                                       30 + i],
                                                               "test_top1": [5, 6, 7 + i]}}}
                               for i, a in enumerate(micro)}, "macro": {}}}
    path = tmp_path / "transnas-bench_v10141024.pth"
    torch.save(data, path)
    t = read_groundtruth(path, "class_scene")  # default: the task's valid metric at the last epoch
    assert t.metric == "valid_top1" and t.values == {micro[0]: 30.0, micro[1]: 31.0}
    assert read_groundtruth(path, "class_scene", metric="test_top1", epochs=2).values[micro[1]] == 6.0
    with pytest.raises(OfficialFileError, match="no task 'jigsaw'"):
        read_groundtruth(path, "jigsaw")
    with pytest.raises(OfficialFileError, match="no metric"):
        read_groundtruth(path, "autoencoder", metric="valid_top1")


def test_not_an_official_file(tmp_path: Path) -> None:
    path = tmp_path / "x.pth"
    torch.save({"a": 1}, path)
    with pytest.raises(OfficialFileError, match="not an official"):
        read_groundtruth(path, "cifar10")
    with pytest.raises(OfficialFileError, match="does not exist"):
        read_groundtruth(tmp_path / "absent.pth", "cifar10")
    (tmp_path / "junk.pth").write_text("not a pickle")
    with pytest.raises(OfficialFileError, match="not a torch-saved"):
        read_groundtruth(tmp_path / "junk.pth", "cifar10")


def _nb201_file(tmp_path: Path, archs: list[str] = ARCHS) -> Path:
    api_utils = pytest.importorskip("nas_201_api.api_utils", reason="pip install nas-bench-201 (the official API)")
    data = {"meta_archs": archs, "evaluated_indexes": list(range(len(archs))), "total_archs": len(archs),
            "arch2infos": {i: {"less": _arch_results(api_utils, i, a, 12, 50.0 + 7 * i),
                               "full": _arch_results(api_utils, i, a, 200, 80.0 - 7 * i)} for i, a in enumerate(archs)}}
    path = tmp_path / "NAS-Bench-201-v1_1-096897.pth"
    torch.save(data, path)
    return path


def test_groundtruth_flag_replaces_the_spaces_tables_while_a_command_runs(tmp_path: Path) -> None:
    from naslib_swap.data.official import groundtruth_override

    path = _nb201_file(tmp_path)
    space = get_space("nasbench201")
    with groundtruth_override(path, epochs=12) as names:
        assert names == ["nasbench201"]
        gt = get_space("nasbench201").ground_truth("cifar10", metric="test")
        assert gt == pytest.approx({space.key(space.parse(a)): 50.0 + 7 * i + 11 / 12 + 1 for i, a in enumerate(ARCHS)})
        assert "NAS-Bench-201-v1_1-096897.pth at 12 epochs" in space.ground_truth_source("cifar10", "val")
    assert "ground_truth" not in type(space).__dict__ or type(space).ground_truth is not None  # restored
    assert "--groundtruth" not in space.ground_truth_source("cifar10", "val")


def test_correlate_with_groundtruth_file(tmp_path: Path, capsys) -> None:
    from naslib_swap.cli import main
    from naslib_swap.data.groundtruth import has_data
    from naslib_swap.suite.sampler import sample_archs, suite_keys

    if not has_data():
        pytest.skip("shared data folder absent: correlate scores real CIFAR-10 images (set NASLIB_SWAP_DATA)")
    space = get_space("nasbench201")
    drawn = sample_archs(suite_keys(space, "cifar10"), 4, 9000, space=space)  # the archs correlate will score
    archs = list(dict.fromkeys(space.to_string(a) for a in drawn))
    path = _nb201_file(tmp_path, archs)
    rc = main(["--groundtruth", str(path), "--groundtruth-epochs", "12", "correlate", "--space", "nasbench201",
               "--dataset", "cifar10", "--proxies", "params", "--seeds", "9000", "--archs", "4", "--db",
               str(tmp_path / "c.sqlite"), "--format", "json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    summary = json.loads(out.out)
    assert "NAS-Bench-201-v1_1-096897.pth at 12 epochs" in summary["truth"]["val"]
    got = summary["results"]["val"]["params"]["per_seed"]["9000"]
    # expected: Spearman of the scored params against the file's 12-epoch cifar10-valid accuracies (50 + 7 i + 11/12)
    import sqlite3

    from scipy import stats

    with sqlite3.connect(tmp_path / "c.sqlite") as db:
        scored = dict(db.execute("select arch, score from scores where proxy = 'params'").fetchall())
    truth = {space.key(space.parse(a)): 50.0 + 7 * i + 11 / 12 for i, a in enumerate(archs)}
    keys = [space.key(a) for a in drawn]
    want = stats.spearmanr([scored[k] for k in keys], [truth[k] for k in keys]).statistic
    assert got["n"] == len(drawn) and got["spearman"] == pytest.approx(want)
