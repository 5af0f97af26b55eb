import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

from neurosym import NeurosymError, NotFittedError
from neurosym.data import synthetic_cohort
from neurosym.neural import RiskModel, average_states, to_tensors, validation_share
from neurosym.neural._risk_model import _KeepBest
from neurosym.tasks import ground_truth_labels

SMALL = dict(max_epochs=2, lifelog_days=28, max_codes=16, lab_steps=4, progress_bar=False)


@pytest.fixture(scope="module")
def small():
    cohort = synthetic_cohort(200, seed=3, lifelog_days=28)
    return cohort, ground_truth_labels(cohort)


def test_not_fitted_and_bad_input(small):
    cohort, labels = small
    with pytest.raises(NotFittedError, match="call fit\\(cohort, labels\\) first"):
        RiskModel().predict_proba(cohort, "2024-01-01")
    with pytest.raises(NeurosymError, match="inputs must be a non-empty subset"):
        RiskModel(inputs=("notes",)).fit(cohort, labels)
    with pytest.raises(NeurosymError, match="needs both classes"):
        RiskModel().fit(cohort, labels.assign(label=0))
    assert RiskModel(seed=5).get_params()["seed"] == 5


def test_same_seed_same_predictions_also_in_a_fresh_process_and_after_save_load(small, tmp_path):
    cohort, labels = small
    first = RiskModel(**SMALL, seed=7).fit(cohort, labels)
    again = RiskModel(**SMALL, seed=7).fit(cohort, labels)
    risk = first.predict_proba(cohort, labels)
    assert np.array_equal(risk["risk"].to_numpy(), again.predict_proba(cohort, labels)["risk"].to_numpy())
    other = RiskModel(**SMALL, seed=8).fit(cohort, labels).predict_proba(cohort, labels)["risk"].to_numpy()
    assert not np.array_equal(risk["risk"].to_numpy(), other)
    loaded = RiskModel.load(first.save(tmp_path / "model.pt"))
    assert np.array_equal(risk["risk"].to_numpy(), loaded.predict_proba(cohort, labels)["risk"].to_numpy())
    assert loaded.get_params() == first.get_params() and loaded.best_epoch_ == first.best_epoch_
    script = textwrap.dedent(f"""
        import numpy as np
        from neurosym.data import synthetic_cohort
        from neurosym.neural import RiskModel
        from neurosym.tasks import ground_truth_labels
        cohort = synthetic_cohort(200, seed=3, lifelog_days=28)
        labels = ground_truth_labels(cohort)
        risk = RiskModel(**{SMALL!r}, seed=7).fit(cohort, labels).predict_proba(cohort, labels)["risk"].to_numpy()
        np.save({str(tmp_path / "fresh.npy")!r}, risk)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    assert np.array_equal(risk["risk"].to_numpy(), np.load(tmp_path / "fresh.npy"))


def test_learns_a_planted_signal_across_record_and_lifelog():
    cohort = synthetic_cohort(700, seed=11, lifelog_days=56)
    ev = cohort.events
    coded = set(ev.loc[ev["code"] == "Z83.3", "patient_id"].astype(str))
    daily = cohort.lifelog.daily
    steps = daily[daily["worn_minutes"] > 0].groupby("patient_id", observed=True)["steps"].mean()
    inactive = set(steps[steps < steps.quantile(0.3)].index.astype(str))
    ids = cohort.patient_ids
    labels = pd.DataFrame({"patient_id": ids, "landmark": pd.Timestamp("2024-01-01"),
                           "label": [int(p in coded or p in inactive) for p in ids]})
    train, test = labels.iloc[:500], labels.iloc[500:]
    model = RiskModel(max_epochs=25, patience=6, lifelog_days=56, max_codes=16, lab_steps=4, progress_bar=False,
                      seed=0).fit(cohort, train)
    risk = model.predict_proba(cohort, test).merge(test, on=["patient_id", "landmark"])
    assert 0.3 < test["label"].mean() < 0.6
    assert roc_auc_score(risk["label"], risk["risk"]) > 0.85
    assert len(model.history_) >= 2 and all("val_auroc" in h for h in model.history_)


def test_a_training_size_one_more_than_a_multiple_of_the_batch_size_fits(small):
    cohort, labels = small
    train = labels[labels["excluded"].isna()].iloc[:129]  # 2 batches of 64 and one patient
    model = RiskModel(**SMALL, batch_size=64, val_fraction=0.0).fit(cohort, train)
    assert len(model.predict_proba(cohort, train)) == 129
    assert [h["stage"] for h in model.history_] == ["wide", "deep", "deep"]


def test_validation_share_grows_on_small_data_up_to_its_cap():
    y = np.array([1] * 50 + [0] * 950)
    assert validation_share(y, 0.2, 40) == pytest.approx(0.4)            # 40 / 50 events, capped at 0.4
    assert validation_share(np.array([1] * 400 + [0] * 600), 0.2, 40) == 0.2
    assert validation_share(y, 0.0, 40) == 0.0


def test_min_epochs_and_the_wide_code_weights(small):
    cohort, labels = small
    model = RiskModel(**{**SMALL, "max_epochs": 5}, min_epochs=4, patience=1, seed=0).fit(cohort, labels)
    assert len(model.history_) >= 4
    wide = model.module_.encoders["record"].wide.weight
    assert wide.abs().sum().item() > 0 and wide[0].item() == 0.0        # trained; padding stays 0
    shrunk = RiskModel(**SMALL, wide_l2=1e6, seed=0).fit(cohort, labels).module_.encoders["record"].wide.weight
    assert shrunk.abs().max().item() < wide.abs().max().item() / 10


def test_ensemble_averages_member_logits_and_survives_save_load(small, tmp_path):
    cohort, labels = small
    model = RiskModel(**SMALL, ensemble=2, seed=1).fit(cohort, labels)
    assert len(model.members_) == 2 and model.module_ is model.members_[0]
    assert {h["member"] for h in model.history_} == {0, 1}
    single = RiskModel(**SMALL, seed=1).fit(cohort, labels)
    assert torch.equal(single.module_.state_dict()["skip.weight"], model.module_.state_dict()["skip.weight"])
    tensors = to_tensors(model.featurizer_.transform(cohort, labels))
    with torch.no_grad():
        logits = torch.stack([m(tensors) for m in model.members_]).mean(0)
    risk = model.predict_proba(cohort, labels)["risk"].to_numpy()
    assert np.allclose(risk, torch.sigmoid(logits).double().numpy(), atol=1e-6)
    loaded = RiskModel.load(model.save(tmp_path / "ensemble.pt"))
    assert np.array_equal(risk, loaded.predict_proba(cohort, labels)["risk"].to_numpy())


def test_snapshot_average_is_kept_only_when_it_validates_at_least_as_well_as_the_best_epoch(small):
    cohort, labels = small
    model = RiskModel(**{**SMALL, "max_epochs": 4}, snapshots=3, seed=0).fit(cohort, labels)
    averaged = model.history_[-1]["val_auroc_averaged"]
    best = max(h["val_auroc"] for h in model.history_)
    state = model.module_.state_dict()
    one = RiskModel(**{**SMALL, "max_epochs": 4}, snapshots=1, seed=0).fit(cohort, labels).module_.state_dict()
    assert torch.equal(state["skip.weight"], one["skip.weight"]) == (averaged < best)


def test_stagewise_fit_trains_the_wide_part_then_the_deep_part_from_it(small):
    cohort, labels = small
    model = RiskModel(**{**SMALL, "max_epochs": 3}, min_epochs=3, seed=0).fit(cohort, labels)
    assert [(h["stage"], h["epoch"]) for h in model.history_] == [("wide", -1), ("deep", 0), ("deep", 1), ("deep", 2)]
    assert model.module_.stage == "joint" and not model.module_.training
    assert model.best_epoch_ == max(model.history_, key=lambda h: h["val_auroc"])["epoch"]
    joint = RiskModel(**{**SMALL, "max_epochs": 3}, min_epochs=3, stagewise=False, seed=0).fit(cohort, labels)
    assert [h["stage"] for h in joint.history_] == ["joint"] * 3


def test_keep_best_starts_from_the_weights_to_beat():
    state = {"w": torch.tensor([1.0])}
    keep = _KeepBest(snapshots=3, start=(0.7, state))
    assert keep.best == 0.7 and keep.state is state and keep.states == [(0.7, -1, state)]
    assert _KeepBest(start=(0.7, state)).states == []


def test_average_states():
    states = [{"w": torch.tensor([1.0, 3.0]), "n": torch.tensor(2)},
              {"w": torch.tensor([2.0, 5.0]), "n": torch.tensor(9)}]
    mean = average_states(states)
    assert mean["w"].tolist() == [1.5, 4.0] and mean["n"].item() == 2

