"""Plausibility warnings and unit conversions (issue 14, items 6 and 7).

Implausible values and dates are loaded with a warning that names the range
and its source (``configs/units.yaml`` and each source's YAML); nothing is
rejected for being implausible alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from neurosym.data import load_fhir, load_fitbit, load_omop
from neurosym.data._units import analytes, convert

PERSON = "person_id,gender_concept_id,year_of_birth,birth_datetime\n1,8532,1960,\n2,8507,1950,\n"
CONCEPTS = ("concept_id,concept_name,vocabulary_id,concept_code\n3004410,Hemoglobin A1c,LOINC,4548-4\n"
            "3016723,Creatinine,LOINC,2160-0\n3025315,Body weight,LOINC,29463-7\n3038553,BMI,LOINC,39156-5\n")
MEASUREMENT = "measurement_id,person_id,measurement_concept_id,measurement_date,value_as_number,unit_source_value\n"


def omop(tmp_path: Path, measurement: list[str], person: str = PERSON, death: str | None = None):
    (tmp_path / "person.csv").write_text(person)
    (tmp_path / "concept.csv").write_text(CONCEPTS)
    (tmp_path / "measurement.csv").write_text(MEASUREMENT + "".join(row + "\n" for row in measurement))
    if death is not None:
        (tmp_path / "death.csv").write_text(death)
    cohort = load_omop(tmp_path)
    cohort.report.check()
    return cohort


def warned(cohort, table: str) -> dict[str, int]:
    return {m: n for (t, m), n in cohort.report.warnings.items() if t == table}


def test_implausible_values_are_warned_with_their_source_and_kept(tmp_path):
    cohort = omop(tmp_path, ["1,1,3004410,2020-01-01,-6.1,%", "2,1,3016723,2020-01-01,-1.0,mg/dL",
                             "3,1,3025315,2020-01-01,0,kg", "4,1,3025315,2020-01-02,5260,kg",
                             "5,1,3038553,2020-01-01,2260,kg/m2", "6,1,3004410,2020-02-01,6.1,%"])
    assert len(cohort.events) == 6
    sources = {a.loinc: a.plausible_source for a in analytes().values()}
    assert warned(cohort, "measurement") == {
        f"implausible hemoglobin A1c (outside 2 .. 25 %, {sources['4548-4']}; kept)": 1,
        f"implausible creatinine in serum or plasma (outside 0.05 .. 40 mg/dL, {sources['2160-0']}; kept)": 1,
        f"implausible body weight (outside 0.2 .. 650 kg, {sources['29463-7']}; kept)": 2,
        f"implausible body mass index (outside 7 .. 250 kg/m2, {sources['39156-5']}; kept)": 1,
    }
    examples = cohort.report.warning_reasons().set_index("message")["example"]
    assert examples[f"implausible body weight (outside 0.2 .. 650 kg, {sources['29463-7']}; kept)"] == "row 3 (id 3)"


@pytest.mark.parametrize("date", ["0001-01-01", "1800-06-01", "2200-01-01", "9999-12-31"])
def test_implausible_dates_are_warned(tmp_path, date):
    cohort = omop(tmp_path, [f"1,1,3004410,{date},6.1,%"],
                  person=f"person_id,gender_concept_id,year_of_birth,birth_datetime\n1,8532,1960,{date}\n")
    assert len(cohort.events) == 1 and len(cohort.patients) == 1
    assert warned(cohort, "measurement") == {"implausible event date outside 1850-01-01 .. 2100-12-31 (kept)": 1}
    assert warned(cohort, "person") == {"implausible birth date outside 1850-01-01 .. 2100-12-31 (kept)": 1}


def test_death_before_birth_is_warned(tmp_path):
    cohort = omop(tmp_path, [], death="person_id,death_date\n1,1950-01-01\n")
    assert warned(cohort, "person") == {"death date before birth date (kept)": 1}


def test_duplicate_measurement_ids_with_other_content_are_warned(tmp_path):
    cohort = omop(tmp_path, ["1,1,3004410,2020-01-01,6.1,%", "1,1,3004410,2020-01-01,7.9,%",
                             "2,1,3004410,2020-03-01,6.1,%"])
    assert warned(cohort, "measurement") == {"record id shared with another record of other content (both kept)": 2}


def test_fhir_dates_and_values_are_checked_too(tmp_path):
    rows = [{"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01", "deceasedDateTime": "1960-01-01"},
            {"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/p1"},
             "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
             "effectiveDateTime": "9999-01-01", "valueQuantity": {"value": -3, "code": "%"}}]
    (tmp_path / "a.ndjson").write_text("\n".join(map(json.dumps, rows)))
    cohort = load_fhir(tmp_path)
    cohort.report.check()
    assert set(warned(cohort, "Patient")) == {"death date before birth date (kept)"}
    assert {m.split(" (")[0] for m in warned(cohort, "Observation")} == {"implausible hemoglobin A1c",
                                                                          "implausible event date outside 1850-01-01 .. 2100-12-31"}


def test_a_lifelog_day_with_all_minute_columns_zero_has_no_steps(tmp_path):
    (tmp_path / "dailyActivity_merged.csv").write_text(
        "Id,ActivityDate,TotalSteps,VeryActiveMinutes,FairlyActiveMinutes,LightlyActiveMinutes,SedentaryMinutes\n"
        "1,4/12/2016,0,0,0,0,0\n1,4/13/2016,5000,10,10,100,900\n")
    daily = load_fitbit(tmp_path).lifelog.daily
    assert daily[["worn_minutes", "steps", "active_minutes"]].astype(object).where(
        daily[["worn_minutes", "steps", "active_minutes"]].notna(), None).values.tolist() == [
        [0, None, None], [1020, 5000, 20]]


@pytest.mark.parametrize("unit, expected", [("mmol/mol", 7.0), ("mmol/mol{Hb}", 7.0), ("%", 53.0)])
def test_hba1c_in_ifcc_units_under_4548_4(unit, expected):
    # NGSP % = 0.09148 * IFCC mmol/mol + 2.152 (the IFCC-NGSP master equation): 53 mmol/mol -> 7.0 %
    assert convert("4548-4", 53.0, unit) == ("4548-4", expected, "%")


def test_every_analyte_has_a_sourced_plausible_range_and_the_ucum_units_of_real_exports():
    config = yaml.safe_load((Path(__import__("neurosym.data").data.__file__).parent / "configs/units.yaml").read_text())
    seen = {  # UCUM units in Synthea FHIR/OMOP, MIMIC-III LABEVENTS and LOINC's example units
        "4548-4": ["%", "%{HbA1c}", "mmol/mol"], "2345-7": ["mg/dL", "mmol/L"], "1558-6": ["mg/dL", "mmol/L"],
        "2160-0": ["mg/dL", "umol/L"], "98979-8": ["mL/min/{1.73_m2}"], "33914-3": ["mL/min/{1.73_m2}"],
        "62238-1": ["mL/min/{1.73_m2}"], "9318-7": ["mg/g", "mg/mmol{creat}"], "2093-3": ["mg/dL", "mmol/L"],
        "2085-9": ["mg/dL", "mmol/L"], "18262-6": ["mg/dL", "mmol/L"], "2571-8": ["mg/dL", "mmol/L"],
        "39156-5": ["kg/m2"], "8480-6": ["mm[Hg]"], "8462-4": ["mm[Hg]"], "29463-7": ["kg", "[lb_av]", "g"],
        "8302-2": ["cm", "[in_i]", "m"], "56086-2": ["cm", "[in_i]"], "8867-4": ["/min", "{beats}/min"],
    }
    assert {entry["loinc"] for entry in config["analytes"]} == set(seen)
    for entry in config["analytes"]:
        assert entry["plausible"]["source"] and len(entry["plausible"]["range"]) == 2, entry["loinc"]
        for unit in seen[entry["loinc"]]:
            code, value, canonical = convert(entry["loinc"], 1.0, unit)
            assert canonical == entry["unit"] and pd.notna(value), (entry["loinc"], unit)
