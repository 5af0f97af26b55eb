"""Shared last step of every loader: validate event rows and account for each one.

Loaders turn source records into rows with the canonical event columns, then
call :func:`finish_events`, which rejects (with a reason, in the report) rows
with an unknown patient, a missing or unparsable time, a non-finite or
out-of-range value, or an unknown unit for a known LOINC analyte, converts
values to canonical units, warns about implausible values and dates
(thresholds in ``configs/units.yaml`` and each source's YAML, with their
sources), and counts the loaded rows per source table.

Numbers read from text go through :func:`parse_numbers`, which every loader
shares, so ``inf``, ``1e999`` or ``NaN`` never load as a value.

Examples
--------
>>> import pandas as pd
>>> from neurosym.data import LoadReport
>>> report = LoadReport("demo")
>>> rows = pd.DataFrame({"patient_id": ["a", "b", "a"], "time": ["2020-01-01", "2020-01-02", "2020-01-03"],
...     "kind": "measurement", "system": "loinc", "code": "4548-4", "value": [6.0, 7.0, float("inf")],
...     "unit": "%", "source_dataset": "demo", "source_table": "lab", "source_row": [1, 2, 3]})
>>> report.count("lab", read=3, loaded=0)
>>> ev = finish_events(rows, report, known_patients=["a"])
>>> len(ev), report.summary()[["loaded", "rejected"]].values.tolist()
(1, [[1, 2]])
>>> report.issues["reason"].tolist()
["unknown patient 'b'", 'non-finite value inf']
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from neurosym.data._report import LoadReport
from neurosym.data._schema import EVENT_COLUMNS, conform
from neurosym.data._units import analytes, canonicalize

__all__ = ["finish_events", "parse_times", "parse_numbers", "reject_rows", "warn_dates", "check_patients",
           "VALUE_LIMIT"]

#: Magnitude at or above which a value is rejected as out of range: beyond it
#: float64 no longer holds every integer exactly and integer columns overflow.
VALUE_LIMIT = 2.0 ** 53

_NON_FINITE_TEXT = r"^\s*[+-]?(?:nan|inf|infinity)\s*$"


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


def parse_numbers(raw: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Numbers from text: values, a mask of non-numeric text and a mask of non-finite or out-of-range numbers.

    Non-finite (``inf``, ``-Infinity``, ``1e999``, ``NaN``) and out-of-range
    (magnitude at or above :data:`VALUE_LIMIT`) values come back as NaN with
    their mask set, so a caller rejects them instead of loading them.

    >>> v, text, bad = parse_numbers(pd.Series(["7.5", "inf", "1e999", "NaN", "high", None, "1e300"]))
    >>> v.tolist()[:1], text.tolist(), bad.tolist()
    ([7.5], [False, False, False, False, True, False, False], [False, True, True, True, False, False, True])
    """
    text = raw.astype("string").str.strip()
    value = pd.to_numeric(text, errors="coerce").astype("float64")
    numbers = value.to_numpy()
    named = text.str.fullmatch(_NON_FINITE_TEXT, case=False).fillna(False).to_numpy(dtype=bool)
    bad = named | ~np.isfinite(np.nan_to_num(numbers, nan=0.0)) | (np.abs(np.nan_to_num(numbers)) >= VALUE_LIMIT)
    non_numeric = (text.notna() & value.isna()).to_numpy(dtype=bool) & ~bad
    return value.mask(bad), non_numeric, bad


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


def _example(rows: pd.DataFrame) -> str:
    """``row N (id X)`` of the first of ``rows``, for warnings."""
    first = rows.iloc[0]
    text = f"row {first['source_row']}" if pd.notna(first.get("source_row")) else "row ?"
    return text + (f" (id {first['source_id']})" if pd.notna(first.get("source_id")) else "")


def _warn_mask(report: LoadReport, frame: pd.DataFrame, mask: np.ndarray, message: str) -> None:
    """Count the rows in ``mask`` as warnings per source table, with an example row each."""
    if not mask.any():
        return
    flagged = frame[mask]
    for table, rows in flagged.groupby(flagged["source_table"].astype(str), sort=True):
        report.warn(table, message, len(rows), example=_example(rows))


def warn_dates(report: LoadReport, frame: pd.DataFrame, column: str, plausible: tuple[str, str] | None,
               label: str) -> None:
    """Warn about dates in ``column`` outside the ``plausible`` (first, last) range of the source's YAML.

    >>> r = LoadReport("demo")
    >>> f = pd.DataFrame({"t": pd.to_datetime(["0001-01-01", "2020-05-01"], format="%Y-%m-%d").astype("datetime64[s]"),
    ...                   "source_table": "t", "source_row": [1, 2]})
    >>> warn_dates(r, f, "t", ("1900-01-01", "2100-12-31"), "date")
    >>> list(r.warnings.values())
    [1]
    """
    if plausible is None or not len(frame):
        return
    lo, hi = (pd.Timestamp(d) for d in plausible)
    when = frame[column]
    mask = ((when < lo) | (when > hi)).fillna(False).to_numpy(dtype=bool)
    _warn_mask(report, frame, mask, f"implausible {label} outside {plausible[0]} .. {plausible[1]} (kept)")


def check_patients(patients: pd.DataFrame, report: LoadReport, plausible: tuple[str, str] | None) -> None:
    """Warn about implausible birth and death dates and about a death before birth."""
    warn_dates(report, patients, "birth_date", plausible, "birth date")
    warn_dates(report, patients, "death_date", plausible, "death date")
    before = (patients["death_date"] < patients["birth_date"]).fillna(False).to_numpy(dtype=bool)
    _warn_mask(report, patients, before, "death date before birth date (kept)")


def _warn_implausible(events: pd.DataFrame, report: LoadReport) -> None:
    """Warn (per table and analyte) about values outside the analyte's plausible range in units.yaml."""
    table = {a.loinc: a for a in analytes().values() if a.plausible}
    measured = (events["system"].astype("string") == "loinc").fillna(False) & events["value"].notna()
    codes = events["code"].astype("string").where(measured)
    for code in sorted(set(codes.dropna()) & set(table)):
        analyte = table[code]
        lo, hi = analyte.plausible
        value = events["value"]
        mask = ((codes == code) & ((value < lo) | (value > hi))).fillna(False).to_numpy(dtype=bool)
        _warn_mask(report, events, mask, f"implausible {analyte.name} (outside {lo:g} .. {hi:g} {analyte.unit}, "
                                         f"{analyte.plausible_source}; kept)")


def _warn_conflicting_ids(events: pd.DataFrame, report: LoadReport, scope: tuple[str, ...]) -> None:
    """Warn about records of one table (and ``scope``) that share an id but not their content (both kept)."""
    sub = events[events["source_id"].notna()]
    key = sub["source_dataset"].astype("string") + "\x1f" + sub["source_table"].astype("string")
    for column in (*scope, "source_id"):
        key = key + "\x1f" + sub[column].astype("string")
    rows_per_id = sub.groupby(key, sort=False)["source_row"].nunique()
    shared = key.isin(rows_per_id.index[rows_per_id > 1]).to_numpy(dtype=bool)
    if not shared.any():
        return
    sub, key = sub[shared], key[shared]
    content = ["patient_id", "kind", "system", "code", "time", "end_time", "value", "unit", "value_text"]
    signature = pd.util.hash_pandas_object(sub[content].astype("string"), index=False)
    per_record = signature.groupby([key, sub["source_row"]], sort=False).sum()
    distinct = per_record.groupby(level=0, sort=False).nunique()
    conflicting = key.isin(distinct.index[distinct > 1]).to_numpy(dtype=bool)
    records = sub[conflicting].drop_duplicates(["source_dataset", "source_table", "source_row", "source_id"])
    _warn_mask(report, records, np.ones(len(records), dtype=bool),
               "record id shared with another record of other content (both kept)")


def finish_events(events: pd.DataFrame, report: LoadReport, known_patients: Iterable[str], *,
                  plausible_dates: tuple[str, str] | None = None, id_scope: tuple[str, ...] = ()) -> pd.DataFrame:
    """Validate, convert units and count loaded rows; see the module docstring.

    ``events`` has canonical event columns (``time`` may still be text); the
    caller has already counted the rows it *read* per ``source_table``.  A
    source record may yield several events (a blood-pressure panel gives a
    systolic and a diastolic one); ``loaded`` counts distinct records
    (dataset, table, row and id), so the same row number in two files
    counts twice.  ``plausible_dates`` (first, last), from the source's
    YAML, warns about event times outside it.  Records of one table sharing
    a ``source_id`` but not their content are warned about; ``id_scope``
    names columns within which ids are unique (``("patient_id",)`` when a
    source's ids are per person).
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
    value = events["value"].to_numpy(dtype="float64")
    out_of_range = (np.abs(np.nan_to_num(value, nan=0.0, posinf=np.inf, neginf=np.inf)) >= VALUE_LIMIT)
    events = reject_rows(report, events, out_of_range,
                         np.where(np.isinf(value), "non-finite value " + pd.Series(value).astype(str),
                                  "value out of range " + pd.Series(value).astype(str))).reset_index(drop=True)
    loinc = (events["system"].astype("string") == "loinc").fillna(False).to_numpy(dtype=bool)
    if loinc.any():
        sub = events[loinc]
        conv = canonicalize(sub["code"], sub["value"], sub["unit"])
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
    _warn_implausible(events, report)
    warn_dates(report, events, "time", plausible_dates, "event date")
    _warn_conflicting_ids(events, report, id_scope)
    records = events[["source_dataset", "source_table", "source_row", "source_id"]].astype("string").drop_duplicates()
    for table, n in records["source_table"].value_counts().items():
        report.count(table, read=0, loaded=int(n))
    return conform(events, EVENT_COLUMNS)
