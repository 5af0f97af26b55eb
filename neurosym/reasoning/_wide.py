"""The residual's wide term: a logistic regression on each analyte's last value, its missing indicator and the static features.

The design is the one :class:`~neurosym.evaluation.LastValueLogistic` reads
(:func:`neurosym.neural.last_value_design`), computed from the feature tensors of a batch (optionally with the wear-aware
lifelog summaries of :func:`neurosym.neural.lifelog_summary`).  The reasoner
fits it jointly with the risk-head weights of its atoms before training end
to end (:meth:`ReasonerModule.fit_linear`), with scikit-learn's L2 penalty
(:meth:`WideTerm.penalty`), so it starts from that baseline plus the proofs'
evidence.

Examples
--------
>>> import torch
>>> batch = {"labs": torch.tensor([[[5.0, 6.0, 0.0]]]), "lab_mask": torch.tensor([[[True, True, False]]]),
...          "static": torch.tensor([[50.0, 1.0]])}
>>> wide_design(batch).tolist()
[[6.0, 1.0, 50.0, 1.0]]
>>> WideTerm(4)(batch).shape
torch.Size([1])
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from neurosym.neural import last_value_design, lifelog_summary

__all__ = ["LIFELOG_SUMMARY_COLUMNS_PER_CHANNEL", "LIFELOG_WEAR_COLUMNS", "WideTerm", "wide_design"]

#: Columns of :func:`neurosym.neural.lifelog_summary` per daily channel, and its wear columns.
LIFELOG_SUMMARY_COLUMNS_PER_CHANNEL, LIFELOG_WEAR_COLUMNS = 10, 4


def wide_design(batch: dict[str, torch.Tensor], lifelog: bool = False) -> torch.Tensor:
    """``[B, 2A + S (+ 10C + 4)]``: each analyte's last observed value (0 when none), whether it was observed,
    the static features (and the lifelog summaries)."""
    design = last_value_design(batch["labs"], batch["lab_mask"], batch["static"])
    if not lifelog:
        return design
    summary = lifelog_summary(batch["daily"], batch["daily_mask"], batch["wear"], batch["wear_known"],
                              batch["landmark_day"])
    return torch.cat([design, summary.to(design.dtype)], 1)


class WideTerm(nn.Module):
    """``w . (x - mean) / scale`` over :func:`wide_design` (no intercept: the reasoner's bias is it).

    Parameters
    ----------
    n_features : int
        Columns of :func:`wide_design`.
    C : float, default 1.0
        Inverse L2 penalty, as in scikit-learn's ``LogisticRegression``.
    lifelog : bool, default False
        Add the lifelog summaries to the design.
    """

    def __init__(self, n_features: int, C: float = 1.0, lifelog: bool = False) -> None:
        super().__init__()
        self.lifelog = lifelog
        self.C = C
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("scale", torch.ones(n_features))
        self.linear = nn.Linear(n_features, 1, bias=False)
        nn.init.zeros_(self.linear.weight)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.linear((wide_design(batch, self.lifelog) - self.mean) / self.scale).squeeze(-1)

    def penalty(self, n: int) -> torch.Tensor:
        """``|w|^2 / (2 C n)``: scikit-learn's L2 term per training row (``n`` rows)."""
        return self.linear.weight.pow(2).sum() / (2.0 * self.C * max(n, 1))

    def standardise(self, batch: dict[str, torch.Tensor]) -> None:
        """Centre and scale each column of the design by its mean and standard deviation over ``batch``."""
        x = wide_design(batch, self.lifelog).double()
        scale = x.std(0)
        self.mean.copy_(x.mean(0).to(self.mean.dtype))
        self.scale.copy_(torch.where(scale > 1e-8, scale, torch.ones_like(scale)).to(self.scale.dtype))
