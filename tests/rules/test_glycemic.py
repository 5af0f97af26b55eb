"""rules/glycemic.dl: ADA Standards of Care 2025 §2 thresholds, windows, conflicts, confirmation."""

from __future__ import annotations

import pandas as pd
import pytest

from neurosym.facts import load_rule_library

from rulefacts import INDEX, holds, make_facts, values

A1C, FPG = "4548-4", "1558-6"

#: (patient, loinc, value) -> expected status; one lab on the index day each.
BOUNDARIES = [
    ("a1c_5.6", A1C, 5.6, "normal"),
    ("a1c_5.7", A1C, 5.7, "prediabetes"),
    ("a1c_6.4", A1C, 6.4, "prediabetes"),
    ("a1c_6.45", A1C, 6.45, "prediabetes"),
    ("a1c_6.5", A1C, 6.5, "diabetes"),
    ("fpg_99", FPG, 99.0, "normal"),
    ("fpg_100", FPG, 100.0, "prediabetes"),
    ("fpg_125", FPG, 125.0, "prediabetes"),
    ("fpg_125.5", FPG, 125.5, "prediabetes"),
    ("fpg_126", FPG, 126.0, "diabetes"),
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
    # conflicts: the highest category wins
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
    codes = sorted({f"{s}:{c}" for _, s, c, _ in conds})
    facts = make_facts(pats, lab=labs, condition=conds, is_a=is_a_rows(codes))
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
    assert values(model, "glycemic_status", "sameday") == {"diabetes"}


def test_highest_category_wins(model):
    assert values(model, "glycemic_evidence", "conflict_dm") == {"prediabetes", "diabetes"}
    assert values(model, "glycemic_status", "conflict_dm") == {"diabetes"}
    assert values(model, "glycemic_status", "conflict_pre") == {"prediabetes"}


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
    assert values(model, "glycemic_status", "pre_dx") == {"prediabetes"}
    assert values(model, "glycemic_status", "pre_dx_snomed") == {"prediabetes"}


def test_confirmation(model):
    assert holds(model, "diabetes_confirmed", "two_days")
    assert holds(model, "diabetes_confirmed", "same_sample")
    assert holds(model, "diabetes_confirmed", "dx_icd")
    assert holds(model, "diabetes_unconfirmed", "single")
    assert not holds(model, "diabetes_confirmed", "single")
    # a diabetes-range value outside the window does not confirm
    assert holds(model, "diabetes_unconfirmed", "one_in_window")


def test_confirmed_diabetes_survives_a_lower_latest_value(model):
    assert values(model, "glycemic_evidence", "confirmed_then_low") >= {"diabetes", "prediabetes"}
    assert values(model, "glycemic_status", "confirmed_then_low") == {"diabetes"}
    assert not holds(model, "diabetes_unconfirmed", "confirmed_then_low")


def test_no_evidence_no_conclusion(model):
    assert values(model, "glycemic_status", "nothing") == set()
    assert values(model, "glycemic_status", "random_glucose") == set()
    report = model.why_not('glycemic_status("nothing", normal)')
    assert not report.holds and report.attempts


def test_every_rule_is_annotated(program):
    for rule in program.rules:
        assert rule.cite and rule.doc and not rule.id.startswith(("<", "/")), rule.id


def test_proofs_carry_citations(model):
    proof = model.explain('glycemic_status("conflict_dm", diabetes)')
    rules = [n for n in proof.walk() if n.kind == "rule"]
    assert rules and all(n.cite for n in rules)
    assert any(n.rule_id == "ada.glycemic.fpg_diabetes" for n in rules)


def test_empty_facts_give_no_status(program):
    model = program.evaluate(make_facts([("x", "male", 1980)]))
    assert model.count("glycemic_status") == 0
    assert isinstance(model.query("glycemic_status"), pd.DataFrame)
