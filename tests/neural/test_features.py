import numpy as np
import pandas as pd
import pytest

from neurosym import NotFittedError
from neurosym.data import Cohort, Lifelog
from neurosym.neural import DAILY_CHANNELS, Featurizer
from neurosym.ontology import Ontology
from tests.neural.conftest import EARLY


def test_shapes_and_dtypes(cohort, labels):
    f = Featurizer(max_codes=16, max_analytes=6, lab_steps=4, lifelog_days=56).fit(cohort, labels)
    x = f.transform(cohort, labels)
    assert x["codes"].shape == (400, 16) and x["codes"].dtype == np.int64
    assert x["labs"].shape == x["lab_age"].shape == x["lab_mask"].shape == (400, 6, 4)
    assert x["daily"].shape == (400, 56, len(DAILY_CHANNELS)) and x["daily_mask"].dtype == bool
    assert x["wear"].shape == x["wear_known"].shape == (400, 56)
    assert x["static"].shape == (400, 5)
    assert len(f.analytes_) == 6 and f.vocabulary_[0] == "omop:9202"
    # ages of codes and labs are strictly positive: nothing on or after the landmark
    assert (x["code_age"][x["codes"] > 0] > 0).all() and (x["lab_age"][x["lab_mask"]] > 0).all()
    # right-aligned trajectories: a present value is never followed by a missing one
    assert not (x["lab_mask"][..., :-1] & ~x["lab_mask"][..., 1:]).any()


def hand_cohort() -> Cohort:
    """One patient, lifelog over 4 days before 2020-01-05: worn, unworn (row, nulls), missing (no row), worn."""
    patients = pd.DataFrame({"patient_id": ["p"], "sex": ["F"], "birth_date": ["1970-01-05"]})
    events = pd.DataFrame({"patient_id": ["p"] * 3, "time": ["2019-01-01", "2019-06-01", "2020-02-01"],
                           "kind": ["measurement"] * 3, "system": ["loinc"] * 3, "code": ["4548-4"] * 3,
                           "value": [5.5, 6.0, 9.9]})
    daily = pd.DataFrame({"patient_id": ["p"] * 3, "date": ["2020-01-01", "2020-01-02", "2020-01-04"],
                          "steps": [7000, None, 5000], "sleep_minutes": [400, None, None],
                          "worn_minutes": [900, 0, 720]})
    return Cohort.from_frames(patients, events, lifelog=Lifelog.from_frames(daily))


def test_unworn_and_missing_days_are_masked_not_zero():
    cohort = hand_cohort()
    x = Featurizer(lifelog_days=4).fit(cohort, "2020-01-05").transform(cohort, "2020-01-05")
    assert x["daily_mask"][0, :, 0].tolist() == [True, False, False, True]     # steps: worn days only
    assert x["daily_mask"][0, :, 2].tolist() == [True, False, False, False]    # sleep recorded once
    assert x["wear_known"][0].tolist() == [True, True, False, True]            # unworn row vs no row
    assert x["wear"][0].tolist() == [0.625, 0.0, 0.0, 0.5]
    assert (x["daily"][0][~x["daily_mask"][0]] == 0).all()
    assert x["lab_mask"][0, 0].tolist()[-3:] == [False, True, True]            # the 2020-02-01 value is after
    assert x["lab_age"][0, 0, -2:].tolist() == pytest.approx([369 / 365.25, 218 / 365.25])  # years before
    assert x["static"][0, :3].round(3).tolist() == [0.0, 1.0, 0.0]                # aged 50, female


def test_transform_before_fit_raises(cohort):
    with pytest.raises(NotFittedError, match="call fit\\(cohort, landmarks\\) first"):
        Featurizer().transform(cohort, EARLY)


def coded_cohort(codes: list[str]) -> Cohort:
    """One patient per ICD-10-CM code, each coded once in 2019."""
    ids = [f"p{i}" for i in range(len(codes))]
    patients = pd.DataFrame({"patient_id": ids, "sex": ["F"] * len(codes), "birth_date": ["1970-01-01"] * len(codes)})
    events = pd.DataFrame({"patient_id": ids, "time": ["2019-01-01"] * len(codes), "kind": ["condition"] * len(codes),
                           "system": ["icd10cm"] * len(codes), "code": codes})
    return Cohort.from_frames(patients, events)


def test_vocabulary_covers_ancestors_and_unseen_codes_read_as_nearest_ancestor():
    onto = Ontology([("icd10cm:E78.01", "icd10cm:E78.0"), ("icd10cm:E78.0", "icd10cm:E78"),
                     ("icd10cm:E78.5", "icd10cm:E78"), ("icd10cm:E78", "icd10cm:E70-E88"),
                     ("icd10cm:E74.19", "icd10cm:E74.1"), ("icd10cm:E74.1", "icd10cm:E70-E88")])
    train = coded_cohort(["E78.01", "E78.5"])
    f = Featurizer(lifelog_days=7, ontologies=[onto]).fit(train, "2020-01-01")
    assert f.vocabulary_ == ["icd10cm:E78.01", "icd10cm:E78.5", "icd10cm:E70-E88", "icd10cm:E78", "icd10cm:E78.0"]
    test = coded_cohort(["E78.01", "E78.02", "E74.19", "Z00.00"])  # seen, unknown to the ontology, new branch, none
    codes = f.transform(test, "2020-01-01")["codes"][:, 0]
    assert [f.vocabulary_[c - 1] if c else None for c in codes] == ["icd10cm:E78.01", None, "icd10cm:E70-E88", None]
    flat = Featurizer(lifelog_days=7).fit(train, "2020-01-01")
    assert flat.vocabulary_ == ["icd10cm:E78.01", "icd10cm:E78.5"]
    assert flat.transform(test, "2020-01-01")["codes"][:, 0].tolist() == [1, 0, 0, 0]
    assert Featurizer.from_state(f.state()).ontologies == (onto.name,)
