"""The Lightning data module: per-patient tensors at the landmark and seeded patient-level splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler

from neurosym._errors import NeurosymError
from neurosym.data import Cohort
from neurosym.neural._features import Featurizer

__all__ = ["CohortDataModule", "TENSOR_KEYS", "TensorDataModule", "usable_labels"]

#: Feature arrays that become model inputs.
TENSOR_KEYS = ("codes", "code_age", "code_count", "labs", "lab_age", "lab_mask", "daily", "daily_mask", "wear",
               "wear_known", "landmark_day", "static")


def usable_labels(labels: pd.DataFrame) -> pd.DataFrame:
    """The rows of a label frame a model trains on: ``label`` 0/1 and no ``excluded`` reason.

    Raises
    ------
    NeurosymError
        If a column is missing or a label is not 0 or 1.

    Examples
    --------
    >>> frame = pd.DataFrame({"patient_id": ["a", "b"], "landmark": ["2020-01-01"] * 2, "label": [1, 0],
    ...                       "excluded": [None, "died before landmark"]})
    >>> usable_labels(frame)["patient_id"].tolist()
    ['a']
    """
    missing = {"patient_id", "landmark", "label"} - set(labels.columns)
    if missing:
        raise NeurosymError(f"a label frame needs patient_id, landmark and label; missing {sorted(missing)}")
    keep = labels["excluded"].isna() if "excluded" in labels else pd.Series(True, index=labels.index)
    frame = labels[keep.to_numpy(dtype=bool)]
    bad = ~frame["label"].isin([0, 1])
    if bad.any():
        raise NeurosymError(f"labels must be 0 or 1; got {frame.loc[bad, 'label'].iloc[0]!r} "
                            f"for patient {frame.loc[bad, 'patient_id'].iloc[0]!r}")
    return frame[["patient_id", "landmark", "label"]].reset_index(drop=True)


class _Arrays(Dataset):
    """Indexable by a list of sample positions: returns the batch as a dict of tensors."""

    def __init__(self, tensors: dict[str, torch.Tensor], rows: np.ndarray) -> None:
        self.tensors, self.rows = tensors, torch.as_tensor(rows, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, positions: list[int]) -> dict[str, torch.Tensor]:
        rows = self.rows[torch.as_tensor(positions, dtype=torch.long)]
        return {k: v[rows] for k, v in self.tensors.items()}


def to_tensors(features: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Model-input tensors of a feature dict (shares memory with the numpy arrays)."""
    return {k: torch.from_numpy(np.ascontiguousarray(features[k])) for k in TENSOR_KEYS}


class TensorDataModule(pl.LightningDataModule):
    """Per-patient tensors (one row per patient, ``label`` among them) with a seeded, label-stratified split.

    :meth:`setup` holds out ``val_fraction`` of each class for validation;
    the ``*_dataloader`` methods return loaders whose batches are dicts of
    tensors.  One patient is one row, so no patient is in two splits.  When
    the training patients would leave a last batch of one (batch norm cannot
    train on it), :meth:`setup` moves the last of them to validation.

    Parameters
    ----------
    tensors : dict of str to torch.Tensor, optional
        Set later by a subclass's :meth:`prepare_data` when not given.
    batch_size : int, default 256
    val_fraction : float, default 0.2
    seed : int, default 0

    Examples
    --------
    >>> dm = TensorDataModule({"label": torch.tensor([0.0, 1.0, 0.0, 1.0])}, batch_size=2, val_fraction=0.5)
    >>> dm.setup("fit"); len(dm.train_idx), len(dm.val_idx)
    (2, 2)
    >>> dm = TensorDataModule({"label": torch.tensor([0.0, 1.0, 0.0, 1.0, 1.0])}, batch_size=2, val_fraction=0.0)
    >>> dm.setup("fit"); dm.train_idx.tolist(), dm.val_idx.tolist()  # no last batch of one
    ([0, 1, 2, 3], [4])
    """

    def __init__(self, tensors: dict[str, torch.Tensor] | None = None, batch_size: int = 256,
                 val_fraction: float = 0.2, seed: int = 0) -> None:
        super().__init__()
        if not 0.0 <= val_fraction < 1.0:
            raise NeurosymError(f"val_fraction must be in [0, 1), got {val_fraction!r}")
        if tensors is not None:
            self.tensors = tensors
        self.batch_size = batch_size
        self.val_fraction = val_fraction
        self.seed = seed

    def setup(self, stage: str | None = None) -> None:
        y = self.tensors["label"].numpy()
        rng = np.random.default_rng(self.seed)
        val = []
        for cls in (0.0, 1.0):
            members = rng.permutation(np.flatnonzero(y == cls))
            val.append(members[: int(round(self.val_fraction * len(members)))])
        val_idx = np.concatenate(val)
        train_idx = np.setdiff1d(np.arange(len(y)), val_idx)
        if len(train_idx) % self.batch_size == 1 and len(train_idx) > 1:
            val_idx, train_idx = np.append(val_idx, train_idx[-1]), train_idx[:-1]
        self.val_idx, self.train_idx = np.sort(val_idx), train_idx

    def _loader(self, rows: np.ndarray, shuffle: bool) -> DataLoader:
        data = _Arrays(self.tensors, rows)
        sampler = (RandomSampler(data, generator=torch.Generator().manual_seed(self.seed)) if shuffle
                   else SequentialSampler(data))
        return DataLoader(data, sampler=BatchSampler(sampler, self.batch_size, drop_last=False), batch_size=None)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_idx, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_idx, shuffle=False)


class CohortDataModule(TensorDataModule):
    """Per-patient samples at their landmarks, with seeded, label-stratified patient-level splits.

    Hooks, in Lightning's order: :meth:`prepare_data` turns the cohort cut
    at each landmark into tensors (the I/O-heavy step: fits ``featurizer`` on
    the labelled patients if it is not fitted yet); :meth:`setup` splits the
    patients into train and validation with ``seed``; the ``*_dataloader``
    methods return loaders whose batches are dicts of tensors plus ``label``.
    One patient is one sample, so no patient is in two splits.

    Parameters
    ----------
    cohort : Cohort
    labels : pandas.DataFrame
        Label frame; rows with an ``excluded`` reason are dropped.
    featurizer : Featurizer, optional
    batch_size : int, default 256
    val_fraction : float, default 0.2
    seed : int, default 0

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> from neurosym.tasks import ground_truth_labels
    >>> cohort = synthetic_cohort(40, seed=0)
    >>> dm = CohortDataModule(cohort, ground_truth_labels(cohort), Featurizer(lifelog_days=28), batch_size=8)
    >>> dm.prepare_data(); dm.setup("fit")
    >>> len(dm.train_idx) + len(dm.val_idx) == len(dm.labels), next(iter(dm.train_dataloader()))["codes"].shape[0]
    (True, 8)
    """

    def __init__(self, cohort: Cohort, labels: pd.DataFrame, featurizer: Featurizer | None = None,
                 batch_size: int = 256, val_fraction: float = 0.2, seed: int = 0) -> None:
        super().__init__(batch_size=batch_size, val_fraction=val_fraction, seed=seed)
        self.cohort = cohort
        self.labels = usable_labels(labels)
        self.featurizer = featurizer or Featurizer()

    def prepare_data(self) -> None:
        if hasattr(self, "tensors"):  # already prepared (Lightning calls this again in fit)
            return
        if hasattr(self.featurizer, "vocabulary_"):
            features = self.featurizer.transform(self.cohort, self.labels)
        else:
            features = self.featurizer.fit_transform(self.cohort, self.labels)
        order = pd.Index(self.labels["patient_id"].astype("string")).get_indexer(features["patient_id"])
        self.tensors = to_tensors(features)
        self.tensors["label"] = torch.as_tensor(self.labels["label"].to_numpy(dtype=np.float32)[order])
        self.patient_ids = features["patient_id"]
