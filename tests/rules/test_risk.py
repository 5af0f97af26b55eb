"""rules/risk.dl: ADA 2025 type 2 diabetes risk factors and testing criteria."""

from __future__ import annotations

import pytest

from neurosym.facts import load_rule_library

from rulefacts import INDEX, holds, make_facts, values

IW = (INDEX + 3) // 7
YEAR = 2024  # calendar year of INDEX


@pytest.fixture(scope="module")
def program():
    return load_rule_library(["risk"])


@pytest.fixture(scope="module")
def model(program, is_a_rows):
    pats, conds, labs, vitals, drugs, act, deaths = [], [], [], [], [], [], []

    def pat(pid, age=30, sex="female"):
        pats.append((pid, sex, YEAR - age))

    def bmi(pid, v):
        vitals.append((pid, "bmi", v, INDEX - 3))

    def dx(pid, system, code):
        conds.append((pid, system, code, INDEX - 100))

    pat("age_34", 34); pat("age_35", 35)
    pat("bmi_24.9"); bmi("bmi_24.9", 24.9)
    pat("bmi_25"); bmi("bmi_25", 25.0)
    pat("fh"); dx("fh", "icd10cm", "Z83.3")
    pat("htn_dx"); dx("htn_dx", "snomed", "38341003")
    pat("htn_bp"); vitals += [("htn_bp", "sbp", 130.0, INDEX - 3), ("htn_bp", "dbp", 70.0, INDEX - 3)]
    pat("htn_bp_no"); vitals += [("htn_bp_no", "sbp", 129.0, INDEX - 3), ("htn_bp_no", "dbp", 79.0, INDEX - 3)]
    pat("htn_drug"); drugs.append(("htn_drug", "rxnorm", "314076", INDEX - 60))
    pat("gdm"); dx("gdm", "icd10cm", "O24.419")
    pat("gdm_history"); dx("gdm_history", "icd10cm", "Z86.32")
    pat("hdl_35"); labs.append(("hdl_35", "2085-9", 35.0, INDEX - 3))
    pat("hdl_34.9"); labs.append(("hdl_34.9", "2085-9", 34.9, INDEX - 3))
    pat("tg_250"); labs.append(("tg_250", "2571-8", 250.0, INDEX - 3))
    pat("tg_251"); labs.append(("tg_251", "2571-8", 251.0, INDEX - 3))
    pat("cvd"); dx("cvd", "icd10cm", "I25.10")
    pat("cvd_snomed"); dx("cvd_snomed", "snomed", "53741008")
    pat("pcos"); dx("pcos", "icd10cm", "E28.2")
    pat("inactive")
    for k in (IW - 1, IW - 2):
        act.extend(("inactive", 7 * k - 3 + d, 3000, 10, 900) for d in range(4))
    pat("prediabetes"); labs.append(("prediabetes", "4548-4", 5.9, INDEX - 3))
    # at risk (ADA testing criteria)
    pat("ow_only", 50); bmi("ow_only", 27.0)
    pat("ow_fh"); bmi("ow_fh", 27.0); dx("ow_fh", "icd10cm", "Z83.3")
    pat("ow_inactive"); bmi("ow_inactive", 31.0)
    for k in (IW - 1, IW - 2):
        act.extend(("ow_inactive", 7 * k - 3 + d, 3000, 10, 900) for d in range(4))
    pat("normal_fh"); bmi("normal_fh", 22.0); dx("normal_fh", "icd10cm", "Z83.3")
    pat("diabetic", 50); bmi("diabetic", 33.0); dx("diabetic", "icd10cm", "E11.9"); dx("diabetic", "icd10cm", "Z83.3")
    pat("child", 12); labs.append(("child", "4548-4", 6.0, INDEX - 3))
    pat("dead", 60); labs.append(("dead", "4548-4", 6.0, INDEX - 3)); deaths.append(("dead", INDEX - 1))
    codes = sorted({f"{s}:{c}" for _, s, c, _ in conds})
    facts = make_facts(pats, condition=conds, lab=labs, vital=vitals, drug=drugs, activity=act, death=deaths,
                       is_a=is_a_rows(codes))
    return program.evaluate(facts)


@pytest.mark.parametrize("pid, factors", [
    ("age_34", set()), ("age_35", {"age_35_plus"}),
    ("bmi_24.9", set()), ("bmi_25", {"overweight"}),
    ("fh", {"family_history"}),
    ("htn_dx", {"hypertension"}), ("htn_bp", {"hypertension"}), ("htn_bp_no", set()), ("htn_drug", {"hypertension"}),
    ("gdm", {"gestational_diabetes"}), ("gdm_history", {"gestational_diabetes"}),
    ("hdl_35", set()), ("hdl_34.9", {"dyslipidemia"}), ("tg_250", set()), ("tg_251", {"dyslipidemia"}),
    ("cvd", {"cvd"}), ("cvd_snomed", {"cvd"}), ("pcos", {"pcos"}),
    ("inactive", {"physical_inactivity"}), ("prediabetes", {"prediabetes"}),
])
def test_risk_factors(model, pid, factors):
    assert values(model, "t2d_risk_factor", pid) == factors


@pytest.mark.parametrize("pid, at_risk, screening", [
    ("prediabetes", True, True), ("gdm", True, True), ("gdm_history", True, True),
    ("ow_only", False, True),  # overweight alone is not enough; age 50 indicates testing
    ("ow_fh", True, True), ("ow_inactive", True, True), ("normal_fh", False, False),
    ("age_35", False, True), ("age_34", False, False),
    ("diabetic", False, False), ("child", False, False), ("dead", False, False),
])
def test_at_risk_and_screening(model, pid, at_risk, screening):
    assert holds(model, "at_risk_t2d", pid) is at_risk
    assert holds(model, "t2d_screening_indicated", pid) is screening


def test_never_at_risk_with_diabetes(model):
    diabetic = set(model.query("glycemic_status").query("status == 'diabetes'")["patient"])
    assert diabetic == {"diabetic"}
    assert not diabetic & set(model.query("at_risk_t2d")["patient"])
    assert values(model, "t2d_risk_factor", "diabetic") >= {"family_history", "overweight", "age_35_plus"}


def test_at_risk_proof(model):
    proof = model.explain('at_risk_t2d("ow_fh")')
    ids = [n.rule_id for n in proof.walk() if n.kind == "rule"]
    assert ids[0] == "ada.risk.at_risk_overweight_plus"
    assert "ada.risk.family_history" in ids and "who.bmi.overweight" in ids
    assert all(n.cite for n in proof.walk() if n.kind == "rule")
    leaves = [leaf.atom for leaf in proof.leaves()]
    assert any(a.startswith("is_a(icd10cm, Z83.3") or a.startswith('is_a(icd10cm, "Z83.3"') for a in leaves), leaves
