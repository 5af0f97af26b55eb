"""Seeded patient-level train/test split of a label frame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from neurosym._errors import InputError

__all__ = ["split_patients"]


def split_patients(labels: pd.DataFrame, test_fraction: float = 0.25, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a label frame by patient: all rows of a patient land on the same side.

    Parameters
    ----------
    labels : pandas.DataFrame
        A label frame (``patient_id, landmark, label, excluded``).
    test_fraction : float, default 0.25
        Share of the patients held out, in (0, 1).
    seed : int, default 0

    Returns
    -------
    (train, test) : tuple of pandas.DataFrame
        ``train`` keeps every row of its patients (models skip excluded rows
        themselves); ``test`` keeps only the usable rows (``excluded`` null).

    Examples
    --------
    >>> labels = pd.DataFrame({"patient_id": list("abcdefgh"), "landmark": pd.Timestamp("2024-01-01"),
    ...                        "label": [0, 1] * 4, "excluded": [None] * 7 + ["died before landmark"]})
    >>> train, test = split_patients(labels, 0.5, seed=1)
    >>> len(train) + len(test), sorted(set(train.patient_id) & set(test.patient_id))
    (8, [])
    """
    if not 0 < test_fraction < 1:
        raise InputError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    patients = pd.unique(labels["patient_id"].astype("string"))
    rng = np.random.default_rng(seed)
    held_out = patients[rng.permutation(len(patients))[: int(round(len(patients) * test_fraction))]]
    test = labels["patient_id"].astype("string").isin(held_out).to_numpy()
    usable = labels["excluded"].isna().to_numpy()
    return labels[~test].reset_index(drop=True), labels[test & usable].reset_index(drop=True)
