"""Small shared objects: a synthetic cohort whose records continue past an earlier landmark, and a fitted model."""

import pandas as pd
import pytest

from neurosym.data import synthetic_cohort
from neurosym.reasoning import NeuroSymbolicModel
from neurosym.tasks import ground_truth_labels

#: Landmarks a year before the synthetic records end, so a year of events and lifelog lies after them.
EARLY = "2023-01-01"
#: Parameters of the small model the tests share (also rebuilt in a subprocess by the determinism test).
SMALL = dict(max_epochs=2, lifelog_days=56, max_codes=16, residual_dim=8, batch_size=128, progress_bar=False, seed=3)


@pytest.fixture(scope="package")
def cohort():
    return synthetic_cohort(300, seed=0, lifelog_days=400)


@pytest.fixture(scope="package")
def labels(cohort):
    frame = ground_truth_labels(cohort)
    frame["landmark"] = pd.Timestamp(EARLY)
    return frame


@pytest.fixture(scope="package")
def model(cohort, labels):
    return NeuroSymbolicModel(**SMALL).fit(cohort, labels)
