"""Federated training of a ``NeuroSymbolicModel`` (``neurosym.federated._reasoner``): one small simulation.

Two non-IID sites of about 60 patients, two FedAvg
rounds of one local epoch: the global model predicts every patient of an
unseen cohort, explains one with a faithful trace, and the audit log shows
that what left the sites were the model's shared weights and aggregates only.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from flwr.app import Array

from neurosym import InputError, NeurosymError
from neurosym.data import synthetic_cohort, synthetic_sites
from neurosym.federated import DifferentialPrivacy, Site, read_audit, simulate
from neurosym.federated._reasoner import (CALIBRATION_BINS, _calibration, featurizer_params, merge_reasoner_statistics,
                                          reasoner_params, shared_weights)
from neurosym.ontology import Ontology
from neurosym.reasoning import RELEVANT_RELATIONS, NeuroSymbolicModel, default_program
from neurosym.tasks import ground_truth_labels
from neurosym.trace import check_faithful

ROUNDS, MIN_CELL = 2, 5
TRAIN_METRICS = {"num-examples", "site-weight", "train-loss"}
EVAL_METRICS = {"num-examples", "site-weight", "eval-loss", "eval-auroc"}
#: What each query step's reply may hold (all counts, sums over at least MIN_CELL rows, or public atom names).
REPLY_KEYS = {"reasoner-statistics": {"patients", "positives", "atoms", "atom-patients", "wide-n", "wide-sum",
                                      "wide-sumsq", "site"},
              "calibration": {"risk-patients", "risk-positives", "site"}}


def _model() -> NeuroSymbolicModel:
    return NeuroSymbolicModel(lifelog_days=28, batch_size=64, progress_bar=False, seed=0)


@pytest.fixture(scope="module")
def sites() -> list[Site]:
    return [Site.from_cohort(c) for c in synthetic_sites(2, 120, seed=0, lifelog_days=28)]


@pytest.fixture(scope="module")
def run(sites, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("reasoner-run")
    return simulate(sites, _model(), rounds=ROUNDS, local_epochs=1, min_cell=MIN_CELL, workdir=workdir), workdir


@pytest.fixture(scope="module")
def unseen():
    cohort = synthetic_cohort(40, seed=11, lifelog_days=28)
    return cohort, ground_truth_labels(cohort)


@pytest.fixture(scope="module")
def unseen_risk(run, unseen):
    """The global model's risks for the unseen cohort (one ``predict_proba``, read by two tests)."""
    cohort, labels = unseen
    return run[0].model.predict_proba(cohort, labels[["patient_id", "landmark"]])


def test_global_model_predicts_every_unseen_patient(run, unseen, unseen_risk):
    model = run[0].model
    _, labels = unseen
    risk = unseen_risk
    assert risk["patient_id"].tolist() == sorted(labels["patient_id"].astype(str))
    assert risk["risk"].between(0, 1).all() and risk["risk"].nunique() > 1
    assert isinstance(model, NeuroSymbolicModel) and model.C_ == 0.03
    assert all(a.split("(")[0] in RELEVANT_RELATIONS for a in model.atoms_) and len(model.atoms_) > 5


def test_global_model_explains_a_patient_faithfully(run, unseen, unseen_risk):
    model = run[0].model
    cohort, _ = unseen
    risk = unseen_risk.set_index("patient_id")["risk"]
    patient = str(risk.idxmax())
    prediction = model.explain(cohort, patient)
    assert check_faithful(prediction) <= 1e-6
    assert prediction.risk == pytest.approx(risk[patient], abs=1e-6)
    assert prediction.children and all(c.contribution > 0 for c in prediction.children)
    assert prediction.calibration["n"] > 0  # from the sites' pooled risk-bin counts


def test_rounds_and_best_round(run):
    result = run[0]
    assert result.rounds["round"].tolist() == list(range(1, ROUNDS + 1))
    assert result.rounds["sites_trained"].tolist() == [2] * ROUNDS
    assert result.rounds[["train_loss", "eval_loss", "eval_auroc"]].notna().all().all()
    best = int(result.rounds.loc[result.rounds["eval_auroc"].idxmax(), "round"])
    assert result.model.best_epoch_ == best and len(result.model.history_) == ROUNDS
    assert result.privacy is None and not result.secure_aggregation


def test_weights_that_left_the_sites_are_exactly_the_global_models_shared_weights(run, sites):
    result = run[0]
    expected = {k: (list(v.shape), len(Array(v.numpy()).data)) for k, v in shared_weights(result.model.module_).items()}
    assert "wide.mean" not in expected and {"bias", "atom_raw", "rule_logits", "wide.linear.weight"} <= set(expected)
    assert any(k.startswith("heads.") for k in expected)
    train = result.audit[result.audit["message_type"] == "train"]
    assert sorted(train.drop_duplicates(["site", "message"]).groupby("site").size().tolist()) == [ROUNDS] * len(sites)
    for _, message in train.groupby(["site", "message"]):
        arrays = message[message["kind"] == "array"]
        assert {k: (s, b) for k, s, b in zip(arrays["key"], arrays["shape"], arrays["bytes"])} == expected
        assert set(message["kind"]) == {"array", "metric"}
        assert set(message.loc[message["kind"] == "metric", "key"]) == TRAIN_METRICS
    evaluate = result.audit[result.audit["message_type"] == "evaluate"]
    assert set(evaluate["kind"]) == {"metric"} and set(evaluate["key"]) == EVAL_METRICS


def test_queries_carry_only_aggregates_and_no_patient_data(run, sites):
    result, workdir = run
    queries = result.audit[result.audit["message_type"] == "query"]
    assert queries.drop_duplicates(["site", "message"]).groupby("step").size().to_dict() == {
        "calibration": 2, "reasoner-statistics": 2, "statistics": 2}
    assert set(queries["kind"]) == {"config"}
    for step, keys in REPLY_KEYS.items():
        assert set(queries.loc[queries["step"] == step, "key"]) == keys
    items = queries.set_index(["step", "key"])
    assert (items.loc[("reasoner-statistics", "atom-patients"), "min"] >= MIN_CELL).all()  # small cells stay home
    assert (items.loc[("calibration", "risk-patients"), "length"] == CALIBRATION_BINS).all()
    text = "\n".join(p.read_text() for p in sorted((workdir / "audit").glob("*.jsonl")))
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    for site in sites:
        assert not any(pid in text for pid in site.cohort.patients["patient_id"].astype(str))
    assert read_audit(workdir / "audit").shape == result.audit.shape


def test_merged_statistics_keep_atoms_with_enough_patients_over_all_sites():
    a = {"patients": 10, "positives": 0, "atoms": ["at_risk_t2d(P)", "t2d_risk_factor(P, overweight)"],
         "atom-patients": [3, 6], "wide-n": 8, "wide-sum": [8.0], "wide-sumsq": [8.0]}
    b = {"patients": 30, "positives": 10, "atoms": ["at_risk_t2d(P)"], "atom-patients": [2], "wide-n": 0,
         "wide-sum": [0.0], "wide-sumsq": [0.0]}
    merged = merge_reasoner_statistics([a, b], min_cell=5)
    assert merged == {"atoms": ["at_risk_t2d(P)", "t2d_risk_factor(P, overweight)"], "wide-mean": [1.0],
                      "wide-scale": [1.0], "base-rate": 0.25}
    assert merge_reasoner_statistics([a, b], min_cell=6)["atoms"] == ["t2d_risk_factor(P, overweight)"]
    with pytest.raises(NeurosymError, match="no site reported its wide-design aggregates"):
        merge_reasoner_statistics([b, b])


def test_calibration_context_from_pooled_bin_counts():
    zeros = [0] * CALIBRATION_BINS
    a = {"risk-patients": [0, 6] + zeros[2:], "risk-positives": [0, 1] + zeros[2:]}
    b = {"risk-patients": [0, 0, 5] + zeros[3:], "risk-positives": [0, 0, 5] + zeros[3:]}
    risk, label = _calibration([a, b])
    assert risk.tolist() == [0.075] * 6 + [0.125] * 5
    assert label.tolist() == [0.0] * 5 + [1.0] * 6
    assert np.all(np.diff(risk) >= 0)
    with pytest.raises(NeurosymError, match="small cell at every site"):
        _calibration([{"risk-patients": zeros, "risk-positives": zeros}] * 2)


@pytest.mark.parametrize("kwargs", [{"dp": DifferentialPrivacy(1.0, 1.0)}, {"secure_aggregation": True}])
def test_reasoner_refuses_dp_and_secure_aggregation_before_ray_starts(sites, kwargs):
    with pytest.raises(InputError, match="without differential privacy or secure aggregation"):
        simulate(sites, _model(), **kwargs)



def test_params_carry_the_program_as_rule_text_and_named_ontologies():
    program = default_program()
    params = reasoner_params(NeuroSymbolicModel(program=program, seed=4))
    assert json.loads(json.dumps(params)) == params  # what travels in the plan is JSON
    assert params["program"] == {path: "\n".join(lines) for path, lines in program.module.sources.items()}
    assert featurizer_params(params)["flat"] and featurizer_params(params)["inputs"] == []
    with pytest.raises(InputError, match="names its ontologies"):
        reasoner_params(NeuroSymbolicModel(ontologies=(Ontology.load("clinical"),)))
