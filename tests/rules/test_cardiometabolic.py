"""rules/cardiometabolic.dl: ACC/AHA 2017 BP categories, WHO BMI classes, metabolic syndrome (AHA/NHLBI 2005)."""

from __future__ import annotations

import pytest

from neurosym.facts import load_rule_library

from rulefacts import INDEX, holds, make_facts, values

BP = [  # (sbp, dbp, category) — ACC/AHA 2017 Table 6
    (119, 70, "normal"), (120, 70, "elevated"), (129, 70, "elevated"), (130, 70, "stage1"), (139, 70, "stage1"),
    (140, 70, "stage2"), (110, 79, "normal"), (110, 80, "stage1"), (110, 89, "stage1"), (110, 90, "stage2"),
    (125, 85, "stage1"), (135, 95, "stage2"), (145, 85, "stage2"), (129.5, 79.5, "elevated"), (119.5, 79.9, "normal"),
]
BMI = [(18.4, "underweight"), (18.5, "normal"), (24.9, "normal"), (24.95, "normal"), (25.0, "overweight"),
       (29.9, "overweight"), (30.0, "obese1"), (34.9, "obese1"), (35.0, "obese2"), (39.9, "obese2"), (40.0, "obese3")]


@pytest.fixture(scope="module")
def program():
    return load_rule_library(["cardiometabolic"])


@pytest.fixture(scope="module")
def model(program):
    pats, vitals, labs, drugs = [], [], [], []
    for s, d, _ in BP:
        pid = f"bp_{s}_{d}"
        pats.append((pid, "female", 1970))
        vitals += [(pid, "sbp", float(s), INDEX - 1), (pid, "dbp", float(d), INDEX - 1)]
    for v, _ in BMI:
        pats.append((f"bmi_{v}", "male", 1970))
        vitals.append((f"bmi_{v}", "bmi", v, INDEX - 1))
    # latest day with BOTH sbp and dbp; same-day readings are averaged
    pats.append(("pair", "male", 1970))
    vitals += [("pair", "sbp", 150.0, INDEX - 100), ("pair", "dbp", 95.0, INDEX - 100),
               ("pair", "sbp", 118.0, INDEX - 2), ("pair", "dbp", 75.0, INDEX - 2), ("pair", "sbp", 124.0, INDEX - 2),
               ("pair", "sbp", 170.0, INDEX - 1)]  # a lone SBP on the last day is not a pair
    # window edges and children
    pats += [("w_first", "male", 1970), ("w_before", "male", 1970), ("child", "female", 2012)]
    vitals += [("w_first", "bmi", 27.0, INDEX - 730), ("w_before", "bmi", 27.0, INDEX - 731),
               ("child", "bmi", 27.0, INDEX - 1), ("child", "sbp", 150.0, INDEX - 1), ("child", "dbp", 95.0, INDEX - 1)]
    # metabolic syndrome
    def mets(pid, sex, waist=None, tg=None, hdl=None, sbp=None, dbp=None, fpg=None, bmi=None, drug=()):
        pats.append((pid, sex, 1970))
        if waist is not None:
            vitals.append((pid, "waist", waist, INDEX - 5))
        if bmi is not None:
            vitals.append((pid, "bmi", bmi, INDEX - 5))
        if sbp is not None:
            vitals.extend([(pid, "sbp", sbp, INDEX - 5), (pid, "dbp", dbp, INDEX - 5)])
        for loinc, v in (("2571-8", tg), ("2085-9", hdl), ("1558-6", fpg)):
            if v is not None:
                labs.append((pid, loinc, v, INDEX - 5))
        drugs.extend((pid, "rxnorm", code, INDEX - 30) for code in drug)

    mets("m_three", "male", waist=102.0, tg=150.0, hdl=39.9, sbp=120.0, dbp=70.0, fpg=90.0)
    mets("m_two", "male", waist=101.9, tg=150.0, hdl=39.9, sbp=120.0, dbp=70.0, fpg=90.0)
    mets("f_three", "female", waist=88.0, hdl=49.9, sbp=130.0, dbp=70.0, tg=100.0, fpg=99.0)
    mets("f_hdl_50", "female", waist=88.0, hdl=50.0, sbp=129.0, dbp=85.0, tg=149.0, fpg=100.0)
    mets("bp_84", "male", sbp=129.0, dbp=84.0, fpg=99.0, tg=149.0, hdl=40.0, waist=90.0)
    mets("surrogate", "male", bmi=30.0, tg=200.0, fpg=105.0)
    mets("surrogate_no", "male", bmi=35.0, waist=95.0, tg=200.0, fpg=105.0)
    mets("drugs", "female", drug=("6809", "29046", "8703"))  # metformin, lisinopril, fenofibrate -> 4 criteria
    mets("old_drug", "female")
    drugs.append(("old_drug", "rxnorm", "29046", INDEX - 366))
    facts = make_facts(pats, vital=vitals, lab=labs, drug=drugs)
    return program.evaluate(facts)


@pytest.mark.parametrize("sbp, dbp, category", BP)
def test_bp_category_boundaries(model, sbp, dbp, category):
    assert values(model, "bp_category", f"bp_{sbp}_{dbp}") == {category}


@pytest.mark.parametrize("bmi, cls", BMI)
def test_bmi_class_boundaries(model, bmi, cls):
    assert values(model, "bmi_class", f"bmi_{bmi}") == {cls}


def test_one_category_per_patient(model):
    assert model.query("bp_category")["patient"].is_unique
    assert model.query("bmi_class")["patient"].is_unique


def test_latest_same_day_pair_is_averaged(model):
    (row,) = [r for r in model.query("bp_latest").values.tolist() if r[0] == "pair"]
    assert row[1:] == [121.0, 75.0, INDEX - 2]  # mean of 118 and 124; the lone SBP of the last day is ignored
    assert values(model, "bp_category", "pair") == {"elevated"}


def test_window_and_adults_only(model):
    assert values(model, "bmi_class", "w_first") == {"overweight"}
    assert values(model, "bmi_class", "w_before") == set()
    assert values(model, "bmi_class", "child") == set()
    assert values(model, "bp_category", "child") == set()


@pytest.mark.parametrize("pid, criteria, syndrome", [
    ("m_three", {"waist", "triglycerides", "hdl"}, True),
    ("m_two", {"triglycerides", "hdl"}, False),
    ("f_three", {"waist", "hdl", "blood_pressure"}, True),
    ("f_hdl_50", {"waist", "blood_pressure", "glucose"}, True),
    ("bp_84", set(), False),
    ("surrogate", {"waist", "triglycerides", "glucose"}, True),
    ("surrogate_no", {"triglycerides", "glucose"}, False),
    ("drugs", {"glucose", "blood_pressure", "triglycerides", "hdl"}, True),
    ("old_drug", set(), False),
])
def test_metabolic_syndrome(model, pid, criteria, syndrome):
    assert values(model, "mets_criterion", pid) == criteria
    assert holds(model, "metabolic_syndrome", pid) is syndrome


def test_metabolic_syndrome_proof(model):
    proof = model.explain('metabolic_syndrome("surrogate")')
    ids = {n.rule_id for n in proof.walk() if n.kind == "rule"}
    assert {"metsyn.count"} <= ids
    assert all(n.cite for n in proof.walk() if n.kind == "rule")
    text = proof.render_text()
    assert "N = count : mets_criterion(P, _)  = 3" in text
