"""Local training: warm start from global weights, FedProx's proximal term, evaluation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurosym.data import synthetic_cohort
from neurosym.federated import local_statistics, merge_statistics
from neurosym.federated._local import build_module, evaluate_local, load_weights, site_data, train_local, weights
from neurosym.federated._plan import model_params
from neurosym.neural import RiskModel
from neurosym.tasks import ground_truth_labels


@pytest.fixture(scope="module")
def setup():
    cohort = synthetic_cohort(150, seed=2, lifelog_days=14)
    labels = ground_truth_labels(cohort)
    params = model_params(RiskModel(lifelog_days=14, dim=16, batch_size=32))
    featurizer = merge_statistics([local_statistics(cohort, labels)], params)
    return params, featurizer, site_data(cohort, labels, featurizer, params)


def _distance(a: dict, b: dict) -> float:
    return float(sum(((a[k] - b[k]) ** 2).sum() for k in a) ** 0.5)


def test_weights_round_trip_and_skip_integer_buffers(setup):
    params, featurizer, _ = setup
    _, first = build_module(params, featurizer, seed=0)
    _, second = build_module(params, featurizer, seed=1)
    w = weights(first)
    assert "encoders.record.ancestors" not in w and all(v.is_floating_point() for v in w.values())
    assert _distance(weights(second), w) > 0
    load_weights(second, {k: v.numpy() for k, v in w.items()})
    assert _distance(weights(second), w) == 0


def test_noisy_batch_norm_variances_stay_positive(setup):
    params, featurizer, _ = setup
    _, module = build_module(params, featurizer)
    w = {k: (-v if k.endswith("running_var") else v) for k, v in weights(module).items()}
    load_weights(module, w)
    assert all((v > 0).all() for k, v in weights(module).items() if k.endswith("running_var"))
    with pytest.raises(KeyError, match="weights lack"):
        load_weights(module, {})


def test_proximal_term_keeps_local_weights_near_the_global_ones(setup):
    params, featurizer, data = setup
    moved = []
    for mu in (0.0, 50.0):
        _, module = build_module(params, featurizer, seed=0)
        start = weights(module)
        train_local(module, data, epochs=2, proximal_mu=mu, seed=0)
        moved.append(_distance({k: v for k, v in weights(module).items() if "running" not in k},
                               {k: v for k, v in start.items() if "running" not in k}))
    assert moved[1] < moved[0]


def test_training_is_seeded_and_evaluation_scores_the_validation_patients(setup):
    params, featurizer, data = setup
    results = []
    for _ in range(2):
        _, module = build_module(params, featurizer, seed=0)
        loss = train_local(module, data, epochs=1, seed=4)
        results.append((loss, weights(module)))
    assert results[0][0] == results[1][0] and _distance(results[0][1], results[1][1]) == 0
    loss, auroc, n = evaluate_local(module, data)
    assert n == len(data.val_idx) and 0 <= auroc <= 1 and np.isfinite(loss)
    assert torch.is_tensor(data.tensors["label"])


def test_no_training_batch_of_one_patient(setup):
    params, featurizer, data = setup
    cohort, labels = data.cohort, data.labels
    n_train = len(data.train_idx)
    odd = site_data(cohort, labels, featurizer, params | {"batch_size": n_train - 1})
    assert len(odd.train_idx) == n_train - 1 and len(odd.val_idx) == len(data.val_idx) + 1
    assert sorted(np.concatenate([odd.train_idx, odd.val_idx]).tolist()) == list(range(len(labels.index)))
    _, module = build_module(params, featurizer)
    assert np.isfinite(train_local(module, odd, epochs=1))
