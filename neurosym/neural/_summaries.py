"""Masked summaries of irregular series in torch: they skip missing values instead of imputing them.

Shared by the encoders (as fixed, differentiable input features) and by the
engineered-feature baselines, so both read a series the same way.

>>> import torch
>>> v = torch.tensor([[1.0, 0.0, 3.0]]); t = torch.tensor([[0.0, 1.0, 2.0]]); m = torch.tensor([[True, False, True]])
>>> masked_mean(v, m).tolist(), round(masked_slope(v, t, m).item(), 3), last_observed(v, m).tolist()
([2.0], 0.889, [3.0])
>>> first_observed(v, m).tolist(), successive_difference(v, m).tolist()
([1.0], [2.0])
"""

from __future__ import annotations

import torch

__all__ = ["SERIES_SUMMARIES", "first_observed", "last_observed", "last_value_design", "lifelog_summary", "masked_mean",
           "masked_slope", "masked_std", "series_summary", "successive_difference"]

#: Columns of :func:`series_summary`, in order.
SERIES_SUMMARIES = ("last", "mean", "slope", "spread", "successive_difference", "last_minus_first", "share_observed",
                    "time_of_last")


def masked_mean(x: torch.Tensor, mask: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Mean of ``x`` over ``dim`` where ``mask`` holds (0 where nothing is observed)."""
    m = mask.to(x.dtype)
    return (x * m).sum(dim) / m.sum(dim).clamp(min=1.0)


def masked_std(x: torch.Tensor, mask: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Standard deviation of the observed values of ``x`` over ``dim`` (0 with fewer than two)."""
    m = mask.to(x.dtype)
    mean = masked_mean(x, mask, dim).unsqueeze(dim)
    var = ((x - mean) ** 2 * m).sum(dim) / (m.sum(dim) - 1.0).clamp(min=1.0)
    return torch.sqrt(var + 1e-8) * (m.sum(dim) > 1).to(x.dtype)


def masked_slope(x: torch.Tensor, t: torch.Tensor, mask: torch.Tensor, dim: int = -1, ridge: float = 0.25) -> torch.Tensor:
    """Least-squares slope of ``x`` against ``t`` over the observed values (shrunk to 0 by ``ridge``)."""
    m = mask.to(x.dtype)
    tm = masked_mean(t, mask, dim).unsqueeze(dim)
    xm = masked_mean(x, mask, dim).unsqueeze(dim)
    cov = ((t - tm) * (x - xm) * m).sum(dim)
    var = ((t - tm) ** 2 * m).sum(dim)
    return cov / (var + ridge)


def last_observed(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Value at the last observed position of the last dimension (0 where nothing is observed)."""
    pos = torch.arange(x.shape[-1], device=x.device).expand_as(x)
    last = torch.where(mask, pos, torch.full_like(pos, -1)).max(-1).values
    return torch.gather(x, -1, last.clamp(min=0).unsqueeze(-1)).squeeze(-1) * (last >= 0).to(x.dtype)


def last_value_design(labs: torch.Tensor, lab_mask: torch.Tensor, static: torch.Tensor) -> torch.Tensor:
    """``[B, 2A + S]``: each analyte's last observed value (0 when none), whether it was observed, and the
    static features: the design of logistic regression on last values.

    >>> last_value_design(torch.tensor([[[5.0, 6.0, 0.0]]]), torch.tensor([[[True, True, False]]]),
    ...                   torch.tensor([[50.0, 1.0]])).tolist()
    [[6.0, 1.0, 50.0, 1.0]]
    """
    return torch.cat([last_observed(labs, lab_mask), lab_mask.any(-1).to(labs.dtype), static.to(labs.dtype)], 1)


def first_observed(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Value at the first observed position of the last dimension (0 where nothing is observed)."""
    return last_observed(x.flip(-1), mask.flip(-1))


def successive_difference(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between consecutive observed values of the last dimension (irregularity).

    Unobserved positions are skipped, so a value is compared with the last
    observed one before it (e.g. night to night over worn nights only); 0
    with fewer than two observed values.
    """
    pos = torch.arange(x.shape[-1], device=x.device).expand_as(x)
    seen = torch.where(mask, pos, torch.full_like(pos, -1)).cummax(-1).values
    prev = torch.cat([torch.full_like(seen[..., :1], -1), seen[..., :-1]], -1)
    pairs = mask & (prev >= 0)
    diff = (x - torch.gather(x, -1, prev.clamp(min=0))).abs()
    return masked_mean(diff, pairs)


def series_summary(x: torch.Tensor, t: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per series (last dimension) the :data:`SERIES_SUMMARIES` of its observed values.

    Last value, mean, least-squares slope against ``t``, spread, mean
    absolute successive difference, last minus first value, share of
    positions observed and time of the last value.  ``t`` is the time of each
    position (e.g. years relative to the landmark, negative before it), so
    slopes use the real gaps between values.  Returns ``x.shape[:-1] + (8,)``.
    """
    last = last_observed(x, mask)
    return torch.stack([
        last, masked_mean(x, mask), masked_slope(x, t, mask), masked_std(x, mask), successive_difference(x, mask),
        last - first_observed(x, mask), mask.to(x.dtype).mean(-1), last_observed(t, mask),
    ], dim=-1)


def lifelog_summary(daily: torch.Tensor, daily_mask: torch.Tensor, wear: torch.Tensor, wear_known: torch.Tensor,
                    landmark_day: torch.Tensor) -> torch.Tensor:
    """Per patient: :func:`series_summary` of each daily channel, weekend-minus-weekday means, wear statistics.

    Only values recorded on worn days count (``daily_mask``): the slope is
    the long-term trend (per year) over worn days, the successive difference
    the day-to-day (night-to-night for sleep) irregularity.  Returns
    ``[B, 10 * C + 4]``: 8 summaries per channel, the weekend difference and
    whether both weekend and weekday values exist per channel, then the share
    of days with a row, the share of days worn, the mean worn share of worn
    days and whether the patient has any lifelog at all (without, every
    other column is 0 and means unknown, not inactive).

    >>> x = torch.zeros(1, 14, 2); m = torch.ones(1, 14, 2, dtype=torch.bool)
    >>> lifelog_summary(x, m, torch.ones(1, 14), m[..., 0], torch.tensor([0])).shape
    torch.Size([1, 24])
    """
    n = daily.shape[1]
    years = (torch.arange(n, device=daily.device, dtype=daily.dtype) - n) / 365.25
    dow = (landmark_day.view(-1, 1) - n + torch.arange(n, device=daily.device) + 3) % 7  # epoch day 0 is a Thursday
    weekend = (dow >= 5).unsqueeze(-1)
    xt, mt = daily.transpose(1, 2), daily_mask.transpose(1, 2)
    summary = series_summary(xt, years.expand_as(xt), mt)
    wkend = masked_mean(daily, daily_mask & weekend, 1) - masked_mean(daily, daily_mask & ~weekend, 1)
    both = ((daily_mask & weekend).any(1) & (daily_mask & ~weekend).any(1)).to(daily.dtype)
    worn = wear > 0
    wear_stats = torch.stack([wear_known.to(daily.dtype).mean(1), worn.to(daily.dtype).mean(1),
                              masked_mean(wear, worn, 1), wear_known.any(1).to(daily.dtype)], -1)
    return torch.cat([summary.flatten(1), wkend * both, both, wear_stats], -1)
