"""NeuroSymbolicModel: the estimator contract, persistence, determinism across processes, no leakage."""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from neurosym import NeurosymError, NotFittedError
from neurosym.reasoning import NeuroSymbolicModel
from neurosym.tasks import as_landmarks
from tests.neural.test_leakage import _after, deleted, omop_past_landmarks, perturbed

ROOT = Path(__file__).resolve().parents[2]


def test_params_and_not_fitted():
    model = NeuroSymbolicModel(k=2, seed=7)
    assert model.get_params()["k"] == 2 and model.get_params()["seed"] == 7
    with pytest.raises(NotFittedError, match="call fit"):
        model.predict_proba(None, "2024-01-01")


def test_bad_parameters_and_labels(cohort, labels):
    with pytest.raises(NeurosymError, match="need 1 <= k <= 4 and candidates >= k; got k=5"):
        NeuroSymbolicModel(k=5).fit(cohort, labels)
    with pytest.raises(NeurosymError, match=r"neural predicates \['short_sleep_pattern'\] are not read by the program"):
        from neurosym.facts import load_rule_library

        NeuroSymbolicModel(program=load_rule_library(), predicates=("short_sleep_pattern",)).fit(cohort, labels)
    with pytest.raises(NeurosymError, match="both classes"):
        NeuroSymbolicModel().fit(cohort, labels.assign(label=0))


def test_fit_learns_state_and_predicts_every_patient(model, cohort, labels):
    assert {"t2d_risk_factor(P, rising_glycemia)", "t2d_risk_factor(P, overweight)", "at_risk_t2d(P)"} <= set(model.atoms_)
    assert "neural.risk.inactivity_pattern" in model.rules_ and "ada.risk.overweight" in model.rules_
    assert model.best_epoch_ in (0, 1) and len(model.history_) == 2
    risk = model.predict_proba(cohort, labels)
    assert list(risk.columns) == ["patient_id", "landmark", "risk"] and len(risk) == len(cohort)
    assert risk["risk"].between(0, 1).all() and risk["risk"].nunique() > 50
    atoms = model.predict_atoms(cohort, labels.head(20))
    assert list(atoms.columns[-3:]) == ["rising_glycemic_trajectory", "low_activity_pattern", "short_sleep_pattern"]
    assert atoms[model.atoms_].max().max() <= 1.0


def test_save_load_gives_identical_predictions(model, cohort, labels, tmp_path):
    first = model.predict_proba(cohort, labels.head(40))
    loaded = NeuroSymbolicModel.load(model.save(tmp_path / "model.pt"))
    assert loaded.model_version_ == model.model_version_ and loaded.atoms_ == model.atoms_
    pd.testing.assert_frame_equal(loaded.predict_proba(cohort, labels.head(40)), first)


def test_a_model_saved_before_recalibration_loads_without_one(model, cohort, labels, tmp_path):
    path = model.save(tmp_path / "model.pt")
    saved = torch.load(path, weights_only=False)
    del saved["calibration"]  # the format before recalibration: its weights were never recalibrated
    torch.save(saved, path)
    loaded = NeuroSymbolicModel.load(path)
    assert loaded.calibration_ == (1.0, 0.0)
    pd.testing.assert_frame_equal(loaded.predict_proba(cohort, labels.head(40)), model.predict_proba(cohort, labels.head(40)))


def test_same_seed_gives_identical_predictions_in_another_process(model, cohort, labels, tmp_path):
    out = tmp_path / "risk.npy"
    script = textwrap.dedent(f"""
        import sys, numpy as np, pandas as pd
        sys.path.insert(0, {str(ROOT)!r})
        from tests.reasoning.conftest import EARLY, SMALL
        from neurosym.data import synthetic_cohort
        from neurosym.reasoning import NeuroSymbolicModel
        from neurosym.tasks import ground_truth_labels
        cohort = synthetic_cohort(300, seed=0, lifelog_days=400)
        labels = ground_truth_labels(cohort); labels["landmark"] = pd.Timestamp(EARLY)
        model = NeuroSymbolicModel(**SMALL).fit(cohort, labels)
        np.save({str(out)!r}, model.predict_proba(cohort, labels)["risk"].to_numpy())
    """)
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, capture_output=True)
    assert np.array_equal(np.load(out), model.predict_proba(cohort, labels)["risk"].to_numpy())


def test_synthetic_predictions_ignore_post_landmark_data(model, cohort, labels):
    lm = as_landmarks(labels)
    assert _after(cohort.events, "time", lm).sum() > 1000
    risk = model.predict_proba(cohort, labels)["risk"].to_numpy()
    for other in (deleted(cohort, lm), perturbed(cohort, lm)):
        assert np.array_equal(risk, model.predict_proba(other, labels)["risk"].to_numpy())


def test_real_omop_predictions_ignore_post_landmark_data(shared_data):
    cohort, landmarks, labels = omop_past_landmarks(shared_data)
    model = NeuroSymbolicModel(max_epochs=1, lifelog_days=14, residual_dim=8, val_fraction=0.0,
                               progress_bar=False).fit(cohort, labels)
    risk = model.predict_proba(cohort, landmarks)["risk"].to_numpy()
    assert np.array_equal(risk, model.predict_proba(deleted(cohort, landmarks), landmarks)["risk"].to_numpy())
    assert np.array_equal(risk, model.predict_proba(perturbed(cohort, landmarks), landmarks)["risk"].to_numpy())


def test_wide_term_and_neural_predicates_tied_to_their_patterns(model, cohort, labels):
    from sklearn.metrics import roc_auc_score

    from neurosym.reasoning._model import C_GRID

    assert model.C_ in C_GRID and model.module_.wide is not None and model.module_.residual is None
    _, tensors, _ = model._prepare(cohort, labels)
    weak = model._anchors(tensors).numpy()
    with torch.no_grad():
        neural = model.module_.neural_probabilities(tensors).numpy()
        parts = model.module_.parts(tensors)
    assert torch.equal(parts["residual"], parts["wide"]) and parts["wide"].std() > 0.1
    for q, name in enumerate(model.predicates):  # each head ranks patients as its described pattern does
        known = np.isfinite(weak[:, q])
        assert roc_auc_score(weak[known, q], neural[known, q]) > 0.7, name
