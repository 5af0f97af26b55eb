"""One table of discrimination and calibration metrics per model."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from neurosym.evaluation._metrics import auprc, auroc_ci, brier, calibration

__all__ = ["REPORT_COLUMNS", "report"]

REPORT_COLUMNS = ("model", "n", "events", "auroc", "auroc_low", "auroc_high", "auprc", "brier",
                  "calibration_slope", "calibration_intercept", "ece")


def report(predictions: Mapping[str, tuple[np.ndarray, np.ndarray]], *, n_boot: int = 1000,
           seed: int = 0) -> pd.DataFrame:
    """Metrics of each model: AUROC with bootstrap 95 % CI, AUPRC, Brier, calibration slope/intercept, ECE.

    Parameters
    ----------
    predictions : mapping
        Model name -> (labels, risks) on the same patients.
    n_boot : int, default 1000
    seed : int, default 0

    Returns
    -------
    pandas.DataFrame
        One row per model, columns :data:`REPORT_COLUMNS`.

    Examples
    --------
    >>> rng = np.random.default_rng(0); p = rng.uniform(0.05, 0.6, 1000); y = rng.random(1000) < p
    >>> table = report({"true risk": (y, p), "constant": (y, np.full(1000, y.mean()))}, n_boot=200)
    >>> table[["model", "auroc"]].round(3).values.tolist()
    [['true risk', 0.708], ['constant', 0.5]]
    """
    rows = []
    for name, (y, p) in predictions.items():
        y = np.asarray(y, dtype=np.float64)
        p = np.asarray(p, dtype=np.float64)
        ci = auroc_ci(y, p, n_boot=n_boot, seed=seed)
        cal = calibration(y, p)
        rows.append((name, len(y), int(y.sum()), ci.auroc, ci.low, ci.high, auprc(y, p), brier(y, p), cal.slope,
                     cal.intercept, cal.ece))
    return pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
