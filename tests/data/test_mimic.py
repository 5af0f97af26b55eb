"""Tests for neurosym/data/_mimic.py: the shared MIMIC-III demo and small broken fixtures."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pandas as pd
import pytest
from conftest import shared_dataset

from neurosym import DataLoadError
from neurosym.data._mimic import dot_icd9, load_mimic_demo

TABLES = {  # table -> kind
    "ADMISSIONS": "visit",
    "DIAGNOSES_ICD": "condition",
    "PROCEDURES_ICD": "procedure",
    "LABEVENTS": "measurement",
    "PRESCRIPTIONS": "drug",
}


def csv_rows(folder: Path, table: str) -> list[dict[str, str]]:
    path = folder / f"{table}.csv"
    opener = (lambda: open(path, newline="", encoding="utf-8")) if path.exists() else (
        lambda: gzip.open(folder / f"{table}.csv.gz", "rt", newline="", encoding="utf-8"))
    with opener() as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def mimic_dir(shared_data: Path) -> Path:
    return shared_dataset(shared_data, "mimic_iii_demo")


@pytest.fixture(scope="module")
def cohort(mimic_dir):
    return load_mimic_demo(mimic_dir)


# --------------------------------------------------------------------------- shared data


@pytest.mark.shared_data
def test_every_row_is_accounted_for(cohort, mimic_dir):
    summary = cohort.report.summary().set_index("table")
    for table, kind in TABLES.items():
        n = len(csv_rows(mimic_dir, table))
        assert summary.loc[table, "read"] == n, table
        loaded = summary.loc[table, "loaded"]
        assert loaded + summary.loc[table, "rejected"] + summary.loc[table, "skipped"] == n, table
        assert (cohort.events["source_table"] == table).sum() == loaded
        assert set(cohort.events.loc[cohort.events["source_table"] == table, "kind"]) == {kind}
    assert len(cohort) == summary.loc["PATIENTS", "read"] == 100
    cohort.report.check()


@pytest.mark.shared_data
@pytest.mark.parametrize("table", list(TABLES))
def test_source_pointers_lead_back_to_the_csv_row(cohort, mimic_dir, table):
    rows = csv_rows(mimic_dir, table)
    events = cohort.events[cohort.events["source_table"] == table].sample(25, random_state=1)
    for ev in events.itertuples():
        row = rows[int(ev.source_row) - 1]
        assert row["row_id"] == ev.source_id
        assert row["subject_id"] == ev.patient_id
        assert ev.source_dataset == "mimic_iii_demo"


@pytest.mark.shared_data
def test_icd9_codes_are_dotted(cohort, mimic_dir):
    ev = cohort.events
    diagnoses = ev[ev["kind"] == "condition"]
    assert set(diagnoses["system"]) == {"icd9cm"}
    assert diagnoses["code"].astype(str).str.fullmatch(r"\d{3}(\.\d{1,2})?|V\d{2}(\.\d{1,2})?|E\d{3}(\.\d)?").all()
    row = next(i for i, r in enumerate(csv_rows(mimic_dir, "DIAGNOSES_ICD"), 1) if r["icd9_code"] == "99591")
    assert diagnoses.loc[diagnoses["source_row"] == row, "code"].tolist() == ["995.91"]
    procedures = ev[ev["kind"] == "procedure"]
    assert set(procedures["system"]) == {"icd9proc"}
    assert procedures["code"].astype(str).str.fullmatch(r"\d{2}(\.\d{1,2})?").all()


@pytest.mark.shared_data
def test_diagnosis_time_is_the_admission_time(cohort, mimic_dir):
    admit = {r["hadm_id"]: r["admittime"] for r in csv_rows(mimic_dir, "ADMISSIONS")}
    rows = csv_rows(mimic_dir, "DIAGNOSES_ICD")
    diagnoses = cohort.events[cohort.events["kind"] == "condition"].head(50)
    for ev in diagnoses.itertuples():
        assert ev.time == pd.Timestamp(admit[rows[int(ev.source_row) - 1]["hadm_id"]])


@pytest.mark.shared_data
def test_labs_and_drugs(cohort):
    ev = cohort.events
    hba1c = ev[(ev["system"] == "loinc") & (ev["code"] == "4548-4")]
    assert len(hba1c) and set(hba1c["unit"]) == {"%"}
    local = ev[(ev["kind"] == "measurement") & (ev["system"] == "local")]
    assert local["code"].astype(str).str.fullmatch(r"mimic:itemid:\d+").all()
    text = ev[(ev["kind"] == "measurement") & ev["value"].isna()]
    assert text["value_text"].notna().any()
    drugs = ev[ev["kind"] == "drug"]
    assert {"ndc", "local"} == set(drugs["system"])
    assert drugs.loc[drugs["system"] == "ndc", "code"].astype(str).str.fullmatch(r"\d+").all()


@pytest.mark.shared_data
def test_shifted_dates_are_kept(cohort):
    births = cohort.patients["birth_date"]
    assert births.max().year > 2100 and births.min().year < 1900  # >89-year-olds shifted ~300 years


# --------------------------------------------------------------------------- broken fixtures


def test_dot_icd9():
    codes = pd.Series(["99591", "V5861", "E8497", "4019", "042", "V58", "E849", None])
    assert dot_icd9(codes).tolist()[:7] == ["995.91", "V58.61", "E849.7", "401.9", "042", "V58", "E849"]
    assert pd.isna(dot_icd9(codes).iloc[7])
    assert dot_icd9(pd.Series(["3601", "458", "45"]), {"default": 2}).tolist() == ["36.01", "45.8", "45"]


def write(folder: Path, **tables: str) -> Path:
    base = {
        "PATIENTS": "row_id,subject_id,gender,dob,dod\n1,7,F,2100-01-01,\n2,8,M,21x0-01-01,\n",
        "ADMISSIONS": "row_id,subject_id,hadm_id,admittime,dischtime,admission_type\n"
                      "1,7,70,2150-05-01 10:00:00,2150-05-04 12:00:00,EMERGENCY\n",
        "DIAGNOSES_ICD": "row_id,subject_id,hadm_id,seq_num,icd9_code\n",
        "PROCEDURES_ICD": "row_id,subject_id,hadm_id,seq_num,icd9_code\n",
        "D_LABITEMS": "row_id,itemid,label,loinc_code\n1,50852,% Hemoglobin A1c,4548-4\n2,50800,SPECIMEN TYPE,\n",
        "LABEVENTS": "row_id,subject_id,hadm_id,itemid,charttime,value,valuenum,valueuom,flag\n",
        "PRESCRIPTIONS": "row_id,subject_id,hadm_id,startdate,enddate,drug,ndc\n",
    }
    for name, text in {**base, **tables}.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


def test_broken_rows_are_rejected_with_reasons(tmp_path):
    folder = write(
        tmp_path,
        DIAGNOSES_ICD="row_id,subject_id,hadm_id,seq_num,icd9_code\n1,7,70,1,25000\n2,7,99,2,4019\n",
        LABEVENTS="row_id,subject_id,hadm_id,itemid,charttime,value,valuenum,valueuom,flag\n"
        "1,7,70,50852,2150-05-02 06:00:00,6.9,6.9,%,\n"
        "2,7,70,50852,2150-05-32 06:00:00,6.9,6.9,%,\n"
        "3,9,,50852,2150-05-02 06:00:00,6.9,6.9,%,\n"
        "4,7,70,50852,2150-05-02 06:00:00,6.9,6.9,furlong,\n"
        "5,7,,50800,2150-05-02 06:00:00,ART,,,\n"
        "6,8,,50852,2150-05-02 06:00:00,6.9,6.9,%,\n",
        PRESCRIPTIONS="row_id,subject_id,hadm_id,startdate,enddate,drug,ndc\n"
        "1,7,70,2150-05-01 00:00:00,2150-05-03 00:00:00,Insulin,0\n"
        "2,7,70,2150-05-01 00:00:00,,Metformin,00087606001\n",
    )
    cohort = load_mimic_demo(folder)
    cohort.report.check()
    issues = cohort.report.issues.set_index(["table", "row"])["reason"]
    assert issues[("PATIENTS", 2)] == "unparsable dob '21x0-01-01'"
    assert issues[("DIAGNOSES_ICD", 2)] == "hadm_id '99' has no admission in ADMISSIONS"
    assert issues[("LABEVENTS", 2)] == "unparsable date '2150-05-32 06:00:00'"
    assert issues[("LABEVENTS", 3)] == "unknown patient '9'"
    assert issues[("LABEVENTS", 4)].startswith("unknown unit 'furlong' for LOINC 4548-4")
    assert issues[("LABEVENTS", 6)] == "unknown patient '8'"
    ev = cohort.events.set_index(["source_table", "source_id"])
    assert ev.loc[("DIAGNOSES_ICD", "1"), ["system", "code"]].tolist() == ["icd9cm", "250.00"]
    assert ev.loc[("DIAGNOSES_ICD", "1"), "time"] == pd.Timestamp("2150-05-01 10:00:00")
    assert ev.loc[("LABEVENTS", "5"), ["system", "code", "value_text"]].tolist() == ["local", "mimic:itemid:50800", "ART"]
    assert ev.loc[("PRESCRIPTIONS", "1"), ["system", "code"]].tolist() == ["local", "Insulin"]
    assert ev.loc[("PRESCRIPTIONS", "2"), ["system", "code"]].tolist() == ["ndc", "00087606001"]
    assert ev.loc[("ADMISSIONS", "1"), ["kind", "code"]].tolist() == ["visit", "emergency"]


def test_missing_column_names_file_and_column(tmp_path):
    folder = write(tmp_path, LABEVENTS="row_id,subject_id,charttime,valuenum\n")
    with pytest.raises(DataLoadError, match=r"LABEVENTS\.csv.*'itemid'"):
        load_mimic_demo(folder)


def test_missing_table(tmp_path):
    folder = write(tmp_path)
    (folder / "PRESCRIPTIONS.csv").unlink()
    with pytest.raises(DataLoadError, match="'PRESCRIPTIONS' not found"):
        load_mimic_demo(folder)


def test_upper_case_headers(tmp_path):
    folder = write(tmp_path, PATIENTS="ROW_ID,SUBJECT_ID,GENDER,DOB,DOD\n1,7,F,2100-01-01,\n")
    assert load_mimic_demo(folder).patient_ids == ["7"]
