import torch
import torch.nn as nn

from naslib_swap.modelstats import count_parameters, model_stats


def test_counting_rules_by_hand():
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=True),      # 3*8*9 + 8 params; flops 9*3*8*64 + 8*64
        nn.BatchNorm2d(8),                              # 16 params; flops 2 * 8*64
        nn.ReLU(),                                      # flops 8*64
        nn.AvgPool2d(2),                                # flops 8 * 4*4 * 4
        nn.AdaptiveAvgPool2d(1),                        # flops 8 * (4+1)*(4+1)
        nn.Flatten(),
        nn.Linear(8, 5),                                # 45 params; flops 8*5
    )
    s = model_stats(net, (1, 3, 8, 8))
    assert s.params == 3 * 8 * 9 + 8 + 16 + 45
    assert s.flops == 9 * 3 * 8 * 64 + 8 * 64 + 2 * 8 * 64 + 8 * 64 + 8 * 16 * 4 + 8 * 25 + 40


class _Unused(nn.Module):
    def __init__(self):
        super().__init__()
        self.used = nn.Conv2d(1, 2, 1, bias=False)
        self.unused = nn.Linear(100, 100)  # never runs: not counted (the suite's rule)
        self.shared = nn.Conv2d(2, 2, 1, bias=False)

    def forward(self, x):
        return self.shared(self.shared(self.used(x)))  # shared module: params once, flops of the last call


def test_unused_and_shared_modules():
    s = model_stats(_Unused(), (1, 1, 4, 4))
    assert s.params == 2 + 4
    assert s.flops == 2 * 16 + 4 * 16
    assert count_parameters(_Unused()) == 2 + 4 + 100 * 100 + 100


def test_convtranspose_counts_zero_and_net_mode_kept():
    net = nn.Sequential(nn.ConvTranspose2d(2, 2, 2, stride=2)).train()
    s = model_stats(net, (1, 2, 3, 3))
    assert s.flops == 0 and s.params == 2 * 2 * 4 + 2
    assert net.training


def test_global_rng_untouched():
    net = nn.Sequential(nn.Conv2d(1, 1, 1))
    state = torch.get_rng_state()
    model_stats(net, (1, 1, 2, 2))
    assert torch.equal(torch.get_rng_state(), state)
