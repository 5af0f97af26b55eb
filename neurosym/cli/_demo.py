"""``neurosym demo``: the main job on the embedded synthetic cohort."""

from __future__ import annotations

import time

import typer
from rich.console import Console

from neurosym.cli._render import print_cohort


def demo(
    patients: int = typer.Option(2000, "--patients", "-n", help="Size of the synthetic cohort."),
    seed: int = typer.Option(0, help="Random seed of the synthetic cohort."),
) -> None:
    """Generate the synthetic cohort and print its summary and load report."""
    from neurosym.data import synthetic_cohort

    console = Console()
    start = time.perf_counter()
    cohort = synthetic_cohort(patients, seed=seed, progress=True)
    console.print(f"[bold]Synthetic cohort[/bold]: {len(cohort):,} patients in {time.perf_counter() - start:.1f} s")
    print_cohort(cohort, console)
