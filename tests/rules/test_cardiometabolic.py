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
        vitals += [(pid, k, float(v), day) for day in (INDEX - 30, INDEX - 1) for k, v in (("sbp", s), ("dbp", d))]
    for v, _ in BMI:
        pats.append((f"bmi_{v}", "male", 1970))
        vitals.append((f"bmi_{v}", "bmi", v, INDEX - 1))
    # occasions = days with BOTH sbp and dbp; same-day readings are averaged per record
    pats.append(("pair", "male", 1970))
    vitals += [("pair", "sbp", 150.0, INDEX - 100), ("pair", "dbp", 95.0, INDEX - 100),
               ("pair", "sbp", 118.0, INDEX - 2), ("pair", "dbp", 75.0, INDEX - 2), ("pair", "sbp", 124.0, INDEX - 2),
               ("pair", "sbp", 170.0, INDEX - 1)]  # a lone SBP on the last day is not an occasion
    # issue 19 item 2: five monthly visits at 118/76, then one at 142/88 (ACC/AHA §4: mean of >= 2 occasions)
    pats.append(("one_high", "male", 1994))
    for k in range(6):
        s_, d_ = (142.0, 88.0) if k == 5 else (118.0, 76.0)
        vitals += [("one_high", "sbp", s_, INDEX - 150 + 30 * k), ("one_high", "dbp", d_, INDEX - 150 + 30 * k)]
    # issue 19 item 4: same-day readings 150, 150, 120 (and 80, 80, 80) average 140, not 135
    pats.append(("equal", "female", 1970))
    vitals += [("equal", "sbp", v, INDEX - 1) for v in (150.0, 150.0, 120.0)]
    vitals += [("equal", "dbp", 80.0, INDEX - 1)] * 3 + [("equal", "sbp", 140.0, INDEX - 20), ("equal", "dbp", 80.0, INDEX - 20)]
    # a single occasion is not classified; an occasion before the 730-day window is not used
    pats += [("single", "male", 1970), ("stale", "male", 1970)]
    vitals += [("single", "sbp", 150.0, INDEX - 1), ("single", "dbp", 95.0, INDEX - 1),
               ("stale", "sbp", 150.0, INDEX - 731), ("stale", "dbp", 95.0, INDEX - 731),
               ("stale", "sbp", 150.0, INDEX - 1), ("stale", "dbp", 95.0, INDEX - 1)]
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
            vitals.extend((pid, k, v, day) for day in (INDEX - 40, INDEX - 5) for k, v in (("sbp", sbp), ("dbp", dbp)))
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
    mets("drugs", "female", drug=("6809", "29046", "8703"))  # metformin, lisinopril, fenofibrate without indication
    mets("drugs_indicated", "female", drug=("6809", "29046", "8703"), fpg=99.0)
    conditions = [("drugs_indicated", "icd10cm", "I10", INDEX - 400)]
    labs.append(("drugs_indicated", "4548-4", 5.9, INDEX - 400))  # prediabetes on previous testing
    # issue 19 item 6: SGLT2 inhibitor + carvedilol for heart failure, normal glucose, lipids and BP, BMI 32
    mets("heart_failure", "male", bmi=32.0, tg=100.0, hdl=55.0, sbp=118.0, dbp=75.0, fpg=90.0, drug=("1545653", "20352"))
    mets("insulin", "male", tg=200.0, hdl=35.0, drug=("274783",))  # insulin is glucose-lowering only
    mets("old_drug", "female")
    drugs.append(("old_drug", "rxnorm", "29046", INDEX - 366))
    facts = make_facts(pats, vital=vitals, lab=labs, drug=drugs, condition=conditions,
                       is_a=[("icd10cm", "I10", "icd10cm", "I10-I16")])
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


def occasions(model, pid):
    return sorted(tuple(r[1:]) for r in model.query("bp_occasion").values.tolist() if r[0] == pid)


def test_occasions_average_same_day_readings(model):
    assert occasions(model, "pair") == [(INDEX - 100, 150.0, 95.0), (INDEX - 2, 121.0, 75.0)]  # lone SBP ignored
    (row,) = [r for r in model.query("bp_mean").values.tolist() if r[0] == "pair"]
    assert row[1:] == [135.5, 85.0, 2]
    assert values(model, "bp_category", "pair") == {"stage1"}


def test_one_high_visit_does_not_make_stage2(model):
    """Issue 19 item 2: 5 x 118/76 then 142/88 is classified on the mean of the year's occasions: 122/78, elevated."""
    (row,) = [r for r in model.query("bp_mean").values.tolist() if r[0] == "one_high"]
    assert row[1:] == [122.0, 78.0, 6]
    assert values(model, "bp_category", "one_high") == {"elevated"}


def test_equal_readings_stay_separate(model):
    """Issue 19 item 4: 150, 150, 120 on one day average 140 (each record counts), so stage 2."""
    assert occasions(model, "equal") == [(INDEX - 20, 140.0, 80.0), (INDEX - 1, 140.0, 80.0)]
    assert values(model, "bp_category", "equal") == {"stage2"}


def test_single_occasion_is_not_classified(model):
    assert values(model, "bp_category", "single") == set()
    assert holds(model, "bp_single_occasion", "single")
    assert values(model, "bp_category", "stale") == set()  # the other occasion is before the window
    assert not holds(model, "bp_single_occasion", "bp_119_70")


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
    ("surrogate", {"triglycerides", "glucose"}, False),
    ("surrogate_no", {"triglycerides", "glucose"}, False),
    ("drugs", {"triglycerides", "hdl"}, False),
    ("drugs_indicated", {"glucose", "blood_pressure", "triglycerides", "hdl"}, True),
    ("heart_failure", set(), False),
    ("insulin", {"glucose", "triglycerides", "hdl"}, True),
    ("old_drug", set(), False),
])
def test_metabolic_syndrome(model, pid, criteria, syndrome):
    assert values(model, "mets_criterion", pid) == criteria
    assert holds(model, "metabolic_syndrome", pid) is syndrome


@pytest.mark.parametrize("pid, syndrome", [("surrogate", True), ("surrogate_no", False), ("heart_failure", False),
                                           ("m_three", True), ("drugs", False)])
def test_bmi_surrogate_is_an_optional_variant(model, pid, syndrome):
    assert holds(model, "metabolic_syndrome_bmi_surrogate", pid) is syndrome


def test_metabolic_syndrome_proof(model):
    proof = model.explain('metabolic_syndrome_bmi_surrogate("surrogate")')
    ids = {n.rule_id for n in proof.walk() if n.kind == "rule"}
    assert {"metsyn.surrogate.count"} <= ids
    assert all(n.cite for n in proof.walk() if n.kind == "rule")
    text = proof.render_text()
    assert "N = count : mets_criterion_bmi_surrogate(P, _)  = 3" in text
