"""Rich tables for cohort summaries and load reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # pragma: no cover
    from neurosym.data import Cohort


def cohort_tables(cohort: Cohort) -> list[Table]:
    """A summary table (patients, events by kind, lifelog coverage) and the load report table."""
    s = cohort.summary()
    overview = Table(title=f"Cohort {s['name']}", show_header=False)
    overview.add_column("item")
    overview.add_column("value", justify="right")
    overview.add_row("patients", f"{s['patients']:,}")
    overview.add_row("events", f"{s['events']:,}")
    for kind, n in s["events_by_kind"].items():
        overview.add_row(f"  {kind}", f"{n:,}")
    overview.add_row("time span", f"{s['first_event']} .. {s['last_event']}")
    life = s["lifelog"]
    overview.add_row("lifelog patients", f"{life['patients']:,}")
    overview.add_row("lifelog days (rows)", f"{life['days']:,}")
    overview.add_row("  worn days", f"{life['worn_days']:,} ({life['worn_fraction']:.1%})")
    overview.add_row("  days worn >= 10 h", f"{life['days_10h_worn']:,}")
    overview.add_row("  nights with sleep", f"{life['sleep_nights']:,}")
    report = Table(title=f"Load report ({cohort.report.source})")
    for col in ("table", "read", "loaded", "rejected", "skipped", "warnings"):
        report.add_column(col, justify="left" if col == "table" else "right")
    for row in s["report"].itertuples():
        report.add_row(str(row.table), f"{row.read:,}", f"{row.loaded:,}", f"{row.rejected:,}", f"{row.skipped:,}", f"{row.warnings:,}")
    return [overview, report]


def reasons_table(cohort: Cohort, limit: int = 15) -> Table | None:
    """The most frequent reasons rows were rejected or skipped, with counts and an example row, or None."""
    reasons = cohort.report.reasons()
    if not len(reasons):
        return None
    table = Table(title="Why rows were not loaded")
    for col in ("table", "status", "reason", "rows", "example"):
        table.add_column(col, justify="right" if col == "rows" else "left")
    for row in reasons.head(limit).itertuples():
        table.add_row(str(row.table), str(row.status), str(row.reason)[:90], f"{row.rows:,}", str(row.example))
    return table


def warnings_table(cohort: Cohort, limit: int = 15) -> Table | None:
    """The most frequent warnings about loaded rows, with counts and an example row, or None."""
    warnings = cohort.report.warning_reasons()
    if not len(warnings):
        return None
    table = Table(title="Loaded with a warning")
    for col in ("table", "warning", "rows", "example"):
        table.add_column(col, justify="right" if col == "rows" else "left")
    for row in warnings.head(limit).itertuples():
        table.add_row(str(row.table), str(row.message)[:90], f"{row.rows:,}", str(row.example))
    return table


def print_cohort(cohort: Cohort, console: Console | None = None) -> None:
    """Print the cohort summary, load report, warnings and rejection reasons."""
    console = console or Console()
    for table in cohort_tables(cohort):
        console.print(table)
    for extra in (warnings_table(cohort), reasons_table(cohort)):
        if extra is not None:
            console.print(extra)
