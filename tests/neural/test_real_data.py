"""Smoke runs on the shared real data: the model trains and predicts on FHIR and MIMIC demo records."""

import numpy as np
import pandas as pd
import pytest

from neurosym.data import load_fhir, load_mimic_demo
from neurosym.neural import RiskModel
from neurosym.tasks import DiseaseOnset, as_landmarks
from tests.conftest import shared_dataset

#: OMOP trains and predicts in test_leakage.py (with post-landmark data deleted and perturbed)
LOADERS = {"fhir_synthea_r4": lambda p: load_fhir(p / "bundles"),
           "mimic_iii_demo": load_mimic_demo}


def commonest_new_condition(events: pd.DataFrame, landmarks: pd.DataFrame) -> str:
    """The condition code most patients first get after their landmark (so both labels occur)."""
    cond = events[events["kind"] == "condition"].astype({"patient_id": "string", "code": "string",
                                                         "system": "string"})
    first = cond.groupby(["patient_id", "system", "code"])["time"].min().reset_index()
    first = first.merge(landmarks, on="patient_id")
    new = first[first["time"] >= first["landmark"]]
    top = new.groupby(["system", "code"]).size().idxmax()
    return f"{top[0]}:{top[1]}"


@pytest.mark.parametrize("name", list(LOADERS))
def test_trains_and_predicts_on_real_data(shared_data, name):
    cohort = LOADERS[name](shared_dataset(shared_data, name))
    mid = cohort.events.groupby("patient_id", observed=True)["time"].median().dt.normalize()
    landmarks = as_landmarks(mid)
    outcome = commonest_new_condition(cohort.events, landmarks)
    labels = DiseaseOnset(outcome=[outcome], landmark=landmarks, horizon_days=3650, require_follow_up=False,
                          ontologies=[]).labels(cohort)
    usable = labels[labels["excluded"].isna()]
    assert usable["label"].nunique() == 2, (name, outcome)
    model = RiskModel(max_epochs=3, lifelog_days=28, max_codes=32, val_fraction=0.0, progress_bar=False,
                      ontologies=()).fit(cohort, labels)
    risk = model.predict_proba(cohort, landmarks)
    assert len(risk) == len(landmarks) and np.isfinite(risk["risk"]).all() and risk["risk"].between(0, 1).all()
    assert len(model.featurizer_.vocabulary_) > 20 and len(model.featurizer_.analytes_) > 3
