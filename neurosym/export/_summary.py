"""Phrases every renderer shares: how a prediction's logit splits, its top reasons, counterfactual changes, numbers.

Examples
--------
>>> from neurosym.trace import Change, FactLeaf, Prediction
>>> p = Prediction("t2d", 0.5, logit=0.0, bias=-1.0, residual=0.25, children=[FactLeaf("a1c(p1)", "a1c", contribution=0.75)])
>>> logit_line(p)
'logit 0 = bias -1 + residual +0.25 + reasons +0.75 (residual share 25%)'
>>> [(atom, f"{c:+.2f}") for atom, c in top_contributions(p)]
[('a1c(p1)', '+0.75')]
>>> change_text(Change("bmi", 31.2, 29.0, "kg/m2"))
'BMI 31.2 → 29 kg/m2'
"""

from __future__ import annotations

from datetime import date

from neurosym.trace import Change, Node, Prediction, Value

__all__ = ["FACT_NAMES", "calibration_text", "change_text", "contribution_of", "fmt", "logit_line", "residual_share",
           "top_contributions"]

#: How people read the modifiable facts of a counterfactual.
FACT_NAMES = {"hba1c": "HbA1c", "bmi": "BMI", "weight": "weight", "steps": "daily steps", "sbp": "systolic BP",
              "dbp": "diastolic BP", "sleep_hours": "sleep", "ldl": "LDL cholesterol", "smoking": "smoking"}


def fmt(value: Value) -> str:
    """A value for people: ISO dates, floats to 6 significant digits."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def contribution_of(node: Node) -> float | None:
    """The node's additive share of the logit, None when it has none."""
    return getattr(node, "contribution", None)


def residual_share(prediction: Prediction) -> float | None:
    """``|residual| / (|residual| + sum |contributions|)``: how much of the explained logit the residual neural term
    carries; None without a residual term."""
    if prediction.residual is None:
        return None
    parts = abs(prediction.residual) + sum(abs(c) for c in map(contribution_of, prediction.children) if c is not None)
    return abs(prediction.residual) / parts if parts else 0.0


def top_contributions(prediction: Prediction, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` reasons with the largest absolute contribution: (atom, contribution), largest first."""
    pairs = [(getattr(c, "atom", c.kind), contribution_of(c)) for c in prediction.children if contribution_of(c) is not None]
    return sorted(pairs, key=lambda pair: (-abs(pair[1]), pair[0]))[:k]  # type: ignore[arg-type]


def logit_line(prediction: Prediction) -> str | None:
    """``logit L = bias B + residual R + reasons C (residual share S)``; None when the prediction states no logit."""
    if prediction.logit is None:
        return None
    reasons = sum(c for c in map(contribution_of, prediction.children) if c is not None)
    text = f"logit {fmt(prediction.logit)} = bias {fmt(prediction.bias or 0.0)}"
    if prediction.residual is not None:
        text += f" + residual {prediction.residual:+.6g}"
    text += f" + reasons {reasons:+.6g}"
    share = residual_share(prediction)
    return text + (f" (residual share {share:.0%})" if share is not None else "")


def calibration_text(prediction: Prediction) -> str | None:
    """The threshold and calibration context in one sentence; None when the prediction has neither."""
    parts = []
    if prediction.threshold is not None:
        side = "above" if prediction.risk >= prediction.threshold else "below"
        parts.append(f"{side} the high-risk threshold {prediction.threshold:.0%}")
    cal = prediction.calibration or {}
    if "percentile" in cal:
        parts.append(f"percentile {cal['percentile']:.0f} of predicted risk")
    if "observed_rate" in cal:
        where = f" with predicted risk {cal['bin_low']:.0%}–{cal['bin_high']:.0%}" if {"bin_low", "bin_high"} <= cal.keys() else ""
        n = f" (n = {cal['n']:.0f})" if "n" in cal else ""
        parts.append(f"observed rate {cal['observed_rate']:.0%} among patients{where}{n}")
    return "; ".join(parts) or None


def change_text(change: Change) -> str:
    """The change's own phrase, else ``<fact> <before> → <after> <unit>``."""
    if change.text:
        return change.text
    before = "" if change.before is None else f"{fmt(change.before)} → "
    unit = f" {change.unit}" if change.unit else ""
    return f"{FACT_NAMES[change.fact]} {before}{fmt(change.after)}{unit}"
