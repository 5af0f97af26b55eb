import pytest

from neurosym import NeurosymError
from neurosym.data import load_omop, synthetic_cohort
from neurosym.ontology import Ontology
from neurosym.tasks import DiseaseOnset, ground_truth_labels, t2d_3y
from tests.conftest import shared_dataset


def test_t2d_3y_labels_and_exclusion_reasons(tiny):
    labels = t2d_3y("2020-01-01").labels(tiny)
    assert list(labels.columns) == ["patient_id", "landmark", "label", "excluded"]
    assert labels["label"].tolist() == [1, 0, 1, 0]
    assert labels["excluded"].fillna("").tolist() == ["", "HbA1c >= 6.5 % before landmark", "",
                                                      "died before landmark"]


def test_code_exclusion_follow_up_and_history(tiny):
    task = DiseaseOnset(outcome=["icd10cm:E11"], landmark="2019-01-01", horizon_days=365, exclude=["icd10cm:E10"],
                        history_days=400)
    assert task.labels(tiny)["excluded"].fillna("").tolist() == [
        "", "no record in the 400 days before landmark", "no record in the 400 days before landmark",
        "excluded code before landmark"]
    short = DiseaseOnset(outcome=["icd10cm:E11"], landmark="2020-01-01", horizon_days=3650).labels(tiny)
    assert short["excluded"].fillna("").tolist()[:2] == ["", "follow-up shorter than horizon"]


def test_task_errors(tiny):
    with pytest.raises(NeurosymError, match="write outcome=\\['icd10cm:E11'\\]"):
        DiseaseOnset(outcome="icd10cm:E11").labels(tiny)
    with pytest.raises(NeurosymError, match="horizon_days must be a positive integer, got 0"):
        DiseaseOnset(outcome=["icd10cm:E11"], horizon_days=0).labels(tiny)
    with pytest.raises(NeurosymError, match="must define exclude\\(P, Reason\\)"):
        DiseaseOnset(outcome=["icd10cm:E11"], landmark="2020-01-01", exclude_rules="x(P) :- patient(P, _, _).").labels(tiny)


def test_synthetic_ground_truth_is_a_label_frame():
    cohort = synthetic_cohort(300, seed=0)
    labels = ground_truth_labels(cohort)
    truth = cohort.labels
    assert labels["label"].sum() == truth["incident_t2d"].sum()
    assert (labels["excluded"] == "outcome before landmark").sum() == truth["prevalent_t2d"].sum()
    with pytest.raises(NeurosymError, match="no ground-truth column"):
        ground_truth_labels(without_labels(cohort))


def without_labels(cohort):
    return type(cohort)(cohort.patients, cohort.events, cohort.lifelog, cohort.report, None, "no labels")


def test_omop_labels_follow_concept_ancestry(shared_data):
    path = shared_dataset(shared_data, "omop_synthea27nj")
    cohort = load_omop(path)
    # "Sinusitis" by its OMOP concept id; the data code viral, chronic and bacterial sinusitis (its descendants)
    with_ancestry = DiseaseOnset(outcome=["omop:4283893"], landmark="2010-01-01", horizon_days=5 * 365,
                                 ontologies=[Ontology.from_omop(path)]).labels(cohort)
    assert with_ancestry.loc[with_ancestry["label"] == 1, "patient_id"].tolist() == ["24", "26", "8"]
    assert (with_ancestry["excluded"] == "outcome before landmark").sum() == 16
    literal = DiseaseOnset(outcome=["snomed:36971009"], landmark="2010-01-01", horizon_days=5 * 365,
                           ontologies=[]).labels(cohort)
    assert literal["label"].sum() == 0 and (literal["excluded"] == "outcome before landmark").sum() == 3
