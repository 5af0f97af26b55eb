"""A hand-built cohort whose records continue past the landmark."""

import pandas as pd
import pytest

from neurosym.data import Cohort, Lifelog


def tiny_cohort() -> Cohort:
    """Four patients around the landmark 2020-01-01 (see the tests for who is what)."""
    patients = pd.DataFrame({"patient_id": ["a", "b", "c", "d"], "sex": ["F", "M", "F", "M"],
                             "birth_date": ["1960-01-01"] * 4,
                             "death_date": [None, None, None, "2019-06-01"]})
    rows = [
        ("a", "2018-01-01", "condition", "icd10cm", "I10", None),
        ("a", "2021-03-01", "condition", "icd10cm", "E11.65", None),   # incident within 3 y
        ("a", "2023-06-01", "visit", "omop", "9202", None),
        ("b", "2019-05-01", "measurement", "loinc", "4548-4", 6.8),    # undiagnosed diabetes by HbA1c
        ("b", "2024-01-01", "visit", "omop", "9202", None),
        ("c", "2019-05-01", "measurement", "loinc", "4548-4", 5.9),
        ("c", "2020-06-01", "condition", "snomed", "44054006", None),  # T2D in SNOMED CT
        ("c", "2021-01-01", "condition", "icd10cm", "E10.9", None),    # type 1 after the landmark: no exclusion
        ("d", "2017-01-01", "condition", "icd10cm", "E10.9", None),
    ]
    events = pd.DataFrame(rows, columns=["patient_id", "time", "kind", "system", "code", "value"])
    daily = pd.DataFrame({"patient_id": ["a", "a"], "date": ["2019-12-31", "2020-01-01"],
                          "steps": [5000, 9000], "worn_minutes": [900, 900]})
    return Cohort.from_frames(patients, events, lifelog=Lifelog.from_frames(daily), name="tiny")


@pytest.fixture
def tiny() -> Cohort:
    return tiny_cohort()
