import numpy as np
import pytest
import torch

from neurosym import NeurosymError
from neurosym.neural import TensorDataModule


def test_split_is_stratified_seeded_and_disjoint():
    y = torch.tensor([1.0] * 10 + [0.0] * 30)
    dm = TensorDataModule({"label": y}, batch_size=8, val_fraction=0.2, seed=3)
    dm.setup("fit")
    assert y[dm.val_idx].sum().item() == 2 and len(dm.val_idx) == 8 and len(dm.train_idx) == 32
    assert np.intersect1d(dm.train_idx, dm.val_idx).size == 0
    again = TensorDataModule({"label": y}, batch_size=8, val_fraction=0.2, seed=3)
    again.setup("fit")
    assert np.array_equal(dm.val_idx, again.val_idx)


@pytest.mark.parametrize("val_fraction", [0.0, 0.25])
def test_a_last_training_batch_of_one_moves_that_patient_to_validation(val_fraction):
    y = torch.tensor([1.0, 0.0] * 20 + [0.0])  # 41 patients
    dm = TensorDataModule({"label": y, "x": torch.arange(41.0)}, batch_size=10, val_fraction=val_fraction)
    dm.setup("fit")
    before = 41 - int(round(val_fraction * 20)) - int(round(val_fraction * 21))
    assert before % 10 == 1
    assert len(dm.train_idx) == before - 1 and len(dm.val_idx) == 41 - before + 1
    assert [len(b["x"]) for b in dm.train_dataloader()][-1] == 10
    dm.setup("fit")  # Lightning calls setup again: same split
    assert len(dm.train_idx) == before - 1


def test_a_single_training_patient_stays_and_bad_fraction_is_refused():
    dm = TensorDataModule({"label": torch.tensor([1.0])}, batch_size=4, val_fraction=0.0)
    dm.setup("fit")
    assert dm.train_idx.tolist() == [0] and dm.val_idx.tolist() == []
    with pytest.raises(NeurosymError, match=r"val_fraction must be in \[0, 1\), got 1.0"):
        TensorDataModule(batch_size=4, val_fraction=1.0)
