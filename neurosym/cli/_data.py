"""``neurosym data summary``: load real data and print what came in."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from neurosym.cli._render import print_cohort

data_app = typer.Typer(help="Load data sources and summarise them.", no_args_is_help=True)


@data_app.command("summary")
def summary(
    omop: Path | None = typer.Option(None, help="Directory of OMOP CDM CSV tables."),
    fhir: list[Path] | None = typer.Option(None, help="FHIR R4 Bundle JSON / bulk ndjson file or directory (repeatable)."),
    fitbit: Path | None = typer.Option(None, help="Directory of a Fitabase (Fitbit) export."),
    mimic: Path | None = typer.Option(None, help="Directory of the MIMIC-III demo CSV tables."),
) -> None:
    """Load one or more sources and print a summary table and the load report of each.

    The report lists warning and rejection reasons with counts and an example
    row; the command exits with status 1 when a report does not account for
    every row it read (``LoadReport.check``).
    """
    from neurosym import data

    console = Console()
    loaded = []
    if omop:
        loaded.append(data.load_omop(omop))
    if fhir:
        loaded.append(data.load_fhir(list(fhir)))
    if fitbit:
        loaded.append(data.load_fitbit(fitbit))
    if mimic:
        loaded.append(data.load_mimic_demo(mimic))
    if not loaded:
        raise typer.BadParameter("give at least one of --omop, --fhir, --fitbit, --mimic")
    unbalanced = []
    for cohort in loaded:
        print_cohort(cohort, console)
        try:
            cohort.report.check()
        except ValueError as err:
            unbalanced.append(str(err))
    for message in unbalanced:
        typer.secho(f"error: rows unaccounted for: {message}", err=True, fg="red")
    if unbalanced:
        raise typer.Exit(1)
