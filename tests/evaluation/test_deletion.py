import numpy as np
import pandas as pd
import pytest

from neurosym import InputError, UnknownIdError
from neurosym.data import drop_records, synthetic_cohort
from neurosym.evaluation import DeletionReport, LastValueLogistic, deletion_test
from neurosym.facts import clinical_facts, load_rule_library
from neurosym.neural import RiskModel
from neurosym.tasks import ground_truth_labels
from neurosym.trace import FactLeaf, Prediction, RuleApplication, SourceRef

LM = "2024-01-01"


@pytest.fixture(scope="module")
def cohort():
    return synthetic_cohort(200, seed=3, lifelog_days=30)


@pytest.fixture(scope="module")
def logistic(cohort):
    return LastValueLogistic().fit(cohort, ground_truth_labels(cohort))


@pytest.fixture(scope="module")
def prediabetes(cohort):
    """Patients with prediabetes by the rule library, and the rule proofs of 20 of them (they cite HbA1c and FPG)."""
    library = load_rule_library(["glycemic"])
    model = library.evaluate(clinical_facts(cohort, landmark=LM, program=library))
    status = model.query("glycemic_status")
    ids = sorted(status.loc[status.iloc[:, 1] == "prediabetes", status.columns[0]].astype(str))
    return ids, {pid: model.explain(f'glycemic_status("{pid}", prediabetes)') for pid in ids[:20]}


def _ref(row):
    return SourceRef(str(row.source_dataset), str(row.source_table), int(row.source_row))


def test_exact_numbers_on_one_hand_made_trace(cohort, logistic):
    ev = cohort.events
    a1c = ev[(ev["patient_id"] == "S000002") & (ev["code"] == "4548-4")].iloc[-1]
    later = ev[(ev["patient_id"] == "S000002") & (ev["time"] >= LM)]
    leaves = [FactLeaf("lab(a1c)", "lab", source=_ref(a1c)),
              FactLeaf("lab(again)", "lab", source=_ref(a1c)),  # cited twice, removed once
              FactLeaf("patient(S000002)", "patient", source=SourceRef("synthetic(seed=3)", "patients", 2)),  # not removable
              FactLeaf("index_day", "index_day", source=SourceRef(text="landmark 2024-01-01"))]
    if len(later):
        leaves.append(FactLeaf("after", "lab", source=_ref(later.iloc[0])))  # after the landmark: not removable
    trace = Prediction("t2d", 0.5, landmark=pd.Timestamp(LM).date(), children=[RuleApplication("r(p)", "r", children=leaves)])
    report = deletion_test(logistic, cohort, {"S000002": trace}, seed=0, n_random=3)
    assert isinstance(report, DeletionReport) and report.n_patients == 1
    row = report.per_patient.iloc[0]
    assert row["cited"] == 1
    lm = pd.DataFrame({"patient_id": ["S000002"], "landmark": [LM]})
    before = logistic.predict_proba(cohort, lm)["risk"].iloc[0]
    after = logistic.predict_proba(drop_records(cohort, [_ref(a1c)]), lm)["risk"].iloc[0]
    assert row["risk"] == pytest.approx(before, abs=1e-9) and row["risk_cited_removed"] == pytest.approx(after, abs=1e-9)
    assert row["drop_cited"] == pytest.approx(before - after, abs=1e-9)
    again = deletion_test(logistic, cohort, {"S000002": trace}, seed=0, n_random=3)
    assert again.per_patient.equals(report.per_patient)
    other = deletion_test(logistic, cohort, {"S000002": trace}, seed=1, n_random=3)
    assert other.per_patient["risk_cited_removed"].equals(report.per_patient["risk_cited_removed"])


def test_removing_what_rule_proofs_cite_lowers_the_risk_more_than_random(cohort, prediabetes):
    # where it should hold: a model that learned the rule's conclusion from the last lab values, explained by the proofs
    ids, traces = prediabetes
    labels = pd.DataFrame({"patient_id": cohort.patient_ids, "landmark": pd.Timestamp(LM),
                           "label": [int(p in set(ids)) for p in cohort.patient_ids]})
    model = LastValueLogistic().fit(cohort, labels)
    report = deletion_test(model, cohort, traces, seed=0, n_random=5, landmarks=LM)
    assert report.summary() == pytest.approx({"patients": 20, "mean_records_cited": 2.8, "mean_drop_cited": 0.0312,
                                              "mean_drop_random": 0.0007, "share_cited_greater": 0.5, "p_value": 0.1073},
                                             abs=1e-3)
    assert report.mean_drop_cited > report.mean_drop_random + 0.02
    per = report.per_patient
    assert list(per.columns) == ["patient_id", "landmark", "cited", "risk", "risk_cited_removed", "risk_random_removed",
                                 "drop_cited", "drop_random"]
    assert report.share_cited_greater == pytest.approx(float((per["drop_cited"] > per["drop_random"]).mean()))
    assert report.mean_drop_cited == pytest.approx(per["drop_cited"].mean())


def test_reports_numbers_for_the_neural_risk_model(cohort, prediabetes):
    model = RiskModel(max_epochs=2, lifelog_days=28, max_codes=16, lab_steps=4, progress_bar=False, seed=0)
    model.fit(cohort, ground_truth_labels(cohort))
    report = deletion_test(model, cohort, prediabetes[1], seed=0, n_random=2, landmarks=LM)
    assert report.n_patients == 20 and report.per_patient["risk_cited_removed"].notna().all()
    assert np.isfinite([report.mean_drop_cited, report.mean_drop_random, report.share_cited_greater]).all()


def test_bad_input(cohort, logistic):
    leaf = FactLeaf("x", "x", source=SourceRef("synthetic(seed=3)", "labs", 1))
    with pytest.raises(InputError, match="needs at least one trace"):
        deletion_test(logistic, cohort, {}, seed=0)
    with pytest.raises(InputError, match="n_random must be >= 1, got 0"):
        deletion_test(logistic, cohort, {"S000001": leaf}, seed=0, n_random=0)
    with pytest.raises(InputError, match="the trace of 'S000001' is not a Prediction with a landmark; pass landmarks="):
        deletion_test(logistic, cohort, {"S000001": leaf}, seed=0)
    with pytest.raises(UnknownIdError, match="no patient 'nobody'"):
        deletion_test(logistic, cohort, {"nobody": leaf}, seed=0, landmarks=LM)
