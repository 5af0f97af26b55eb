"""Label frames from a cohort's known ground truth (the synthetic cohort's ``labels``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from neurosym._errors import NeurosymError
from neurosym.data import Cohort

__all__ = ["ground_truth_labels"]

#: outcome -> (label column, column of a prevalent case or None)
_OUTCOMES = {"t2d": ("incident_t2d", "prevalent_t2d"), "ckd": ("ckd_progression", None)}


def ground_truth_labels(cohort: Cohort, outcome: str = "t2d") -> pd.DataFrame:
    """The label frame (``patient_id, landmark, label, excluded``) of a cohort with ground truth.

    The synthetic cohort records no event after its landmark, so its
    outcomes come from ``cohort.labels``: ``t2d`` is incident type 2 diabetes
    (prevalent cases excluded), ``ckd`` is CKD progression; patients who died
    before the landmark are excluded.

    Raises
    ------
    NeurosymError
        If the cohort has no labels or lacks the outcome's columns.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> labels = ground_truth_labels(synthetic_cohort(200, seed=0))
    >>> labels["excluded"].value_counts().to_dict()
    {'outcome before landmark': 16, 'died before landmark': 1}
    """
    if outcome not in _OUTCOMES:
        raise NeurosymError(f"unknown outcome {outcome!r}; choose from {', '.join(_OUTCOMES)}")
    truth = cohort.labels
    column, prevalent = _OUTCOMES[outcome]
    if truth is None or column not in truth or "alive" not in truth:
        raise NeurosymError(f"cohort {cohort.name!r} has no ground-truth column {column!r}; "
                            "derive labels from its events with DiseaseOnset(...).labels(cohort)")
    reasons = pd.Series(pd.NA, index=truth.index, dtype="string")
    if prevalent is not None:
        reasons[truth[prevalent].to_numpy(dtype=bool)] = "outcome before landmark"
    reasons[~truth["alive"].to_numpy(dtype=bool)] = "died before landmark"
    return pd.DataFrame({"patient_id": truth["patient_id"].astype("string"),
                         "landmark": truth["landmark"].astype("datetime64[s]"),
                         "label": truth[column].to_numpy(dtype=bool).astype(np.int8), "excluded": reasons})
