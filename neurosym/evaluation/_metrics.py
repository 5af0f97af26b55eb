"""Discrimination and calibration metrics for binary risk predictions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from neurosym._errors import NeurosymError

__all__ = ["AurocCI", "Calibration", "auprc", "auroc", "auroc_ci", "brier", "calibration"]


def _check(y: np.ndarray, p: np.ndarray, *, both_classes: bool = True) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64).ravel()
    p = np.asarray(p, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise NeurosymError(f"labels and risks differ in length: {len(y)} and {len(p)}")
    if not np.isin(y, (0.0, 1.0)).all():
        raise NeurosymError("labels must be 0 or 1")
    if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise NeurosymError("risks must be probabilities in [0, 1]")
    if both_classes and (y.min(initial=1) == y.max(initial=0)):
        raise NeurosymError(f"the metric needs both classes; got {len(y)} labels all equal to {y[0] if len(y) else None}")
    return y, p


def auroc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve.

    >>> auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y, p = _check(y, p)
    return float(roc_auc_score(y, p))


@dataclass(frozen=True)
class AurocCI:
    """AUROC with a percentile bootstrap confidence interval."""

    auroc: float
    low: float
    high: float
    level: float
    n_boot: int


def auroc_ci(y: np.ndarray, p: np.ndarray, *, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> AurocCI:
    """AUROC with a bootstrap confidence interval (patients resampled with replacement).

    Resamples where one class is missing are drawn again.  The AUROC of each
    resample comes from the Mann-Whitney statistic on precomputed ranks,
    vectorised over resamples.

    Parameters
    ----------
    y, p : array-like
        Labels (0/1) and risks.
    n_boot : int, default 1000
    level : float, default 0.95
    seed : int, default 0

    Examples
    --------
    >>> rng = np.random.default_rng(0); y = rng.random(400) < 0.3
    >>> ci = auroc_ci(y, np.clip(0.3 + 0.2 * y + rng.normal(0, 0.2, 400), 0, 1))
    >>> ci.low < ci.auroc < ci.high, round(ci.auroc, 3)
    (True, 0.763)
    """
    y, p = _check(y, p)
    rng = np.random.default_rng(seed)
    n = len(y)
    stats = np.empty(0)
    while len(stats) < n_boot:
        idx = rng.integers(0, n, (min(n_boot, 256), n))
        yb, pb = y[idx], p[idx]
        n_pos = yb.sum(1)
        ok = (n_pos > 0) & (n_pos < n)
        stats = np.concatenate([stats, _rank_auroc(yb[ok], pb[ok])])
    stats = stats[:n_boot]
    alpha = (1.0 - level) / 2
    low, high = np.quantile(stats, [alpha, 1 - alpha])
    return AurocCI(auroc(y, p), float(low), float(high), level, n_boot)


def _rank_auroc(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Row-wise AUROC of ``[B, n]`` labels and scores (ties get average ranks)."""
    from scipy.stats import rankdata

    ranks = rankdata(p, axis=1)
    n_pos = y.sum(1)
    n_neg = y.shape[1] - n_pos
    return ((ranks * y).sum(1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def auprc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the precision-recall curve (average precision).

    >>> round(auprc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 3)
    0.833
    """
    y, p = _check(y, p)
    return float(average_precision_score(y, p))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared difference between risk and outcome.

    >>> brier([0, 1], [0.2, 0.6])
    0.1
    """
    y, p = _check(y, p, both_classes=False)
    return float(np.round(np.mean((p - y) ** 2), 12))


@dataclass(frozen=True)
class Calibration:
    """Calibration of risks: logistic recalibration slope and intercept, ECE and the binned curve.

    ``slope`` is ``b`` in ``logit P(y) = a + b logit(p)`` (1 is ideal, < 1
    means too extreme risks); ``intercept`` is calibration-in-the-large,
    ``a`` with the slope fixed at 1 (0 is ideal, > 0 means risks too low).
    ``ece`` is the expected calibration error over ``n_bins`` equal-size
    bins; ``bins`` holds each bin's mean risk and observed rate.
    """

    slope: float
    intercept: float
    ece: float
    mean_risk: np.ndarray
    observed: np.ndarray


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _fit_logistic(x: np.ndarray, y: np.ndarray, offset: np.ndarray, slope: bool) -> np.ndarray:
    """Newton-Raphson for ``logit P(y) = a [+ b x] + offset``; returns ``[a(, b)]``."""
    design = np.column_stack([np.ones_like(x), x]) if slope else np.ones((len(x), 1))
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        mu = 1 / (1 + np.exp(-(design @ beta + offset)))
        grad = design.T @ (y - mu)
        hess = design.T @ (design * (mu * (1 - mu))[:, None]) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    return beta


def calibration(y: np.ndarray, p: np.ndarray, *, n_bins: int = 10) -> Calibration:
    """Calibration slope, intercept (in the large), expected calibration error and curve.

    Examples
    --------
    >>> rng = np.random.default_rng(0); p = rng.uniform(0.05, 0.6, 20000); y = rng.random(20000) < p
    >>> cal = calibration(y, p)
    >>> round(cal.slope, 1), abs(round(cal.intercept, 1)), cal.ece < 0.02
    (1.0, 0.0, True)
    """
    y, p = _check(y, p)
    lp = _logit(p)
    constant = np.ptp(lp) < 1e-9  # a constant risk has no slope
    slope = float("nan") if constant else float(_fit_logistic(lp, y, np.zeros_like(lp), slope=True)[1])
    intercept = float(_fit_logistic(lp, y, lp, slope=False)[0])
    order = np.argsort(p, kind="stable")
    bins = np.array_split(order, min(n_bins, len(p)))
    mean_risk = np.array([p[b].mean() for b in bins])
    observed = np.array([y[b].mean() for b in bins])
    sizes = np.array([len(b) for b in bins])
    ece = float(np.sum(sizes * np.abs(mean_risk - observed)) / len(p))
    return Calibration(slope, intercept, ece, mean_risk, observed)
