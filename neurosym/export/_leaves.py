"""Resolve a trace's evidence leaves back to the records they name: the leaf test of a trace's pointers.

A fact leaf with a structured :class:`~neurosym.trace.SourceRef` resolves to the one row of the cohort (patients,
timeline events or lifelog days) carrying that dataset, table, row and id, whose patient, dates and value agree with
the fact.  An ``index_day`` fact resolves to the landmark it was read from (the cohort's labels, the landmark given,
or the patient's last recorded day); a fact written in a rule file to its line in that file.  An ontology leaf
resolves when every edge of its path exists in the ontology; a neural leaf to the patient's measurements and worn
lifelog days inside the input window it read.

Examples
--------
>>> from neurosym.data import synthetic_cohort
>>> from neurosym.trace import FactLeaf, SourceRef
>>> cohort = synthetic_cohort(3, seed=0)
>>> born = cohort.patients["birth_date"][0].date()
>>> leaf = FactLeaf(f'birth("S000001", {born})', "birth", ["S000001", born], source=SourceRef("synthetic(seed=0)", "patients", 1))
>>> found = resolve_leaf(leaf, cohort)
>>> found.table, found.index, found.record["patient_id"]
('patients', 0, 'S000001')
>>> resolve_leaf(FactLeaf("x", "birth", ["S000001"], source=SourceRef("synthetic(seed=0)", "patients", 99)), cohort)
Traceback (most recent call last):
...
neurosym._errors.TraceError: leaf x names synthetic(seed=0)/patients row 99, which is not in the cohort
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from neurosym._errors import TraceError
from neurosym.data import Cohort
from neurosym.logic import parse_atom
from neurosym.ontology import Ontology
from neurosym.trace import FactLeaf, NeuralLeaf, Node, OntologyLeaf

__all__ = ["ResolvedRecord", "resolve_leaf"]

_RULE_FILE_FACT = re.compile(r"^fact in (?P<path>.+) line (?P<line>\d+)$")
_DATE_COLUMNS = ("time", "end_time", "date", "birth_date", "death_date", "landmark")


@dataclass(frozen=True)
class ResolvedRecord:
    """The record a leaf names: where it is (``table``: ``patients``, ``events``, ``daily``, ``labels``, ``landmark``,
    ``rule file``, ``ontology`` or ``window``; ``index``: its position there) and its fields."""

    table: str
    index: int | None
    record: dict[str, Any]


def resolve_leaf(leaf: Node, cohort: Cohort, *, ontology: Ontology | None = None,
                 landmark: date | None = None) -> ResolvedRecord:
    """The record ``leaf`` points to, checked against the fact it supports.

    Parameters
    ----------
    leaf : FactLeaf, OntologyLeaf or NeuralLeaf
    cohort : Cohort
        The cohort the trace was computed from.
    ontology : Ontology, optional
        For ontology leaves; default ``Ontology.load("clinical")``.
    landmark : date, optional
        The landmark the trace was computed at (a :class:`~neurosym.trace.Prediction`'s ``landmark``): an
        ``index_day`` fact read from the landmarks given to a model, not from ``cohort.labels``, resolves to it.

    Raises
    ------
    TraceError
        The pointer names no record, more than one, or a record that disagrees with the fact (patient, date, value);
        an ontology path edge that the ontology lacks; a neural leaf without a window or with no input inside it; a
        leaf with no pointer.
    """
    if isinstance(leaf, OntologyLeaf):
        return _ontology_path(leaf, ontology or Ontology.load("clinical"))
    if isinstance(leaf, NeuralLeaf):
        return _input_window(leaf, cohort)
    if not isinstance(leaf, FactLeaf):
        raise TraceError(f"only fact, ontology and neural leaves point to records, not a {leaf.kind} node")
    s = leaf.source
    if s is None:
        raise TraceError(f"leaf {leaf.atom} has no source pointer")
    if s.table and (s.row is not None or s.id):
        return _source_row(leaf, cohort)
    match = _RULE_FILE_FACT.match(s.text or "")
    if match:
        return _rule_file_line(leaf, Path(match["path"]), int(match["line"]))
    if leaf.relation == "index_day":
        return _landmark(leaf, cohort, s.text or "", landmark)
    raise TraceError(f"leaf {leaf.atom} points to {s.text!r}, which names no record")


def _source_row(leaf: FactLeaf, cohort: Cohort) -> ResolvedRecord:
    s = leaf.source
    assert s is not None
    where = f"{s.dataset}/{s.table} row {s.row}" + (f" id {s.id}" if s.id else "")
    found = []
    for name, frame in (("patients", cohort.patients), ("events", cohort.events), ("daily", cohort.lifelog.daily)):
        mask = (frame["source_table"].astype(str) == s.table) & (frame["source_dataset"].astype(str) == str(s.dataset))
        if s.row is not None:
            mask &= frame["source_row"] == s.row
        if s.id:
            mask &= frame["source_id"].astype(str) == s.id
        hits = frame.index[mask.fillna(False).to_numpy()]
        found += [(name, int(i), frame.loc[i]) for i in hits]
    if not found:
        raise TraceError(f"leaf {leaf.atom} names {where}, which is not in the cohort")
    patient = leaf.values[0] if leaf.values else None
    agree = [(name, i, row) for name, i, row in found if _agrees(leaf, row, patient)]
    if len(agree) != 1:
        problem = "no record there agrees with the fact" if not agree else f"{len(agree)} records there agree with the fact"
        raise TraceError(f"leaf {leaf.atom} names {where}: {problem}")
    name, i, row = agree[0]
    return ResolvedRecord(name, i, {k: (None if pd.isna(v) else v) for k, v in row.items()})


def _agrees(leaf: FactLeaf, row: pd.Series, patient: object) -> bool:
    """The record is the patient's, its value is the pointer's, and every date of the fact is one of its dates."""
    if str(row["patient_id"]) != str(patient):
        return False
    s = leaf.source
    if s is not None and isinstance(s.value, float) and "value" in row and not pd.isna(row["value"]):
        if abs(float(row["value"]) - s.value) > 1e-9 * max(1.0, abs(s.value)):
            return False
    dates = {pd.Timestamp(row[c]).date() for c in _DATE_COLUMNS if c in row and not pd.isna(row[c])}
    return all(v in dates for v in leaf.values if isinstance(v, date))


def _landmark(leaf: FactLeaf, cohort: Cohort, text: str, given: date | None) -> ResolvedRecord:
    patient, day = leaf.values[0], leaf.values[1]
    if text == "labels.landmark":
        labels = cohort.labels if cohort.labels is not None else pd.DataFrame(columns=["patient_id", "landmark"])
        hits = labels.index[(labels["patient_id"].astype(str) == str(patient)).to_numpy()]
        if len(hits) == 1 and pd.Timestamp(labels.loc[hits[0], "landmark"]).date() == day:
            return ResolvedRecord("labels", int(hits[0]), {"patient_id": patient, "landmark": day})
        if given == day:
            return ResolvedRecord("landmark", None, {"patient_id": patient, "landmark": day})
    elif text.startswith("landmark ") and date.fromisoformat(text.split(" ", 1)[1]) == day:
        return ResolvedRecord("landmark", None, {"patient_id": patient, "landmark": day})
    elif text == "last recorded day":
        events = cohort.events
        mine = events[(events["patient_id"].astype(str) == str(patient)).to_numpy()]
        if len(mine) and mine["time"].max().date() == day:
            i = mine["time"].idxmax()
            return ResolvedRecord("events", int(i), {k: (None if pd.isna(v) else v) for k, v in events.loc[i].items()})
    raise TraceError(f"leaf {leaf.atom} reads its index day from {text!r}, which does not give {day} for {patient}")


def _rule_file_line(leaf: FactLeaf, path: Path, line: int) -> ResolvedRecord:
    """The fact statement starting at ``line`` (its annotations first): the line with the atom, parsed and compared."""
    if not path.is_file():
        raise TraceError(f"leaf {leaf.atom} names {path} line {line}, a file that does not exist")
    lines = path.read_text(encoding="utf-8").splitlines()
    for number in range(line, len(lines) + 1):
        text = lines[number - 1].strip()
        if text.startswith(f"{leaf.relation}(") and text.endswith("."):
            args = [getattr(arg, "value", None) for arg in parse_atom(text[:-1]).args]
            if args == list(leaf.values):
                return ResolvedRecord("rule file", number, {"path": str(path), "line": number, "text": text})
            break
        if not text.startswith("@") and text:
            break
    raise TraceError(f"leaf {leaf.atom} names {path} line {line}, where no statement states it")


def _ontology_path(leaf: OntologyLeaf, ontology: Ontology) -> ResolvedRecord:
    if not leaf.path:
        raise TraceError(f"ontology leaf {leaf.atom} has an empty path")
    curies = [f"{step.system}:{step.code}" for step in leaf.path]
    for (a, b), step in zip(zip(curies, curies[1:]), leaf.path[1:]):
        if step.edge == "alias":
            ok = ontology.resolve(a) == b
        else:
            ok = ontology.graph.has_edge(a, b) and ontology.graph.edges[a, b].get("kind", "is_a") == step.edge
        if not ok:
            raise TraceError(f"ontology leaf {leaf.atom}: no {step.edge} edge {a} -> {b} in ontology {ontology.name!r}")
    return ResolvedRecord("ontology", None, {"path": leaf.text, "edges": len(curies) - 1})


def _input_window(leaf: NeuralLeaf, cohort: Cohort) -> ResolvedRecord:
    """The measurements and worn lifelog days of the leaf's patient from ``window_start`` to ``window_end``."""
    if leaf.window_start is None or leaf.window_end is None:
        raise TraceError(f"neural leaf {leaf.atom} states no input window")
    patient = str(parse_atom(leaf.atom).args[0].value)
    start, end = pd.Timestamp(leaf.window_start), pd.Timestamp(leaf.window_end) + pd.Timedelta(days=1)
    events, daily = cohort.events, cohort.lifelog.daily
    measured = int(((events["patient_id"].astype(str) == patient) & events["value"].notna()
                    & (events["time"] >= start) & (events["time"] < end)).sum())
    worn = int(((daily["patient_id"].astype(str) == patient) & (daily["worn_minutes"].fillna(0) > 0)
                & (daily["date"] >= start) & (daily["date"] < end)).sum())
    if not measured and not worn:
        raise TraceError(f"neural leaf {leaf.atom}: no measurement or worn day of {patient} in its window "
                         f"{leaf.window_start}..{leaf.window_end}")
    return ResolvedRecord("window", None, {"patient_id": patient, "window_start": leaf.window_start,
                                           "window_end": leaf.window_end, "measurements": measured, "worn_days": worn})
