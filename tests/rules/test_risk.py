"""rules/risk.dl: ADA 2025 type 2 diabetes risk factors and testing criteria."""

from __future__ import annotations

import pytest

from neurosym.facts import load_rule_library

from rulefacts import INDEX, day, holds, make_facts, values

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

    def bp(pid, sbp, dbp, days=(INDEX - 40, INDEX - 3)):
        vitals.extend((pid, k, v, d) for d in days for k, v in (("sbp", sbp), ("dbp", dbp)))

    pat("age_34", 34); pat("age_35", 35)
    pat("bmi_24.9"); bmi("bmi_24.9", 24.9)
    pat("bmi_25"); bmi("bmi_25", 25.0)
    pat("fh"); dx("fh", "icd10cm", "Z83.3")
    pat("htn_dx"); dx("htn_dx", "snomed", "38341003")
    pat("htn_bp"); bp("htn_bp", 130.0, 70.0)
    pat("htn_bp_no"); bp("htn_bp_no", 129.0, 79.0)
    pat("htn_bp_once"); bp("htn_bp_once", 150.0, 95.0, days=(INDEX - 3,))  # one occasion: not classified
    pat("htn_drug"); drugs.append(("htn_drug", "rxnorm", "314076", INDEX - 60))  # no diagnosis, no high readings
    pat("htn_drug_readings"); drugs.append(("htn_drug_readings", "rxnorm", "314076", INDEX - 60))
    bp("htn_drug_readings", 150.0, 92.0, days=(INDEX - 700,)); bp("htn_drug_readings", 122.0, 76.0)  # controlled now
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
    for pid, code in (("cvd_z86_73", "Z86.73"), ("cvd_z95_1", "Z95.1"), ("cvd_z95_5", "Z95.5"), ("cvd_i65", "I65.23"),
                      ("cvd_i66", "I66.01"), ("acanthosis", "L83"), ("masld", "K76.0"), ("mash", "K75.81")):
        pat(pid); dx(pid, "icd10cm", code)
    pat("severe_obesity"); bmi("severe_obesity", 41.0)
    # --- issue 19 examples
    # item 1: a woman of 30 on insulin glargine, no diabetes code, HbA1c 6.2 %, BMI 27
    pat("insulin_woman"); drugs.append(("insulin_woman", "rxnorm", "274783", INDEX - 30))
    labs.append(("insulin_woman", "4548-4", 6.2, INDEX - 7)); bmi("insulin_woman", 27.0)
    # item 1: metformin for PCOS: possible diabetes, kept out of screening
    pat("metformin_pcos"); drugs.append(("metformin_pcos", "rxnorm", "6809", INDEX - 30))
    dx("metformin_pcos", "icd10cm", "E28.2"); bmi("metformin_pcos", 27.0)
    # item 3: FPG 127 700 days ago plus HbA1c 5.4 last week; a 40-year-old with one HbA1c of 6.6
    pat("old_fpg"); labs += [("old_fpg", "1558-6", 127.0, INDEX - 700), ("old_fpg", "4548-4", 5.4, INDEX - 7)]
    pat("one_a1c", 40); labs.append(("one_a1c", "4548-4", 6.6, INDEX - 7))
    # item 5: HbA1c 6.1 ten months ago and 5.6 now
    pat("past_pre"); labs += [("past_pre", "4548-4", 6.1, INDEX - 300), ("past_pre", "4548-4", 5.6, INDEX - 5)]
    # item 6: a man of 30 on metoprolol with BP 112/70 (BMI 27)
    pat("metoprolol", sex="male"); drugs.append(("metoprolol", "rxnorm", "6918", INDEX - 30))
    bp("metoprolol", 112.0, 70.0); bmi("metoprolol", 27.0)
    # item 8: exact age: born 1 December 1989 is 34 on 4 October 2024 (calendar years give 35)
    pat("born_dec_1989", 35)
    # pregnancy: no BMI class (WHO TRS 894 classes are for non-pregnant adults)
    pat("pregnant_bmi"); bmi("pregnant_bmi", 31.0); dx("pregnant_bmi", "icd10cm", "Z34.00")
    births = [("born_dec_1989", day(1989, 12, 1))]
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
                       birth=births, is_a=is_a_rows(codes))
    return program.evaluate(facts)


@pytest.mark.parametrize("pid, factors", [
    ("age_34", set()), ("age_35", {"age_35_plus"}),
    ("bmi_24.9", set()), ("bmi_25", {"overweight"}),
    ("fh", {"family_history"}),
    ("htn_dx", {"hypertension"}), ("htn_bp", {"hypertension"}), ("htn_bp_no", set()), ("htn_bp_once", set()),
    ("htn_drug", set()), ("htn_drug_readings", {"hypertension"}),
    ("gdm", {"gestational_diabetes"}), ("gdm_history", {"gestational_diabetes"}),
    ("hdl_35", set()), ("hdl_34.9", {"dyslipidemia"}), ("tg_250", set()), ("tg_251", {"dyslipidemia"}),
    ("cvd", {"cvd"}), ("cvd_snomed", {"cvd"}), ("pcos", {"pcos"}),
    ("inactive", {"physical_inactivity"}), ("prediabetes", {"prediabetes"}),
    ("cvd_z86_73", {"cvd"}), ("cvd_z95_1", {"cvd"}), ("cvd_z95_5", {"cvd"}), ("cvd_i65", {"cvd"}), ("cvd_i66", {"cvd"}),
    ("acanthosis", {"insulin_resistance"}), ("masld", {"insulin_resistance"}), ("mash", {"insulin_resistance"}),
    ("severe_obesity", {"insulin_resistance", "overweight"}),
    ("insulin_woman", {"overweight", "prediabetes"}), ("metformin_pcos", {"overweight", "pcos"}),
    ("old_fpg", {"prediabetes"}), ("one_a1c", {"prediabetes", "age_35_plus"}), ("past_pre", {"prediabetes"}),
    ("metoprolol", {"overweight"}), ("born_dec_1989", set()),
])
def test_risk_factors(model, pid, factors):
    assert values(model, "t2d_risk_factor", pid) == factors


@pytest.mark.parametrize("pid, at_risk, screening", [
    ("prediabetes", True, True), ("gdm", True, True), ("gdm_history", True, True),
    ("ow_only", False, True),  # overweight alone is not enough; age 50 indicates testing
    ("ow_fh", True, True), ("ow_inactive", True, True), ("normal_fh", False, False),
    ("age_35", False, True), ("age_34", False, False),
    ("diabetic", False, False), ("child", False, False), ("dead", False, False),
    ("severe_obesity", True, True), ("acanthosis", False, False),
    ("insulin_woman", False, False),  # treated diabetes: not screened (issue 19 item 1)
    ("metformin_pcos", False, False),  # possible diabetes: kept out of screening
    ("old_fpg", True, True),  # IFG-or-higher on previous testing (item 3)
    ("one_a1c", True, True),  # unconfirmed hyperglycemia stays visible: repeat the test (item 3)
    ("past_pre", True, True),  # item 5
    ("metoprolol", False, False),  # item 6
    ("born_dec_1989", False, False),  # item 8: 34 at the index day
])
def test_at_risk_and_screening(model, pid, at_risk, screening):
    assert holds(model, "at_risk_t2d", pid) is at_risk
    assert holds(model, "t2d_screening_indicated", pid) is screening


def test_never_at_risk_with_diabetes(model):
    diabetic = set(model.query("glycemic_status").query("status == 'diabetes'")["patient"])
    assert diabetic == {"diabetic", "insulin_woman"}
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


def test_treated_and_unconfirmed_statuses(model):
    assert values(model, "glycemic_status", "insulin_woman") == {"diabetes"}
    assert values(model, "glycemic_status", "metformin_pcos") == {"possible_diabetes"}
    assert values(model, "glycemic_status", "one_a1c") == {"unconfirmed_hyperglycemia"}
    assert holds(model, "repeat_glycemic_test", "one_a1c")
    assert values(model, "glycemic_status", "old_fpg") == {"normal"}
    assert values(model, "age_at_index", "born_dec_1989") == {34}


def test_deceased_and_pregnant_get_no_categories(model):
    assert values(model, "glycemic_status", "dead") == set()  # HbA1c 6.0, died before the index day
    assert values(model, "glycemic_status", "child") == {"prediabetes"}
    assert holds(model, "pregnant", "pregnant_bmi")
    assert values(model, "bmi_class", "pregnant_bmi") == set()
    assert values(model, "t2d_risk_factor", "pregnant_bmi") == set()
