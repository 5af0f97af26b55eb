import numpy as np
import pandas as pd
import pytest

from neurosym import InputError, UnknownIdError
from neurosym.data import Cohort, Lifelog, edit_facts, modifiable_facts, synthetic_cohort

LM = "2024-01-01"


def _event(time, code, value, row, system="loinc", kind="measurement", patient="a", text=None):
    return {"patient_id": patient, "time": time, "kind": kind, "system": system, "code": code, "value": value,
            "value_text": text, "source_dataset": "hand", "source_table": "labs", "source_row": row}


@pytest.fixture()
def cohort():
    events = pd.DataFrame([
        _event("2023-01-01", "4548-4", 6.0, 1),
        _event("2023-06-01", "4548-4", 6.4, 2),
        _event("2024-02-01", "4548-4", 7.0, 3),  # after the landmark: never read or edited
        _event("2023-06-01", "29463-7", 100.0, 4),
        _event("2023-06-01", "39156-5", 25.0, 5),
        _event("2022-01-01", "8302-2", 200.0, 6),
        _event("2023-06-01", "8480-6", 140.0, 7),
        _event("2023-06-01", "8480-6", 150.0, 8),
        _event("2023-06-01", "77176002", None, 9, system="snomed", kind="observation"),
        _event("2023-06-01", "39156-5", 30.0, 10, patient="b"),  # b: a BMI, no weight, no height
        _event("2023-06-01", "29463-7", 90.0, 11, patient="c"),  # c: weight and BMI, no height
        _event("2023-06-01", "39156-5", 30.0, 12, patient="c"),
        # d: smoking status as Synthea's FHIR sends it (LOINC 72166-2 with a text answer); e: OMOP's SNOMED finding
        _event("2022-06-01", "72166-2", None, 13, kind="observation", patient="d", text="Never smoker"),
        _event("2023-06-01", "72166-2", None, 14, kind="observation", patient="d", text="Current every day smoker"),
        _event("2023-06-01", "449868002", None, 15, system="snomed", kind="observation", patient="e"),
    ])
    daily = pd.DataFrame({
        "patient_id": ["a"] * 5,
        "date": ["2023-12-28", "2023-12-29", "2023-12-30", "2023-12-31", "2023-01-01"],
        "steps": [1000, 2000, None, 3000, 9999],
        "active_minutes": [5, 10, None, 20, 60],
        "sleep_minutes": [360, None, None, 420, 480],
        "worn_minutes": [900, 900, 0, 15, 900],
        "source_dataset": "hand", "source_table": "daily", "source_row": [1, 2, 3, 4, 5],
    })
    patients = pd.DataFrame({"patient_id": ["a", "b", "c", "d", "e"], "sex": ["F", "M", "F", "M", "F"]})
    return Cohort.from_frames(patients, events, lifelog=Lifelog.from_frames(daily), name="hand")


def _lm(*ids):
    return pd.DataFrame({"patient_id": list(ids), "landmark": LM})


def _values(cohort, pid="a"):
    facts = modifiable_facts(cohort, _lm(pid))
    return dict(zip(facts["fact"], facts["value"]))


def test_modifiable_facts_read_the_latest_day_and_the_lifelog_window(cohort):
    facts = modifiable_facts(cohort, _lm("a", "b"))
    assert facts["fact"].tolist() == ["hba1c", "bmi", "weight", "sbp", "steps", "sleep_hours", "smoking", "bmi"]
    assert facts["value"].tolist() == [6.4, 25.0, 100.0, 145.0, 2000.0, 6.5, "current", 30.0]
    assert facts["n"].tolist() == [1, 1, 1, 2, 3, 2, 1, 1]
    assert facts["unit"].tolist() == ["%", "kg/m2", "kg", "mmHg", "steps/day", "h", None, "kg/m2"]


def test_edits_move_the_readings_they_were_read_from_and_leave_the_input_alone(cohort):
    edits = _lm("a").assign(fact=["hba1c"], value=[5.9])
    edits = pd.concat([edits, _lm("a").assign(fact="sbp", value=130.0), _lm("a").assign(fact="smoking", value="former"),
                       _lm("a").assign(fact="steps", value=3000.0), _lm("a").assign(fact="sleep_hours", value=7.5)])
    edited = edit_facts(cohort, edits)
    assert _values(edited) == {"hba1c": 5.9, "bmi": 25.0, "weight": 100.0, "sbp": 130.0, "steps": 3000.0,
                               "sleep_hours": 7.5, "smoking": "former"}
    ev = edited.events.set_index("source_row")
    assert ev.loc[[1, 2, 3, 7, 8], "value"].tolist() == [6.0, 5.9, 7.0, 125.0, 135.0]
    assert ev.loc[9, "code"] == "8517006"
    assert (ev.loc[[2, 7, 8, 9], "source_dataset"] == "what-if").all() and ev.loc[1, "source_dataset"] == "hand"
    day = edited.lifelog.daily.set_index("source_row").sort_index()
    # worn days +1000 steps and +10 active minutes (capped by wear); the unworn day and the old day untouched
    assert day["steps"].astype(object).where(day["steps"].notna(), None).tolist() == [2000, 3000, None, 4000, 9999]
    assert day["active_minutes"].astype(object).where(day["active_minutes"].notna(), None).tolist() == [15, 20, None, 15, 60]
    assert day["sleep_minutes"].astype(object).where(day["sleep_minutes"].notna(), None).tolist() == [420, None, None, 480, 480]
    assert _values(cohort) == {"hba1c": 6.4, "bmi": 25.0, "weight": 100.0, "sbp": 145.0, "steps": 2000.0,
                               "sleep_hours": 6.5, "smoking": "current"}


def test_smoking_status_from_fhir_text_and_omop_findings(cohort):
    assert modifiable_facts(cohort, _lm("d", "e"))["value"].tolist() == ["current", "current"]
    edited = edit_facts(cohort, _lm("d", "e").assign(fact="smoking", value="former"))
    assert modifiable_facts(edited, _lm("d", "e"))["value"].tolist() == ["former", "former"]
    ev = edited.events.set_index("source_row")
    assert (ev.loc[13, "value_text"], ev.loc[14, "value_text"], ev.loc[15, "code"]) == ("Never smoker", "Former smoker", "8517006")


def test_weight_and_bmi_move_together(cohort):
    by_height = _values(edit_facts(cohort, _lm("a").assign(fact="weight", value=90.0)))
    assert (by_height["weight"], round(by_height["bmi"], 6)) == (90.0, 22.5)
    from_bmi = _values(edit_facts(cohort, _lm("a").assign(fact="bmi", value=24.0)))
    assert (round(from_bmi["weight"], 6), from_bmi["bmi"]) == (96.0, 24.0)
    no_height = _values(edit_facts(cohort, _lm("c").assign(fact="weight", value=81.0)), "c")
    assert (no_height["weight"], round(no_height["bmi"], 6)) == (81.0, 27.0)
    only_bmi = _values(edit_facts(cohort, _lm("b").assign(fact="bmi", value=27.0)), "b")
    assert only_bmi == {"bmi": 27.0}


def test_bad_edits_are_errors(cohort):
    with pytest.raises(InputError, match="unknown fact 'glucose'; modifiable facts are"):
        edit_facts(cohort, _lm("a").assign(fact="glucose", value=90.0))
    with pytest.raises(InputError, match="patient 'b' has no hba1c recorded before 2024-01-01; .* invents none"):
        edit_facts(cohort, _lm("b").assign(fact="hba1c", value=5.0))
    with pytest.raises(UnknownIdError, match="no patient 'zz' in hand"):
        edit_facts(cohort, _lm("zz").assign(fact="hba1c", value=5.0))
    with pytest.raises(InputError, match="landmark 2020-01-01 of patient 'a' is not after anything recorded .*2022-01-01"):
        modifiable_facts(cohort, pd.DataFrame({"patient_id": ["a"], "landmark": ["2020-01-01"]}))
    with pytest.raises(InputError, match="unknown smoking status 'sometimes'"):
        edit_facts(cohort, _lm("a").assign(fact="smoking", value="sometimes"))
    with pytest.raises(InputError, match="new hba1c of patient 'a' must be a number >= 0; got -1"):
        edit_facts(cohort, _lm("a").assign(fact="hba1c", value=-1))
    with pytest.raises(InputError, match="give weight or bmi, not both"):
        edit_facts(cohort, pd.concat([_lm("a").assign(fact="bmi", value=24.0), _lm("a").assign(fact="weight", value=90.0)]))
    with pytest.raises(InputError, match="weeks must be >= 1"):
        modifiable_facts(cohort, _lm("a"), weeks=0)


def test_edits_are_vectorised_over_many_patients():
    cohort = synthetic_cohort(60, seed=2)
    lm = pd.DataFrame({"patient_id": cohort.patient_ids, "landmark": LM})
    facts = modifiable_facts(cohort, lm)
    hba1c = facts[facts["fact"] == "hba1c"]
    edited = edit_facts(cohort, hba1c.assign(landmark=LM, value=hba1c["value"] - 0.5)[["patient_id", "landmark", "fact", "value"]])
    again = modifiable_facts(edited, lm)
    assert np.allclose(again.loc[again["fact"] == "hba1c", "value"].astype(float).to_numpy(),
                       hba1c["value"].astype(float).to_numpy() - 0.5)
    untouched = facts[facts["fact"] != "hba1c"].reset_index(drop=True)
    assert again[again["fact"] != "hba1c"].reset_index(drop=True).equals(untouched)
