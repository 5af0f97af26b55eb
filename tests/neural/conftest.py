"""Small shared objects: a synthetic cohort whose records continue past an earlier landmark."""

import pandas as pd
import pytest

from neurosym.data import synthetic_cohort
from neurosym.tasks import ground_truth_labels

#: The synthetic cohort's records end at 2024-01-01; landmarks here are a year earlier, so a year of
#: events and lifelog lies after them.
EARLY = "2023-01-01"


@pytest.fixture(scope="package")
def cohort():
    return synthetic_cohort(400, seed=0, lifelog_days=400)


@pytest.fixture(scope="package")
def labels(cohort):
    frame = ground_truth_labels(cohort)
    frame["landmark"] = pd.Timestamp(EARLY)
    return frame
