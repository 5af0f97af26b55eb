"""A GBM-like wide term: one learned piecewise-linear function per input feature, summed into a logit."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["PiecewiseLinear"]


class PiecewiseLinear(nn.Module):
    """Additive logit of per-feature piecewise-linear functions (hinges at fixed knots), like a boosted stump sum.

    Each input is standardised (a batch norm without affine parameters,
    clipped at +-4 standard deviations) and contributes
    ``(w_0 x + sum_k w_k max(x - knot_k, 0)) / (1 + n_knots)``: a line that may bend at each
    knot, so thresholds (a lab above a cut-off, an age band) and U shapes
    are read without interactions or a deep net.  Weights start at 0, so
    the term starts as the constant ``bias``; the caller penalises
    :attr:`weight` (an L2 penalty keeps the bends small on little data).

    Parameters
    ----------
    width : int
        Number of input features.
    knots : sequence of float, default (-1.5, -0.75, 0, 0.75, 1.5)
        Hinge positions in standard deviations.

    Examples
    --------
    >>> import torch
    >>> term = PiecewiseLinear(3)
    >>> term(torch.randn(5, 3)).shape, term.weight.shape
    (torch.Size([5]), torch.Size([3, 6]))
    """

    def __init__(self, width: int, knots: Sequence[float] = (-1.5, -0.75, 0.0, 0.75, 1.5)) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(width, affine=False, momentum=None)  # cumulative mean: exact, also after few batches
        self.register_buffer("knots", torch.tensor(list(knots), dtype=torch.float32), persistent=False)  # not a weight
        self.weight = nn.Parameter(torch.zeros(width, len(knots) + 1))
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.norm(x).clamp(-4.0, 4.0).unsqueeze(-1)
        basis = torch.cat([z, torch.relu(z - self.knots)], -1)  # [B, width, 1 + knots]
        # divided by the basis size, so an optimiser step moves the logit as much as a linear term's would
        return (basis * self.weight).sum((1, 2)) / basis.shape[-1] + self.bias
