"""Deleting or perturbing everything at or after the landmarks changes no input and no prediction."""

import numpy as np
import pandas as pd

from neurosym.data import Cohort, Lifelog, load_omop
from neurosym.neural import Featurizer, RiskModel
from neurosym.tasks import DiseaseOnset, as_landmarks, row_landmarks
from tests.conftest import shared_dataset


def _after(frame: pd.DataFrame, column: str, landmarks: pd.DataFrame) -> np.ndarray:
    lm = row_landmarks(frame["patient_id"], landmarks)
    t = frame[column].to_numpy().astype("datetime64[s]").astype(np.int64)
    return (lm != np.iinfo(np.int64).min) & (t >= lm)


def deleted(cohort: Cohort, landmarks: pd.DataFrame) -> Cohort:
    ev, daily = cohort.events, cohort.lifelog.daily
    return Cohort(cohort.patients, ev[~_after(ev, "time", landmarks)].reset_index(drop=True),
                  Lifelog(daily[~_after(daily, "date", landmarks)].reset_index(drop=True), cohort.lifelog.hourly),
                  cohort.report, None, "deleted")


def perturbed(cohort: Cohort, landmarks: pd.DataFrame, seed: int = 1) -> Cohort:
    """Post-landmark values scrambled, new codes, extra rows, and end times pushed past the landmark."""
    rng = np.random.default_rng(seed)
    ev = cohort.events.copy()
    late = _after(ev, "time", landmarks)
    ev.loc[late, "value"] = rng.normal(100, 50, late.sum())
    ev["code"] = ev["code"].cat.add_categories(["Z99.89"])
    ev.loc[late & (ev["kind"] == "condition").to_numpy(), "code"] = "Z99.89"
    extra = ev[late].copy()
    extra["time"] = extra["time"] + pd.Timedelta(days=3)
    ev = pd.concat([ev, extra], ignore_index=True).sort_values(["patient_id", "time"], kind="stable")
    daily = cohort.lifelog.daily.copy()
    later = _after(daily, "date", landmarks)
    daily.loc[later, "steps"] = 0
    daily.loc[later, "worn_minutes"] = 1440
    return Cohort(cohort.patients, ev.reset_index(drop=True), Lifelog(daily, cohort.lifelog.hourly), cohort.report,
                  None, "perturbed")


def assert_identical(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key]), key


def test_synthetic_inputs_and_predictions_ignore_post_landmark_data(cohort, labels):
    lm = as_landmarks(labels)
    assert _after(cohort.events, "time", lm).sum() > 1000     # a year of records after the landmark
    model = RiskModel(max_epochs=1, lifelog_days=56, max_codes=16, progress_bar=False).fit(cohort, labels)
    base = model.featurizer_.transform(cohort, labels)
    risk = model.predict_proba(cohort, labels)["risk"].to_numpy()
    for other in (deleted(cohort, lm), perturbed(cohort, lm)):
        assert_identical(base, model.featurizer_.transform(other, labels))
        assert np.array_equal(risk, model.predict_proba(other, labels)["risk"].to_numpy())


def omop_past_landmarks(shared_data) -> tuple[Cohort, pd.DataFrame, pd.DataFrame]:
    """The shared OMOP cohort, per-patient landmarks at each patient's median record time (so records
    continue after it) and every patient's onset label at them (none excluded: a smoke check)."""
    cohort = load_omop(shared_dataset(shared_data, "omop_synthea27nj"))
    mid = cohort.events.groupby("patient_id", observed=True)["time"].median().dt.normalize()
    landmarks = as_landmarks(mid)
    assert _after(cohort.events, "time", landmarks).mean() > 0.3
    labels = DiseaseOnset(outcome=["snomed:444814009"], landmark=landmarks, horizon_days=3650,
                          require_follow_up=False, ontologies=[]).labels(cohort)
    labels["excluded"] = pd.NA
    return cohort, landmarks, labels


def test_real_omop_inputs_ignore_post_landmark_data(shared_data):
    cohort, landmarks, labels = omop_past_landmarks(shared_data)
    featurizer = Featurizer(lifelog_days=14).fit(cohort, landmarks)
    base = featurizer.transform(cohort, landmarks)
    assert (base["codes"] > 0).sum() > 200 and base["lab_mask"].sum() > 200
    assert_identical(base, featurizer.transform(deleted(cohort, landmarks), landmarks))
    assert_identical(base, featurizer.transform(perturbed(cohort, landmarks), landmarks))
    model = RiskModel(max_epochs=2, lifelog_days=14, val_fraction=0.0, progress_bar=False).fit(cohort, labels)
    risk = model.predict_proba(cohort, landmarks)["risk"].to_numpy()
    assert np.array_equal(risk, model.predict_proba(deleted(cohort, landmarks), landmarks)["risk"].to_numpy())
