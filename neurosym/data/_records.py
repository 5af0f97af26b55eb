"""Copies of patients and cohorts without some source records: the variants what-if and deletion tests score.

Both functions return a new :class:`~neurosym.data.Cohort` and never change their argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

import numpy as np
import pandas as pd

from neurosym._errors import InputError
from neurosym.data._cohort import Cohort
from neurosym.data._edits import _known
from neurosym.data._lifelog import Lifelog

__all__ = ["clone_patients", "drop_records"]


def clone_patients(cohort: Cohort, patient_ids: Sequence[str], new_ids: Sequence[str]) -> Cohort:
    """A cohort of copies: ``new_ids[i]`` is a copy of patient ``patient_ids[i]`` (ids may repeat).

    Useful to score many variants of one patient in one call of a model.

    Raises
    ------
    UnknownIdError
        For a patient not in the cohort.
    InputError
        For lists of different lengths or repeated new ids.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> cohort = synthetic_cohort(3, seed=0)
    >>> copies = clone_patients(cohort, ["S000002", "S000002"], ["a", "b"])
    >>> copies.patient_ids, len(copies.events) == 2 * len(cohort.patient("S000002").events)
    (['a', 'b'], True)
    """
    source = pd.Series(list(patient_ids), dtype="string")
    new = pd.Series(list(new_ids), dtype="string")
    if len(source) != len(new) or new.duplicated().any():
        raise InputError(f"clone_patients needs one distinct new id per patient; got {len(source)} patients and "
                         f"{len(new)} ids ({int(new.duplicated().sum())} repeated)")
    _known(cohort, source)
    patients = _copies(cohort.patients, source, new)
    events = _copies(cohort.events, source, new)
    daily, hourly = _copies(cohort.lifelog.daily, source, new), _copies(cohort.lifelog.hourly, source, new)
    return Cohort.from_frames(patients, events, lifelog=Lifelog.from_frames(daily, hourly), report=cohort.report,
                              name=f"{cohort.name} (copies)")


def drop_records(cohort: Cohort, pointers: Iterable[Any] | pd.DataFrame) -> Cohort:
    """A cohort without the events and lifelog rows that some source pointers name.

    Parameters
    ----------
    cohort : Cohort
    pointers : iterable of SourceRef or mapping, or pandas.DataFrame
        Each with ``dataset``, ``table`` and ``row`` (or ``id`` where the row
        is unknown), as a trace's :class:`~neurosym.trace.SourceRef` has
        them; an optional ``patient_id`` limits a pointer to one patient's
        rows (copies made by :func:`clone_patients` share pointers).

    Returns
    -------
    Cohort
        Every row a pointer names is gone from the events and the lifelog.

    Raises
    ------
    InputError
        For a pointer with neither row nor id, or one that names no event or
        lifelog row (patients' demographic rows are never dropped).

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> from neurosym.trace import SourceRef
    >>> cohort = synthetic_cohort(3, seed=0)
    >>> smaller = drop_records(cohort, [SourceRef(dataset="synthetic(seed=0)", table="labs", row=1)])
    >>> len(cohort.events) - len(smaller.events)
    1
    """
    wanted = _pointer_frame(pointers)
    keep_events = _unmatched(cohort.events, wanted)
    keep_daily = _unmatched(cohort.lifelog.daily, wanted)
    keep_hourly = _unmatched(cohort.lifelog.hourly, wanted)
    found = keep_events[1] | keep_daily[1] | keep_hourly[1]
    if not found.all():
        first = wanted[~found].iloc[0]
        raise InputError(f"no event or lifelog row has the source pointer {_describe(first)}; drop_records removes "
                         "events and lifelog days (patients' rows are kept)")
    log = Lifelog(cohort.lifelog.daily[keep_daily[0]].reset_index(drop=True),
                  cohort.lifelog.hourly[keep_hourly[0]].reset_index(drop=True))
    return Cohort(cohort.patients, cohort.events[keep_events[0]].reset_index(drop=True), log, cohort.report,
                  cohort.labels, cohort.name)


# ---------------------------------------------------------------- copies and pointers
def _copies(frame: pd.DataFrame, source: pd.Series, new: pd.Series) -> pd.DataFrame:
    """Rows of ``frame`` for each (source, new) pair, with the new id; vectorised by a join."""
    pairs = pd.DataFrame({"patient_id": source.to_numpy(), "_new": new.to_numpy()})
    rows = frame.assign(patient_id=frame["patient_id"].astype("string")).merge(pairs, on="patient_id", sort=False)
    return rows.assign(patient_id=rows.pop("_new"))


_POINTER_KEYS = ("dataset", "table", "row", "id", "patient_id")


def _pointer_frame(pointers: Iterable[Any] | pd.DataFrame) -> pd.DataFrame:
    if isinstance(pointers, pd.DataFrame):
        frame = pointers.copy()
    else:
        records = [asdict(p) if is_dataclass(p) else dict(p) if isinstance(p, Mapping) else None for p in pointers]
        if any(r is None for r in records):
            raise InputError("pointers must be SourceRef objects, mappings or a DataFrame")
        frame = pd.DataFrame(records)
    for key in _POINTER_KEYS:
        if key not in frame.columns:
            frame[key] = None
    frame = frame[list(_POINTER_KEYS)].astype({"dataset": "string", "table": "string", "row": "Int64", "id": "string",
                                                "patient_id": "string"})
    bad = frame["row"].isna() & frame["id"].isna()
    if bad.any() or frame[["dataset", "table"]].isna().any(axis=None):
        raise InputError(f"a source pointer needs dataset, table and a row or id; got {_describe(frame[bad | frame['table'].isna()].iloc[0])}")
    return frame.reset_index(drop=True)


def _unmatched(frame: pd.DataFrame, wanted: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(rows of ``frame`` no pointer names, pointers that named a row)."""
    keys = pd.DataFrame({"dataset": frame["source_dataset"].astype("string"), "table": frame["source_table"].astype("string"),
                         "row": frame["source_row"], "id": frame["source_id"].astype("string"),
                         "patient_id": frame["patient_id"].astype("string"), "_pos": np.arange(len(frame))})
    hit = np.zeros(len(frame), dtype=bool)
    found = np.zeros(len(wanted), dtype=bool)
    for by_row, on in ((True, ["dataset", "table", "row"]), (False, ["dataset", "table", "id"])):
        sel = wanted["row"].notna() if by_row else wanted["row"].isna()
        for scoped in (True, False):
            part = wanted[sel & (wanted["patient_id"].notna() == scoped)].assign(_ptr=lambda w: w.index)
            if part.empty:
                continue
            cols = on + (["patient_id"] if scoped else [])
            matched = keys.dropna(subset=on).merge(part[cols + ["_ptr"]], on=cols)
            hit[matched["_pos"].to_numpy()] = True
            found[matched["_ptr"].to_numpy()] = True
    return ~hit, found


def _describe(pointer: pd.Series) -> str:
    return ", ".join(f"{k}={pointer[k]}" if k == "row" else f"{k}={str(pointer[k])!r}"
                     for k in _POINTER_KEYS if not pd.isna(pointer[k]))
