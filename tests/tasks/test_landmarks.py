import pandas as pd
import pytest

from neurosym import NeurosymError
from neurosym.tasks import as_landmarks, before_landmark


def test_cut_keeps_only_records_before_each_patients_landmark(tiny):
    lm = pd.DataFrame({"patient_id": ["a", "c"], "landmark": ["2020-01-01", "2021-01-01"]})
    cut = before_landmark(tiny, lm)
    assert cut.patient_ids == ["a", "c"]
    assert cut.events[["patient_id", "code"]].astype(str).values.tolist() == [
        ["a", "I10"], ["c", "4548-4"], ["c", "44054006"]]
    assert cut.lifelog.daily["date"].astype(str).tolist() == ["2019-12-31"]
    assert cut.labels["landmark"].astype(str).tolist() == ["2020-01-01", "2021-01-01"]


def test_death_after_landmark_is_not_yet_known(tiny):
    cut = before_landmark(tiny, "2019-01-01")
    assert cut.patients["death_date"].isna().all()
    assert str(before_landmark(tiny, "2020-01-01").patients["death_date"].iloc[3].date()) == "2019-06-01"


def test_landmark_errors():
    with pytest.raises(NeurosymError, match="needs the cohort"):
        as_landmarks("2020-01-01")
    with pytest.raises(NeurosymError, match="missing \\['landmark'\\]"):
        as_landmarks(pd.DataFrame({"patient_id": ["a"]}))
    with pytest.raises(NeurosymError, match="'a' has more than one landmark"):
        as_landmarks(pd.DataFrame({"patient_id": ["a", "a"], "landmark": ["2020-01-01"] * 2}))
    with pytest.raises(NeurosymError, match="'b' has no landmark"):
        as_landmarks(pd.DataFrame({"patient_id": ["a", "b"], "landmark": ["2020-01-01", None]}))
