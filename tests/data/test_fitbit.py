"""Tests of neurosym.data._fitbit.load_fitbit: shared Fitabase export and small fixtures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neurosym import DataLoadError
from neurosym.data._fitbit import load_fitbit

DAILY_HEADER = ("Id,ActivityDate,TotalSteps,TotalDistance,VeryActiveMinutes,FairlyActiveMinutes,"
                "LightlyActiveMinutes,SedentaryMinutes,Calories")


def write(folder: Path, name: str, header: str, rows: list[str]) -> None:
    (folder / name).write_text("\r\n".join([header, *rows]) + "\r\n")


def issues(cohort, table: str) -> list[tuple]:
    found = cohort.report.issues
    found = found[found["table"] == table]
    return [(int(r.row), r.status, r.reason) for r in found.itertuples()]


def counts(cohort, table: str) -> dict:
    row = cohort.report.summary().set_index("table").loc[table]
    return {k: int(row[k]) for k in ("read", "loaded", "rejected", "skipped", "warnings")}


def day(cohort, pid: str, date: str) -> dict:
    daily = cohort.lifelog.daily
    row = daily[(daily["patient_id"] == pid) & (daily["date"] == pd.Timestamp(date))]
    assert len(row) == 1, (pid, date)
    return row.iloc[0].to_dict()


# -- shared Fitabase export --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitabase(shared_data):
    return load_fitbit(shared_data / "fitbit_fitabase")


@pytest.fixture(scope="module")
def raw_daily(shared_data) -> pd.DataFrame:
    return pd.read_csv(shared_data / "fitbit_fitabase" / "dailyActivity_merged.csv")


def test_every_row_accounted_for(fitabase):
    fitabase.report.check()
    assert counts(fitabase, "dailyActivity_merged.csv") == {"read": 940, "loaded": 940, "rejected": 0, "skipped": 0, "warnings": 0}
    # 3 exact duplicate rows (SOURCE.md) are loaded once each and counted as warnings.
    assert counts(fitabase, "sleepDay_merged.csv") == {"read": 413, "loaded": 413, "rejected": 0, "skipped": 0, "warnings": 3}
    # Zero-step hours of the 72 non-wear days are skipped, not kept as measured zeros.
    assert counts(fitabase, "hourlySteps_merged.csv") == {"read": 22099, "loaded": 20467, "rejected": 0, "skipped": 1632, "warnings": 0}
    assert counts(fitabase, "weightLogInfo_merged.csv")["loaded"] == 67
    assert counts(fitabase, "hourlyCalories_merged.csv") == {"read": 22099, "loaded": 0, "rejected": 0, "skipped": 22099, "warnings": 0}


def test_patients_are_fitbit_ids(fitabase):
    assert len(fitabase) == 33
    assert set(fitabase.patients["sex"]) == {"U"} and fitabase.patients["birth_date"].isna().all()
    assert "1503960366" in fitabase.patient_ids


def test_daily_rows_and_non_wear_days(fitabase):
    daily = fitabase.lifelog.daily
    assert len(daily) == 940
    non_wear = daily[daily["worn_minutes"] == 0]
    assert len(non_wear) == 72 and non_wear["patient_id"].nunique() == 15
    assert non_wear[["steps", "active_minutes", "sleep_minutes"]].isna().all().all()
    worn = daily[daily["worn_minutes"] > 0]
    assert worn["steps"].notna().all() and (worn["worn_minutes"] <= 1440).all()
    # 478 days whose intensity minutes sum to 1440, less the 72 non-wear days among them.
    assert int((daily["worn_minutes"] == 1440).sum()) == 478 - 72
    assert fitabase.lifelog.coverage()["worn_days"] == 868


def test_daily_values_follow_the_csv(fitabase, raw_daily):
    first = raw_daily.iloc[0]  # 1503960366, 4/12/2016: 13162 steps, 25+13+328+728 minutes
    row = day(fitabase, "1503960366", "2016-04-12")
    assert row["steps"] == first["TotalSteps"] == 13162
    assert row["active_minutes"] == 25 + 13
    assert row["worn_minutes"] == 25 + 13 + 328 + 728
    assert row["sleep_minutes"] == 327
    assert (row["source_dataset"], row["source_table"], row["source_row"]) == (
        "fitbit_fitabase", "dailyActivity_merged.csv", 1)
    # Days with 0 steps but not all sedentary are worn days with 0 steps (5 of the 77 zero-step days).
    zero = fitabase.lifelog.daily[fitabase.lifelog.daily["steps"] == 0]
    assert len(zero) == 77 - 72 and (zero["worn_minutes"] > 0).all()


def test_sleep_and_hourly(fitabase):
    daily = fitabase.lifelog.daily
    assert daily["sleep_minutes"].notna().sum() == 413 - 3
    assert daily[daily["sleep_minutes"].notna()]["patient_id"].nunique() == 24
    hourly = fitabase.lifelog.hourly
    assert len(hourly) == 20467 and hourly["patient_id"].nunique() == 33
    assert hourly["heart_rate"].isna().all()  # heartrate_seconds_merged.csv is absent here
    assert hourly.iloc[0][["steps", "source_row"]].tolist() == [373, 1]


def test_weight_events(fitabase):
    ev = fitabase.events
    assert len(ev) == 2 * 67
    assert ev.groupby("code", observed=True).size().to_dict() == {"29463-7": 67, "39156-5": 67}
    assert set(ev["unit"].astype(str)) == {"kg", "kg/m2"} and ev["kind"].eq("measurement").all()
    first = ev[(ev["source_row"] == 1) & (ev["code"] == "29463-7")].iloc[0]
    assert (first["value"], first["source_id"], str(first["time"])) == (pytest.approx(52.6), "1462233599000", "2016-05-02 23:59:59")


# -- small fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def export(tmp_path) -> Path:
    folder = tmp_path / "fitbit_small"
    folder.mkdir()
    write(folder, "dailyActivity_merged.csv", DAILY_HEADER, [
        "1,4/12/2016,9000,6.1,20,15,300,600,2000",       # row 1: worn 935 min
        "1,4/13/2016,0,0,0,0,0,1440,1500",                # row 2: non-wear day
        "1,4/31/2016,100,0.1,0,0,10,20,1500",             # row 3: bad date
        "1,4/14/2016,abc,0,0,0,10,20,1500",               # row 4: non-numeric steps
        "1,4/12/2016,9100,6.1,20,15,300,600,2000",        # row 5: conflicting duplicate of row 1
        "2,4/12/2016,500,0.3,500,500,500,500,2000",       # row 6: minutes sum above 1440 -> capped
        ",4/12/2016,500,0.3,0,0,10,10,2000",              # row 7: no Id
    ])
    write(folder, "sleepDay_merged.csv", "Id,SleepDay,TotalSleepRecords,TotalMinutesAsleep,TotalTimeInBed", [
        "1,4/12/2016 12:00:00 AM,1,420,450",
        "1,4/12/2016 12:00:00 AM,1,420,450",              # exact duplicate: warning, loaded once
        "1,4/13/2016 12:00:00 AM,1,300,320",              # non-wear day: skipped
        "2,4/15/2016 12:00:00 AM,1,400,410",              # no daily row: adds one
    ])
    write(folder, "hourlySteps_merged.csv", "Id,ActivityHour,StepTotal", [
        "1,4/12/2016 12:00:00 AM,10",
        "1,4/12/2016 1:00:00 PM,500",
        "1,4/13/2016 1:00:00 AM,0",                       # non-wear day: skipped
        "1,4/12/2016 25:00:00 PM,7",                      # bad time
    ])
    write(folder, "weightLogInfo_merged.csv", "Id,Date,WeightKg,WeightPounds,Fat,BMI,IsManualReport,LogId", [
        "1,4/12/2016 11:59:59 PM,80.5,177.5,,25.1,True,1",
        "1,13/12/2016 11:59:59 PM,80.5,177.5,,25.1,True,2",  # bad date
        "1,4/13/2016 11:59:59 PM,,,,,True,3",                 # no value
        "2,4/13/2016 8:00:00 AM,70,154.3,,,False,4",          # weight only
    ])
    return folder


def test_broken_rows_have_exact_reasons(export):
    cohort = load_fitbit(export)
    cohort.report.check()
    assert issues(cohort, "dailyActivity_merged.csv") == [
        (7, "rejected", "missing Id"),
        (3, "rejected", "unparsable ActivityDate '4/31/2016'"),
        (4, "rejected", "non-numeric TotalSteps 'abc'"),
        (5, "rejected", "another row for the same Id and date has other values"),
    ]
    assert counts(cohort, "dailyActivity_merged.csv") == {"read": 7, "loaded": 3, "rejected": 4, "skipped": 0, "warnings": 1}
    assert issues(cohort, "sleepDay_merged.csv") == [
        (3, "skipped", "day recognised as not worn (0 steps, 1440 sedentary minutes)")]
    assert counts(cohort, "sleepDay_merged.csv")["warnings"] == 1
    assert issues(cohort, "hourlySteps_merged.csv") == [
        (4, "rejected", "unparsable ActivityHour '4/12/2016 25:00:00 PM'"),
        (3, "skipped", "day recognised as not worn (0 steps, 1440 sedentary minutes)"),
    ]
    assert issues(cohort, "weightLogInfo_merged.csv") == [
        (2, "rejected", "unparsable Date '13/12/2016 11:59:59 PM'"),
        (3, "rejected", "no WeightKg or BMI"),
    ]


def test_non_wear_day_is_kept_with_nulls(export):
    cohort = load_fitbit(export)
    off = day(cohort, "1", "2016-04-13")
    assert off["worn_minutes"] == 0
    assert all(pd.isna(off[c]) for c in ("steps", "active_minutes", "sleep_minutes"))
    worn = day(cohort, "1", "2016-04-12")
    assert (worn["steps"], worn["active_minutes"], worn["worn_minutes"], worn["sleep_minutes"]) == (9000, 35, 935, 420)
    assert day(cohort, "2", "2016-04-12")["worn_minutes"] == 1440  # capped from 2000
    sleep_only = day(cohort, "2", "2016-04-15")
    assert sleep_only["sleep_minutes"] == 400 and pd.isna(sleep_only["worn_minutes"])
    assert sleep_only["source_table"] == "sleepDay_merged.csv" and sleep_only["source_row"] == 4
    assert cohort.lifelog.hourly["steps"].tolist() == [10, 500]


def test_weight_events_from_fixture(export):
    cohort = load_fitbit(export)
    ev = cohort.events
    assert ev[["patient_id", "code", "value", "source_id"]].values.tolist() == [
        ["1", "29463-7", 80.5, "1"], ["1", "39156-5", 25.1, "1"], ["2", "29463-7", 70.0, "4"]]
    assert counts(cohort, "weightLogInfo_merged.csv") == {"read": 4, "loaded": 2, "rejected": 2, "skipped": 0, "warnings": 0}


def test_heart_rate_hourly_mean_and_resting(export):
    rows = []
    # Person 1 on 4/12/2016: readings in 5 hours; hourly means 60, 62, 70, 80, 90.
    for hour, values in [("6", [58, 62]), ("7", [62]), ("8", [70, 70]), ("9", [80]), ("10", [85, 95])]:
        rows += [f"1,4/12/2016 {hour}:{i:02d}:05 AM,{v}" for i, v in enumerate(values)]
    rows += ["1,4/12/2016 11:00:00 AM,400",        # outside the valid range: rejected
             "1,4/12/2016 11:00:10 AM,abc",        # not a number: rejected
             "1,4/12/2016 3:30:00 PM,75",          # an hour without steps: adds an hourly row
             "2,4/12/2016 9:00:00 AM,66"]          # a single hour: no resting estimate
    write(export, "heartrate_seconds_merged.csv", "Id,Time,Value", rows)
    cohort = load_fitbit(export)
    cohort.report.check()
    assert issues(cohort, "heartrate_seconds_merged.csv") == [
        (9, "rejected", "Value 400 outside [25, 250]"), (10, "rejected", "non-numeric Value 'abc'")]
    hourly = cohort.lifelog.hourly.set_index(["patient_id", "time"])
    assert hourly.loc[("1", pd.Timestamp("2016-04-12 06:00")), "heart_rate"] == 60
    assert hourly.loc[("1", pd.Timestamp("2016-04-12 10:00")), "heart_rate"] == 90
    hr_only = hourly.loc[("1", pd.Timestamp("2016-04-12 15:00"))]
    assert pd.isna(hr_only["steps"]) and hr_only["heart_rate"] == 75
    assert (hr_only["source_table"], hr_only["source_row"]) == ("heartrate_seconds_merged.csv", 11)
    means = [60, 62, 70, 80, 90, 75]
    assert day(cohort, "1", "2016-04-12")["resting_hr"] == pytest.approx(round(float(np.quantile(means, 0.1)), 1))
    assert pd.isna(day(cohort, "2", "2016-04-12")["resting_hr"])


def test_unknown_files_are_skipped_and_missing_files_raise(export, tmp_path):
    write(export, "minuteStepsNarrow_merged.csv", "Id,ActivityMinute,Steps", ["1,4/12/2016 12:00:00 AM,0"] * 3)
    (export / "notes.txt").write_text("ignored: not a CSV")
    cohort = load_fitbit(export)
    cohort.report.check()
    assert issues(cohort, "minuteStepsNarrow_merged.csv") == [
        (i, "skipped", "minuteStepsNarrow_merged.csv is not modelled by load_fitbit (see configs/fitbit.yaml)")
        for i in (1, 2, 3)]
    with pytest.raises(DataLoadError, match="no such directory"):
        load_fitbit(tmp_path / "absent")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataLoadError, match="missing dailyActivity_merged.csv"):
        load_fitbit(empty)
    write(empty, "dailyActivity_merged.csv", "Id,ActivityDate", ["1,4/12/2016"])
    with pytest.raises(DataLoadError, match="missing column"):
        load_fitbit(empty)
