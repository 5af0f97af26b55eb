"""ROC and calibration plots written as PNG files (matplotlib, Agg backend)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_curve

from neurosym.evaluation._metrics import _check, auroc, calibration

__all__ = ["plot_calibration", "plot_roc"]

Predictions = Mapping[str, tuple[np.ndarray, np.ndarray]]


def _figure():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=110)
    return plt, fig, ax


def plot_roc(predictions: Predictions, path: str | Path, *, title: str = "ROC") -> Path:
    """ROC curves of several models (name -> (labels, risks)) in one PNG; returns its path.

    >>> import tempfile; rng = np.random.default_rng(0); y = rng.random(200) < 0.3
    >>> out = plot_roc({"m": (y, np.clip(0.3 + 0.3 * y + rng.normal(0, 0.2, 200), 0, 1))},
    ...                Path(tempfile.mkdtemp()) / "roc.png")
    >>> out.read_bytes()[:4] == b"\\x89PNG"
    True
    """
    plt, fig, ax = _figure()
    for name, (y, p) in predictions.items():
        y, p = _check(y, p)
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(fpr, tpr, label=f"{name} (AUROC {auroc(y, p):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    ax.set(xlabel="1 - specificity", ylabel="sensitivity", title=title, xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="lower right", fontsize=7)
    return _save(plt, fig, path)


def plot_calibration(predictions: Predictions, path: str | Path, *, n_bins: int = 10,
                     title: str = "Calibration") -> Path:
    """Binned observed rate against mean predicted risk for several models, as a PNG; returns its path.

    >>> import tempfile; rng = np.random.default_rng(0); p = rng.uniform(0, 0.5, 500)
    >>> plot_calibration({"m": (rng.random(500) < p, p)}, Path(tempfile.mkdtemp()) / "cal.png").suffix
    '.png'
    """
    plt, fig, ax = _figure()
    top = 0.0
    for name, (y, p) in predictions.items():
        cal = calibration(y, p, n_bins=n_bins)
        ax.plot(cal.mean_risk, cal.observed, marker="o", ms=3,
                label=f"{name} (slope {cal.slope:.2f}, ECE {cal.ece:.3f})")
        top = max(top, float(cal.mean_risk.max()), float(cal.observed.max()))
    top = min(1.0, top * 1.05 + 1e-3)
    ax.plot([0, top], [0, top], color="grey", lw=0.8, ls="--")
    ax.set(xlabel="mean predicted risk", ylabel="observed rate", title=title, xlim=(0, top), ylim=(0, top))
    ax.legend(loc="upper left", fontsize=7)
    return _save(plt, fig, path)


def _save(plt, fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
