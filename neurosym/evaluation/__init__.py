"""Clinical evaluation: discrimination with confidence intervals, calibration, plots, baselines.

Examples
--------
>>> import numpy as np
>>> from neurosym.evaluation import auroc
>>> auroc(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.2, 0.7]))
1.0
"""

from neurosym.evaluation._baselines import EngineeredGBM, LastValueLogistic
from neurosym.evaluation._deletion import DeletionReport, RiskPredictor, deletion_test
from neurosym.evaluation._metrics import AurocCI, Calibration, auprc, auroc, auroc_ci, brier, calibration
from neurosym.evaluation._plots import plot_calibration, plot_roc
from neurosym.evaluation._report import REPORT_COLUMNS, report

__all__ = [
    "AurocCI",
    "Calibration",
    "DeletionReport",
    "EngineeredGBM",
    "LastValueLogistic",
    "REPORT_COLUMNS",
    "RiskPredictor",
    "auprc",
    "auroc",
    "auroc_ci",
    "brier",
    "calibration",
    "deletion_test",
    "plot_calibration",
    "plot_roc",
    "report",
]
