"""Weak supervision: neural predicates never see their own labels, only the onset label through rules that need them.

In the spirit of DeepProbLog's and Scallop's digit-addition benchmarks, made
clinical: ``rising_glycemic_trajectory`` is trained only through the rule
below (it makes a ``t2d_risk_factor``) from the 3-year onset label, without
a residual term and without the tie to its described pattern
(``anchor_weight=0``), so the rule is the only path from the label to the head.
Its output is then compared with the generator's latent truth (HbA1c slope
above the median) on the patients it reads.  (``benchmarks/reasoner.py``
reports the same for every predicate of the full model.)
"""

import numpy as np
import pytest

from neurosym.data import synthetic_cohort
from neurosym.evaluation import auroc
from neurosym.facts import load_rule_library
from neurosym.logic import Program
from neurosym.reasoning import NeuroSymbolicModel
from neurosym.tasks import ground_truth_labels

RULES = '''
% a rule that needs the neural predicate
.decl rising_glycemic_trajectory(patient: symbol)
@id("ws.rising_glycemia") @cite("ADA Standards of Care in Diabetes-2025, §2") @doc("A rising glycemic trajectory.")
t2d_risk_factor(P, rising_glycemia) :- rising_glycemic_trajectory(P), adult(P).
'''


@pytest.fixture(scope="module")
def trained():
    cohort = synthetic_cohort(2000, seed=1)
    labels = ground_truth_labels(cohort)
    program = load_rule_library(["common"]) + Program.from_text(RULES)
    model = NeuroSymbolicModel(program=program, relations=("t2d_risk_factor",),
                               predicates=("rising_glycemic_trajectory",), wide=False, anchor_weight=0.0, max_epochs=10,
                               batch_size=64, val_fraction=0.0, lifelog_days=28, progress_bar=False,
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

