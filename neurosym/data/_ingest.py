"""Shared last step of every loader: validate event rows and account for each one.

Loaders turn source records into rows with the canonical event columns, then
call :func:`finish_events`, which rejects (with a reason, in the report) rows
with an unknown patient, a missing or unparsable time, or an unknown unit for
a known LOINC analyte, converts values to canonical units, and counts the
loaded rows per source table.

Examples
--------
>>> import pandas as pd
>>> from neurosym.data import LoadReport
>>> report = LoadReport("demo")
>>> rows = pd.DataFrame({"patient_id": ["a", "b"], "time": ["2020-01-01", "2020-01-02"],
...     "kind": "measurement", "system": "loinc", "code": "4548-4", "value": [6.0, 7.0],
...     "unit": "%", "source_dataset": "demo", "source_table": "lab", "source_row": [1, 2]})
>>> report.count("lab", read=2, loaded=0)
>>> ev = finish_events(rows, report, known_patients=["a"])
>>> len(ev), report.summary()[["loaded", "rejected"]].values.tolist()
(1, [[1, 1]])
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from neurosym.data._report import LoadReport
from neurosym.data._schema import EVENT_COLUMNS, conform
from neurosym.data._units import canonicalize

__all__ = ["finish_events", "parse_times", "reject_rows"]


def parse_times(raw: pd.Series, fmt: str | None = None) -> tuple[pd.Series, np.ndarray]:
    """Parse date/time strings; return the parsed series and a mask of present-but-unparsable values.

    >>> t, bad = parse_times(pd.Series(["2020-01-02", "02/30/2020", None]))
    >>> bad.tolist(), t.isna().tolist()
    ([False, True, False], [False, True, True])
    """
    text = raw.astype("string").str.strip()
    present = text.notna() & (text != "")
    parsed = pd.to_datetime(text.where(present), format=fmt or "mixed", errors="coerce", utc=True)
    parsed = parsed.dt.tz_convert(None).astype("datetime64[s]")
    bad = (present & parsed.isna()).to_numpy(dtype=bool)
    return parsed, bad


def reject_rows(report: LoadReport, frame: pd.DataFrame, mask: np.ndarray, reason: str | pd.Series | list[str],
                status: str = "rejected") -> pd.DataFrame:
    """Record the rows of ``frame`` selected by ``mask`` in ``report`` and return the others."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        bad = frame[mask]
        reasons = reason[mask] if isinstance(reason, pd.Series) else ([reason] * int(mask.sum()) if isinstance(reason, str) else list(np.asarray(reason, dtype=object)[mask]))
        report.add_issues(pd.DataFrame({
            "table": bad["source_table"].astype(str).to_numpy(),
            "row": bad["source_row"].to_numpy() if "source_row" in bad else None,
            "record_id": bad["source_id"].astype("string").to_numpy() if "source_id" in bad else None,
            "status": status,
            "reason": list(reasons),
        }))
    return frame[~mask]


def finish_events(events: pd.DataFrame, report: LoadReport, known_patients: Iterable[str]) -> pd.DataFrame:
    """Validate, convert units and count loaded rows; see the module docstring.

    ``events`` has canonical event columns (``time`` may still be text); the
    caller has already counted the rows it *read* per ``source_table``.  A
    source record may yield several events (a blood-pressure panel gives a
    systolic and a diastolic one); ``loaded`` counts distinct records.
    """
    events = conform(events.reset_index(drop=True), {**EVENT_COLUMNS, "time": "object"}) if not pd.api.types.is_datetime64_any_dtype(events["time"]) else conform(events.reset_index(drop=True), EVENT_COLUMNS)
    known = pd.Index(pd.Series(list(known_patients), dtype="string").unique())
    pid = events["patient_id"].astype("string")
    events = reject_rows(report, events, (~pid.isin(known)).to_numpy(dtype=bool),
                         "unknown patient " + pid.fillna("<missing>").map(repr)).reset_index(drop=True)
    if not pd.api.types.is_datetime64_any_dtype(events["time"]):
        parsed, bad = parse_times(events["time"])
        raw = events["time"].astype("string")
        events = events.assign(time=parsed)
        events = reject_rows(report, events, bad | parsed.isna().to_numpy(),
                             np.where(bad, "unparsable date " + raw.fillna("").map(repr), "missing date")).reset_index(drop=True)
    else:
        events = reject_rows(report, events, events["time"].isna().to_numpy(), "missing date").reset_index(drop=True)
    loinc = (events["system"].astype("string") == "loinc").fillna(False).to_numpy(dtype=bool)
    if loinc.any():
        sub = events[loinc]
        conv = canonicalize(sub["code"], sub["value"] if "value" in sub else pd.Series(np.nan, index=sub.index),
                            sub["unit"] if "unit" in sub else pd.Series(pd.NA, index=sub.index, dtype="string"))
        events = events.astype({"code": "string", "unit": "string", "value": "float64"})
        idx = np.flatnonzero(loinc)
        events.loc[idx, "code"] = conv.code.to_numpy()
        events.loc[idx, "value"] = conv.value.to_numpy()
        events.loc[idx, "unit"] = conv.unit.to_numpy()
        if conv.assumed_unit.any():
            for table, n in events.iloc[idx[conv.assumed_unit]]["source_table"].astype(str).value_counts().items():
                report.warn(table, "value without unit read in the canonical unit", int(n))
        unknown = np.zeros(len(events), dtype=bool)
        unknown[idx[conv.unknown_unit]] = True
        reasons = pd.Series([None] * len(events), dtype="object")
        reasons[idx] = conv.reasons.to_numpy()
        events = reject_rows(report, events, unknown, reasons).reset_index(drop=True)
    records = events[["source_table", "source_row", "source_id"]].astype("string").drop_duplicates()
    for table, n in records["source_table"].value_counts().items():
        report.count(table, read=0, loaded=int(n))
    return conform(events, EVENT_COLUMNS)
