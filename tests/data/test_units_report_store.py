"""Cohort.to_facts (schema, day convention, missing stays missing), unit conversion, LoadReport, store."""

import numpy as np
import pandas as pd
import pytest

from neurosym.data import (FACT_SCHEMAS, Cohort, Lifelog, LoadReport, convert, date_to_day, day_to_date, load_cohort,
                           save_cohort, synthetic_cohort)
from neurosym.data._units import canonicalize


@pytest.fixture(scope="module")
def tiny():
    patients = pd.DataFrame({"patient_id": ["a", "b"], "sex": ["F", "M"], "birth_date": ["1960-05-01", None],
                             "death_date": [None, "2021-02-03"], "source_dataset": "t", "source_table": "person", "source_row": [1, 2]})
    events = pd.DataFrame({
        "patient_id": ["a", "a", "a", "a", "a", "b", "a"],
        "time": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04", "2020-01-05", "2020-01-06", "2020-01-07"]),
        "kind": ["condition", "measurement", "measurement", "drug", "visit", "visit", "measurement"],
        "system": ["icd10cm", "loinc", "loinc", "rxnorm", "omop", "local", "loinc"],
        "code": ["E11.9", "4548-4", "39156-5", "6809", "9201", "emergency", "8480-6"],
        "value": [np.nan, 6.8, 31.2, np.nan, np.nan, np.nan, 128.0],
        "source_dataset": "t", "source_table": "ev", "source_row": range(1, 8)})
    daily = pd.DataFrame({"patient_id": ["a", "a", "a"], "date": ["2020-01-01", "2020-01-02", "2020-01-03"],
                          "steps": [5000, None, 7000], "active_minutes": [30, None, 40], "sleep_minutes": [400, None, None],
                          "resting_hr": [61.0, None, None], "worn_minutes": [900, 0, 700],
                          "source_dataset": "t", "source_table": "daily", "source_row": [1, 2, 3]})
    return Cohort.from_frames(patients, events, lifelog=Lifelog.from_frames(daily), name="tiny")


def test_every_relation_has_its_documented_columns(tiny):
    facts = tiny.to_facts()
    assert set(facts) == set(FACT_SCHEMAS)
    for name, columns in FACT_SCHEMAS.items():
        assert list(facts[name].columns) == [*columns, "_source"], name


def test_values_days_and_kinds(tiny):
    facts = tiny.to_facts(landmark="2020-06-01")
    assert facts["patient"].drop(columns="_source").values.tolist() == [["a", "female", 1960]]  # b has no birth date
    assert facts["condition"].drop(columns="_source").values.tolist() == [["a", "icd10cm", "E11.9", date_to_day("2020-01-01")]]
    assert facts["lab"].drop(columns="_source").values.tolist() == [["a", "4548-4", 6.8, 18263]]
    assert sorted(facts["vital"]["kind"]) == ["bmi", "sbp"]
    assert facts["visit"][["patient", "kind"]].values.tolist() == [["a", "inpatient"], ["b", "emergency_inpatient"]]
    assert facts["death"][["patient", "day"]].values.tolist() == [["b", date_to_day("2021-02-03")]]
    assert facts["index_day"]["day"].unique().tolist() == [date_to_day("2020-06-01")]
    assert day_to_date(18263) == "2020-01-02"


def test_missing_lifelog_stays_missing(tiny):
    facts = tiny.to_facts()
    assert facts["activity"][["day", "steps", "worn_minutes"]].values.tolist() == [[18262, 5000, 900], [18264, 7000, 700]]
    assert facts["sleep"]["day"].tolist() == [18262] and facts["resting_hr"]["bpm"].tolist() == [61.0]


def test_sources_resolve_to_the_record(tiny):
    facts = tiny.to_facts()
    lab = facts["lab"].iloc[0]
    assert facts.describe_source("lab", lab["_source"]) == {"source_dataset": "t", "source_table": "ev", "source_row": 2, "source_id": None}
    assert facts.describe_source("activity", facts["activity"]["_source"].iloc[1])["source_row"] == 3
    assert "person row 2" in facts.describe_source("death", facts["death"]["_source"].iloc[0])["text"]


@pytest.mark.parametrize("loinc, value, unit, expected", [
    ("4548-4", 6.5, "%", ("4548-4", 6.5, "%")),
    ("59261-8", 48.0, "mmol/mol", ("4548-4", 6.54, "%")),
    ("1558-6", 7.0, "mmol/L", ("1558-6", 126.11, "mg/dL")),
    ("2339-0", 100.0, "mg/dL", ("2345-7", 100.0, "mg/dL")),
    ("38483-4", 88.42, "umol/L", ("2160-0", 1.0, "mg/dL")),
    ("2160-0", 1.2, None, ("2160-0", 1.2, "mg/dL")),
    ("14959-1", 3.0, "mg/mmol", ("9318-7", 26.52, "mg/g")),
    ("2093-3", 5.0, "mmol/L", ("2093-3", 193.35, "mg/dL")),
    ("2571-8", 2.0, "mmol/L", ("2571-8", 177.14, "mg/dL")),
    ("29463-7", 200.0, "[lb_av]", ("29463-7", 90.72, "kg")),
    ("8302-2", 1.75, "m", ("8302-2", 175.0, "cm")),
    ("8480-6", 120.0, "mm[Hg]", ("8480-6", 120.0, "mm[Hg]")),
    ("9999-9", 1.0, "furlong", ("9999-9", 1.0, "furlong")),
])
def test_unit_conversion(loinc, value, unit, expected):
    assert convert(loinc, value, unit) == expected


def test_unknown_unit_for_a_known_analyte_is_flagged_with_a_reason():
    with pytest.raises(ValueError, match="unknown unit 'g/L' for LOINC 4548-4"):
        convert("4548-4", 6.0, "g/L")
    out = canonicalize(pd.Series(["4548-4", "4548-4"]), pd.Series([6.0, 7.0]), pd.Series(["g/L", None]))
    assert out.unknown_unit.tolist() == [True, False] and out.assumed_unit.tolist() == [False, True]
    assert "expected one of" in out.reasons[0]


def test_load_report_invariant_and_merge():
    report = LoadReport("x")
    report.count("t", read=3, loaded=1)
    report.reject("t", row=2, reason="bad date")
    with pytest.raises(ValueError, match="read 3 rows but loaded 1, rejected 1 and skipped 0"):
        report.check()
    report.skip("t", row=3, reason="not modelled")
    report.check()
    merged = report.merge(LoadReport("y"))
    assert merged.summary()["table"].tolist() == ["x/t"]
    assert report.reasons()["reason"].tolist() == ["bad date", "not modelled"]


def test_save_and_load_roundtrip(tmp_path):
    cohort = synthetic_cohort(50, seed=4)
    loaded = load_cohort(save_cohort(cohort, tmp_path / "c"))
    pd.testing.assert_frame_equal(loaded.events, cohort.events, check_dtype=False, check_categorical=False)
    pd.testing.assert_frame_equal(loaded.lifelog.daily, cohort.lifelog.daily, check_dtype=False, check_categorical=False)
    pd.testing.assert_frame_equal(loaded.labels, cohort.labels, check_dtype=False)
    assert loaded.report.summary().equals(cohort.report.summary()) and loaded.name == cohort.name
