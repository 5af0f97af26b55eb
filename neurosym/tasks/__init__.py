"""Prediction tasks as data: outcome code sets, landmarks, horizons and exclusions.

A task turns a cohort into a *label frame*: one row per patient with
``patient_id, landmark, label, excluded``.  Models train on the rows with a
null ``excluded`` and see only what :func:`before_landmark` keeps.

Examples
--------
>>> from neurosym.data import synthetic_cohort
>>> from neurosym.tasks import ground_truth_labels
>>> ground_truth_labels(synthetic_cohort(3, seed=0))["label"].tolist()
[0, 0, 0]
"""

from neurosym.tasks._codes import expand_codes, match_codes, resolve_ontologies
from neurosym.tasks._landmarks import as_landmarks, before_landmark, row_landmarks, row_positions
from neurosym.tasks._onset import LABEL_COLUMNS, T2D_EXCLUDE_RULES, DiseaseOnset, t2d_3y
from neurosym.tasks._split import split_patients
from neurosym.tasks._truth import ground_truth_labels

__all__ = [
    "DiseaseOnset",
    "LABEL_COLUMNS",
    "T2D_EXCLUDE_RULES",
    "as_landmarks",
    "before_landmark",
    "expand_codes",
    "ground_truth_labels",
    "match_codes",
    "resolve_ontologies",
    "row_landmarks",
    "row_positions",
    "split_patients",
    "t2d_3y",
]
