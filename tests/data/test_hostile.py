"""Loaders under hostile input (issue 14): no silent value, no lost row, no crash, one bad row never fails a table.

The first part pins each failure the issue lists with a small copy of the
shared data (or a hand-made fixture); the second part is a property-based
suite (hypothesis, derandomized) that corrupts copies of the shared data in
many ways and asserts, on every loader and every corruption, that

* the load report balances: ``read == loaded + rejected + skipped`` per table;
* nothing but :class:`~neurosym.DataLoadError` escapes;
* no loaded event or lifelog value is non-finite.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurosym import DataLoadError
from neurosym.data import load_fhir, load_fitbit, load_mimic_demo, load_omop

# --------------------------------------------------------------------------- small copies of the shared data

#: dataset -> {file: data rows kept (None: all)}; LABEVENTS is unzipped.
SUBSETS = {
    "omop_synthea27nj": {"person.csv": None, "concept.csv": None, "observation_period.csv": None, "death.csv": None,
                         "measurement.csv": 150, "condition_occurrence.csv": 60, "drug_exposure.csv": 40,
                         "observation.csv": 40},
    "fitbit_fitabase": {"dailyActivity_merged.csv": 60, "sleepDay_merged.csv": 30, "hourlySteps_merged.csv": 150,
                        "weightLogInfo_merged.csv": None, "hourlyCalories_merged.csv": 10},
    "mimic_iii_demo": {"PATIENTS.csv": None, "ADMISSIONS.csv": None, "DIAGNOSES_ICD.csv": 150,
                       "PROCEDURES_ICD.csv": 60, "LABEVENTS.csv.gz": 200, "D_LABITEMS.csv": None,
                       "PRESCRIPTIONS.csv": 80},
}
LOADERS = {"omop_synthea27nj": load_omop, "fitbit_fitabase": load_fitbit, "mimic_iii_demo": load_mimic_demo,
           "fhir_synthea_r4": load_fhir}
SMALLEST_BUNDLE = "Jordan_Cruickshank_5de38439-d320-46d3-854d-3c098e88de4c.json"


def _head(src: Path, dst: Path, rows: int | None) -> None:
    data = gzip.decompress(src.read_bytes()) if src.name.endswith(".gz") else src.read_bytes()
    lines = data.splitlines(keepends=True)
    dst.write_bytes(b"".join(lines if rows is None else lines[: rows + 1]))


@pytest.fixture(scope="session")
def subsets(shared_data: Path, tmp_path_factory) -> dict[str, Path]:
    """Read-only templates: a few hundred rows of each shared dataset."""
    root = tmp_path_factory.mktemp("subsets")
    out = {}
    for name, files in SUBSETS.items():
        src, dst = shared_dataset(shared_data, name), root / name
        dst.mkdir()
        for file, rows in files.items():
            _head(src / file, dst / file.removesuffix(".gz"), rows)
        out[name] = dst
    fhir = root / "fhir_synthea_r4"
    (fhir / "ndjson").mkdir(parents=True)
    (fhir / "bundles").mkdir()
    src = shared_dataset(shared_data, "fhir_synthea_r4")
    shutil.copy(src / "bundles" / SMALLEST_BUNDLE, fhir / "bundles" / "a.json")
    for part, rows in (("Patient", None), ("Condition", 30), ("Encounter", 30), ("Immunization", 20)):
        _head(src / "ndjson" / f"{part}.000.ndjson", fhir / "ndjson" / f"{part}.000.ndjson", rows)
    out["fhir_synthea_r4"] = fhir
    return out


def copy(subsets: dict[str, Path], name: str, where: Path) -> Path:
    target = where / name
    shutil.copytree(subsets[name], target)
    return target


def check_promises(cohort) -> None:
    """The three promises: balanced report, finite values (no crash is checked by the caller)."""
    cohort.report.check()
    values = cohort.events["value"].dropna().to_numpy(dtype="float64")
    assert np.isfinite(values).all()
    for frame, columns in ((cohort.lifelog.daily, ["steps", "active_minutes", "sleep_minutes", "resting_hr",
                                                   "worn_minutes"]),
                           (cohort.lifelog.hourly, ["steps", "heart_rate"])):
        for column in columns:
            assert np.isfinite(frame[column].dropna().to_numpy(dtype="float64")).all(), column
            assert (frame[column].dropna() >= 0).all(), column


def reasons(cohort, table: str) -> list[str]:
    issues = cohort.report.issues
    return issues.loc[issues["table"] == table, "reason"].tolist()


def warnings(cohort, table: str) -> dict[str, int]:
    return {m: n for (t, m), n in cohort.report.warnings.items() if t == table}


def replace_field(path: Path, row: int, column: str, value: str) -> str:
    """Set ``column`` of data row ``row`` (1-based) of a CSV file; returns the old value."""
    lines = path.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    fields = lines[row].rstrip("\r\n").split(",")
    ending = lines[row][len(lines[row].rstrip("\r\n")):]
    index = [h.lower() for h in header].index(column.lower())
    old, fields[index] = fields[index], value
    lines[row] = ",".join(fields) + ending
    path.write_text("".join(lines))
    return old


# --------------------------------------------------------------------------- 1. non-finite values


@pytest.mark.parametrize("token", ["inf", "-Infinity", "NaN", "1e999", "1e300"])
def test_omop_non_finite_value_is_rejected(subsets, tmp_path, token):
    folder = copy(subsets, "omop_synthea27nj", tmp_path)
    replace_field(folder / "measurement.csv", 3, "value_as_number", token)
    cohort = load_omop(folder)
    check_promises(cohort)
    assert reasons(cohort, "measurement") == [f"non-finite or out-of-range value_as_number {token!r}"]
    assert cohort.report.issues["row"].tolist() == [3]


def test_fitbit_inf_minutes_is_rejected_not_an_overflow(subsets, tmp_path):
    folder = copy(subsets, "fitbit_fitabase", tmp_path)
    replace_field(folder / "dailyActivity_merged.csv", 2, "VeryActiveMinutes", "inf")
    cohort = load_fitbit(folder)
    check_promises(cohort)
    assert reasons(cohort, "dailyActivity_merged.csv") == ["non-finite or out-of-range VeryActiveMinutes 'inf'"]
    assert cohort.lifelog.daily["active_minutes"].max() <= 1440


def test_mimic_inf_valuenum_is_rejected(subsets, tmp_path):
    folder = copy(subsets, "mimic_iii_demo", tmp_path)
    replace_field(folder / "LABEVENTS.csv", 5, "valuenum", "inf")
    cohort = load_mimic_demo(folder)
    check_promises(cohort)
    assert reasons(cohort, "LABEVENTS") == ["non-finite or out-of-range valuenum 'inf'"]


@pytest.mark.parametrize("token", ["Infinity", "-Infinity", "NaN", "1e999"])
def test_fhir_non_finite_value_is_rejected(tmp_path, token):
    lines = ['{"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-01-01"}',
             '{"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/p1"}, '
             '"code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]}, '
             f'"effectiveDateTime": "2020-01-02", "valueQuantity": {{"value": {token}, "code": "%"}}}}']
    (tmp_path / "a.ndjson").write_text("\n".join(lines) + "\n")
    cohort = load_fhir(tmp_path)
    check_promises(cohort)
    assert len(cohort.events) == 0
    assert reasons(cohort, "Observation")[0].startswith("non-finite or out-of-range valueQuantity.value")


# --------------------------------------------------------------------------- 2. the same resource in two files


def test_fhir_bundle_saved_twice_is_counted_once(subsets, tmp_path):
    folder = copy(subsets, "fhir_synthea_r4", tmp_path)
    once = load_fhir(folder / "bundles")
    shutil.copy(folder / "bundles" / "a.json", folder / "bundles" / "a (1).json")
    twice = load_fhir(folder / "bundles")
    check_promises(twice)
    assert len(twice.events) == len(once.events)
    summary = twice.report.summary().set_index("table")
    once_summary = once.report.summary().set_index("table")
    assert (summary["loaded"] == once_summary["loaded"]).all()
    assert (summary["skipped"] - once_summary["skipped"] == once_summary["read"]).all()
    assert warnings(twice, "Observation") == {"resource read twice (same type, id and content): loaded once":
                                              int(once_summary.loc["Observation", "read"])}


def test_fhir_resources_without_id_in_two_ndjson_parts(tmp_path):
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01"}
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p1"}, "onsetDateTime": "2020-01-01",
                 "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]}}
    (tmp_path / "Patient.000.ndjson").write_text(json.dumps(patient) + "\n")
    for part in ("000", "001"):
        (tmp_path / f"Condition.{part}.ndjson").write_text(json.dumps(condition) + "\n")
    cohort = load_fhir(tmp_path)
    check_promises(cohort)
    assert cohort.events["code"].tolist() == ["44054006"]
    assert reasons(cohort, "Condition") == [
        f"duplicate of the same Condition in {tmp_path.name}/Condition.000.ndjson row 1"]


# --------------------------------------------------------------------------- 3. crashes become errors or rejections


def test_bundle_entry_without_resource_type(tmp_path):
    bundle = {"resourceType": "Bundle", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01"}},
        {"resource": {"id": "x"}}]}
    (tmp_path / "b.json").write_text(json.dumps(bundle))
    cohort = load_fhir(tmp_path)
    check_promises(cohort)
    assert reasons(cohort, "Bundle.entry") == ["resource without a resourceType"]
    assert cohort.patient_ids == ["p1"]


@pytest.mark.parametrize("gender", [["female"], {"code": "female"}, 1])
def test_patient_gender_of_the_wrong_type(tmp_path, gender):
    rows = [{"resourceType": "Patient", "id": "p1", "gender": gender, "birthDate": "1970-01-01"},
            {"resourceType": "Patient", "id": "p2", "gender": "male", "birthDate": "1970-01-01"}]
    (tmp_path / "Patient.ndjson").write_text("\n".join(map(json.dumps, rows)))
    cohort = load_fhir(tmp_path)
    check_promises(cohort)
    assert cohort.patient_ids == ["p2"]
    assert reasons(cohort, "Patient")[0].startswith(f"Patient.gender must be a code string, got {type(gender).__name__}")


def test_one_line_nested_100k_deep_is_rejected_and_the_rest_loads(tmp_path):
    rows = [json.dumps({"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01"}),
            "[" * 100_000 + "]" * 100_000,
            json.dumps({"resourceType": "Patient", "id": "p2", "birthDate": "1970-01-01"})]
    (tmp_path / "Patient.000.ndjson").write_text("\n".join(rows))
    cohort = load_fhir(tmp_path)
    check_promises(cohort)
    assert cohort.patient_ids == ["p1", "p2"]
    assert reasons(cohort, "Patient") == ["JSON nested too deeply to be FHIR"]
    (tmp_path / "deep.json").write_text('{"resourceType": "Bundle", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(DataLoadError, match="deep.json: JSON nested too deeply"):
        load_fhir(tmp_path / "deep.json")


def test_fitbit_heart_rate_without_hourly_steps(subsets, tmp_path):
    folder = copy(subsets, "fitbit_fitabase", tmp_path)
    (folder / "hourlySteps_merged.csv").unlink()
    (folder / "heartrate_seconds_merged.csv").write_text(
        "Id,Time,Value\n" + "".join(f"1503960366,4/12/2016 {h}:00:00 PM,{60 + h}\n" for h in range(1, 8)))
    cohort = load_fitbit(folder)
    check_promises(cohort)
    hourly = cohort.lifelog.hourly
    assert hourly["heart_rate"].tolist() == [61, 62, 63, 64, 65, 66, 67]
    assert set(hourly["source_table"]) == {"heartrate_seconds_merged.csv"}


def test_fitbit_stray_malformed_files_are_left_out(subsets, tmp_path):
    folder = copy(subsets, "fitbit_fitabase", tmp_path)
    days = len(load_fitbit(folder).lifelog.daily)
    (folder / "notes.csv").write_bytes(b"\x00\xff\xfe garbage \n\"unterminated,\n")
    (folder / "more.csv").write_text("a,b\n1,2\n3\n")
    cohort = load_fitbit(folder)
    check_promises(cohort)
    assert list(warnings(cohort, "notes.csv"))[0].startswith("not a readable CSV file, left out")
    assert reasons(cohort, "more.csv")[0].startswith("malformed CSV row at line 3: missing columns")
    assert len(cohort.lifelog.daily) == days


# --------------------------------------------------------------------------- 4. one bad CSV row never fails a table


@pytest.mark.parametrize("damage, reason", [
    (lambda line: line.rstrip("\r\n") + ",extra\n", "too many columns"),
    (lambda line: line.rstrip("\r\n").rsplit(",", 1)[0] + "\n", "missing columns"),
])
def test_a_row_with_a_field_too_many_or_too_few(subsets, tmp_path, damage, reason):
    folder = copy(subsets, "omop_synthea27nj", tmp_path)
    path = folder / "measurement.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[10] = damage(lines[10])
    path.write_text("".join(lines))
    cohort = load_omop(folder)
    check_promises(cohort)
    assert reasons(cohort, "measurement")[0].startswith(f"malformed CSV row at line 11: {reason}")
    summary = cohort.report.summary().set_index("table").loc["measurement"]
    assert (summary["read"], summary["rejected"]) == (150, 1)


def test_an_lf_line_in_a_crlf_file_loads(subsets, tmp_path):
    folder = copy(subsets, "mimic_iii_demo", tmp_path)
    path = folder / "DIAGNOSES_ICD.csv"
    lines = path.read_text().splitlines()
    path.write_bytes(("\r\n".join(lines[:20]) + "\n" + "\r\n".join(lines[20:]) + "\r\n").encode())
    cohort = load_mimic_demo(folder)
    check_promises(cohort)
    summary = cohort.report.summary().set_index("table").loc["DIAGNOSES_ICD"]
    assert summary["read"] == 150
    assert cohort.events.loc[cohort.events["source_table"] == "DIAGNOSES_ICD", "code"].str.contains("\r").sum() == 0
    assert any("lenient" in m for m in warnings(cohort, "DIAGNOSES_ICD"))


def test_a_non_utf8_byte_rejects_its_row_only(subsets, tmp_path):
    folder = copy(subsets, "mimic_iii_demo", tmp_path)
    path = folder / "PRESCRIPTIONS.csv"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[7] = lines[7].replace(b",MAIN,", b",MAIN,\xff", 1)  # in the drug name, a column the loader reads
    path.write_bytes(b"".join(lines))
    cohort = load_mimic_demo(folder)
    check_promises(cohort)
    rejected = cohort.report.issues
    rejected = rejected[rejected["table"] == "PRESCRIPTIONS"]
    assert rejected["row"].tolist() == [7]
    assert rejected["reason"].iloc[0].startswith("malformed CSV row at line 8: invalid encoding")
    assert cohort.report.summary().set_index("table").loc["PRESCRIPTIONS", "read"] == 80


def test_bom_in_fhir_json_and_ndjson(tmp_path):
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01"}
    (tmp_path / "a.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(patient).encode())
    (tmp_path / "b.ndjson").write_bytes(b"\xef\xbb\xbf" + json.dumps({**patient, "id": "p2"}).encode() + b"\n")
    cohort = load_fhir(tmp_path)
    check_promises(cohort)
    assert cohort.patient_ids == ["p1", "p2"]


def test_ndjson_line_that_is_not_utf8_is_rejected_alone(tmp_path):
    good = json.dumps({"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01"}).encode()
    (tmp_path / "Patient.ndjson").write_bytes(good + b"\n" + b'{"resourceType": "Patient", "id": "\xff"}\n')
    cohort = load_fhir(tmp_path)
    check_promises(cohort)
    assert reasons(cohort, "Patient") == ["not UTF-8 text (byte 36)"]


# --------------------------------------------------------------------------- 5. meaning kept

LOINC, SNOMED = "http://loinc.org", "http://snomed.info/sct"
PERSON = "person_id,gender_concept_id,year_of_birth\n1,8532,1960\n"
CONCEPTS = ("concept_id,concept_name,vocabulary_id,concept_code\n3004410,Hemoglobin A1c,LOINC,4548-4\n"
            "8554,percent,UCUM,%\n201826,Type 2 diabetes mellitus,SNOMED,44054006\n"
            "45576876,Type 2 diabetes mellitus without complications,ICD10CM,E11.9\n")


def omop_folder(tmp_path: Path, **tables: str) -> Path:
    (tmp_path / "person.csv").write_text(PERSON)
    (tmp_path / "concept.csv").write_text(CONCEPTS)
    for name, text in tables.items():
        (tmp_path / f"{name}.csv").write_text(text)
    return tmp_path


def fhir_folder(tmp_path: Path, *resources: dict) -> Path:
    rows = [{"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-01-01"}, *resources]
    (tmp_path / "data.ndjson").write_text("\n".join(map(json.dumps, rows)) + "\n")
    return tmp_path


def observation(oid: str, **fields) -> dict:
    return {"resourceType": "Observation", "id": oid, "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": LOINC, "code": "4548-4"}]}, "effectiveDateTime": "2020-01-02", **fields}


def test_omop_operator_concept_is_kept_as_comparator(tmp_path):
    folder = omop_folder(tmp_path, measurement=(
        "measurement_id,person_id,measurement_concept_id,measurement_date,operator_concept_id,value_as_number,"
        "unit_source_value\n1,1,3004410,2020-01-01,4171756,5,%\n2,1,3004410,2020-02-01,0,6.1,%\n"
        "3,1,3004410,2020-03-01,999,6.2,%\n"))
    cohort = load_omop(folder)
    check_promises(cohort)
    ev = cohort.events
    assert ev[["value", "comparator"]].astype(object).where(ev[["value", "comparator"]].notna(), None).values.tolist() == [
        [5.0, "<"], [6.1, None], [6.2, None]]
    assert warnings(cohort, "measurement") == {
        "operator_concept_id not a Meas Value Operator concept: comparator left empty": 1}


def test_fhir_comparator_is_kept(tmp_path):
    cohort = load_fhir(fhir_folder(tmp_path, observation("o1", valueQuantity={"value": 5, "comparator": "<",
                                                                                 "code": "%"}),
                                   observation("o2", valueQuantity={"value": 5, "comparator": "~", "code": "%"})))
    check_promises(cohort)
    assert cohort.events[["value", "comparator"]].values.tolist() == [[5.0, "<"]]
    assert reasons(cohort, "Observation") == ["valueQuantity.comparator '~' is not one of <, <=, >=, >, ="]


def test_fhir_numeric_value_string_of_a_lab_is_a_lab_value(tmp_path):
    cohort = load_fhir(fhir_folder(tmp_path, observation("o1", valueString="7.2"),
                                   observation("o2", valueString="Infinity"),
                                   observation("o3", code={"coding": [{"system": LOINC, "code": "8331-1"}]},
                                               valueString="7.2")))
    check_promises(cohort)
    ev = cohort.events.set_index("source_id")
    assert ev.loc["o1", ["kind", "value", "value_text"]].tolist()[:2] == ["measurement", 7.2]
    assert ev.loc["o3", ["kind", "value_text"]].tolist() == ["observation", "7.2"]  # not a known lab: text kept
    assert warnings(cohort, "Observation") == {"numeric valueString of a lab code read as a value (LOINC 4548-4)": 1,
                                               "value without unit read in the canonical unit": 1}
    assert reasons(cohort, "Observation") == ["non-finite or out-of-range valueString inf"]


def test_fhir_bp_component_in_an_unaccepted_system_is_warned(tmp_path):
    panel = observation("bp", code={"coding": [{"system": LOINC, "code": "85354-9"}]}, component=[
        {"code": {"coding": [{"system": LOINC, "code": "8480-6"}]}, "valueQuantity": {"value": 120, "code": "mm[Hg]"}},
        {"code": {"coding": [{"system": "http://example.org/local", "code": "DIA"}]},
         "valueQuantity": {"value": 80, "code": "mm[Hg]"}}])
    cohort = load_fhir(fhir_folder(tmp_path, panel))
    check_promises(cohort)
    assert cohort.events["code"].tolist() == ["8480-6"]
    assert warnings(cohort, "Observation") == {
        "component dropped: no loinc/snomed code in component.code (codings: http://example.org/local|DIA)": 1}


def test_fhir_observations_contained_in_a_diagnostic_report_are_loaded(tmp_path):
    inner = {"resourceType": "Observation", "id": "a1c", "code": {"coding": [{"system": LOINC, "code": "4548-4"}]},
             "effectiveDateTime": "2020-01-02", "valueQuantity": {"value": 6.9, "code": "%"}}
    report = {"resourceType": "DiagnosticReport", "id": "r1", "subject": {"reference": "Patient/p1"},
              "contained": [inner, {**inner, "id": "a1c-2", "effectiveDateTime": "2020-02-02"}],
              "result": [{"reference": "#a1c"}]}
    cohort = load_fhir(fhir_folder(tmp_path, report, {**report, "id": "r2", "contained": [inner]}))
    check_promises(cohort)
    ev = cohort.events
    assert ev[["source_id", "value"]].values.tolist() == [["r1#a1c", 6.9], ["r2#a1c", 6.9], ["r1#a1c-2", 6.9]]
    assert reasons(cohort, "DiagnosticReport")[0].startswith("DiagnosticReport groups Observations: the referenced")


def test_measurement_csv_gz_beside_measurement_csv(tmp_path):
    text = ("measurement_id,person_id,measurement_concept_id,measurement_date,value_as_number,unit_source_value\n"
            "1,1,3004410,2020-01-01,6.1,%\n")
    folder = omop_folder(tmp_path, measurement=text)
    (folder / "measurement.csv.gz").write_bytes(gzip.compress(text.replace("6.1", "9.9").encode()))
    cohort = load_omop(folder)
    check_promises(cohort)
    assert cohort.events["value"].tolist() == [6.1]
    assert warnings(cohort, "measurement") == {
        "several files for table 'measurement': read measurement.csv, ignored measurement.csv.gz": 1}


def test_omop_condition_source_code_is_kept(tmp_path):
    folder = omop_folder(tmp_path, condition_occurrence=(
        "condition_occurrence_id,person_id,condition_concept_id,condition_start_date,condition_source_value,"
        "condition_source_concept_id\n7,1,201826,2020-01-01,E11.9,45576876\n8,1,201826,2020-02-01,44054006,201826\n"))
    cohort = load_omop(folder)
    check_promises(cohort)
    assert cohort.events[["source_id", "system", "code"]].values.tolist() == [
        ["7", "snomed", "44054006"], ["7", "icd10cm", "E11.9"], ["8", "snomed", "44054006"]]
    assert cohort.report.summary().set_index("table").loc["condition_occurrence", "loaded"] == 2


def test_mimic_admission_of_another_subject_and_dotted_codes(subsets, tmp_path):
    folder = copy(subsets, "mimic_iii_demo", tmp_path)
    path = folder / "DIAGNOSES_ICD.csv"
    lines = path.read_text().splitlines(keepends=True)
    admissions = (folder / "ADMISSIONS.csv").read_text().splitlines()[1:]
    subject, hadm = lines[1].split(",")[1], lines[1].split(",")[2]
    other = next(a.split(",")[2] for a in admissions if a.split(",")[1] != subject)
    lines[1] = lines[1].replace(f",{hadm},", f",{other},", 1)
    lines[2] = ",".join(lines[2].split(",")[:4]) + ",250.00\n"
    path.write_text("".join(lines))
    cohort = load_mimic_demo(folder)
    check_promises(cohort)
    assert reasons(cohort, "DIAGNOSES_ICD") == [f"hadm_id '{other}' is an admission of subject_id "
                                                f"'{next(a.split(',')[1] for a in admissions if a.split(',')[2] == other)}'"]
    codes = cohort.events[(cohort.events["source_table"] == "DIAGNOSES_ICD") & (cohort.events["source_row"] == 2)]
    assert codes["code"].tolist() == ["250.00"]


def test_mimic_summary_counts_deaths(subsets):
    cohort = load_mimic_demo(subsets["mimic_iii_demo"])
    check_promises(cohort)
    assert cohort.summary()["events_by_kind"]["death"] == 100  # every demo patient has a dod
    deaths = cohort.events[cohort.events["kind"] == "death"]
    assert set(deaths["source_table"]) == {"PATIENTS"} and deaths["patient_id"].nunique() == 100


# --------------------------------------------------------------------------- property-based corruption suite

TOKENS = ["inf", "-inf", "NaN", "1e999", "-Infinity", "-1", "0", "1e308", "99999999999999999999", "", '"', "0001-01-01",
          "9999-12-31", "2/30/2020", " ", "\u2603", "null", "\\N", "1,2", "'"]

#: Corruptions of a CSV export: (kind, what it does).
CSV_CORRUPTIONS = {
    "value": "one field replaced by a hostile token (inf, NaN, 1e999, dates in year 1 or 9999, a quote, ...)",
    "extra_field": "one row with a field too many",
    "missing_field": "one row with a field too few",
    "lf_in_crlf": "the file in CRLF with one LF line",
    "crlf_in_lf": "one CRLF line in an LF file",
    "bad_byte": "one non-UTF-8 byte in a row",
    "nul_byte": "one NUL byte in a row",
    "bom": "a UTF-8 BOM before the header",
    "dup_row": "one row written twice",
    "blank_line": "a blank line inside the data",
    "truncate": "the file cut in the middle of a row",
    "unbalanced_quote": "a field opening a quote that never closes",
    "header_only": "every data row removed",
    "delete_file": "the table removed",
    "gz_twin": "a different .csv.gz copy beside the .csv",
    "upper_header": "header names in upper case",
    "drop_column": "one column removed from every row",
    "swap_rows_fields": "two fields of one row swapped",
    "stray_file": "a malformed unknown CSV file added",
    "binary_garbage": "the whole table replaced by random bytes",
}

#: Corruptions of FHIR Bundles and ndjson: (kind, what it does).
FHIR_CORRUPTIONS = {
    "value_token": "a valueQuantity.value written as Infinity, -Infinity, NaN or 1e999",
    "no_resource_type": "a resource without resourceType",
    "gender_type": "Patient.gender as a list, object or number",
    "deep_line": "a line (or entry) nested 100k deep",
    "duplicate_file": "a file saved twice under another name",
    "strip_ids_twice": "resources without id written to two ndjson parts",
    "bom": "a UTF-8 BOM before the JSON",
    "wrong_type": "one field of a resource replaced by a JSON value of another type",
    "truncate": "the file cut in the middle",
    "comparator": "a valueQuantity.comparator, valid or not",
    "value_string": "a numeric or non-finite valueString",
    "delete_key": "one field of a resource deleted",
    "contain": "a resource moved into a DiagnosticReport's contained list",
    "bad_byte": "one non-UTF-8 byte in the file",
    "entry_garbage": "a Bundle entry that is not an object",
    "date_garbage": "a date field set to a hostile token",
}

JSON_VALUES = [[], {}, 0, -1.5, "x", None, True, [1, {"a": []}], {"reference": 5}, {"coding": "abc"},
               [{"system": ["x"], "code": {"a": 1}}], "Patient/", 10 ** 400]


def _row_bytes(lines: list[bytes], row: int) -> int:
    return 1 + row % (len(lines) - 1)


def corrupt_csv(folder: Path, kind: str, file_index: int, row: int, column: int, token: str) -> None:
    """Apply one CSV corruption to a copy of an export folder."""
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".csv"))
    path = files[file_index % len(files)]
    lines = path.read_bytes().splitlines(keepends=True)
    if kind == "stray_file":
        (folder / "notes.csv").write_bytes(b"\xff\xfe,\"x\n1,2,3\n" + token.encode())
        return
    if kind == "binary_garbage":
        path.write_bytes(bytes((row * 7919 + i * 104729) % 256 for i in range(200 + column)))
        return
    if kind == "delete_file":
        path.unlink()
        return
    if kind == "gz_twin":
        (folder / (path.name + ".gz")).write_bytes(gzip.compress(b"".join(lines[:1] + lines[2:])))
        return
    if len(lines) < 2 or kind == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + b"".join(lines))
        return
    r = _row_bytes(lines, row)
    line = lines[r]
    body, ending = line.rstrip(b"\r\n"), line[len(line.rstrip(b"\r\n")):] or b"\n"
    fields = body.split(b",")
    c = column % len(fields)
    if kind == "value":
        fields[c] = token.encode()
        lines[r] = b",".join(fields) + ending
    elif kind == "extra_field":
        lines[r] = body + b",extra" + ending
    elif kind == "missing_field":
        lines[r] = b",".join(fields[:-1]) + ending
    elif kind == "lf_in_crlf":
        lines = [ln.rstrip(b"\r\n") + b"\r\n" for ln in lines]
        lines[r] = lines[r].rstrip(b"\r\n") + b"\n"
    elif kind == "crlf_in_lf":
        lines = [ln.rstrip(b"\r\n") + b"\n" for ln in lines]
        lines[r] = lines[r].rstrip(b"\r\n") + b"\r\n"
    elif kind in ("bad_byte", "nul_byte"):
        fields[c] = fields[c] + (b"\xff" if kind == "bad_byte" else b"\x00")
        lines[r] = b",".join(fields) + ending
    elif kind == "dup_row":
        lines.insert(r, line)
    elif kind == "blank_line":
        lines.insert(r, b"\n")
    elif kind == "truncate":
        lines = lines[:r] + [body[: len(body) // 2]]
    elif kind == "unbalanced_quote":
        fields[c] = b'"' + fields[c]
        lines[r] = b",".join(fields) + ending
    elif kind == "header_only":
        lines = lines[:1]
    elif kind == "upper_header":
        lines[0] = lines[0].upper()
    elif kind == "drop_column":
        lines = [b",".join(f for i, f in enumerate(ln.rstrip(b"\r\n").split(b",")) if i != c) + b"\n" for ln in lines]
    elif kind == "swap_rows_fields":
        d = (c + 1) % len(fields)
        fields[c], fields[d] = fields[d], fields[c]
        lines[r] = b",".join(fields) + ending
    path.write_bytes(b"".join(lines))


def _resources(path: Path) -> tuple[object, list]:
    """The parsed document (Bundle) or list of lines (ndjson) and its resources, for editing in place."""
    if path.name.endswith(".json"):
        doc = json.loads(path.read_text())
        return doc, [e["resource"] for e in doc["entry"]]
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return rows, rows


def _dump(path: Path, doc: object) -> None:
    text = json.dumps(doc) if path.name.endswith(".json") else "\n".join(map(json.dumps, doc)) + "\n"
    for sentinel, raw in (("Infinity", "Infinity"), ("-Infinity", "-Infinity"), ("NaN", "NaN"), ("1e999", "1e999")):
        text = text.replace(f'"__{sentinel}__"', raw)
    path.write_text(text)


def corrupt_fhir(folder: Path, kind: str, file_index: int, index: int, choice: int, token: str) -> None:
    """Apply one FHIR corruption to a copy of the Synthea subset."""
    files = sorted(p for p in folder.rglob("*") if p.name.endswith((".json", ".ndjson")))
    path = files[file_index % len(files)]
    if kind in ("truncate", "bom", "bad_byte"):
        data = path.read_bytes()
        cut = len(data) * (1 + index % 97) // 100
        path.write_bytes({"truncate": data[:cut], "bom": b"\xef\xbb\xbf" + data,
                          "bad_byte": data[:cut] + b"\xff" + data[cut:]}[kind])
        return
    if kind == "duplicate_file":
        shutil.copy(path, path.with_name("copy (1)" + "".join(path.suffixes)))
        return
    doc, resources = _resources(path)
    resource = resources[index % len(resources)]
    keys = sorted(k for k in resource if k != "resourceType") or ["id"]
    key = keys[choice % len(keys)]
    if kind == "value_token":
        target = next((r for r in resources if isinstance(r.get("valueQuantity"), dict)), resource)
        target["valueQuantity"] = {"value": f"__{['Infinity', '-Infinity', 'NaN', '1e999'][choice % 4]}__", "code": "%"}
    elif kind == "no_resource_type":
        resource.pop("resourceType", None)
    elif kind == "gender_type":
        target = next((r for r in resources if r.get("resourceType") == "Patient"), resource)
        target["gender"] = [["female"], {"code": "male"}, 3][choice % 3]
    elif kind == "deep_line":
        deep = "[" * 100_000 + "]" * 100_000
        if path.name.endswith(".ndjson"):
            path.write_text(path.read_text() + deep + "\n")
        else:
            path.write_text(path.read_text()[:-1] + ', "extra": ' + deep + "}")
        return
    elif kind == "strip_ids_twice":
        for r in resources:
            r.pop("id", None)
        _dump(path, doc)
        _dump(path.with_name("part2." + path.name), doc)
        return
    elif kind == "wrong_type":
        resource[key] = JSON_VALUES[choice % len(JSON_VALUES)]
    elif kind == "comparator":
        target = next((r for r in resources if isinstance(r.get("valueQuantity"), dict)), resource)
        target.setdefault("valueQuantity", {})["comparator"] = ["<", ">=", "ad", "~", 5, None][choice % 6]
    elif kind == "value_string":
        resource.pop("valueQuantity", None)
        resource["valueString"] = token
    elif kind == "delete_key":
        resource.pop(key, None)
    elif kind == "contain":
        inner = dict(resource)
        resource.clear()
        resource.update({"resourceType": "DiagnosticReport", "id": f"dr{index}",
                         "subject": inner.get("subject") or {"reference": "Patient/none"}, "contained": [inner]})
    elif kind == "entry_garbage" and isinstance(doc, dict):
        doc["entry"].insert(index % (len(doc["entry"]) + 1), JSON_VALUES[choice % len(JSON_VALUES)])
    elif kind == "date_garbage":
        for field in ("effectiveDateTime", "onsetDateTime", "birthDate", "authoredOn", "period", "occurrenceDateTime"):
            if field in resource:
                resource[field] = token if choice % 2 else JSON_VALUES[choice % len(JSON_VALUES)]
    _dump(path, doc)


def load_or_error(loader, folder: Path):
    """The cohort, or None when the loader refuses the input with a DataLoadError (the only error allowed)."""
    try:
        return loader(folder)
    except DataLoadError:
        return None


#: Corruptions after which refusing the whole input with a DataLoadError is a right answer
#: (a required table or column gone, a file that is not CSV/JSON at all).
MAY_REFUSE = {"delete_file", "binary_garbage", "drop_column", "truncate", "bad_byte", "deep_line"}


def _batches(kinds: dict[str, str], size: int) -> list[list[str]]:
    """Every kind once: the others ``size`` at a time, then the refusable ones together."""
    safe = sorted(k for k in kinds if k not in MAY_REFUSE)
    return [safe[i:i + size] for i in range(0, len(safe), size)] + [sorted(k for k in kinds if k in MAY_REFUSE)]


@pytest.mark.parametrize("dataset", ["omop_synthea27nj", "fitbit_fitabase", "mimic_iii_demo", "fhir_synthea_r4"])
def test_every_corruption_kind_on_every_loader(subsets, tmp_path, dataset):
    """A deterministic sweep: each kind applied once (several per copy); only MAY_REFUSE kinds may be refused."""
    fhir = dataset == "fhir_synthea_r4"
    kinds = FHIR_CORRUPTIONS if fhir else CSV_CORRUPTIONS
    for b, batch in enumerate(_batches(kinds, 6)):
        folder = copy(subsets, dataset, tmp_path / str(b))
        for i, kind in enumerate(batch):
            (corrupt_fhir if fhir else corrupt_csv)(folder, kind, b + 3 * i, 7 + 13 * i, 5 + i, TOKENS[(b + i) % 4])
        cohort = load_or_error(LOADERS[dataset], folder)
        assert cohort is not None or set(batch) <= MAY_REFUSE, batch
        if cohort is not None:
            check_promises(cohort)


CORRUPTION = settings(derandomize=True, max_examples=5, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.parametrize("dataset", ["omop_synthea27nj", "fitbit_fitabase", "mimic_iii_demo"])
@CORRUPTION
@given(kinds=st.lists(st.sampled_from(sorted(CSV_CORRUPTIONS)), min_size=2, max_size=4),
       file_index=st.integers(0, 50), row=st.integers(0, 10_000), column=st.integers(0, 40),
       token=st.sampled_from(TOKENS))
def test_csv_loaders_keep_their_promises(subsets, tmp_path_factory, dataset, kinds, file_index, row, column, token):
    folder = copy(subsets, dataset, tmp_path_factory.mktemp("corrupt"))
    for i, kind in enumerate(kinds):
        corrupt_csv(folder, kind, file_index + i, row + 31 * i, column + i, token)
    cohort = load_or_error(LOADERS[dataset], folder)
    if cohort is not None:
        check_promises(cohort)


@settings(CORRUPTION, max_examples=10)
@given(kinds=st.lists(st.sampled_from(sorted(FHIR_CORRUPTIONS)), min_size=2, max_size=4),
       file_index=st.integers(0, 50), index=st.integers(0, 10_000), choice=st.integers(0, 100),
       token=st.sampled_from(TOKENS + ["7.2", "Infinity", "1e999"]))
def test_fhir_loader_keeps_its_promises(subsets, tmp_path_factory, kinds, file_index, index, choice, token):
    folder = copy(subsets, "fhir_synthea_r4", tmp_path_factory.mktemp("corrupt"))
    for i, kind in enumerate(kinds):
        corrupt_fhir(folder, kind, file_index + i, index + 17 * i, choice + i, token)
    cohort = load_or_error(load_fhir, folder)
    if cohort is not None:
        check_promises(cohort)


def test_the_sweep_tries_every_corruption_kind():
    for kinds in (CSV_CORRUPTIONS, FHIR_CORRUPTIONS):
        batches = _batches(kinds, 6)
        assert sorted(k for batch in batches for k in batch) == sorted(kinds)
    assert (len(CSV_CORRUPTIONS), len(FHIR_CORRUPTIONS)) == (20, 16)


def test_mixed_line_endings_and_a_field_too_many_or_few(tmp_path):
    # DuckDB's lenient parser (needed for mixed line endings) would cut a surplus field silently
    (tmp_path / "person.csv").write_bytes(b"person_id,gender_concept_id,year_of_birth\r\n1,8532,1960\r\n2,8507,1950\n"
                                          b"3,8507,1951,extra\r\n4,8507\r\n5,8532,1970\r\n")
    cohort = load_omop(tmp_path)
    check_promises(cohort)
    assert cohort.patient_ids == ["1", "2", "5"]
    assert [r.split(": ")[1].split(" (")[0] for r in reasons(cohort, "person")] == ["too many columns",
                                                                                      "missing columns"]
    assert cohort.report.issues["row"].tolist() == [3, 4]
