"""Site counts of a rule program: relations, rule firings, attrition, suppression, DP noise; combined tables."""

from __future__ import annotations

import pandas as pd
import pytest

from neurosym import InputError
from neurosym.data import synthetic_cohort
from neurosym.federated import EXAMPLE_ELIGIBILITY, SiteCounts, combine_counts, site_counts
from neurosym.logic import Program

PROGRAM = """\
female(P) :- patient(P, "female", _).
male(P) :- patient(P, "male", _).
hypertensive(P) :- condition(P, "icd10cm", "I10", _).
"""


@pytest.fixture(scope="module")
def cohort():
    return synthetic_cohort(80, seed=4, lifelog_days=7)


def _truth(cohort) -> dict[str, int]:
    sex = cohort.patients["sex"].astype(str)
    ev = cohort.events
    htn = ev.loc[(ev["system"] == "icd10cm") & (ev["code"] == "I10"), "patient_id"].astype(str).nunique()
    return {"female": int((sex == "F").sum()), "male": int((sex == "M").sum()), "hypertensive": htn}


def test_counts_per_relation_rule_and_criterion(cohort):
    truth = _truth(cohort)
    counts = site_counts(cohort, PROGRAM, ["female", "not hypertensive"], min_cell=1)
    assert counts.patients == 80
    assert dict(zip(counts.relations["relation"], counts.relations["patients"])) == truth
    assert counts.rules["rule"].tolist() == ["<site program>:1:1", "<site program>:3:1", "<site program>:2:1"]
    assert counts.rules["firings"].tolist() == [truth["female"], truth["hypertensive"], truth["male"]]
    sex = cohort.patients.set_index(cohort.patients["patient_id"].astype(str))["sex"].astype(str)
    ev = cohort.events
    htn = set(ev.loc[ev["code"] == "I10", "patient_id"].astype(str))
    women_without = sum(1 for p, s in sex.items() if s == "F" and p not in htn)
    assert counts.attrition.to_dict("list") == {
        "step": [1, 2], "criterion": ["female", "not hypertensive"], "meets": [truth["female"], 80 - len(htn)],
        "remaining": [truth["female"], women_without], "excluded": [80 - truth["female"], truth["female"] - women_without]}


def test_small_cells_are_suppressed_and_survive_the_config_round_trip(cohort):
    counts = site_counts(cohort, PROGRAM, ["female", "hypertensive"], min_cell=1000)
    assert counts.patients is None and counts.relations["patients"].isna().all()
    again = SiteCounts.from_config(counts.to_config())
    pd.testing.assert_frame_equal(again.attrition, counts.attrition, check_dtype=False)
    assert again.patients is None and again.relations["patients"].isna().all()


def test_dp_noise_is_seeded_and_counts_stay_non_negative(cohort):
    a = site_counts(cohort, PROGRAM, ["female"], min_cell=1, dp_epsilon=0.5, seed=3)
    b = site_counts(cohort, PROGRAM, ["female"], min_cell=1, dp_epsilon=0.5, seed=3)
    exact = site_counts(cohort, PROGRAM, ["female"], min_cell=1)
    pd.testing.assert_frame_equal(a.relations, b.relations)
    assert not a.relations["patients"].equals(exact.relations["patients"])
    assert (a.relations["patients"] >= 0).all() and a.released == 1 + 3 + 3 + 3


def test_combined_tables_sum_released_cells_and_name_the_largest_exclusion():
    one = SiteCounts(50, pd.DataFrame({"relation": ["adult"], "patients": pd.array([40], "Int64")}),
                     pd.DataFrame({"rule": ["r:1:1"], "relation": ["adult"], "firings": pd.array([40], "Int64")}),
                     pd.DataFrame({"step": [1, 2], "criterion": ["adult", "obese"], "meets": pd.array([40, 20], "Int64"),
                                   "remaining": pd.array([40, 12], "Int64"), "excluded": pd.array([10, 28], "Int64")}))
    two = SiteCounts(30, pd.DataFrame({"relation": ["adult"], "patients": pd.array([pd.NA], "Int64")}),
                     pd.DataFrame({"rule": ["r:1:1"], "relation": ["adult"], "firings": pd.array([pd.NA], "Int64")}),
                     pd.DataFrame({"step": [1, 2], "criterion": ["adult", "obese"], "meets": pd.array([26, 9], "Int64"),
                                   "remaining": pd.array([26, 6], "Int64"), "excluded": pd.array([4, 20], "Int64")}))
    summary = combine_counts({"north": one, "south": two})
    assert summary.attrition[["criterion", "north", "south", "total", "excluded_total"]].values.tolist() == [
        ["adult", 40, 26, 66, 14], ["obese", 12, 6, 18, 48]]
    assert (summary.eligible, summary.most_excluding) == (18, "obese")
    assert summary.relations[["relation", "total", "suppressed"]].values.tolist() == [["adult", 40, 1]]


def test_example_eligibility_program_parses_and_unknown_criteria_are_named(cohort):
    assert "eligible" in Program.from_text(EXAMPLE_ELIGIBILITY).arities()
    with pytest.raises(InputError, match=r"criteria \['smoker'\] are not relations"):
        site_counts(cohort, PROGRAM, ["smoker"])
