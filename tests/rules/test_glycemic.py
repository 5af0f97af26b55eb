"""rules/glycemic.dl: ADA Standards of Care 2025 §2 thresholds, windows, conflicts, confirmation."""

from __future__ import annotations

import pandas as pd
import pytest

from neurosym.facts import load_rule_library

from rulefacts import INDEX, holds, make_facts, values

A1C, FPG, OGTT = "4548-4", "1558-6", "1518-0"

#: (patient, loinc, value) -> expected status; one lab on the index day each.
BOUNDARIES = [
    ("a1c_5.6", A1C, 5.6, "normal"),
    ("a1c_5.7", A1C, 5.7, "prediabetes"),
    ("a1c_6.4", A1C, 6.4, "prediabetes"),
    ("a1c_6.45", A1C, 6.45, "prediabetes"),
    ("a1c_6.5", A1C, 6.5, "unconfirmed_hyperglycemia"),
    ("fpg_99", FPG, 99.0, "normal"),
    ("fpg_100", FPG, 100.0, "prediabetes"),
    ("fpg_125", FPG, 125.0, "prediabetes"),
    ("fpg_125.5", FPG, 125.5, "prediabetes"),
    ("fpg_126", FPG, 126.0, "unconfirmed_hyperglycemia"),
    ("ogtt_139", OGTT, 139.0, "normal"),
    ("ogtt_140", OGTT, 140.0, "prediabetes"),
    ("ogtt_199.5", OGTT, 199.5, "prediabetes"),
    ("ogtt_200", OGTT, 200.0, "unconfirmed_hyperglycemia"),
]


@pytest.fixture(scope="module")
def program():
    return load_rule_library(["glycemic"])


@pytest.fixture(scope="module")
def model(program, is_a_rows):
    pats, labs, conds = [], [], []

    def pat(pid, sex="female"):
        pats.append((pid, sex, 1970))

    for pid, loinc, value, _ in BOUNDARIES:
        pat(pid)
        labs.append((pid, loinc, value, INDEX))
    # lookback window edges: [INDEX - 730, INDEX]
    for pid, d in [("win_first", INDEX - 730), ("win_before", INDEX - 731), ("win_index", INDEX), ("win_after", INDEX + 1)]:
        pat(pid)
        labs.append((pid, A1C, 6.0, d))
    # the latest value wins; same-day values are averaged
    pat("latest")
    labs += [("latest", A1C, 6.8, INDEX - 400), ("latest", A1C, 5.5, INDEX - 10)]
    pat("sameday")
    labs += [("sameday", A1C, 6.4, INDEX - 5), ("sameday", A1C, 6.6, INDEX - 5)]
    # results of different days are not combined: the latest test day decides
    pat("conflict_dm")
    labs += [("conflict_dm", A1C, 5.9, INDEX - 3), ("conflict_dm", FPG, 130.0, INDEX - 100)]
    pat("conflict_pre")
    labs += [("conflict_pre", A1C, 5.5, INDEX - 3), ("conflict_pre", FPG, 110.0, INDEX - 3)]
    # diagnoses through the ontology
    pat("dx_icd")
    conds.append(("dx_icd", "icd10cm", "E11.65", INDEX - 2000))
    labs.append(("dx_icd", A1C, 5.4, INDEX - 5))
    pat("dx_snomed")
    conds.append(("dx_snomed", "snomed", "44054006", INDEX - 50))
    pat("dx_after")
    conds.append(("dx_after", "icd10cm", "E11.9", INDEX + 1))
    pat("gdm")
    conds.append(("gdm", "icd10cm", "O24.419", INDEX - 3000))
    pat("gdm_snomed")
    conds.append(("gdm_snomed", "snomed", "11687002", INDEX - 3000))
    pat("pre_dx")
    conds.append(("pre_dx", "icd10cm", "R73.03", INDEX - 1500))
    labs.append(("pre_dx", A1C, 5.3, INDEX - 5))
    pat("pre_dx_snomed")
    conds.append(("pre_dx_snomed", "snomed", "15777000", INDEX - 100))
    # confirmation
    pat("two_days")
    labs += [("two_days", A1C, 6.6, INDEX - 200), ("two_days", FPG, 127.0, INDEX - 20)]
    pat("same_sample")
    labs += [("same_sample", A1C, 6.7, INDEX - 20), ("same_sample", FPG, 130.0, INDEX - 20)]
    pat("confirmed_then_low")
    labs += [("confirmed_then_low", A1C, 6.9, INDEX - 300), ("confirmed_then_low", A1C, 6.7, INDEX - 200),
             ("confirmed_then_low", A1C, 6.1, INDEX - 10)]
    pat("single")
    labs.append(("single", A1C, 7.2, INDEX - 10))
    pat("one_in_window")
    labs += [("one_in_window", A1C, 7.0, INDEX - 800), ("one_in_window", A1C, 6.6, INDEX - 10)]
    # no evidence at all; a non-fasting glucose only
    pat("nothing")
    pat("random_glucose")
    labs.append(("random_glucose", "2345-7", 250.0, INDEX - 1))
    # issue 19 item 3: FPG 127 700 days ago + HbA1c 5.4 last week is not diabetes
    pat("old_fpg")
    labs += [("old_fpg", FPG, 127.0, INDEX - 700), ("old_fpg", A1C, 5.4, INDEX - 7)]
    # issue 19 item 3: a 40-year-old with one HbA1c of 6.6
    pats.append(("one_a1c", "female", 1984))
    labs.append(("one_a1c", A1C, 6.6, INDEX - 7))
    # issue 19 item 1: treatment; insulin glargine (diabetes-specific), metformin (other indications)
    pat("insulin")
    labs.append(("insulin", A1C, 6.2, INDEX - 7))
    drugs = [("insulin", "rxnorm", "274783", INDEX - 60), ("metformin", "rxnorm", "6809", INDEX - 60),
             ("metformin_a1c", "rxnorm", "6809", INDEX - 60), ("dx_metformin", "rxnorm", "6809", INDEX - 60),
             ("old_insulin", "rxnorm", "274783", INDEX - 400)]
    pat("metformin")
    pat("metformin_a1c")
    labs.append(("metformin_a1c", A1C, 6.7, INDEX - 7))
    pat("dx_metformin")
    conds.append(("dx_metformin", "icd10cm", "E11.9", INDEX - 900))
    pat("old_insulin")
    # a 2-h OGTT confirms an HbA1c of the same day; equal same-day values are two records
    pat("ogtt_a1c")
    labs += [("ogtt_a1c", OGTT, 210.0, INDEX - 3), ("ogtt_a1c", A1C, 6.6, INDEX - 3)]
    pat("equal_records")
    labs += [("equal_records", A1C, 6.0, INDEX - 3), ("equal_records", A1C, 6.0, INDEX - 3), ("equal_records", A1C, 7.2, INDEX - 3)]
    # pregnancy: HbA1c of the last 280 days is not used; FPG is
    pat("pregnant")
    conds.append(("pregnant", "icd10cm", "Z34.00", INDEX - 60))
    labs += [("pregnant", A1C, 5.9, INDEX - 30), ("pregnant", FPG, 92.0, INDEX - 30)]
    # history: HbA1c 6.1 ten months ago, 5.6 now (past prediabetes)
    pat("past_pre")
    labs += [("past_pre", A1C, 6.1, INDEX - 300), ("past_pre", A1C, 5.6, INDEX - 5)]
    codes = sorted({f"{s}:{c}" for _, s, c, _ in conds} | {"icd10cm:E11.9"})
    records = [("censored", A1C, 14.0, INDEX - 3, ">", 1), ("censored", A1C, 5.0, INDEX - 2, "<", 2)]
    pat("censored")
    facts = make_facts(pats, lab=labs, condition=conds, drug=drugs, is_a=is_a_rows(codes))
    facts["lab_record"] = pd.concat([facts["lab_record"], make_facts(lab_record=records)["lab_record"]], ignore_index=True)
    return program.evaluate(facts)


@pytest.mark.parametrize("pid, loinc, value, expected", BOUNDARIES)
def test_boundaries(model, pid, loinc, value, expected):
    assert values(model, "glycemic_status", pid) == {expected}


def test_exactly_one_status_per_patient(model):
    frame = model.query("glycemic_status")
    assert frame["patient"].is_unique


@pytest.mark.parametrize("pid, expected", [("win_first", {"prediabetes"}), ("win_before", set()),
                                           ("win_index", {"prediabetes"}), ("win_after", set())])
def test_lookback_window_edges(model, pid, expected):
    assert values(model, "glycemic_status", pid) == expected


def test_latest_value_wins(model):
    assert values(model, "glycemic_status", "latest") == {"normal"}
    assert values(model, "hba1c_latest", "latest") == {5.5}


def test_same_day_values_are_averaged(model):
    (mean,) = values(model, "hba1c_latest", "sameday")
    assert mean == pytest.approx(6.5)
    assert values(model, "glycemic_status", "sameday") == {"unconfirmed_hyperglycemia"}  # one sample, one test


def test_equal_same_day_values_are_separate_records(model):
    (mean,) = values(model, "hba1c_latest", "equal_records")
    assert mean == pytest.approx(6.4)  # (6.0 + 6.0 + 7.2) / 3, not (6.0 + 7.2) / 2 = 6.6
    assert values(model, "glycemic_status", "equal_records") == {"prediabetes"}


def test_latest_test_day_decides(model):
    """Results of different days are not combined 'highest wins'; the same day's tests are."""
    assert values(model, "glycemic_evidence", "conflict_dm") == {"prediabetes"}
    assert values(model, "glycemic_status", "conflict_dm") == {"prediabetes"}
    assert values(model, "glycemic_status", "conflict_pre") == {"prediabetes"}


def test_old_fpg_and_recent_normal_a1c_is_not_diabetes(model):
    """Issue 19 item 3: FPG 127 700 days ago, HbA1c 5.4 last week: normal now; the FPG is previous testing."""
    assert values(model, "glycemic_status", "old_fpg") == {"normal"}
    assert values(model, "past_dysglycemia", "old_fpg") == {INDEX - 700}
    assert not holds(model, "repeat_glycemic_test", "old_fpg")


def test_single_diabetes_range_value_is_unconfirmed(model):
    """Issue 19 item 3: one HbA1c of 6.6 is 'unconfirmed hyperglycemia: repeat the test', not diabetes."""
    assert values(model, "glycemic_status", "one_a1c") == {"unconfirmed_hyperglycemia"}
    assert holds(model, "repeat_glycemic_test", "one_a1c")
    assert not holds(model, "diabetes_confirmed", "one_a1c")


@pytest.mark.parametrize("pid, status", [("insulin", "diabetes"), ("metformin", "possible_diabetes"),
                                         ("metformin_a1c", "possible_diabetes"), ("dx_metformin", "diabetes"),
                                         ("old_insulin", None)])
def test_treatment_is_evidence(model, pid, status):
    """Issue 19 item 1: insulin, SU, DPP-4i, TZD mean diabetes; metformin, SGLT2i, GLP-1 RA possible diabetes."""
    assert values(model, "glycemic_status", pid) == ({status} if status else set())


def test_ogtt_confirms_same_day_hba1c(model):
    assert values(model, "glycemic_status", "ogtt_a1c") == {"diabetes"}
    assert values(model, "glycemic_evidence", "ogtt_a1c") == {"diabetes_range", "diabetes"}


def test_pregnancy_masks_hba1c(model):
    assert values(model, "glycemic_evidence", "pregnant") == {"normal"}
    assert values(model, "glycemic_status", "pregnant") == {"normal"}
    assert values(model, "hba1c_latest", "pregnant") == set()


def test_censored_results_are_not_used(model):
    assert values(model, "glycemic_status", "censored") == set()


def test_past_prediabetes(model):
    assert values(model, "glycemic_status", "past_pre") == {"normal"}
    assert values(model, "past_dysglycemia", "past_pre") == {INDEX - 300}


def test_diagnosis_through_ontology(model):
    assert values(model, "glycemic_status", "dx_icd") == {"diabetes"}
    assert values(model, "glycemic_status", "dx_snomed") == {"diabetes"}
    assert values(model, "glycemic_status", "dx_after") == set()


def test_snomed_diagnosis_proof_has_ontology_path(model):
    proof = model.explain('diabetes_diagnosis("dx_snomed", D)')
    # plain-dict facts carry the path as source text (a Facts object gives an ontology leaf, see test_library_integration)
    sources = [leaf.source.text for leaf in proof.leaves() if leaf.atom.startswith("is_a") and leaf.source]
    assert any(s.startswith("snomed:44054006 -> ") and s.endswith("icd10cm:E08-E13") for s in sources), sources


def test_gestational_diabetes_is_not_diabetes(model):
    """DOID files gestational diabetes under diabetes mellitus; ICD-10-CM keeps O24.4 outside E08-E13."""
    assert values(model, "glycemic_status", "gdm") == set()
    assert values(model, "glycemic_status", "gdm_snomed") == set()


def test_prediabetes_diagnosis(model):
    assert values(model, "glycemic_status", "pre_dx") == {"normal"}  # a later normal test supersedes it
    assert values(model, "past_dysglycemia", "pre_dx") == {INDEX - 1500}
    assert values(model, "glycemic_status", "pre_dx_snomed") == {"prediabetes"}


def test_confirmation(model):
    assert holds(model, "diabetes_confirmed", "two_days")
    assert holds(model, "diabetes_confirmed", "same_sample")
    assert holds(model, "diabetes_confirmed", "dx_icd")
    assert holds(model, "repeat_glycemic_test", "single")
    assert not holds(model, "diabetes_confirmed", "single")
    # a diabetes-range value outside the window does not confirm
    assert holds(model, "repeat_glycemic_test", "one_in_window")
    assert values(model, "glycemic_status", "two_days") == {"diabetes"}
    assert values(model, "glycemic_status", "same_sample") == {"diabetes"}


def test_confirmed_diabetes_survives_a_lower_latest_value(model):
    assert values(model, "glycemic_evidence", "confirmed_then_low") >= {"diabetes", "prediabetes"}
    assert values(model, "glycemic_status", "confirmed_then_low") == {"diabetes"}
    assert not holds(model, "repeat_glycemic_test", "confirmed_then_low")


def test_no_evidence_no_conclusion(model):
    assert values(model, "glycemic_status", "nothing") == set()
    assert values(model, "glycemic_status", "random_glucose") == set()
    report = model.why_not('glycemic_status("nothing", normal)')
    assert not report.holds and report.attempts


def test_every_rule_is_annotated(program):
    for rule in program.rules:
        assert rule.cite and rule.doc and not rule.id.startswith(("<", "/")), rule.id


def test_proofs_carry_citations(model):
    proof = model.explain('glycemic_status("same_sample", diabetes)')
    rules = [n for n in proof.walk() if n.kind == "rule"]
    assert rules and all(n.cite for n in rules)
    assert any(n.rule_id == "ada.glycemic.confirmed_same_sample" for n in rules)


def test_empty_facts_give_no_status(program):
    model = program.evaluate(make_facts([("x", "male", 1980)]))
    assert model.count("glycemic_status") == 0
    assert isinstance(model.query("glycemic_status"), pd.DataFrame)
