"""Secure aggregation: one FedAvg round under Flower's SecAgg+ in the simulation engine.

The global model must be plain FedAvg of the sites' local updates (rebuilt
here from the same seeds) up to SecAgg+'s quantisation, and no weight may
leave a site unmasked: the training replies carry masked byte strings, no
array.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurosym.data import synthetic_sites
from neurosym.federated import Site, simulate
from neurosym.federated._local import build_module, load_weights, site_data, train_local, weights
from neurosym.federated._plan import local_statistics, merge_statistics, model_params
from neurosym.federated._secagg import QUANTIZATION_RANGE
from neurosym.neural import RiskModel

CLIPPING_RANGE = 8.0  # SERVER_DEFAULTS["secagg-clipping-range"]


@pytest.fixture(scope="module")
def secure_run(tmp_path_factory):
    sites = [Site.from_cohort(c) for c in synthetic_sites(2, 120, seed=2, lifelog_days=14)]
    model = RiskModel(lifelog_days=14, dim=8, batch_size=32, progress_bar=False)
    return sites, model, simulate(sites, model, rounds=1, secure_aggregation=True,
                                  workdir=tmp_path_factory.mktemp("secagg"))


def _plain_fedavg(sites: list[Site], model: RiskModel) -> tuple[dict[str, torch.Tensor], float]:
    """FedAvg of one round, done here: the sites' seeded local training from the seeded global model."""
    params = model_params(model)
    stats = [local_statistics(s.cohort, s.labels, 5) for s in sites]
    featurizer = merge_statistics(stats, params, 5)
    train_patients = round(sum(s["patients"] for s in stats) * (1 - params["val_fraction"]))
    start = weights(build_module(params, featurizer, 0, train_patients)[1])
    updates, sizes = [], []
    for i, site in enumerate(sites):  # partition i is site i; local seeds as the ClientApp draws them in round 1
        _, module = build_module(params, featurizer, 0, train_patients)
        data = site_data(site.cohort, site.labels, featurizer, params)
        train_local(load_weights(module, start), data, epochs=1, seed=int(params["seed"]) + 1000 + i)
        updates.append(weights(module))
        sizes.append(len(data.train_idx))
    average = {k: sum(n * u[k].double() for n, u in zip(sizes, updates)) / sum(sizes) for k in start}
    largest = max(float(v.abs().max()) for u in updates for v in u.values())
    return average, largest


def test_secure_aggregate_is_fedavg_within_quantisation(secure_run):
    sites, model, result = secure_run
    assert result.secure_aggregation and result.model.best_epoch_ == 1
    expected, largest = _plain_fedavg(sites, model)
    assert largest < CLIPPING_RANGE  # nothing was clipped: the comparison is with the exact average
    got = weights(result.model.module_)
    assert list(got) == list(expected)
    step = 2 * CLIPPING_RANGE / QUANTIZATION_RANGE  # one quantisation level
    error = max(float((got[k].double() - expected[k]).abs().max()) for k in got)
    assert error <= 4 * step  # a level per site from rounding, and the rescaling by the patients' share
    assert not all(torch.equal(got[k].double(), expected[k]) for k in got)  # it went through quantisation


def test_weights_leave_a_site_only_masked(secure_run):
    sites, model, result = secure_run
    audit = result.audit
    train = audit[audit["message_type"] == "train"]
    for site in ("site0", "site1"):
        steps = train[train["site"] == site].drop_duplicates("message")["step"].tolist()
        assert steps == ["setup", "share_keys", "collect_masked_vectors", "unmask"]
    assert "array" not in set(train["kind"])  # no weight array leaves a site
    masked = train[train["key"] == "masked_params"]
    n_weights = len(weights(result.model.module_))
    assert masked["length"].tolist() == [n_weights + 1] * 2  # the patients' share first, then every weight
    assert (masked["dtype"] == "bytes").all() and (masked["bytes"] > 0).all()
    assert result.rounds["sites_trained"].tolist() == [2]
    assert result.rounds["bytes_sent"].iloc[0] == train.drop_duplicates(["site", "message"])["message_bytes"].sum()
    assert np.isfinite(result.rounds["eval_auroc"]).all()
