"""``simulate`` under Flower's simulation engine (Ray), counts and training in one run, and the audit log of that run.

One shared simulation run (counts, then FedProx with DP, two sites, two
rounds: the run of ``notebooks/federated_study.ipynb``, the ``fed_run``
fixture) serves every test here, so Ray starts once.  The audit log that
``audit_mod`` wrote proves what left each site: model weights and
aggregates, never patient data.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from flwr.app import Array, ArrayRecord, ConfigRecord, MetricRecord, RecordDict
from flwr.supercore.privacy_accounting import GaussianPrivacyEvent, NeighboringRelation, PrivacyConfig, SamplingMethod
from flwr.supercore.privacy_accounting.rdp_accountant import RdpAccountant

from neurosym import InputError
from neurosym.federated import (EXAMPLE_ELIGIBILITY, DifferentialPrivacy, combine_counts, describe_content,
                                federated_counts, read_audit, simulate, site_counts)
from neurosym.federated._local import weights
from neurosym.federated._plan import STATISTICS_KEYS
from neurosym.neural import RiskModel

TRAIN_METRICS = {"num-examples", "site-weight", "train-loss"}
EVAL_METRICS = {"num-examples", "site-weight", "eval-loss", "eval-auroc"}
COUNT_KEYS = {"patients", "code-patients", "analyte-patients", "analyte-n", "daily-n", "num-examples", "site-weight",
              "min-cell", "relation-patients", "rule-firings", "attrition-meets", "attrition-remaining",
              "attrition-excluded"}


@pytest.fixture(scope="module")
def audit(fed_run):
    return read_audit(fed_run[1] / "audit")


@pytest.fixture(scope="module")
def log_text(fed_run):
    return "\n".join(p.read_text() for p in sorted((fed_run[1] / "audit").glob("*.jsonl")))


def test_every_message_of_every_site_is_logged(audit, fed_sites, fed_settings):
    per_site = audit.drop_duplicates(["site", "message"]).groupby(["site", "message_type"]).size()
    for i in range(len(fed_sites)):  # a simulated SuperNode is named by its partition id
        assert per_site[(f"site{i}", "query")] == 2  # the counts, then the vocabulary step
        assert per_site[(f"site{i}", "train")] == fed_settings["rounds"]
        # each round, then the mean of the best rounds' weights (RiskModel's snapshot averaging)
        assert per_site[(f"site{i}", "evaluate")] == fed_settings["rounds"] + 1
    assert len(per_site) == 3 * len(fed_sites)


def test_training_messages_hold_exactly_the_model_weights(audit, fed_run):
    expected = {k: list(v.shape) for k, v in weights(fed_run[0].model.module_).items()}
    train = audit[audit["message_type"] == "train"]
    for _, message in train.groupby(["site", "message"]):
        arrays = message[message["kind"] == "array"]
        assert dict(zip(arrays["key"], arrays["shape"])) == expected
        assert set(arrays["dtype"]) == {"float32"}
        assert set(message.loc[message["kind"] == "metric", "key"]) == TRAIN_METRICS
        assert set(message["kind"]) == {"array", "metric"}
        # the described items are the whole message: what remains is framing, under 64 bytes per item and key
        framing = message["message_bytes"].iloc[0] - message["bytes"].sum()
        assert 0 < framing <= (message["key"].str.len() + 64).sum()


def test_evaluation_and_statistics_messages_hold_only_aggregates(audit, fed_settings):
    evaluate = audit[audit["message_type"] == "evaluate"]
    assert set(evaluate["kind"]) == {"metric"} and set(evaluate["key"]) == EVAL_METRICS
    queries = audit[audit["message_type"] == "query"]
    assert set(queries["kind"]) == {"config"} and set(queries["step"]) == {"counts", "statistics"}
    stats = queries[queries["step"] == "statistics"]
    assert set(stats["key"]) == set(STATISTICS_KEYS) | {"site"}
    for key in ("code-patients", "analyte-patients"):  # small cells never leave a site
        assert (stats.loc[stats["key"] == key, "min"] >= fed_settings["min_cell"]).all()
    counts = audit[audit["key"].isin(COUNT_KEYS) & audit["min"].notna()]
    assert (counts["min"] == counts["min"].round()).all() and (counts["max"] == counts["max"].round()).all()


def test_no_patient_id_date_code_or_value_in_the_log(log_text, audit, fed_sites, fed_settings):
    assert not re.search(r"\d{4}-\d{2}-\d{2}", log_text)  # no ISO date
    words = set(re.findall(r'"([^"]+)"', log_text))
    for site in fed_sites:
        assert not any(pid in log_text for pid in site.cohort.patients["patient_id"].astype(str))
        assert not set(site.cohort.events["code"].astype(str)) & words  # no code as a logged value
    # a measured value could only travel inside a numeric item: every one is a count (suppressed cells as -1),
    # a sum over at least min_cell patients (analytes) or wearers (lifelog), or a loss/AUROC of the model
    numeric = audit[audit["kind"].isin(["metric", "config"]) & audit["min"].notna()]
    allowed = COUNT_KEYS | TRAIN_METRICS | EVAL_METRICS | {"analyte-sum", "analyte-sumsq", "daily-sum", "daily-sumsq"}
    assert set(numeric["key"]) <= allowed
    assert numeric.loc[numeric["key"] == "eval-auroc", ["min", "max"]].stack().between(0, 1).all()
    stats = audit[audit["step"] == "statistics"]
    for _, message in stats.groupby(["site", "message"]):
        n = message.set_index("key")
        assert n.loc["analyte-patients", "min"] >= fed_settings["min_cell"]
        assert n.loc["analyte-n", "length"] == n.loc["analyte-sum", "length"] == n.loc["analyte-patients", "length"]


def test_describe_content_names_every_item():
    content = RecordDict({"arrays": ArrayRecord({"w": Array(np.zeros((4, 2), np.float32))}),
                          "metrics": MetricRecord({"num-examples": 12, "train-loss": 0.5}),
                          "config": ConfigRecord({"codes": ["icd10cm:I10"], "site": "north"})})
    described = describe_content(content)
    assert [(d["kind"], d["key"]) for d in described] == [
        ("array", "w"), ("metric", "num-examples"), ("metric", "train-loss"), ("config", "codes"), ("config", "site")]
    assert described[0]["shape"] == [4, 2] and described[0]["bytes"] == 4 * 2 * 4 + 128
    assert described[3] == {"record": "config", "kind": "config", "key": "codes", "dtype": "str", "length": 1,
                            "bytes": len(json.dumps(["icd10cm:I10"]))}

def test_rounds_table_and_bytes_come_from_the_run(fed_run, fed_settings):
    result, rounds = fed_run[0], fed_settings["rounds"]
    assert result.rounds["round"].tolist() == list(range(1, rounds + 1))
    assert result.rounds[["train_loss", "eval_loss", "eval_auroc", "seconds"]].notna().all().all()
    assert result.rounds["eval_auroc"].between(0, 1).all()
    assert result.rounds["sites_trained"].tolist() == [2] * rounds
    train = result.audit[result.audit["message_type"] == "train"].drop_duplicates(["site", "message"])
    assert result.rounds["bytes_sent"].tolist() == train.groupby("round")["message_bytes"].sum().tolist()
    assert result.seconds > result.rounds["seconds"].sum()


def test_privacy_budget_is_flowers_rdp_account(fed_run, fed_settings):
    result, dp, rounds = fed_run[0], fed_settings["dp"], fed_settings["rounds"]
    accountant = RdpAccountant(PrivacyConfig(target_delta=dp.delta, population_size=2,
                                             neighboring_relation=NeighboringRelation.ADD_OR_REMOVE_ONE,
                                             sampling_method=SamplingMethod.NO_AMPLIFICATION))
    accountant.compose(GaussianPrivacyEvent(dp.noise_multiplier, 2, 2), count=rounds)
    assert result.privacy["epsilon"] == pytest.approx(accountant.get_epsilon(dp.delta))
    assert (result.privacy["releases"], result.privacy["noise_multiplier"], result.privacy["clipping_norm"]) == (
        rounds, dp.noise_multiplier, dp.clipping_norm)


def test_global_model_predicts_at_every_site(fed_run, fed_sites, fed_settings):
    model = fed_run[0].model
    assert model.history_[-1]["round"] == fed_settings["rounds"]
    for site in fed_sites:
        risk = model.predict_proba(site.cohort, site.labels)
        assert len(risk) == len(site.labels) and risk["risk"].between(0, 1).all()
    assert any(c.startswith("snomed:") for c in model.featurizer_.vocabulary_)
    assert any(c.startswith("icd10cm:") for c in model.featurizer_.vocabulary_)


def test_federated_counts_equal_the_sites_own_counts(fed_run, fed_sites, fed_settings):
    summary = fed_run[0].counts
    local = combine_counts({s.name: site_counts(s.cohort, fed_settings["program"], fed_settings["criteria"])
                            for s in fed_sites})
    for table in ("relations", "rules", "attrition"):  # counts travel as JSON numbers: compare values, not dtypes
        got, expected = getattr(summary, table), getattr(local, table)
        assert list(got.columns) == list(expected.columns)
        for column in expected.columns:
            numeric = pd.to_numeric(expected[column], errors="coerce")
            if numeric.notna().any():
                assert pd.to_numeric(got[column]).fillna(-1).tolist() == numeric.fillna(-1).astype(float).tolist()
            else:
                assert got[column].astype(str).tolist() == expected[column].astype(str).tolist()
    assert (summary.eligible, summary.most_excluding) == (local.eligible, local.most_excluding)
    assert summary.attrition["total"].tolist() == sorted(summary.attrition["total"], reverse=True)


def test_best_round_is_kept_and_the_penalty_counts_every_sites_patients(fed_run, fed_sites):
    result, workdir = fed_run
    best = int(result.rounds.loc[result.rounds["eval_auroc"].idxmax(), "round"])
    summary = json.loads((workdir / "server" / "rounds.json").read_text())
    assert result.model.best_epoch_ == summary["best_round"] == best
    assert 0 <= summary["averaged_auroc"] <= 1  # the mean of both rounds' weights was scored by the sites
    reported = result.audit[(result.audit["step"] == "statistics") & (result.audit["key"] == "patients")]
    assert reported["min"].sum() == sum(int(s.labels["excluded"].isna().sum()) for s in fed_sites)
    assert summary["train_patients"] == round(reported["min"].sum() * (1 - result.model.val_fraction))


@pytest.mark.parametrize("kwargs, match", [
    ({"rounds": 0}, "rounds and local_epochs"),
    ({"strategy": "fedsgd"}, "strategy must be"),
    ({"secure_aggregation": True, "dp": DifferentialPrivacy(1.0, 1.0)}, "not combined"),
    ({"counts": (EXAMPLE_ELIGIBILITY, ["adult"])}, "not relations of the program"),
])
def test_bad_settings_are_reported_before_ray_starts(fed_sites, kwargs, match):
    with pytest.raises(InputError, match=match):
        simulate(fed_sites, RiskModel(), **kwargs)


def test_one_site_is_not_a_federation(fed_sites):
    with pytest.raises(InputError, match="at least 2 sites"):
        simulate(fed_sites[:1], RiskModel())
    with pytest.raises(InputError, match="not relations of the program"):
        federated_counts(fed_sites, EXAMPLE_ELIGIBILITY, ["adult"])
