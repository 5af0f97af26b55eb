"""Cohort -> facts (neurosym/facts/_cohort.py): schema, day convention, missing stays missing, source pointers."""

import numpy as np
import pandas as pd
import pytest

from neurosym.data import Cohort, Lifelog, date_to_day, day_to_date
from neurosym.facts import BASE_RELATIONS, FACT_SCHEMAS, cohort_facts


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
    assert facts.describe_source("lab", lab["_source"]) == {"source_dataset": "t", "source_table": "ev", "source_row": 2, "source_id": None,
                                                                "value": 6.8, "unit": None}
    assert facts.describe_source("activity", facts["activity"]["_source"].iloc[1])["source_row"] == 3
    assert "person row 2" in facts.describe_source("death", facts["death"]["_source"].iloc[0])["text"]


def test_columns_have_their_declared_types(tiny):
    kind = {"symbol": pd.api.types.is_string_dtype, "number": pd.api.types.is_integer_dtype,
            "float": pd.api.types.is_float_dtype}
    facts = cohort_facts(tiny, landmark="2020-06-01")
    for name, columns in BASE_RELATIONS.items():
        if name in FACT_SCHEMAS:
            assert [kind[t](facts[name][c]) for c, t in columns] == [True] * len(columns), name
