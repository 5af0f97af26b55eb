"""The held-out metrics table the model commands print: one row per fitted model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich.table import Table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from neurosym.data import Cohort

__all__ = ["metrics_table"]


def metrics_table(cohort: "Cohort", models: Mapping[str, Any], test: "pd.DataFrame", *, n_boot: int = 300) -> Table:
    """Discrimination and calibration of each fitted model on the held-out label rows ``test``."""
    from neurosym.evaluation import report

    predictions = {}
    for name, model in models.items():
        risk = model.predict_proba(cohort, test).merge(test, on=["patient_id", "landmark"], validate="one_to_one")
        predictions[name] = (risk["label"].to_numpy(), risk["risk"].to_numpy())
    frame = report(predictions, n_boot=n_boot)
    table = Table(title=f"Held-out metrics ({len(test):,} patients, {int(test['label'].sum()):,} events)")
    for column in ("model", "AUROC (95 % CI)", "AUPRC", "Brier", "cal. slope", "ECE"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in frame.itertuples():
        table.add_row(row.model, f"{row.auroc:.3f} ({row.auroc_low:.3f}-{row.auroc_high:.3f})", f"{row.auprc:.3f}",
                      f"{row.brier:.3f}", f"{row.calibration_slope:.2f}", f"{row.ece:.3f}")
    return table
