import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from neurosym import NotFittedError
from neurosym.data import synthetic_cohort
from neurosym.evaluation import EngineeredGBM, LastValueLogistic
from neurosym.tasks import ground_truth_labels


@pytest.fixture(scope="module")
def split():
    cohort = synthetic_cohort(3000, seed=2, lifelog_days=56)
    labels = ground_truth_labels(cohort)
    return cohort, labels.iloc[:2000], labels.iloc[2000:][labels.iloc[2000:]["excluded"].isna()]


@pytest.mark.parametrize("make", [LastValueLogistic, lambda: EngineeredGBM(lifelog_days=56)])
def test_baselines_learn_and_follow_the_estimator_contract(split, make):
    cohort, train, test = split
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        make().predict_proba(cohort, test)
    model = make().fit(cohort, train)
    risk = model.predict_proba(cohort, test)
    assert list(risk.columns) == ["patient_id", "landmark", "risk"] and len(risk) == len(test)
    merged = risk.merge(test, on=["patient_id", "landmark"])
    assert roc_auc_score(merged["label"], merged["risk"]) > 0.68
    assert (risk["landmark"] == pd.Timestamp("2024-01-01")).all()
