"""The canonical patient model: a :class:`Cohort` of columnar timelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from neurosym._errors import InputError, UnknownIdError
from neurosym.data._lifelog import Lifelog
from neurosym.data._report import LoadReport
from neurosym.data._schema import EVENT_COLUMNS, EVENT_KINDS, PATIENT_COLUMNS, conform, empty_frame

if TYPE_CHECKING:  # pragma: no cover
    from neurosym.facts import Facts

__all__ = ["Cohort", "Patient", "Event"]


@dataclass(frozen=True)
class Event:
    """One timeline event, built on request for display and traces (never in hot paths)."""

    patient_id: str
    time: pd.Timestamp
    kind: str
    system: str
    code: str
    value: float | None
    unit: str | None
    source: dict[str, object]


@dataclass(frozen=True)
class Patient:
    """A read-only view of one patient: demographics, sorted events and lifelog days."""

    patient_id: str
    sex: str
    birth_date: pd.Timestamp | None
    death_date: pd.Timestamp | None
    events: pd.DataFrame
    daily: pd.DataFrame

    def iter_events(self):
        """Yield :class:`Event` objects in time order."""
        for row in self.events.itertuples(index=False):
            yield Event(
                row.patient_id, row.time, row.kind, row.system, row.code,
                None if pd.isna(row.value) else float(row.value),
                None if pd.isna(row.unit) else str(row.unit),
                {"dataset": row.source_dataset, "table": row.source_table,
                 "row": None if pd.isna(row.source_row) else int(row.source_row),
                 "id": None if pd.isna(row.source_id) else str(row.source_id)},
            )


@dataclass
class Cohort:
    """Patient timelines stored as columnar tables sorted by (patient, time).

    Attributes
    ----------
    patients : pandas.DataFrame
        One row per patient, columns :data:`~neurosym.data.PATIENT_COLUMNS`.
    events : pandas.DataFrame
        Timeline events, columns :data:`~neurosym.data.EVENT_COLUMNS`; each
        row keeps its source pointer.
    lifelog : Lifelog
        Daily and hourly wearable data with wear time.
    report : LoadReport
        What the loader did with every input row.
    labels : pandas.DataFrame or None
        Outcome labels where known (the synthetic cohort's ground truth).
    name : str
        Where the cohort came from.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> cohort = synthetic_cohort(3, seed=0)
    >>> len(cohort), sorted(cohort.events["kind"].unique())[:2]
    (3, ['condition', 'drug'])
    """

    patients: pd.DataFrame = field(default_factory=lambda: empty_frame(PATIENT_COLUMNS))
    events: pd.DataFrame = field(default_factory=lambda: empty_frame(EVENT_COLUMNS))
    lifelog: Lifelog = field(default_factory=Lifelog)
    report: LoadReport = field(default_factory=lambda: LoadReport("empty"))
    labels: pd.DataFrame | None = None
    name: str = "cohort"

    @classmethod
    def from_frames(cls, patients: pd.DataFrame, events: pd.DataFrame, *, lifelog: Lifelog | None = None,
                    report: LoadReport | None = None, labels: pd.DataFrame | None = None, name: str = "cohort") -> "Cohort":
        """Build a cohort from frames with (a subset of) the canonical columns; sorts and types them."""
        events = conform(events, EVENT_COLUMNS, sort_by=["patient_id", "time"])
        unknown = set(events["kind"].dropna().unique()) - set(EVENT_KINDS)
        if unknown:
            raise InputError(f"unknown event kinds {sorted(unknown)}; expected {list(EVENT_KINDS)}")
        return cls(
            conform(patients, PATIENT_COLUMNS, sort_by=["patient_id"]),
            events,
            lifelog or Lifelog(),
            report or LoadReport(name),
            labels,
            name,
        )

    def __len__(self) -> int:
        return len(self.patients)

    def __repr__(self) -> str:
        return f"Cohort(name={self.name!r}, patients={len(self)}, events={len(self.events)}, lifelog_days={len(self.lifelog.daily)})"

    @property
    def patient_ids(self) -> list[str]:
        """Patient ids in sorted order."""
        return self.patients["patient_id"].astype(str).tolist()

    def patient(self, patient_id: str) -> Patient:
        """The :class:`Patient` view of one patient; :class:`~neurosym.UnknownIdError` (a KeyError) if unknown."""
        row = self.patients[self.patients["patient_id"] == patient_id]
        if not len(row):
            raise UnknownIdError(f"no patient {patient_id!r} in {self.name}")
        r = row.iloc[0]
        ev = self.events[self.events["patient_id"] == patient_id].reset_index(drop=True)
        daily = self.lifelog.daily[self.lifelog.daily["patient_id"] == patient_id].reset_index(drop=True)
        return Patient(str(patient_id), str(r["sex"]), None if pd.isna(r["birth_date"]) else r["birth_date"],
                       None if pd.isna(r["death_date"]) else r["death_date"], ev, daily)

    def select(self, patient_ids: list[str]) -> "Cohort":
        """A cohort restricted to ``patient_ids`` (report and name kept)."""
        keep = set(patient_ids)
        labels = None if self.labels is None else self.labels[self.labels["patient_id"].isin(keep)].reset_index(drop=True)
        daily = self.lifelog.daily
        hourly = self.lifelog.hourly
        return Cohort(
            self.patients[self.patients["patient_id"].isin(keep)].reset_index(drop=True),
            self.events[self.events["patient_id"].isin(keep)].reset_index(drop=True),
            Lifelog(daily[daily["patient_id"].isin(keep)].reset_index(drop=True), hourly[hourly["patient_id"].isin(keep)].reset_index(drop=True)),
            self.report, labels, self.name,
        )

    def with_lifelog(self, lifelog: Lifelog) -> "Cohort":
        """The same cohort with ``lifelog`` added to its own lifelog."""
        return Cohort(self.patients, self.events, Lifelog.concat([self.lifelog, lifelog]), self.report, self.labels, self.name)

    @staticmethod
    def concat(cohorts: list["Cohort"], name: str | None = None) -> "Cohort":
        """One cohort holding all patients, events, lifelogs and reports of ``cohorts``.

        Patient ids must not collide.
        """
        ids = pd.concat([c.patients["patient_id"].astype("string") for c in cohorts])
        dup = ids[ids.duplicated()]
        if len(dup):
            raise InputError(f"patient ids occur in more than one cohort, e.g. {dup.iloc[0]!r}")
        report = cohorts[0].report
        for c in cohorts[1:]:
            report = report.merge(c.report)
        labels = [c.labels for c in cohorts if c.labels is not None]
        return Cohort.from_frames(
            pd.concat([c.patients.astype({"patient_id": "string"}) for c in cohorts], ignore_index=True),
            pd.concat([c.events.astype({"patient_id": "string"}) for c in cohorts], ignore_index=True),
            lifelog=Lifelog.concat([c.lifelog for c in cohorts]),
            report=report,
            labels=pd.concat(labels, ignore_index=True) if labels else None,
            name=name or "+".join(c.name for c in cohorts),
        )

    def to_facts(self, landmark: str | None = None) -> Facts:
        """The base relations rules are written against; delegates to :func:`neurosym.facts.cohort_facts`.

        Parameters
        ----------
        landmark : str, optional
            ISO date used as every patient's ``index_day``; by default the
            labels' landmark, else each patient's last recorded day.

        Examples
        --------
        >>> from neurosym.data import synthetic_cohort
        >>> facts = synthetic_cohort(3, seed=0).to_facts()
        >>> sorted(facts)[:4]
        ['activity', 'birth', 'condition', 'death']
        """
        from neurosym.facts import cohort_facts

        return cohort_facts(self, landmark)

    def summary(self) -> dict[str, object]:
        """Counts for a summary table: patients, events by kind, time span, lifelog coverage, load report."""
        kinds = self.events["kind"].value_counts()
        times = self.events["time"].dropna()
        return {
            "name": self.name,
            "patients": len(self),
            "events": len(self.events),
            "events_by_kind": {k: int(kinds.get(k, 0)) for k in EVENT_KINDS},
            "first_event": None if times.empty else str(times.min().date()),
            "last_event": None if times.empty else str(times.max().date()),
            "lifelog": self.lifelog.coverage(),
            "report": self.report.summary(),
        }
