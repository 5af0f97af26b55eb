import pytest
import torch

from neurosym.neural import SERIES_SUMMARIES, lifelog_summary, series_summary, successive_difference

X = torch.tensor([[1.0, 0.0, 3.0, 6.0]])
T = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
M = torch.tensor([[True, False, True, True]])


def test_series_summary_reads_observed_values_with_their_real_times():
    got = dict(zip(SERIES_SUMMARIES, series_summary(X, T, M)[0].tolist()))
    assert got == pytest.approx({"last": 6.0, "mean": 10 / 3, "slope": (66 / 9) / (42 / 9 + 0.25),
                                 "spread": 57 ** 0.5 / 3,
                                 "successive_difference": 2.5, "last_minus_first": 5.0, "share_observed": 0.75,
                                 "time_of_last": 3.0}, rel=1e-5)


def test_unobserved_positions_change_nothing_and_empty_series_are_zero():
    garbage_x, garbage_t = X.clone(), T.clone()
    garbage_x[0, 1], garbage_t[0, 1] = 1e6, -50.0
    assert torch.equal(series_summary(X, T, M), series_summary(garbage_x, garbage_t, M))
    assert series_summary(X, T, torch.zeros_like(M)).tolist() == [[0.0] * len(SERIES_SUMMARIES)]


def test_successive_difference_tells_irregular_from_spread():
    alternating = torch.tensor([[-1.0, 1.0, -1.0, 1.0]])
    shifted = torch.tensor([[-1.0, -1.0, 1.0, 1.0]])
    seen = torch.ones(1, 4, dtype=torch.bool)
    assert successive_difference(alternating, seen).item() == 2.0
    assert successive_difference(shifted, seen).item() == pytest.approx(2 / 3)
    assert successive_difference(alternating, torch.tensor([[True, False, True, False]])).item() == 0.0


def _year(per_year: float):
    """Patient 0 wears on two days in three, one channel rising ``per_year``; patient 1 has no lifelog."""
    days = 364
    daily = torch.zeros(2, days, 1)
    daily[0, :, 0] = per_year * torch.arange(days, dtype=torch.float32) / 365.25
    mask = torch.zeros(2, days, 1, dtype=torch.bool)
    mask[0, :, 0] = torch.arange(days) % 3 != 0
    known = torch.zeros(2, days, dtype=torch.bool)
    known[0] = True
    return daily, mask, mask[..., 0].float() * 0.8, known


def test_lifelog_summary_trend_wear_and_unknown_lifelog():
    daily, mask, wear, known = _year(2.0)
    out = lifelog_summary(daily, mask, wear, known, torch.tensor([19000, 19000]))
    assert out.shape == (2, 10 * 1 + 4)
    slope = SERIES_SUMMARIES.index("slope")
    assert out[0, slope].item() == pytest.approx(2.0, rel=0.02)          # long-term trend per year, worn days only
    assert out[0, -4:].tolist() == pytest.approx([1.0, 242 / 364, 0.8, 1.0])  # rows, worn share, wear, has lifelog
    assert out[1].abs().sum().item() == 0.0                               # no wearable: unknown, all zero
    garbage = daily.clone()
    garbage[0, ::3, 0] = 1e4                                              # unworn days: values ignored
    assert torch.equal(out, lifelog_summary(garbage, mask, wear, known, torch.tensor([19000, 19000])))
