"""Tests for neurosym/data/_omop.py: the shared Synthea27Nj export and small broken fixtures."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from conftest import shared_dataset

from neurosym import DataLoadError
from neurosym.data._omop import load_omop, read_omop_vocabulary

CLINICAL = {  # table -> (id column, kind)
    "visit_occurrence": ("visit_occurrence_id", "visit"),
    "condition_occurrence": ("condition_occurrence_id", "condition"),
    "drug_exposure": ("drug_exposure_id", "drug"),
    "procedure_occurrence": ("procedure_occurrence_id", "procedure"),
    "measurement": ("measurement_id", "measurement"),
    "observation": ("observation_id", "observation"),
    "death": ("person_id", "death"),
}


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def omop_dir(shared_data: Path) -> Path:
    return shared_dataset(shared_data, "omop_synthea27nj")


@pytest.fixture(scope="module")
def cohort(omop_dir):
    return load_omop(omop_dir)


# --------------------------------------------------------------------------- shared data


@pytest.mark.shared_data
def test_every_clinical_row_is_loaded(cohort, omop_dir):
    summary = cohort.report.summary().set_index("table")
    for table, (_, kind) in CLINICAL.items():
        n = len(csv_rows(omop_dir / f"{table}.csv"))
        assert summary.loc[table, "read"] == n, table
        assert summary.loc[table, "loaded"] == n, table
        assert (cohort.events["source_table"] == table).sum() == n, table
        assert set(cohort.events.loc[cohort.events["source_table"] == table, "kind"]) == {kind}
    n_periods = len(csv_rows(omop_dir / "observation_period.csv"))
    assert summary.loc["observation_period", ["read", "loaded"]].tolist() == [n_periods, n_periods]
    assert len(cohort) == summary.loc["person", "loaded"] == len(csv_rows(omop_dir / "person.csv"))
    cohort.report.check()


@pytest.mark.shared_data
@pytest.mark.parametrize("table", list(CLINICAL))
def test_source_pointers_lead_back_to_the_csv_row(cohort, omop_dir, table):
    id_column = CLINICAL[table][0]
    rows = csv_rows(omop_dir / f"{table}.csv")
    events = cohort.events[cohort.events["source_table"] == table]
    sample = events.sample(min(25, len(events)), random_state=0)
    for ev in sample.itertuples():
        row = rows[int(ev.source_row) - 1]
        assert row[id_column] == ev.source_id
        assert row["person_id"] == ev.patient_id
        assert ev.source_dataset == "omop_synthea27nj"


@pytest.mark.shared_data
def test_code_systems(cohort):
    ev = cohort.events
    diabetes = ev[(ev["code"] == "44054006")]
    assert len(diabetes) and set(diabetes["system"]) == {"snomed"} and set(diabetes["kind"]) == {"condition"}
    assert set(ev.loc[ev["kind"] == "drug", "system"]) == {"rxnorm"}
    assert set(ev.loc[ev["kind"] == "visit", "system"]) == {"omop"}
    assert {"9201", "9202", "9203"} >= set(ev.loc[ev["kind"] == "visit", "code"])


@pytest.mark.shared_data
def test_loinc_measurements_in_canonical_units(cohort):
    ev = cohort.events
    for code, unit in [("4548-4", "%"), ("29463-7", "kg"), ("8480-6", "mm[Hg]"), ("2345-7", "mg/dL")]:
        rows = ev[(ev["system"] == "loinc") & (ev["code"] == code)]
        assert len(rows), code
        assert set(rows["unit"]) == {unit}, code
    assert cohort.to_facts()["lab"]["loinc"].eq("4548-4").any()


@pytest.mark.shared_data
def test_death_rows_set_death_date(cohort, omop_dir):
    deaths = {r["person_id"]: r["death_date"] for r in csv_rows(omop_dir / "death.csv")}
    got = cohort.patients.dropna(subset=["death_date"])
    assert {p: str(d.date()) for p, d in zip(got["patient_id"], got["death_date"])} == deaths


@pytest.mark.shared_data
def test_vocabulary(omop_dir):
    vocab = read_omop_vocabulary(omop_dir)
    n_concepts = len(csv_rows(omop_dir / "concept.csv"))
    extra = {r["concept_id"] for r in csv_rows(omop_dir / "concept_ancestor_concepts.csv")}
    assert len(vocab["concept"]) == len(set(vocab["concept"]["concept_id"]))
    assert n_concepts < len(vocab["concept"]) <= n_concepts + len(extra)
    assert len(vocab["concept_ancestor"]) == len(csv_rows(omop_dir / "concept_ancestor.csv"))
    assert len(vocab["concept_relationship"]) == len(csv_rows(omop_dir / "concept_relationship.csv"))
    assert str(vocab["concept_ancestor"]["ancestor_concept_id"].dtype) == "Int64"


# --------------------------------------------------------------------------- broken fixtures

PERSON = "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,birth_datetime\n"
MEASUREMENT = ("measurement_id,person_id,measurement_concept_id,measurement_date,value_as_number,"
               "unit_concept_id,measurement_source_value,unit_source_value\n")
CONCEPT = ("concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code\n"
           "3004410,Hemoglobin A1c,Measurement,LOINC,Lab Test,S,4548-4\n"
           "8554,percent,Unit,UCUM,Unit,S,%\n"
           "201826,Type 2 diabetes mellitus,Condition,SNOMED,Clinical Finding,S,44054006\n")


def write(folder: Path, **tables: str) -> Path:
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


@pytest.fixture
def broken(tmp_path):
    return write(
        tmp_path,
        person=PERSON + "1,8507,1960,,,\n2,8532,19x0,,,\n3,8532,1970,5,,\n",
        concept=CONCEPT,
        measurement=MEASUREMENT
        + "10,1,3004410,2020-01-05,6.9,8554,4548-4,%\n"  # fine
        + "11,1,3004410,2020-13-45,7.1,8554,4548-4,%\n"  # unparsable date
        + "12,99,3004410,2020-01-05,7.1,8554,4548-4,%\n"  # unknown person
        + "13,1,3004410,2020-01-06,7.1,0,4548-4,furlong\n"  # unknown unit for HbA1c
        + "14,2,3004410,2020-01-06,7.1,8554,4548-4,%\n"  # person rejected for birth date
        + "15,3,0,2020-01-07,,0,XYZ-1,\n"  # concept 0 -> local source value
        + "16,1,3004410,2020-01-05,6.9,8554,4548-4,%\n",  # duplicate of row 1
        observation_period="observation_period_id,person_id,observation_period_start_date,observation_period_end_date\n"
        "1,1,2020-01-01,2020-01-05\n2,3,2019-01-01,2021-01-01\n",
    )


def test_broken_rows_are_rejected_with_reasons(broken):
    cohort = load_omop(broken)
    report = cohort.report
    report.check()
    issues = report.issues.set_index(["table", "row"])["reason"]
    assert issues[("person", 2)] == "unparsable birth date '19x0-1-1'"
    assert issues[("measurement", 2)] == "unparsable date '2020-13-45'"
    assert issues[("measurement", 3)] == "unknown patient '99'"
    assert issues[("measurement", 4)].startswith("unknown unit 'furlong' for LOINC 4548-4")
    assert issues[("measurement", 5)] == "unknown patient '2'"
    summary = report.summary().set_index("table")
    assert summary.loc["measurement", ["read", "loaded", "rejected"]].tolist() == [7, 3, 4]
    assert summary.loc["person", ["read", "loaded", "rejected"]].tolist() == [3, 2, 1]
    assert str(cohort.patients.set_index("patient_id").loc["3", "birth_date"].date()) == "1970-05-01"


def test_odd_rows_are_warned_and_kept(broken):
    cohort = load_omop(broken)
    ev = cohort.events.set_index("source_id")
    assert ev.loc["15", ["system", "code"]].tolist() == ["local", "XYZ-1"]
    assert ev.loc["10", ["system", "code", "value", "unit"]].tolist() == ["loinc", "4548-4", 6.9, "%"]
    warnings = cohort.report.warnings
    assert warnings[("measurement", "duplicate of an earlier record (same patient, code, times and value; kept)")] == 1
    assert not any("outside" in message for _, message in warnings)
    assert warnings[("measurement", "concept id 0 or empty: coded by its source value as system 'local'")] == 1


def test_events_outside_observation_periods_are_warned(tmp_path):
    folder = write(tmp_path, person=PERSON + "1,8507,1960,,,\n", concept=CONCEPT,
                   condition_occurrence="condition_occurrence_id,person_id,condition_concept_id,condition_start_date\n"
                   "1,1,201826,2020-01-01\n2,1,201826,2024-01-01\n",
                   observation_period="observation_period_id,person_id,observation_period_start_date,"
                   "observation_period_end_date\n1,1,2019-01-01,2021-12-31\n")
    cohort = load_omop(folder)
    assert len(cohort.events) == 2
    assert cohort.report.warnings == {
        ("condition_occurrence", "event outside every observation period of its person (kept)"): 1}


def test_missing_column_names_file_and_column(tmp_path):
    folder = write(tmp_path, person=PERSON + "1,8507,1960,,,\n",
                   condition_occurrence="condition_occurrence_id,person_id,condition_start_date\n1,1,2020-01-01\n")
    with pytest.raises(DataLoadError, match=r"condition_occurrence\.csv.*'condition_concept_id'"):
        load_omop(folder)


def test_missing_person_table(tmp_path):
    with pytest.raises(DataLoadError, match="'person' not found"):
        load_omop(write(tmp_path, concept=CONCEPT))


def test_upper_case_gz_tables(tmp_path):
    import gzip

    (tmp_path / "PERSON.csv.gz").write_bytes(gzip.compress((PERSON + "1,8507,1960,,,\n").encode()))
    (tmp_path / "DEATH.csv").write_text("person_id,death_date\n1,2020-05-01\n")
    cohort = load_omop(tmp_path, name="upper")
    assert cohort.events["source_table"].tolist() == ["death"]
    assert pd.notna(cohort.patients["death_date"][0])
