"""rules/kidney.dl: CKD-EPI 2021 eGFR and KDIGO 2024 GFR/albuminuria categories."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from neurosym.facts import load_rule_library

from rulefacts import INDEX, day, holds, make_facts, values

SCR, EGFR_2021, ACR = "2160-0", "98979-8", "9318-7"


def ckd_epi_2021(scr: float, age: int, female: bool) -> float:
    """Reference implementation (Inker et al., NEJM 2021)."""
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    r = scr / kappa
    return 142 * min(r, 1) ** alpha * max(r, 1) ** -1.200 * 0.9938 ** age * (1.012 if female else 1.0)


G_BOUNDARIES = [(95.0, "g1"), (90.0, "g1"), (89.9, "g2"), (60.0, "g2"), (59.9, "g3a"), (59.5, "g3a"), (45.0, "g3a"),
                (44.9, "g3b"), (30.0, "g3b"), (29.9, "g4"), (15.0, "g4"), (14.9, "g5"), (5.0, "g5")]
A_BOUNDARIES = [(29.0, "a1"), (29.9, "a1"), (30.0, "a2"), (300.0, "a2"), (300.5, "a3"), (301.0, "a3")]


@pytest.fixture(scope="module")
def program():
    return load_rule_library(["kidney"])


@pytest.fixture(scope="module")
def model(program):
    pats, labs = [], []
    for value, _ in G_BOUNDARIES:
        pats.append((f"g_{value}", "female", 1970))
        labs.append((f"g_{value}", EGFR_2021, value, INDEX - 1))
    for value, _ in A_BOUNDARIES:
        pats.append((f"a_{value}", "male", 1970))
        labs.append((f"a_{value}", ACR, value, INDEX - 1))
    # window edges
    for pid, d in [("w_first", INDEX - 730), ("w_before", INDEX - 731), ("w_index", INDEX), ("w_after", INDEX + 1)]:
        pats.append((pid, "male", 1970))
        labs += [(pid, EGFR_2021, 50.0, d), (pid, ACR, 50.0, d)]
    # latest value wins (an older low value does not count)
    pats.append(("latest", "male", 1970))
    labs += [("latest", EGFR_2021, 25.0, INDEX - 300), ("latest", EGFR_2021, 75.0, INDEX - 10)]
    # a computed CKD-EPI 2021 value takes precedence over a report on the same day
    pats.append(("both", "male", 1960))
    labs += [("both", SCR, 1.0, INDEX - 1), ("both", EGFR_2021, 20.0, INDEX - 1)]
    # no creatinine-based eGFR without sex, adult age or a positive value; older equations ignored
    pats += [("unknown_sex", "unknown", 1970), ("child", "female", 2012), ("zero", "male", 1970), ("mdrd", "male", 1970)]
    labs += [("unknown_sex", SCR, 1.0, INDEX - 1), ("child", SCR, 0.5, INDEX - 1), ("zero", SCR, 0.0, INDEX - 1),
             ("mdrd", "33914-3", 40.0, INDEX - 1), ("mdrd", "62238-1", 40.0, INDEX - 1)]
    # persistence: eGFR < 60 on two days more than 3 months apart, no normal value in between
    pats += [("persist", "female", 1950), ("persist_short", "female", 1950), ("persist_recovered", "female", 1950),
             ("persist_interrupted", "female", 1950)]
    labs += [("persist", EGFR_2021, 55.0, INDEX - 120), ("persist", EGFR_2021, 50.0, INDEX - 10),
             ("persist_short", EGFR_2021, 55.0, day(2024, 6, 26)), ("persist_short", EGFR_2021, 50.0, day(2024, 9, 26)),
             ("persist_recovered", EGFR_2021, 55.0, INDEX - 300), ("persist_recovered", EGFR_2021, 50.0, INDEX - 200),
             ("persist_recovered", EGFR_2021, 70.0, INDEX - 10),
             ("persist_interrupted", EGFR_2021, 55.0, INDEX - 300), ("persist_interrupted", EGFR_2021, 70.0, INDEX - 200),
             ("persist_interrupted", EGFR_2021, 50.0, INDEX - 10)]
    # albuminuria persistence (ACR >= 30 mg/g)
    pats += [("alb", "male", 1970), ("alb_interrupted", "male", 1970), ("alb_once", "male", 1970)]
    labs += [("alb", ACR, 45.0, INDEX - 200), ("alb", ACR, 320.0, INDEX - 5),
             ("alb_interrupted", ACR, 45.0, INDEX - 200), ("alb_interrupted", ACR, 12.0, INDEX - 100),
             ("alb_interrupted", ACR, 40.0, INDEX - 5), ("alb_once", ACR, 300.0, INDEX - 5)]
    # equal same-day creatinine results are two records
    pats.append(("equal_scr", "male", 1970))
    labs += [("equal_scr", SCR, 1.0, INDEX - 1), ("equal_scr", SCR, 1.0, INDEX - 1), ("equal_scr", SCR, 2.0, INDEX - 1)]
    pats.append(("nothing", "male", 1970))
    conds = [("n18", "icd10cm", "N18.32", INDEX - 30), ("n18_later", "icd10cm", "N18.4", INDEX + 1)]
    pats += [("n18", "male", 1970), ("n18_later", "male", 1970)]
    return program.evaluate(make_facts(pats, lab=labs, condition=conds,
                                       is_a=[("icd10cm", "N18.32", "icd10cm", "N18"), ("icd10cm", "N18.4", "icd10cm", "N18")]))


@pytest.mark.parametrize("value, stage", G_BOUNDARIES)
def test_gfr_category_boundaries(model, value, stage):
    assert values(model, "ckd_g_stage", f"g_{value}") == {stage}


@pytest.mark.parametrize("value, stage", A_BOUNDARIES)
def test_albuminuria_category_boundaries(model, value, stage):
    assert values(model, "ckd_a_stage", f"a_{value}") == {stage}


@pytest.mark.parametrize("pid, g, a", [("w_first", {"g3a"}, {"a2"}), ("w_before", set(), set()),
                                       ("w_index", {"g3a"}, {"a2"}), ("w_after", set(), set())])
def test_lookback_window_edges(model, pid, g, a):
    assert values(model, "ckd_g_stage", pid) == g
    assert values(model, "ckd_a_stage", pid) == a


def test_latest_value_wins(model):
    assert values(model, "ckd_g_stage", "latest") == {"g2"}


def test_computed_egfr_takes_precedence(model):
    expected = ckd_epi_2021(1.0, dt.date.fromordinal(dt.date(1970, 1, 1).toordinal() + INDEX - 1).year - 1960, False)
    (value,) = values(model, "gfr_latest", "both")
    assert value == pytest.approx(expected, abs=1e-9)
    assert values(model, "ckd_g_stage", "both") == {"g2"}


def test_no_egfr_without_inputs(model):
    for pid in ("unknown_sex", "child", "zero", "mdrd", "nothing"):
        assert values(model, "egfr", pid) == set()
        assert values(model, "ckd_g_stage", pid) == set()


def test_persistence(model):
    """KDIGO: > 3 months (calendar), no normal value in between, latest still low."""
    assert holds(model, "ckd_persistent_g3plus", "persist")
    assert not holds(model, "ckd_persistent_g3plus", "persist_short")  # exactly 3 months is not > 3 months
    assert not holds(model, "ckd_persistent_g3plus", "persist_recovered")
    assert not holds(model, "ckd_persistent_g3plus", "persist_interrupted")


def test_persistent_albuminuria(model):
    assert holds(model, "persistent_albuminuria", "alb")
    assert not holds(model, "persistent_albuminuria", "alb_interrupted")
    assert not holds(model, "persistent_albuminuria", "alb_once")


def test_ckd_from_n18_codes(model):
    assert values(model, "ckd_diagnosis", "n18") == {INDEX - 30}
    assert values(model, "ckd_diagnosis", "n18_later") == set()


def test_equal_creatinine_results_are_separate_records(model):
    frame = model.query("gfr_latest")
    (value,) = frame[frame["patient"] == "equal_scr"]["value"].tolist()
    one, two = (142 * min(s / 0.9, 1) ** -0.302 * max(s / 0.9, 1) ** -1.2 * 0.9938 ** 54 for s in (1.0, 2.0))
    assert value == pytest.approx((2 * one + two) / 3)


# ---------------------------------------------------------------- the equation
CASES = [(scr, age, sex) for scr in (0.4, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0, 3.5, 8.0)
         for age in (18, 40, 50, 65, 90) for sex in ("female", "male")]


@pytest.fixture(scope="module")
def equation_model(program):
    pats, labs = [], []
    lab_day = day(2024, 6, 1)
    for k, (scr, age, sex) in enumerate(CASES):
        pats.append((f"e{k}", sex, 2024 - age))
        labs.append((f"e{k}", SCR, scr, lab_day))
    return program.evaluate(make_facts(pats, lab=labs))


def test_ckd_epi_2021_matches_the_formula(equation_model):
    got = {row[0]: row[1] for row in equation_model.query("egfr").values.tolist()}
    assert len(got) == len(CASES)
    for k, (scr, age, sex) in enumerate(CASES):
        assert got[f"e{k}"] == pytest.approx(ckd_epi_2021(scr, age, sex == "female"), abs=1e-6), (scr, age, sex)


def test_ckd_epi_2021_worked_examples(equation_model):
    """Hand-computed examples of the published equation (values as a calculator reports them, rounded)."""
    got = {row[0]: row[1] for row in equation_model.query("egfr").values.tolist()}
    index = {case: f"e{k}" for k, case in enumerate(CASES)}
    # 50-year-old woman, Scr 1.0 mg/dL: 142 x (1.0/0.7)^-1.2 x 0.9938^50 x 1.012 = 68.6 -> 69
    assert round(got[index[(1.0, 50, "female")]]) == 69
    # 50-year-old man, Scr 1.0 mg/dL: 142 x (1.0/0.9)^-1.2 x 0.9938^50 = 91.7 -> 92
    assert round(got[index[(1.0, 50, "male")]]) == 92
    # at Scr = kappa both min/max terms are 1: 142 x 0.9938^age (x 1.012)
    assert got[index[(0.7, 40, "female")]] == pytest.approx(142 * 0.9938 ** 40 * 1.012, abs=1e-9)
    assert got[index[(0.9, 40, "male")]] == pytest.approx(142 * 0.9938 ** 40, abs=1e-9)


def test_age_uses_the_calendar_year_of_the_lab_day(program):
    facts = make_facts([("p", "male", 1960)], lab=[("p", SCR, 1.1, day(2023, 12, 31)), ("p", SCR, 1.1, day(2024, 1, 1))])
    got = {d: v for _, v, d in program.evaluate(facts).query("egfr").values.tolist()}
    assert got[day(2023, 12, 31)] == pytest.approx(ckd_epi_2021(1.1, 63, False), abs=1e-9)
    assert got[day(2024, 1, 1)] == pytest.approx(ckd_epi_2021(1.1, 64, False), abs=1e-9)


def test_boundary_from_creatinine_is_not_rounded(program):
    """A computed eGFR just below 60 is G3a (no rounding up to 60)."""
    # creatinine giving eGFR 59.9 for a 70-year-old man
    target, age = 59.9, 70
    scr = 0.9 * (target / (142 * 0.9938 ** age)) ** (1 / -1.2)
    facts = make_facts([("p", "male", 2024 - age)], lab=[("p", SCR, scr, day(2024, 6, 1))], index=day(2024, 6, 1))
    model = program.evaluate(facts)
    (value,) = values(model, "gfr_latest", "p")
    assert value == pytest.approx(59.9, abs=1e-9)
    assert values(model, "ckd_g_stage", "p") == {"g3a"}
    assert math.isclose(value, ckd_epi_2021(scr, age, False))
