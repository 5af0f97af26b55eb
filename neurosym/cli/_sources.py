"""Where a model command reads its patients: ``--omop``, ``--fhir``, ``--mimic`` or ``--synthetic``, plus ``--fitbit``.

The options are shared by ``neurosym train``, ``predict`` and ``explain`` so
that one data source is named the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from neurosym._errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from neurosym.data import Cohort

__all__ = ["DataSource", "TASKS", "task_labels", "task_outcome"]

#: Prediction tasks the command line knows, by name.
TASKS = ("t2d-3y",)


def task_outcome(task: str) -> tuple[str, ...]:
    """The outcome code set (CURIEs) of a task, as a FHIR RiskAssessment codes it.

    Examples
    --------
    >>> task_outcome("t2d-3y")[0]
    'icd10cm:E11'
    """
    from neurosym.tasks import t2d_3y

    if task not in TASKS:
        raise InputError(f"unknown task {task!r}; known tasks: {', '.join(TASKS)}")
    return tuple(t2d_3y().outcome)

OMOP = typer.Option(None, "--omop", help="Directory of OMOP CDM CSV tables.")
FHIR = typer.Option(None, "--fhir", help="FHIR R4 Bundle JSON / bulk ndjson file or directory (repeatable).")
MIMIC = typer.Option(None, "--mimic", help="Directory of the MIMIC-III demo CSV tables.")
SYNTHETIC = typer.Option(None, "--synthetic", min=1, help="Generate a synthetic cohort of N patients instead.")
FITBIT = typer.Option(None, "--fitbit", help="Directory of a Fitabase (Fitbit) export: the wearable days of the same "
                                             "patients (matching ids), or further patients.")
SEED = typer.Option(0, "--seed", help="Seed of the synthetic cohort.")
LANDMARK = typer.Option("2024-01-01", "--landmark", help="Prediction date (ISO); nothing on or after it is read.")


@dataclass(frozen=True)
class DataSource:
    """The data options of a model command, checked and loaded into one :class:`~neurosym.data.Cohort`.

    Examples
    --------
    >>> DataSource(synthetic=5, progress=False).load().patients["patient_id"].tolist()[:2]
    ['S000001', 'S000002']
    >>> DataSource().load()
    Traceback (most recent call last):
    ...
    neurosym._errors.InputError: give one data source: --omop DIR, --fhir PATH, --mimic DIR or --synthetic N
    """

    omop: Path | None = None
    fhir: tuple[Path, ...] = ()
    mimic: Path | None = None
    synthetic: int | None = None
    fitbit: Path | None = None
    seed: int = 0
    progress: bool = True

    def load(self) -> "Cohort":
        """The cohort of the records source, with the Fitbit export joined to it when given."""
        from neurosym import data

        given = [name for name, value in (("--omop", self.omop), ("--fhir", self.fhir), ("--mimic", self.mimic),
                                          ("--synthetic", self.synthetic)) if value]
        if len(given) != 1:
            problem = "give one data source" if not given else f"give only one data source, not {' and '.join(given)}"
            raise InputError(f"{problem}: --omop DIR, --fhir PATH, --mimic DIR or --synthetic N")
        if self.omop:
            cohort = data.load_omop(self.omop)
        elif self.fhir:
            cohort = data.load_fhir(list(self.fhir))
        elif self.mimic:
            cohort = data.load_mimic_demo(self.mimic)
        else:
            cohort = data.synthetic_cohort(int(self.synthetic), seed=self.seed, progress=self.progress)
        if self.fitbit:
            cohort = _join_wearable(cohort, data.load_fitbit(self.fitbit))
        return cohort


def _join_wearable(records: "Cohort", wearable: "Cohort") -> "Cohort":
    """Wearable days of the record patients join them; a wearable-only patient is added as a new patient."""
    from neurosym.data import Cohort, Lifelog

    import pandas as pd

    known = wearable.patients["patient_id"].astype("string").isin(records.patients["patient_id"].astype("string"))
    if not known.any():
        return Cohort.concat([records, wearable])
    shared = wearable.select(wearable.patients.loc[known, "patient_id"].astype(str).tolist())
    joined = Cohort.from_frames(records.patients, pd.concat([records.events, shared.events], ignore_index=True),
                                lifelog=Lifelog.concat([records.lifelog, shared.lifelog]),
                                report=records.report.merge(wearable.report), labels=records.labels,
                                name=f"{records.name}+{wearable.name}")
    if known.all():
        return joined
    return Cohort.concat([joined, wearable.select(wearable.patients.loc[~known, "patient_id"].astype(str).tolist())])


def task_labels(task: str, cohort: "Cohort", landmark: str) -> "pd.DataFrame":
    """The label frame of ``task`` on ``cohort`` at ``landmark``.

    A synthetic cohort carries its generator's outcomes (``cohort.labels``), which
    also cover the years after the landmark that its records do not; real data
    is labelled by the task's code sets and exclusion rules.
    """
    from neurosym.tasks import ground_truth_labels, t2d_3y

    task_outcome(task)  # an unknown task is a user mistake
    if cohort.labels is not None and "incident_t2d" in cohort.labels.columns:
        labels = ground_truth_labels(cohort)
        simulated = str(labels["landmark"].iloc[0].date()) if len(labels) else landmark
        if simulated != landmark:
            raise InputError(f"the synthetic cohort's outcomes are simulated from its landmark {simulated}, "
                             f"not {landmark}: drop --landmark or give --landmark {simulated}")
        return labels
    return t2d_3y(landmark).labels(cohort)
