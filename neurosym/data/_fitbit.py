"""Load a Fitabase (Fitbit) export into a :class:`~neurosym.data.Cohort` with a lifelog.

The file and column names, the non-wear rule and the LOINC codes live in
``configs/fitbit.yaml``; this module reads each file with the shared CSV
reader, checks and types its rows, and accounts for every row in the report
(one table per file name).

What becomes what:

* ``dailyActivity_merged.csv`` (required) -> ``lifelog.daily``: ``steps``;
  ``active_minutes`` = very + fairly active minutes (moderate-to-vigorous
  activity, what WHO's 150 min/week counts); ``worn_minutes`` = the sum of
  the four intensity-minute columns, capped at 1440.  A day with 0 steps and
  1440 sedentary minutes, or whose minute columns are all 0, is recognised
  as **not worn**: its row is kept with ``worn_minutes == 0`` and null
  steps, active and sleep minutes.  Counts are checked against the
  ``valid`` ranges of ``configs/fitbit.yaml``; a non-finite (``inf``) or
  out-of-range count rejects its row, so it never overflows an integer.
* ``sleepDay_merged.csv`` -> ``daily.sleep_minutes`` (``TotalMinutesAsleep``)
  on that date.  An exact duplicate row is loaded once and counted as a
  warning; a conflicting second row for the same person and date is
  rejected; a night on a non-wear day is skipped.
* ``hourlySteps_merged.csv`` -> ``lifelog.hourly.steps``; hours with 0
  steps on a non-wear day are skipped.
* ``heartrate_seconds_merged.csv`` (when present) -> ``hourly.heart_rate``
  (mean of the hour's readings) and ``daily.resting_hr`` (10th percentile of
  the day's hourly means, from at least 4 hours; configurable).
* ``weightLogInfo_merged.csv`` -> measurement events: body weight
  (LOINC 29463-7, kg) and BMI (39156-5, kg/m2), ``source_id`` = ``LogId``.
* Any other CSV in the folder is counted and skipped with a reason; one
  that cannot be read at all is left out with a warning.

The cohort's patients are the Fitbit ``Id`` values, with unknown sex
(``"U"``) and birth date; events hold only the weight log.  Rows point at
their source: ``source_dataset`` the folder name, ``source_table`` the file
name, ``source_row`` the data row (header excluded).

Examples
--------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "fitbit"
>>> folder.mkdir()
>>> _ = (folder / "dailyActivity_merged.csv").write_text(
...     "Id,ActivityDate,TotalSteps,VeryActiveMinutes,FairlyActiveMinutes,LightlyActiveMinutes,SedentaryMinutes\\n"
...     "1,4/12/2016,9000,20,15,200,700\\n1,4/13/2016,0,0,0,0,1440\\n")
>>> cohort = load_fitbit(folder)
>>> cohort.lifelog.daily[["steps", "active_minutes", "worn_minutes"]].values.tolist()
[[9000, 35, 935], [<NA>, <NA>, 0]]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from neurosym._errors import DataLoadError
from neurosym.data._cohort import Cohort
from neurosym.data._csvreader import read_csv_table
from neurosym.data._ingest import finish_events, parse_numbers, parse_times, reject_rows
from neurosym.data._lifelog import Lifelog
from neurosym.data._report import LoadReport
from neurosym.data._schema import empty_frame

__all__ = ["load_fitbit"]

_SOURCE = ["source_dataset", "source_table", "source_row", "source_id"]
_NON_WEAR = "day recognised as not worn (0 steps, 1440 sedentary minutes)"


@lru_cache(maxsize=1)
def _config() -> dict[str, Any]:
    return yaml.safe_load(resources.files("neurosym.data").joinpath("configs/fitbit.yaml").read_text())


def load_fitbit(directory: str | os.PathLike, *, name: str = "fitbit") -> Cohort:
    """Load a Fitabase export folder: daily activity, sleep, hourly steps, heart rate and weight.

    Parameters
    ----------
    directory : str or Path
        Folder holding the ``*_merged.csv`` files of one Fitabase export;
        ``dailyActivity_merged.csv`` is required, the others are read when
        present.
    name : str
        Name of the cohort and of its :class:`~neurosym.data.LoadReport`.

    Returns
    -------
    Cohort
        Patients = Fitbit Ids (sex ``"U"``, no birth date); ``lifelog``
        with ``daily`` and ``hourly`` frames; ``events`` with weight and BMI
        measurements; ``report`` with one table per file.

    Raises
    ------
    DataLoadError
        The folder or ``dailyActivity_merged.csv`` is missing, or a file
        lacks a required column.

    See Also
    --------
    load_fhir : clinical records from FHIR.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "dailyActivity_merged.csv").write_text(
    ...     "Id,ActivityDate,TotalSteps,VeryActiveMinutes,FairlyActiveMinutes,LightlyActiveMinutes,SedentaryMinutes\\n"
    ...     "7,5/1/2016,4000,0,10,100,1000\\n7,5/32/2016,1,0,0,1,1\\n")
    >>> cohort = load_fitbit(folder)
    >>> cohort.patient_ids, cohort.report.issues["reason"].tolist()
    (['7'], ["unparsable ActivityDate '5/32/2016'"])
    """
    root = Path(directory)
    if not root.is_dir():
        raise DataLoadError("no such directory; expected a Fitabase export folder", source=str(root))
    config, report = _config(), LoadReport(name)
    reader = _Reader(root, config, report)
    daily = reader.daily()
    non_wear = daily.loc[daily["worn_minutes"] == 0, ["patient_id", "date"]]
    daily = _add_sleep(daily, *reader.sleep(), non_wear, report)
    hourly = reader.hourly_steps(non_wear)
    hr_hourly, resting = reader.heart_rate()
    hourly = _combine_hourly(hourly, hr_hourly)
    daily = _add_resting_hr(daily, resting, report)
    patients = _patients([daily, hourly, *reader.weight_rows()])
    events = reader.weight(patients["patient_id"])
    reader.skip_other_files()
    return Cohort.from_frames(patients, events, lifelog=Lifelog.from_frames(daily, hourly), report=report, name=name)


class _Reader:
    """Reads and checks the files of one export folder; every row ends up in the report."""

    def __init__(self, root: Path, config: dict[str, Any], report: LoadReport) -> None:
        self.root, self.config, self.report = root, config, report
        self.dataset = root.name
        self._weight: pd.DataFrame | None = None

    # -- shared steps ---------------------------------------------------------------------------------

    def read(self, spec: dict, columns: list[str], *, required: bool = False) -> pd.DataFrame | None:
        """The file's rows as text with source pointers, counted as read; None if absent and optional."""
        path = self.root / spec["file"]
        if not path.is_file():
            if required:
                raise DataLoadError(f"missing {spec['file']}; a Fitabase export folder needs it", source=str(self.root))
            return None
        frame = read_csv_table(path, [self.config["id_column"], *columns], report=self.report, table=spec["file"])
        self.report.count(spec["file"], read=len(frame), loaded=0)
        frame = frame.rename(columns={self.config["id_column"].lower(): "patient_id"})
        frame = frame.assign(source_dataset=self.dataset, source_table=spec["file"], source_row=frame.pop("_row"),
                             source_id=pd.Series(pd.NA, index=frame.index, dtype="string"))
        return self.reject(frame, frame["patient_id"].isna().to_numpy(), f"missing {self.config['id_column']}")

    def reject(self, frame: pd.DataFrame, mask: np.ndarray, reason: str | pd.Series, status: str = "rejected") -> pd.DataFrame:
        return reject_rows(self.report, frame, np.asarray(mask, dtype=bool), reason, status).reset_index(drop=True)

    def times(self, frame: pd.DataFrame, column: str, fmt: str) -> pd.DataFrame:
        """Parse ``column`` in place; reject rows where it is missing or unparsable."""
        col = column.lower()
        parsed, bad = parse_times(frame[col], fmt)
        missing = parsed.isna().to_numpy()
        reasons = _reasons(missing, lambda raw: np.where(raw.notna(), f"unparsable {column} " + raw.fillna("").map(repr),
                                                         f"missing {column}"), frame[col])
        return self.reject(frame.assign(**{col: parsed}), missing, reasons)

    def numbers(self, frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        """Make ``columns`` numeric; reject values present but not finite numbers or outside their valid range."""
        for column in columns:
            col = column.lower()
            raw = frame[col]
            lo, hi = self.config["valid"].get(column, self.config["valid"]["default"])
            value, text, non_finite = parse_numbers(raw)
            outside = ((value < lo) | (value > hi)).fillna(False).to_numpy(dtype=bool)
            bad = text | non_finite | outside
            reasons = _reasons(bad, lambda r: np.where(
                parse_numbers(r)[1], f"non-numeric {column} " + r.fillna("").map(repr),
                np.where(parse_numbers(r)[2], f"non-finite or out-of-range {column} " + r.fillna("").map(repr),
                         f"{column} " + r.fillna("") + f" outside [{lo:g}, {hi:g}]")), raw)
            frame = self.reject(frame.assign(**{col: value.astype("Float64")}), bad, reasons)
        return frame

    def dedupe(self, frame: pd.DataFrame, keys: list[str], values: list[str], what: str) -> tuple[pd.DataFrame, int]:
        """Drop exact duplicates (counted as loaded, with a warning) and reject conflicting ones."""
        exact = frame.duplicated(keys + values).to_numpy()
        table = str(frame["source_table"].iloc[0]) if len(frame) else ""
        self.report.warn(table, "exact duplicate of an earlier row; loaded once", int(exact.sum()))
        frame = frame[~exact].reset_index(drop=True)
        clash = frame.duplicated(keys).to_numpy()
        return self.reject(frame, clash, f"another row for the same Id and {what} has other values"), int(exact.sum())

    def loaded(self, spec: dict, n: int) -> None:
        self.report.count(spec["file"], read=0, loaded=n)

    # -- files ----------------------------------------------------------------------------------------

    def daily(self) -> pd.DataFrame:
        """``dailyActivity``: steps, active and worn minutes; non-wear days recognised."""
        spec = self.config["daily"]
        minutes = list(dict.fromkeys(spec["wear_minutes"] + spec["active_minutes"]))
        frame = self.read(spec, [spec["date"], spec["steps"], *minutes], required=True)
        frame = self.times(frame, spec["date"], spec["date_format"])
        frame = self.numbers(frame, [spec["steps"], *minutes])
        frame, exact = self.dedupe(frame.rename(columns={spec["date"].lower(): "date"}), ["patient_id", "date"],
                                   [spec["steps"].lower(), *(m.lower() for m in minutes)], "date")
        worn = frame[[m.lower() for m in spec["wear_minutes"]]].sum(axis=1, min_count=1)
        self.report.warn(spec["file"], "intensity minutes sum above 1440; worn_minutes capped", int((worn > 1440).sum()))
        non_wear = np.logical_and.reduce([(frame[c.lower()] == v).fillna(False).to_numpy(dtype=bool)
                                          for c, v in spec["non_wear"].items()]) | (worn == 0).fillna(False).to_numpy()
        active = frame[[m.lower() for m in spec["active_minutes"]]].sum(axis=1, min_count=1)
        out = frame[["patient_id", "date", *_SOURCE]].assign(
            steps=frame[spec["steps"].lower()].mask(non_wear).round().astype("Int64"),
            active_minutes=active.mask(non_wear).round().astype("Int64"),
            worn_minutes=worn.clip(upper=1440).mask(non_wear, 0).round().astype("Int64"))
        self.loaded(spec, len(out) + exact)
        return out

    def sleep(self) -> tuple[pd.DataFrame | None, int]:
        """``sleepDay``: minutes asleep per person and date, and the number of exact duplicates dropped."""
        spec = self.config["sleep"]
        frame = self.read(spec, [spec["date"], spec["minutes"]])
        if frame is None:
            return None, 0
        frame = self.times(frame, spec["date"], spec["date_format"])
        frame = self.numbers(frame, [spec["minutes"]])
        frame = frame.rename(columns={spec["date"].lower(): "date", spec["minutes"].lower(): "sleep_minutes"})
        frame["date"] = frame["date"].dt.normalize()
        return self.dedupe(frame, ["patient_id", "date"], ["sleep_minutes"], "date")

    def hourly_steps(self, non_wear: pd.DataFrame) -> pd.DataFrame:
        """``hourlySteps``: steps per hour; zero-step hours of non-wear days skipped."""
        spec = self.config["hourly_steps"]
        frame = self.read(spec, [spec["time"], spec["steps"]])
        if frame is None:
            return empty_frame({"patient_id": "string", "time": "datetime64[s]", "steps": "Int64",
                                **{c: "object" for c in _SOURCE}})
        frame = self.times(frame, spec["time"], spec["time_format"])
        frame = self.numbers(frame, [spec["steps"]])
        frame = frame.rename(columns={spec["time"].lower(): "time", spec["steps"].lower(): "steps"})
        frame, exact = self.dedupe(frame, ["patient_id", "time"], ["steps"], "hour")
        off = _on_days(frame, frame["time"].dt.normalize(), non_wear)
        zero = (frame["steps"] == 0).fillna(False).to_numpy(dtype=bool)
        self.report.warn(spec["file"], "steps recorded on a day recognised as not worn", int((off & ~zero).sum()))
        frame = self.reject(frame, off & zero, _NON_WEAR, status="skipped")
        self.loaded(spec, len(frame) + exact)
        return frame[["patient_id", "time", "steps", *_SOURCE]].astype({"steps": "Int64"})

    def heart_rate(self) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        """``heartrate_seconds``: hourly mean heart rate and a daily resting heart rate estimate."""
        spec = self.config["heart_rate"]
        frame = self.read(spec, [spec["time"], spec["value"]])
        if frame is None:
            return None, None
        frame = self.times(frame, spec["time"], spec["time_format"])
        frame = self.numbers(frame, [spec["value"]])
        self.loaded(spec, len(frame))
        frame = frame.rename(columns={spec["value"].lower(): "heart_rate"})
        frame["time"] = frame.pop(spec["time"].lower()).dt.floor("h")
        hourly = (frame.groupby(["patient_id", "time"], as_index=False, sort=True)
                  .agg(heart_rate=("heart_rate", "mean"), source_row=("source_row", "min"),
                       source_dataset=("source_dataset", "first"), source_table=("source_table", "first")))
        hourly["heart_rate"] = hourly["heart_rate"].astype("Float64").round(2)
        hourly["date"] = hourly["time"].dt.normalize()
        by_day = hourly.groupby(["patient_id", "date"], as_index=False, sort=True)
        resting = by_day.agg(resting_hr=("heart_rate", lambda s: s.astype(float).quantile(spec["resting_quantile"])),
                             hours=("heart_rate", "size"), source_row=("source_row", "min"),
                             source_dataset=("source_dataset", "first"), source_table=("source_table", "first"))
        resting["resting_hr"] = resting["resting_hr"].where(resting["hours"] >= spec["min_hours"]).round(1)
        return hourly.drop(columns="date"), resting.drop(columns="hours")

    def weight_rows(self) -> list[pd.DataFrame]:
        """Read and check the weight log once; return its rows (for the patient list)."""
        spec = self.config["weight"]
        columns = [m["column"] for m in spec["measurements"]]
        frame = self.read(spec, [spec["time"], spec["record_id"], *columns])
        if frame is None:
            return []
        frame = frame.assign(source_id=frame[spec["record_id"].lower()])
        frame = self.times(frame, spec["time"], spec["time_format"])
        frame = self.numbers(frame, columns)
        empty = frame[[c.lower() for c in columns]].isna().all(axis=1).to_numpy()
        self._weight = self.reject(frame, empty, f"no {' or '.join(columns)}")
        return [self._weight]

    def weight(self, known: pd.Series) -> pd.DataFrame:
        """Weight log rows as measurement events (one record may give weight and BMI)."""
        spec, frame = self.config["weight"], self._weight
        if frame is None or not len(frame):
            return pd.DataFrame(columns=["patient_id", "time", "kind", "system", "code", "value", "unit", *_SOURCE])
        events = pd.concat([
            frame[frame[m["column"].lower()].notna()].assign(
                time=lambda f: f[spec["time"].lower()], kind="measurement", system="loinc", code=m["loinc"],
                value=lambda f, c=m["column"].lower(): f[c].astype("float64"), unit=m["unit"])
            for m in spec["measurements"]], ignore_index=True)
        events = events[["patient_id", "time", "kind", "system", "code", "value", "unit", *_SOURCE]]
        return finish_events(events, self.report, known, id_scope=("patient_id",))  # LogIds are per person

    def skip_other_files(self) -> None:
        """Count and skip every row of CSV files the config does not read."""
        known = {spec["file"] for spec in self.config.values() if isinstance(spec, dict) and "file" in spec}
        for path in sorted(self.root.glob("*.csv")):
            if path.name in known:
                continue
            try:
                rows = read_csv_table(path, [], report=self.report, table=path.name)["_row"]
            except DataLoadError as err:
                self.report.warn(path.name, f"not a readable CSV file, left out ({str(err)[:160]})")
                continue
            reason = self.config["skip"].get(path.name) or self.config["skip_default"].format(file=path.name)
            self.report.count(path.name, read=len(rows), loaded=0)
            self.report.add_issues(pd.DataFrame({"table": path.name, "row": rows.to_numpy(), "record_id": None,
                                                 "status": "skipped", "reason": reason}))


def _reasons(mask: np.ndarray, make: Callable[[pd.Series], Iterable[str]], raw: pd.Series) -> pd.Series:
    """Reasons for the rows in ``mask`` only (``make(raw[mask])``), so clean big files cost nothing."""
    out = pd.Series([None] * len(raw), dtype="object", index=raw.index)
    if mask.any():
        out[mask] = list(make(raw[mask]))
    return out


# -- combining files -------------------------------------------------------------------------------------


def _on_days(frame: pd.DataFrame, dates: pd.Series, days: pd.DataFrame) -> np.ndarray:
    """Mask of rows of ``frame`` whose (patient_id, date) is one of ``days``."""
    keys = pd.MultiIndex.from_arrays([frame["patient_id"].astype("string"), dates])
    return keys.isin(pd.MultiIndex.from_frame(days.astype({"patient_id": "string"}))).astype(bool)


def _add_sleep(daily: pd.DataFrame, sleep: pd.DataFrame | None, exact: int, non_wear: pd.DataFrame,
               report: LoadReport) -> pd.DataFrame:
    """Put sleep minutes on their day; nights on non-wear days are skipped, nights without a day row add one."""
    if sleep is None:
        return daily
    spec = _config()["sleep"]
    off = _on_days(sleep, sleep["date"], non_wear)
    sleep = reject_rows(report, sleep, off, _NON_WEAR, status="skipped").reset_index(drop=True)
    report.count(spec["file"], read=0, loaded=len(sleep) + exact)
    merged = daily.merge(sleep[["patient_id", "date", "sleep_minutes"]], on=["patient_id", "date"], how="left")
    extra = sleep[~_on_days(sleep, sleep["date"], daily[["patient_id", "date"]])]
    merged = pd.concat([merged, extra[["patient_id", "date", "sleep_minutes", *_SOURCE]]], ignore_index=True)
    return merged.astype({"sleep_minutes": "Int64"})


def _add_resting_hr(daily: pd.DataFrame, resting: pd.DataFrame | None, report: LoadReport) -> pd.DataFrame:
    """Put the resting heart rate on its day; days with heart rate only add a row (wear time unknown)."""
    if resting is None:
        return daily
    table = _config()["heart_rate"]["file"]
    non_wear = daily.loc[daily["worn_minutes"] == 0, ["patient_id", "date"]]
    report.warn(table, "heart rate recorded on a day recognised as not worn",
                int(_on_days(resting, resting["date"], non_wear).sum()))
    merged = daily.merge(resting[["patient_id", "date", "resting_hr"]], on=["patient_id", "date"], how="left")
    extra = resting[~_on_days(resting, resting["date"], daily[["patient_id", "date"]])]
    return pd.concat([merged, extra], ignore_index=True)


def _combine_hourly(steps: pd.DataFrame, heart: pd.DataFrame | None) -> pd.DataFrame:
    """One row per person and hour: steps and mean heart rate (pointer of the steps row when both)."""
    if heart is None:
        return steps
    merged = steps.merge(heart[["patient_id", "time", "heart_rate"]], on=["patient_id", "time"], how="outer",
                         indicator=True)
    hr_only = merged["_merge"] == "right_only"
    pointers = heart.set_index(["patient_id", "time"])[_SOURCE[:3]]
    keys = pd.MultiIndex.from_frame(merged.loc[hr_only, ["patient_id", "time"]])
    for column in _SOURCE[:3]:
        merged[column] = merged[column].astype("object")
        merged.loc[hr_only, column] = pointers.loc[keys, column].to_numpy()
    return merged.drop(columns="_merge")


def _patients(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One patient per Fitbit Id (sex unknown), pointing at the first row it appears in."""
    rows = pd.concat([f[["patient_id", *_SOURCE]].astype({"patient_id": "string", "source_table": "string",
                                                          "source_dataset": "string"}) for f in frames if len(f)],
                     ignore_index=True)
    first = rows.drop_duplicates("patient_id").reset_index(drop=True)
    return first.assign(sex="U", source_id=first["patient_id"])
