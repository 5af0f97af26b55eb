import pytest
import torch

from neurosym.neural import PiecewiseLinear


def test_each_feature_adds_a_hinged_line_at_its_knots():
    term = PiecewiseLinear(2, knots=(0.0,)).eval()  # running statistics 0 / 1: inputs pass unchanged
    with torch.no_grad():
        term.weight.copy_(torch.tensor([[2.0, 4.0], [0.0, 0.0]]))
        term.bias.fill_(1.0)
    x = torch.tensor([[-1.0, 9.0], [0.5, -3.0], [2.0, 0.0], [7.0, 0.0]])
    # feature 0: (2 x + 4 max(x, 0)) / 2 + 1, clipped at 4; feature 1 has zero weights
    assert term(x).tolist() == pytest.approx([0.0, 2.5, 7.0, 13.0], abs=1e-4)  # batch norm eps


def test_starts_constant_and_standardises_in_training():
    term = PiecewiseLinear(3)
    x = torch.randn(64, 3) * 50 + 10
    assert torch.equal(term(x), torch.zeros(64))
    assert term.norm.running_mean.abs().max().item() > 1.0  # the statistics follow the data
