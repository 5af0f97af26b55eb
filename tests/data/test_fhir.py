"""Tests of neurosym.data._fhir.load_fhir: shared Synthea data and small broken fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from neurosym import DataLoadError
from neurosym.data._fhir import load_fhir

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"


# -- helpers -----------------------------------------------------------------------------------------


def patient(pid: str, **fields) -> dict:
    return {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1970-01-01", **fields}


def observation(oid: str, subject: str = "Patient/p1", code: str = "4548-4", when: str = "2020-01-02",
                **fields) -> dict:
    return {"resourceType": "Observation", "id": oid, "subject": {"reference": subject},
            "code": {"coding": [{"system": LOINC, "code": code}]}, "effectiveDateTime": when, **fields}


def quantity(value: float, unit: str) -> dict:
    return {"valueQuantity": {"value": value, "unit": unit, "code": unit}}


def write_ndjson(path: Path, resources: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in resources) + "\n")
    return path


def write_bundle(path: Path, resources: list[dict], urls: list[str] | None = None) -> Path:
    urls = urls or [f"urn:uuid:{r['id']}" for r in resources]
    bundle = {"resourceType": "Bundle", "type": "transaction",
              "entry": [{"fullUrl": u, "resource": r, "request": {"method": "POST", "url": r["resourceType"]}}
                        for u, r in zip(urls, resources)]}
    path.write_text(json.dumps(bundle))
    return path


def issues(cohort, table: str) -> list[tuple]:
    found = cohort.report.issues
    found = found[found["table"] == table]
    return [(None if pd.isna(r.row) else int(r.row), None if pd.isna(r.record_id) else r.record_id, r.status, r.reason)
            for r in found.itertuples()]


def counts(cohort, table: str) -> dict:
    row = cohort.report.summary().set_index("table").loc[table]
    return {k: int(row[k]) for k in ("read", "loaded", "rejected", "skipped", "warnings")}


# -- shared Synthea data -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthea(shared_data) -> "object":
    return load_fhir(shared_data / "fhir_synthea_r4")


def _bundle_patient(cohort, prefix: str) -> str:
    """Patient id of the bundle whose file name starts with ``prefix`` (SOURCE.md names patients so)."""
    p = cohort.patients
    return str(p[p["source_dataset"].astype(str).str.contains(f"/bundles/{prefix}_")]["patient_id"].iloc[0])


def test_every_resource_accounted_for(synthea):
    synthea.report.check()
    summary = synthea.report.summary().set_index("table")
    # SOURCE.md resource counts: bundles + ndjson.
    expected_read = {"Patient": 11 + 13, "Observation": 1975, "Condition": 115 + 555, "Encounter": 214 + 1215,
                     "Procedure": 69 + 2056, "MedicationRequest": 61 + 1745, "Immunization": 105 + 161,
                     "Claim": 275, "ExplanationOfBenefit": 214, "DiagnosticReport": 178,
                     "DocumentReference": 1215, "export log": 4}
    for table, n in expected_read.items():
        assert summary.loc[table, "read"] == n, table
    modelled = ["Patient", "Observation", "Condition", "Encounter", "Procedure", "MedicationRequest", "Immunization"]
    assert (summary.loc[modelled, "loaded"] == summary.loc[modelled, "read"]).all()
    assert summary.loc["Claim", "skipped"] == 275
    assert summary["rejected"].sum() == 0
    assert summary["read"].sum() == 3335 + 7160 + 4


def test_patients_match_source(synthea):
    assert len(synthea) == 24
    by_dataset = synthea.patients["source_dataset"].astype(str).str.split("/").str[1].value_counts()
    assert by_dataset.to_dict() == {"ndjson": 13, "bundles": 11}
    dirk = synthea.patient(_bundle_patient(synthea, "Dirk_Kuhlman"))
    assert (dirk.sex, str(dirk.birth_date.date()), dirk.death_date) == ("M", "1971-12-07", None)
    tarsha = synthea.patient(_bundle_patient(synthea, "Tarsha_Stokes"))
    assert str(tarsha.death_date.date()) == "2017-01-13"
    marine = synthea.patient("79a66c97-6131-3213-f3c9-4606946ab056")
    assert (marine.sex, str(marine.birth_date.date()), str(marine.death_date.date())) == ("F", "1927-05-21", "1994-11-11")
    deaths = synthea.events[synthea.events["kind"] == "death"]
    assert len(deaths) == 4 and set(deaths["source_table"].astype(str)) == {"Patient"}


@pytest.mark.parametrize("prefix,hba1c,glucose,bmi,bp", [
    ("Dirk_Kuhlman", 8, 9, 11, 11), ("Isaiah_Schaden", 18, 18, 18, 18), ("Renea_Quigley", 11, 13, 11, 11),
    ("Morris_Lockman", 6, 6, 6, 6), ("Emery_Purdy", 8, 8, 8, 8), ("Louis_Maggio", 2, 1, 5, 5),
    ("Tarsha_Stokes", 10, 10, 10, 10), ("Jordan_Cruickshank", 9, 9, 9, 9), ("Alfreda_Wyman", 2, 1, 5, 5),
    ("Liz_Conn", 0, 0, 3, 3), ("Clemente_Kreiger", 0, 0, 3, 3),
])
def test_labs_per_patient_match_source(synthea, prefix, hba1c, glucose, bmi, bp):
    ev = synthea.patient(_bundle_patient(synthea, prefix)).events
    n = ev["code"].astype(str).value_counts()
    # Aliases become the canonical code: blood glucose 2339-0 -> 2345-7 (Jordan_Cruickshank also has
    # the only serum glucose 2345-7), creatinine 38483-4 -> 2160-0.
    glucose += prefix == "Jordan_Cruickshank"
    assert (n.get("4548-4", 0), n.get("2345-7", 0), n.get("39156-5", 0)) == (hba1c, glucose, bmi)
    assert "2339-0" not in n and "38483-4" not in n
    # Each BP panel 55284-4 gives one systolic and one diastolic event, and no panel event.
    assert n.get("8480-6", 0) == n.get("8462-4", 0) == bp and "55284-4" not in n


def test_last_hba1c_matches_source(synthea):
    ev = synthea.patient(_bundle_patient(synthea, "Renea_Quigley")).events
    a1c = ev[ev["code"] == "4548-4"].sort_values("time")
    assert a1c["value"].iloc[-1] == pytest.approx(6.91, abs=0.005) and a1c["unit"].iloc[-1] == "%"


def test_bp_components_share_the_panel_pointer(synthea):
    ev = synthea.events
    bp = ev[ev["code"].isin(["8480-6", "8462-4"])]
    per_panel = bp.groupby(["source_dataset", "source_row"], observed=True).size()
    assert (per_panel == 2).all() and len(per_panel) == 89


@pytest.mark.parametrize("pid,conditions,encounters,procedures,medications", [
    ("79a66c97-6131-3213-f3c9-4606946ab056", 219, 708, 805, 1036),
    ("6a4160eb-a793-2f86-2302-378626f46cce", 62, 59, 57, 93),
    ("63ee2253-bdd5-da55-2ad2-b4984d0ad700", 3, 15, 8, 2),
])
def test_ndjson_counts_per_patient_match_source(synthea, pid, conditions, encounters, procedures, medications):
    ev = synthea.patient(pid).events
    n = ev["source_table"].astype(str).value_counts()
    assert (n["Condition"], n["Encounter"], n["Procedure"], n["MedicationRequest"]) == (
        conditions, encounters, procedures, medications)


def test_codes_and_kinds(synthea):
    ev = synthea.events
    cond = ev[ev["kind"] == "condition"]
    assert set(cond["system"].astype(str)) == {"snomed"}
    assert {"44054006", "15777000", "38341003", "59621000"} <= set(cond["code"].astype(str))
    visits = ev[ev["kind"] == "visit"]
    assert set(visits["code"].astype(str)) <= {"outpatient", "inpatient", "emergency", "home", "virtual"}
    assert visits["end_time"].notna().all()
    vaccines = ev[ev["source_table"] == "Immunization"]
    assert set(vaccines["kind"].astype(str)) == {"drug"} and set(vaccines["system"].astype(str)) == {"cvx"}
    assert set(ev[ev["source_table"] == "MedicationRequest"]["system"].astype(str)) == {"rxnorm"}
    smoking = ev[ev["code"] == "72166-2"]
    assert (smoking["kind"] == "observation").all() and smoking["value_text"].notna().all()


def test_every_event_has_a_source_pointer(synthea):
    ev = synthea.events
    for column in ["source_dataset", "source_table", "source_row", "source_id"]:
        assert ev[column].notna().all(), column
    assert ev["time"].notna().all()
    row = ev[ev["source_table"] == "Condition"].iloc[0]
    path = row["source_dataset"]
    assert path.startswith("fhir_synthea_r4/bundles/") or path == "fhir_synthea_r4/ndjson/Condition.000.ndjson"


def test_local_clock_time_is_kept(synthea):
    # ndjson times carry -04:00/-05:00 offsets; the day must be the one written.
    marine = synthea.patient("79a66c97-6131-3213-f3c9-4606946ab056")
    assert str(marine.death_date) == "1994-11-11 22:58:16"


def test_bundles_and_ndjson_load_separately(shared_data):
    bundles = load_fhir(shared_data / "fhir_synthea_r4" / "bundles")
    ndjson = load_fhir(shared_data / "fhir_synthea_r4" / "ndjson")
    assert (len(bundles), len(ndjson)) == (11, 13)
    assert bundles.events["source_dataset"].astype(str).str.startswith("bundles/").all()
    assert issues(ndjson, "export log") == [(i, None, "skipped", "bulk-data export log, not FHIR") for i in range(1, 5)]


# -- broken fixtures ---------------------------------------------------------------------------------


def test_invalid_json_line_is_rejected_with_line_number(tmp_path):
    write_ndjson(tmp_path / "Patient.000.ndjson", [patient("p1")])
    write_ndjson(tmp_path / "Observation.000.ndjson",
                 [observation("o1", **quantity(6.1, "%")), "{not json", observation("o2", **quantity(7.0, "%"))])
    cohort = load_fhir(tmp_path)
    cohort.report.check()
    assert issues(cohort, "Observation") == [(2, None, "rejected", "invalid JSON: Expecting property name enclosed in double quotes (column 2)")]
    assert counts(cohort, "Observation") == {"read": 3, "loaded": 2, "rejected": 1, "skipped": 0, "warnings": 0}


def test_unknown_unit_unparsable_date_unknown_patient_no_subject(tmp_path):
    no_subject = observation("o5", **quantity(6.0, "%"))
    del no_subject["subject"]
    write_ndjson(tmp_path / "data.ndjson", [
        patient("p1"),
        observation("o1", **quantity(6.5, "%")),
        observation("o2", **quantity(6.5, "furlong")),
        observation("o3", when="2020-13-45", **quantity(6.5, "%")),
        observation("o4", subject="Patient/nobody", **quantity(6.5, "%")),
        no_subject,
        observation("o6", subject="Group/g1", **quantity(6.5, "%")),
    ])
    cohort = load_fhir(tmp_path / "data.ndjson")
    cohort.report.check()
    assert sorted(issues(cohort, "Observation")) == [
        (3, "o2", "rejected", "unknown unit 'furlong' for LOINC 4548-4 (hemoglobin A1c); expected one of "
                              "['%', '%oftotalhgb', '%{hba1c}', '%{totalhgb}', 'mmol/mol', 'mmol/mol{hb}', 'percent']"),
        (4, "o3", "rejected", "unparsable date '2020-13-45'"),
        (5, "o4", "rejected", "unknown patient 'nobody'"),
        (6, "o5", "rejected", "no subject reference"),
        (7, "o6", "rejected", "subject reference 'Group/g1' is a Group, not a Patient"),
    ]
    assert cohort.events["source_id"].tolist() == ["o1"]
    assert cohort.events["source_dataset"].tolist() == ["data.ndjson"]


def test_missing_date_and_missing_code(tmp_path):
    undated = observation("o1", **quantity(6.5, "%"))
    del undated["effectiveDateTime"]
    local_code = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
                  "code": {"coding": [{"system": "http://example.org/local", "code": "X1"}]},
                  "onsetDateTime": "2020-01-01"}
    write_ndjson(tmp_path / "a.ndjson", [patient("p1"), undated, local_code])
    cohort = load_fhir(tmp_path)
    cohort.report.check()
    assert issues(cohort, "Observation") == [
        (2, "o1", "rejected", "missing date (none of effectiveDateTime, effectivePeriod.start, effectiveInstant, issued)")]
    assert issues(cohort, "Condition") == [
        (3, "c1", "rejected", "no snomed/icd10cm/icd9cm code in code (codings: http://example.org/local|X1)")]


def test_bp_panel_components(tmp_path):
    def component(code, value, unit="mm[Hg]"):
        return {"code": {"coding": [{"system": LOINC, "code": code}]}, **quantity(value, unit)}

    panel = observation("bp1", code="85354-9", component=[component("8480-6", 130), component("8462-4", 85)])
    half_bad = observation("bp2", code="55284-4", component=[component("8480-6", 120), component("8462-4", 80, "bar")])
    all_bad = observation("bp3", code="55284-4", component=[component("8480-6", 1, "bar"), component("8462-4", 1, "bar")])
    write_bundle(tmp_path / "b.json", [patient("p1"), panel, half_bad, all_bad])
    cohort = load_fhir(tmp_path / "b.json")
    cohort.report.check()
    ev = cohort.events
    assert ev[["source_id", "code", "value"]].values.tolist() == [
        ["bp1", "8480-6", 130.0], ["bp1", "8462-4", 85.0], ["bp2", "8480-6", 120.0]]
    assert counts(cohort, "Observation") == {"read": 3, "loaded": 2, "rejected": 1, "skipped": 0, "warnings": 1}
    [(row, rid, status, reason)] = issues(cohort, "Observation")
    assert (row, rid, status) == (4, "bp3", "rejected") and reason.startswith("unknown unit 'bar' for LOINC 8480-6")


def test_values_text_and_missing(tmp_path):
    coded = {"valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "266919005", "display": "Never smoker"}]}}
    write_ndjson(tmp_path / "a.ndjson", [
        patient("p1"),
        observation("o1", code="72166-2", **coded),
        observation("o2", code="8331-1", valueString="normal"),
        observation("o3"),  # neither value nor components: loaded with a null value
        observation("o4", **{"valueQuantity": {"value": 48, "code": "mmol/mol"}}, ),  # IFCC unit under 4548-4
    ])
    cohort = load_fhir(tmp_path)
    cohort.report.check()
    ev = cohort.events.set_index("source_id")
    assert ev.loc["o1", ["kind", "value_text"]].tolist() == ["observation", "Never smoker"]
    assert ev.loc["o2", "value_text"] == "normal"
    assert ev.loc["o3", "kind"] == "measurement" and pd.isna(ev.loc["o3", "value"])
    # HbA1c in IFCC mmol/mol under 4548-4: converted by the master equation, 0.09148 * 48 + 2.152
    assert ev.loc["o4", ["code", "value", "unit"]].tolist() == ["4548-4", 6.543, "%"]
    assert issues(cohort, "Observation") == []


def test_bundle_references_codes_and_skips(tmp_path):
    condition = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "urn:uuid:u-p1"},
                 "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9"},
                                     {"system": SNOMED, "code": "44054006"}]},
                 "recordedDate": "2019-03-01T23:30:00-05:00"}
    dangling = {**condition, "id": "c2", "subject": {"reference": "urn:uuid:missing"}}
    icd_only = {**condition, "id": "c3", "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9"}]}}
    statement = {"resourceType": "MedicationStatement", "id": "m1", "subject": {"reference": "urn:uuid:u-p1"},
                 "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "860975"}]},
                 "effectivePeriod": {"start": "2019-03-02", "end": "2019-06-01"}}
    claim = {"resourceType": "Claim", "id": "x1"}
    erroneous = {**condition, "id": "c4", "status": "entered-in-error"}
    # The Patient has no id: the fullUrl's uuid stands in for it.
    pat = patient("p1")
    del pat["id"]
    write_bundle(tmp_path / "b.json", [pat, condition, dangling, icd_only, statement, claim, erroneous],
                 ["urn:uuid:u-p1", "urn:uuid:c1", "urn:uuid:c2", "urn:uuid:c3", "urn:uuid:m1", "urn:uuid:x1", "urn:uuid:c4"])
    cohort = load_fhir(tmp_path)
    cohort.report.check()
    assert cohort.patient_ids == ["u-p1"]
    ev = cohort.events.set_index("source_id")
    assert ev.loc["c1", ["system", "code"]].tolist() == ["snomed", "44054006"]  # SNOMED preferred
    assert ev.loc["c3", ["system", "code"]].tolist() == ["icd10cm", "E11.9"]
    assert str(ev.loc["c1", "time"]) == "2019-03-01 23:30:00"  # local clock reading kept
    assert (ev.loc["m1", "kind"], str(ev.loc["m1", "end_time"].date())) == ("drug", "2019-06-01")
    assert sorted(issues(cohort, "Condition")) == [
        (3, "c2", "rejected", "subject reference 'urn:uuid:missing' does not resolve"),
        (7, "c4", "skipped", "status entered-in-error"),
    ]
    assert issues(cohort, "Claim") == [(6, "x1", "skipped", "Claim is billing data, not modelled")]


def test_bad_patients(tmp_path):
    write_ndjson(tmp_path / "Patient.000.ndjson", [
        patient("p1"), patient("p1", gender="male"), patient("p2", birthDate="1970-02-31"),
        patient("p3", deceasedDateTime="2001-05-06T10:00:00+02:00"), patient("p4", deceasedBoolean=True),
        patient("p5", gender="other"),
    ])
    write_ndjson(tmp_path / "Observation.000.ndjson", [observation("o1", subject="Patient/p2", **quantity(6.0, "%"))])
    cohort = load_fhir(tmp_path)
    cohort.report.check()
    assert issues(cohort, "Patient") == [
        (2, "p1", "rejected", "conflicting duplicate: same Patient id as "
                              "test_bad_patients0/Patient.000.ndjson row 1 with other content"),
        (3, "p2", "rejected", "unparsable birthDate '1970-02-31'"),
    ]
    assert issues(cohort, "Observation") == [(1, "o1", "rejected", "unknown patient 'p2'")]
    assert cohort.patients.set_index("patient_id")["sex"].to_dict() == {"p1": "F", "p3": "F", "p4": "F", "p5": "U"}
    assert cohort.events[["patient_id", "kind"]].values.tolist() == [["p3", "death"]]
    assert counts(cohort, "Patient")["warnings"] == 1  # p4: deceasedBoolean without a date


def test_not_fhir_files_raise(tmp_path):
    (tmp_path / "notes.json").write_text("this is not json")
    with pytest.raises(DataLoadError, match="notes.json: not a JSON file"):
        load_fhir(tmp_path / "notes.json")
    (tmp_path / "other.json").write_text(json.dumps({"hello": "world"}))
    with pytest.raises(DataLoadError, match="other.json: JSON without a resourceType is not FHIR"):
        load_fhir(tmp_path / "other.json")
    write_ndjson(tmp_path / "rows.ndjson", ["a,b,c", "1,2,3"])
    with pytest.raises(DataLoadError, match="rows.ndjson: none of 2 lines is a FHIR resource"):
        load_fhir(tmp_path / "rows.ndjson")
    with pytest.raises(DataLoadError, match="no such file or directory"):
        load_fhir(tmp_path / "absent")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("nothing here")
    with pytest.raises(DataLoadError, match="no FHIR files"):
        load_fhir(empty)


def test_export_manifest_is_skipped(tmp_path):
    write_ndjson(tmp_path / "Patient.000.ndjson", [patient("p1")])
    (tmp_path / "manifest.json").write_text(json.dumps({"transactionTime": "2024-01-01", "output": []}))
    cohort = load_fhir([tmp_path, tmp_path / "Patient.000.ndjson"])  # the file given twice is read once
    cohort.report.check()
    assert len(cohort) == 1
    assert issues(cohort, "export manifest") == [(1, None, "skipped", "bulk-data export manifest, not FHIR")]


def test_encounter_classes_and_partial_dates(tmp_path):
    def encounter(eid: str, cls: str, start: str) -> dict:
        return {"resourceType": "Encounter", "id": eid, "subject": {"reference": "Patient/p1"},
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": cls},
                "period": {"start": start, "end": "2020-06-01"}}

    write_ndjson(tmp_path / "a.ndjson", [patient("p1"), encounter("e1", "AMB", "2020-05"), encounter("e2", "XYZ", "2020")])
    cohort = load_fhir(tmp_path)
    cohort.report.check()
    ev = cohort.events.set_index("source_id")
    assert ev.loc["e1", ["kind", "system", "code"]].tolist() == ["visit", "fhir", "outpatient"]
    assert str(ev.loc["e1", "time"]) == "2020-05-01 00:00:00" and str(ev.loc["e2", "time"]) == "2020-01-01 00:00:00"
    assert ev.loc["e2", "code"] == "xyz"
    assert cohort.report.warnings == {("Encounter", "class code 'XYZ' not in visit_classes; kept lower-cased"): 1}
