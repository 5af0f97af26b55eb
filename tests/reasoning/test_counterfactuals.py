import pandas as pd
import pytest

from neurosym import InputError, UnknownIdError
from neurosym.data import edit_facts, modifiable_facts, synthetic_cohort
from neurosym.evaluation import LastValueLogistic
from neurosym.neural import RiskModel
from neurosym.reasoning._counterfactuals import counterfactuals
from neurosym.tasks import ground_truth_labels
from neurosym.trace import Change, Counterfactual

LM = "2024-01-01"


@pytest.fixture(scope="module")
def cohort():
    return synthetic_cohort(300, seed=3, lifelog_days=120)


@pytest.fixture(scope="module")
def logistic(cohort):
    """A transparent real model: logistic regression on the last lab values (risk rises with HbA1c)."""
    return LastValueLogistic().fit(cohort, ground_truth_labels(cohort))


class Counting:
    """Counts the calls a search makes to a real model."""

    def __init__(self, model):
        self.model, self.calls = model, []

    def predict_proba(self, cohort, landmarks):
        self.calls.append(len(landmarks))
        return self.model.predict_proba(cohort, landmarks)


def _risk_after(model, cohort, pid, edits):
    frame = pd.DataFrame([(pid, LM, f, v) for f, v in edits], columns=["patient_id", "landmark", "fact", "value"])
    return float(model.predict_proba(edit_facts(cohort, frame), frame[["patient_id", "landmark"]].iloc[:1])["risk"].iloc[0])


def test_the_smallest_crossing_hba1c_step_with_its_new_risk(cohort, logistic):
    pid = "S000276"  # HbA1c 6.8 %
    base = float(logistic.predict_proba(cohort, pd.DataFrame({"patient_id": [pid], "landmark": [LM]}))["risk"].iloc[0])
    half = _risk_after(logistic, cohort, pid, [("hba1c", 6.3)])
    assert half < base
    found = counterfactuals(logistic, cohort, pid, LM, threshold=half + 1e-6, grid={"hba1c": (-0.25, -0.5, -0.75, -1.0)})
    assert len(found) == 1 and isinstance(found[0], Counterfactual)
    assert found[0].changes == [Change("hba1c", 6.8, 6.3, "%", "lower HbA1c by 0.5 percentage points (6.8 -> 6.30 %)")]
    assert found[0].risk == pytest.approx(half, abs=1e-6) and found[0].below_threshold


def test_search_order_dominance_and_batching(cohort, logistic):
    pid = "S000048"  # BMI 34.8, HbA1c 6.5, not crossing 0.3 with one change
    counting = Counting(logistic)
    found = counterfactuals(counting, cohort, pid, LM, threshold=0.3, max_changes=2)
    # one call: the unchanged copy, 12 single steps (weight, SBP, HbA1c at 4 levels; no wearable, a never smoker), 48 pairs
    assert counting.calls == [1 + 12 + 48]
    assert [c.below_threshold for c in found] == [False, False, False]
    assert [c.risk for c in found] == sorted(c.risk for c in found)
    assert len({frozenset(ch.fact for ch in c.changes) for c in found}) == 3  # the best of each set of interventions
    top = found[0]
    assert [ch.fact for ch in top.changes] == ["weight", "bmi", "hba1c"]
    assert top.changes[0].before == pytest.approx(90.1) and top.changes[0].unit == "kg"
    assert top.risk == pytest.approx(_risk_after(logistic, cohort, pid, [("weight", top.changes[0].after),
                                                                         ("hba1c", top.changes[2].after)]), abs=1e-9)
    easier = counterfactuals(logistic, cohort, pid, LM, threshold=0.5, max_changes=2, max_results=5)
    # the single change first (level 3), then a pair (levels 4 + 2); every other crossing set contains one of them
    assert [[(ch.fact, round(ch.after, 2)) for ch in c.changes] for c in easier] == [
        [("hba1c", 5.75)], [("weight", 81.09), ("bmi", 31.32), ("hba1c", 6.0)]]
    assert all(c.below_threshold and c.risk < 0.5 for c in easier)
    # none is a superset of another: a single crossing change hides every pair that contains it
    sets = [{(ch.fact, ch.after) for ch in c.changes} for c in easier]
    assert not any(a < b for a in sets for b in sets)
    again = counterfactuals(logistic, cohort, pid, LM, threshold=0.5, max_changes=2, max_results=5)
    assert [(c.risk, c.changes) for c in again] == [(c.risk, c.changes) for c in easier]


def test_only_recorded_facts_change_and_nothing_below_the_threshold_already(cohort, logistic):
    lm = pd.DataFrame({"patient_id": cohort.patient_ids, "landmark": LM})
    facts = modifiable_facts(cohort, lm)
    no_a1c = sorted(set(cohort.patient_ids) - set(facts.loc[facts["fact"] == "hba1c", "patient_id"]))
    risk = logistic.predict_proba(cohort, lm).set_index("patient_id")["risk"]
    pid = max(no_a1c, key=lambda p: risk[p])
    for found in counterfactuals(logistic, cohort, pid, LM, threshold=1e-6, max_changes=2):
        assert "hba1c" not in {ch.fact for ch in found.changes} and not found.below_threshold
    assert counterfactuals(logistic, cohort, pid, LM, threshold=0.999) == []


def test_works_with_the_neural_risk_model(cohort):
    labels = ground_truth_labels(cohort)
    model = RiskModel(max_epochs=2, lifelog_days=91, max_codes=16, lab_steps=4, progress_bar=False, seed=0).fit(cohort, labels)
    pid = "S000145"
    base = float(model.predict_proba(cohort, pd.DataFrame({"patient_id": [pid], "landmark": [LM]}))["risk"].iloc[0])
    found = counterfactuals(model, cohort, pid, LM, threshold=base - 1e-4, max_changes=1)
    assert found and all(c.changes and c.changes[0].text for c in found)
    first = found[0]
    edits = [(ch.fact, ch.after) for ch in first.changes if ch.fact not in ("bmi", "dbp")]
    assert first.risk == pytest.approx(_risk_after(model, cohort, pid, edits), abs=1e-6)


def test_bad_input(cohort, logistic):
    with pytest.raises(InputError, match=r"threshold must be a risk in \(0, 1\); got 1.5"):
        counterfactuals(logistic, cohort, "S000001", LM, threshold=1.5)
    with pytest.raises(InputError, match="max_changes and max_results must be >= 1"):
        counterfactuals(logistic, cohort, "S000001", LM, threshold=0.5, max_changes=0)
    with pytest.raises(InputError, match="unknown intervention 'coffee' in grid"):
        counterfactuals(logistic, cohort, "S000001", LM, threshold=0.5, grid={"coffee": (1.0,)})
    with pytest.raises(UnknownIdError, match="no patient 'nobody'"):
        counterfactuals(logistic, cohort, "nobody", LM, threshold=0.5)
    with pytest.raises(InputError, match="landmark 1990-01-01 of patient 'S000001' is not after anything recorded"):
        counterfactuals(logistic, cohort, "S000001", "1990-01-01", threshold=0.5)
