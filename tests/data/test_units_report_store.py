"""Unit conversion, LoadReport, cohort store."""

import pandas as pd
import pytest

from neurosym.data import LoadReport, convert, load_cohort, save_cohort, synthetic_cohort
from neurosym.data._units import canonicalize


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
