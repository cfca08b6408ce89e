"""The suite's 13 proxies computed live, ZiCo and MeCo: definitions checked against independent computations on tiny
nets, the suite's quirks (synflow's log and NaN rule, epe_nas's dense targets, zen's feature map), and
``correlate --baselines live|files|both``."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn as nn

from naslib_swap.data.groundtruth import SUITE_PROXIES, has_data
from naslib_swap.proxies.base import Batch, ProxyContext, compute_proxy
from naslib_swap.proxies.epe_nas import epe_score
from naslib_swap.proxies.zen import pre_pool_features
from naslib_swap.proxies.zico import zico_score
from naslib_swap.registry import get_proxy, list_proxies
from naslib_swap.suite.config import ConfigError, resolve


def _mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)  # test-local nets only; the proxies themselves take no global randomness
    return nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))


def _batch(n: int = 6, seed: int = 1) -> Batch:
    g = torch.Generator().manual_seed(seed)
    return Batch(torch.randn(n, 5, generator=g), torch.randint(0, 3, (n,), generator=g), nn.CrossEntropyLoss(), 3)


def _weight_grads(net: nn.Module, b: Batch) -> list[tuple[torch.Tensor, torch.Tensor]]:
    ws = [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    gs = torch.autograd.grad(b.loss_fn(net(b.inputs), b.targets), ws)
    return [(w.detach(), g) for w, g in zip(ws, gs)]


def test_all_suite_proxies_registered():
    assert set(SUITE_PROXIES) <= set(list_proxies())
    for name in ("zico", "meco"):
        assert name in list_proxies()
    for name in SUITE_PROXIES:
        assert get_proxy(name).reference, name


@pytest.mark.parametrize("name,fn", [
    ("grad_norm", lambda w, g: g.norm()),
    ("snip", lambda w, g: (w * g).abs().sum()),
    ("plain", lambda w, g: (w * g).sum()),
])
def test_gradient_saliencies_match_autograd(name, fn):
    net, b = _mlp(), _batch()
    want = sum(float(fn(w, g)) for w, g in _weight_grads(net, b))
    assert compute_proxy(name, net, b) == pytest.approx(want, rel=1e-5)


def test_grasp_is_minus_w_hessian_gradient():
    net, b = _mlp(), _batch()
    ws = [m.weight for m in net.modules() if isinstance(m, nn.Linear)]
    loss = b.loss_fn(net(b.inputs), b.targets)
    g = torch.autograd.grad(loss, ws, create_graph=True)
    hg = torch.autograd.grad(sum((gi * gi.detach()).sum() for gi in g), ws)
    want = sum(float((-w.detach() * h).sum()) for w, h in zip(ws, hg))
    assert compute_proxy("grasp", net, b) == pytest.approx(want, rel=1e-4)


def test_fisher_per_channel_broadcast():
    net, b = _mlp(), _batch()
    acts = {}
    h = net[0].register_forward_hook(lambda m, i, o: acts.setdefault("a", o))
    out = net(b.inputs)
    h.remove()
    a = acts["a"]
    ga = torch.autograd.grad(b.loss_fn(out, b.targets), a, retain_graph=True)[0]
    f0 = 0.5 * (a * ga).pow(2).mean(0)
    # the last layer's activation is the logits
    logits = net(b.inputs)
    gl = torch.autograd.grad(b.loss_fn(logits, b.targets), logits)[0]
    f1 = 0.5 * (logits * gl).pow(2).mean(0)
    want = float(f0.detach().sum()) * 5 + float(f1.detach().sum()) * 7  # broadcast over weight.shape[1:]
    assert compute_proxy("fisher", net, b) == pytest.approx(want, rel=1e-5)


def test_synflow_log_of_positive_net_sum_and_suite_nan_rule():
    net = _mlp()
    b = _batch()
    s = compute_proxy("synflow", net, b)
    lin = [m for m in net.modules() if isinstance(m, nn.Linear)]
    ref = nn.Sequential(*[nn.Linear(m.in_features, m.out_features) for m in lin]).double()
    with torch.no_grad():  # no ReLU: an all-positive net with ones input keeps every unit active
        for r, m in zip(ref, lin):
            r.weight.copy_(m.weight.abs())
            r.bias.copy_(m.bias.abs())
    out = ref(torch.ones(1, 5, dtype=torch.float64)).sum()
    grads = torch.autograd.grad(out, [r.weight for r in ref])
    want = math.log(sum(float((r.weight.detach() * g).abs().sum()) for r, g in zip(ref, grads)))
    assert s == pytest.approx(want, rel=1e-6)
    huge = nn.Sequential(*[nn.Linear(64, 64) for _ in range(200)])
    with torch.no_grad():
        for m in huge:
            m.weight.fill_(1e3)
    assert compute_proxy("synflow", huge, Batch(torch.randn(2, 64), None)) == pytest.approx(-math.log(1e8))


def test_synflow_bypasses_batchnorm_and_leaves_caller_net_alone():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 3))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    b = Batch(torch.randn(2, 3, 8, 8), None)
    with_bn = compute_proxy("synflow", net, b)
    without = compute_proxy("synflow", nn.Sequential(net[0], net[2], net[3]), b)
    assert with_bn == pytest.approx(without, rel=1e-9)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_jacov_and_epe_leave_the_batch_untouched():
    net, b = _mlp(), _batch()
    x = b.inputs
    for name in ("jacov", "epe_nas"):
        assert math.isfinite(compute_proxy(name, net, b))
        assert b.inputs is x and not x.requires_grad


def test_epe_nas_rules():
    jac = np.random.default_rng(0).normal(size=(6, 9))
    labels = np.array([0, 1, 0, 1, 2, 2])
    few = epe_score(jac, labels, 10)
    want = sum(abs(np.log(np.abs(np.corrcoef(jac[labels == c])) + 1e-5).sum()) for c in (0, 1, 2))
    assert few == pytest.approx(want)
    # more than 100 classes: per-class sums divided by the class size, then mean absolute pairwise differences
    e = [np.log(np.abs(np.corrcoef(jac[labels == c])) + 1e-5).sum() / 2 for c in (0, 1, 2)]
    many = epe_score(jac, labels, 120)
    assert many == pytest.approx(sum(abs(a - b) for a in e for b in e) / 3)
    # dense targets (an autoencoder's images) cannot be grouped by class: NaN, as the suite records
    net = nn.Sequential(nn.Conv2d(3, 3, 3, padding=1))
    dense = Batch(torch.randn(4, 3, 6, 6), torch.randn(4, 3, 6, 6), nn.MSELoss())
    assert math.isnan(compute_proxy("epe_nas", net, dense))


def test_zen_feature_map_rules():
    class WithFeatures(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Conv2d(3, 4, 3)
            self.head = nn.Linear(4, 2)

        def forward_features(self, x):
            return self.body(x)

        def forward(self, x):
            return self.head(self.forward_features(x).mean(dim=(2, 3)))

    x = torch.randn(2, 3, 8, 8)
    net = WithFeatures()
    assert pre_pool_features(net, x).shape == (2, 4, 6, 6)
    pooled = nn.Sequential(nn.Conv2d(3, 5, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(5, 2))
    assert pre_pool_features(pooled, x).shape == (2, 5, 6, 6)
    dense = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 3, 3, padding=1))
    assert pre_pool_features(dense, x).shape == (2, 6, 8, 8)  # the last conv's input


def test_zen_uses_the_context_generator_only():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
    b = Batch(torch.randn(4, 3, 8, 8), None)
    a = compute_proxy("zen", net, b, ProxyContext(generator=torch.Generator().manual_seed(3)))
    torch.manual_seed(123)  # global state must not matter
    c = compute_proxy("zen", net, b, ProxyContext(generator=torch.Generator().manual_seed(3)))
    d = compute_proxy("zen", net, b, ProxyContext(generator=torch.Generator().manual_seed(4)))
    assert a == c and a != d


def test_zico_score_and_split():
    g = torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])  # middle weight: std 0, left out
    want = math.log(2.0 / 1.0 + 2.0 / 1.0)
    assert zico_score([g]) == pytest.approx(want)
    net, b = _mlp(), _batch(8)
    halves = [Batch(b.inputs[:4], b.targets[:4], b.loss_fn), Batch(b.inputs[4:], b.targets[4:], b.loss_fn)]
    per_layer = [[], []]
    for h in halves:
        for i, (_w, gr) in enumerate(_weight_grads(net, h)):
            per_layer[i].append(gr.reshape(-1))
    want = zico_score([torch.stack(r) for r in per_layer])
    assert compute_proxy("zico", net, b) == pytest.approx(want, rel=1e-6)


def test_meco_identity_features():
    # two channels that are exact opposites: correlation [[1,-1],[-1,1]], eigenvalues 0 and 2
    conv = nn.Conv2d(1, 2, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))
    net = nn.Sequential(conv)
    b = Batch(torch.randn(1, 1, 4, 4), None)
    v = compute_proxy("meco", net, b, ProxyContext(generator=torch.Generator().manual_seed(0)))
    assert v == pytest.approx(0.0, abs=1e-9)  # the conv and its container each add lambda_min = 0


def test_baseline_modes_in_config():
    base = dict(space="nasbench201", dataset="cifar10")
    assert resolve(flags={**base, "baselines": True})["baselines"] == "files"
    assert resolve(flags={**base, "baselines": None})["baselines"] is False
    assert resolve(flags={**base, "baselines": "live"})["baselines"] == "live"
    with pytest.raises(ConfigError, match="baselines"):
        resolve(flags={**base, "baselines": "sometimes"})


@pytest.mark.skipif(not has_data(), reason="shared data folder (../shared/data) not found")
def test_correlate_live_baselines_go_through_the_store(tmp_path):
    from naslib_swap.suite.runner import run_correlation
    from naslib_swap.suite.store import load_baselines, load_scores

    cfg = resolve(flags=dict(space="nasbench201", dataset="ImageNet16-120", proxies=["swap"], seeds=[9000],
                             archs=2, batch_size=4, baselines="both", truth_metrics=["val"]))
    db = tmp_path / "r.sqlite"
    summary = run_correlation(cfg, db, progress=False)
    assert set(load_scores(db).proxy) == {"swap", *SUITE_PROXIES}  # live: in the scores table
    assert set(load_baselines(db).proxy) == set(SUITE_PROXIES)  # files: copied
    val = summary["results"]["val"]
    assert val["synflow"]["kind"] == "ours" and val["synflow (suite)"]["kind"] == "suite"


def test_aznas_components():
    from naslib_swap.proxies.aznas import primary_blocks, spectral_entropy

    iso = torch.cat([torch.eye(4), -torch.eye(4)]).view(8, 4, 1, 1)  # +-e_i: zero mean, covariance prop. to I
    assert spectral_entropy(iso) == pytest.approx(math.log(4), rel=1e-6)
    one_dir = torch.ones(12, 4, 1, 1) * torch.arange(12.0).view(12, 1, 1, 1)  # rank one: entropy 0
    assert spectral_entropy(one_dir) == pytest.approx(0.0, abs=1e-9)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    assert len(primary_blocks(net)) == 7
    ctx = ProxyContext(generator=torch.Generator().manual_seed(0))
    b = Batch(torch.randn(4, 3, 8, 8), None)
    vals = {n: compute_proxy(n, net, b, ctx) for n in ("az_expressivity", "az_progressivity", "az_trainability")}
    assert vals["az_trainability"] <= 0.0 and vals["az_expressivity"] > 0.0


@pytest.mark.parametrize("argv,mode,overrides", [
    (["--baselines"], "files", []),
    (["--baselines", "live"], "live", []),
    (["--baselines", "archs=5"], "files", ["archs=5"]),  # the bare flag before an override, as it always read
])
def test_correlate_baselines_flag(monkeypatch, argv, mode, overrides):
    from naslib_swap.cli import build_parser
    from naslib_swap.cli import correlate as cc

    seen = {}

    def fake_resolve(file, flags, ovr):
        seen.update(baselines=flags["baselines"], overrides=list(ovr))
        raise ConfigError("stop here")

    monkeypatch.setattr(cc, "resolve", fake_resolve)
    args = build_parser().parse_args(["correlate", "--db", "x.sqlite", *argv])
    with pytest.raises(ConfigError):
        args.func(args)
    assert seen == {"baselines": mode, "overrides": overrides}
