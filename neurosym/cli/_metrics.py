"""The held-out metrics table the model commands print: one row per model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich.table import Table

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from neurosym.data import Cohort

__all__ = ["metrics_table", "model_predictions"]


def model_predictions(cohort: "Cohort", models: Mapping[str, Any], test: "pd.DataFrame"
                      ) -> dict[str, tuple["np.ndarray", "np.ndarray"]]:
    """Each fitted model's (labels, risks) on the held-out label rows ``test``, in ``test``'s order."""
    predictions = {}
    for name, model in models.items():
        risk = test.merge(model.predict_proba(cohort, test), on=["patient_id", "landmark"], how="left",
                          validate="one_to_one")
        predictions[name] = (risk["label"].to_numpy(), risk["risk"].to_numpy())
    return predictions


def metrics_table(predictions: Mapping[str, tuple["np.ndarray", "np.ndarray"]], *, n_boot: int = 300) -> Table:
    """AUROC with its bootstrap 95 % CI, AUPRC, Brier, calibration slope and ECE of each model's (labels, risks)."""
    from neurosym.evaluation import report

    frame = report(predictions, n_boot=n_boot)
    first = frame.iloc[0]
    table = Table(title=f"Held-out metrics ({first.n:,} patients, {first.events:,} events)")
    for column in ("model", "AUROC (95 % CI)", "AUPRC", "Brier", "cal. slope", "ECE"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in frame.itertuples():
        table.add_row(row.model, f"{row.auroc:.3f} ({row.auroc_low:.3f}-{row.auroc_high:.3f})", f"{row.auprc:.3f}",
                      f"{row.brier:.3f}", f"{row.calibration_slope:.2f}", f"{row.ece:.3f}")
    return table
