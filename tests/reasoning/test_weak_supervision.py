"""Weak supervision: neural predicates never see their own labels, only the onset label through the rules.

In the spirit of DeepProbLog's and Scallop's digit-addition benchmarks, made
clinical: ``rising_glycemic_trajectory`` is trained only through rules that
need it (``t2d_risk_factor(P, rising_glycemia)``, ``progressing_dysglycemia``,
...) from the 3-year onset label.  Its output is compared with the
generator's latent truth: HbA1c slope above the median.  No concept label
reaches the model; its residual term reads the records and absorbs what the
rules do not say, and the rules are the only path from the label to the
predicates.
"""

import numpy as np
import pytest

from neurosym.data import synthetic_cohort
from neurosym.evaluation import auroc
from neurosym.reasoning import NeuroSymbolicModel
from neurosym.tasks import ground_truth_labels


@pytest.fixture(scope="module")
def trained():
    cohort = synthetic_cohort(2000, seed=1)
    labels = ground_truth_labels(cohort)
    model = NeuroSymbolicModel(max_epochs=10, batch_size=64, val_fraction=0.0, lifelog_days=112, max_codes=32, progress_bar=False,
                               seed=0).fit(cohort, labels)
    usable = labels[labels["excluded"].isna()]
    return model.predict_atoms(cohort, usable), cohort.labels.set_index("patient_id")


def _concept_auroc(atoms, truth, predicate, column, higher):
    latent = truth.loc[atoms["patient_id"].astype(str), column].to_numpy(dtype=float)
    keep = np.isfinite(latent) & atoms[predicate].notna().to_numpy()  # patients the predicate reads
    concept = latent[keep] > np.median(latent[keep]) if higher else latent[keep] < np.median(latent[keep])
    return auroc(concept, atoms[predicate].to_numpy()[keep])


def test_glycemic_trajectory_learns_its_concept_from_the_onset_label_only(trained):
    atoms, truth = trained
    score = _concept_auroc(atoms, truth, "rising_glycemic_trajectory", "hba1c_slope", True)
    print(f"rising_glycemic_trajectory vs hba1c_slope > median: AUROC {score:.3f}")
    assert score > 0.6


def test_activity_pattern_learns_its_concept_from_the_onset_label_only(trained):
    atoms, truth = trained
    score = _concept_auroc(atoms, truth, "low_activity_pattern", "latent_activity", False)
    print(f"low_activity_pattern vs latent_activity < median (patients with a wearable): AUROC {score:.3f}")
    assert score > 0.6
