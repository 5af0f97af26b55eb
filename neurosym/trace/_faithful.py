"""Faithfulness of a prediction trace: its contributions add up to the model's logit, and the risk is its sigmoid.

Examples
--------
>>> from neurosym.trace import FactLeaf, Prediction
>>> p = Prediction("t2d", 0.5, logit=0.0, bias=-1.0, residual=0.25, children=[FactLeaf("a1c(p1)", "a1c", contribution=0.75)])
>>> check_faithful(p)
0.0
>>> p.bias = -2.0
>>> check_faithful(p)
Traceback (most recent call last):
...
neurosym._errors.TraceError: unfaithful trace of t2d: logit 0 != bias -2 + residual 0.25 + contributions 0.75 = -1 (gap 1)
"""

from __future__ import annotations

import math

from neurosym._errors import TraceError
from neurosym.trace._nodes import Prediction

__all__ = ["check_faithful"]


def check_faithful(prediction: Prediction, *, tol: float = 1e-6) -> float:
    """Check ``logit == bias + (residual or 0) + sum(child.contribution)`` and ``risk == sigmoid(logit)``.

    Parameters
    ----------
    prediction : Prediction
        A prediction trace with ``logit`` set and a ``contribution`` on every child (``bias`` None counts as 0).
    tol : float
        Largest absolute difference accepted, on the logit and on the risk.

    Returns
    -------
    float
        The absolute gap between the logit and the sum of its parts (at most ``tol``).

    Raises
    ------
    TraceError
        The logit or a child's contribution is missing, the parts do not add up to the logit, or the risk is not
        the sigmoid of the logit.
    """
    if prediction.logit is None:
        raise TraceError(f"prediction of {prediction.target} has no logit; a faithful trace states it")
    missing = [getattr(child, "atom", child.kind) for child in prediction.children if getattr(child, "contribution", None) is None]
    if missing:
        raise TraceError(f"prediction of {prediction.target}: no contribution on {', '.join(missing)}")
    bias = prediction.bias or 0.0
    residual = prediction.residual or 0.0
    contributions = math.fsum(child.contribution for child in prediction.children)  # type: ignore[attr-defined]
    total = math.fsum((bias, residual, contributions))
    gap = abs(prediction.logit - total)
    if gap > tol:
        raise TraceError(f"unfaithful trace of {prediction.target}: logit {prediction.logit:.6g} != bias {bias:.6g} + residual "
                         f"{residual:.6g} + contributions {contributions:.6g} = {total:.6g} (gap {gap:.3g})")
    expected = _sigmoid(prediction.logit)
    if abs(prediction.risk - expected) > tol:
        raise TraceError(f"unfaithful trace of {prediction.target}: risk {prediction.risk:.6g} != sigmoid(logit "
                         f"{prediction.logit:.6g}) = {expected:.6g}")
    return gap


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
