"""The audit log proves what left each site: model weights and aggregates, never patient data.

Reads the JSON-lines log that ``audit_mod`` wrote in the shared simulation
run (FedProx with DP, two sites, two rounds) and checks every message.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from flwr.app import Array, ArrayRecord, ConfigRecord, MetricRecord, RecordDict

from neurosym.federated import describe_content, read_audit
from neurosym.federated._local import weights
from neurosym.federated._plan import STATISTICS_KEYS

TRAIN_METRICS = {"num-examples", "site-weight", "train-loss"}
EVAL_METRICS = {"num-examples", "site-weight", "eval-loss", "eval-auroc"}
COUNT_KEYS = {"code-patients", "analyte-patients", "analyte-n", "daily-n", "num-examples", "site-weight"}


@pytest.fixture(scope="module")
def audit(fed_run):
    return read_audit(fed_run[1] / "audit")


@pytest.fixture(scope="module")
def log_text(fed_run):
    return "\n".join(p.read_text() for p in sorted((fed_run[1] / "audit").glob("*.jsonl")))


def test_every_message_of_every_site_is_logged(audit, fed_sites, fed_settings):
    per_site = audit.drop_duplicates(["site", "message"]).groupby(["site", "message_type"]).size()
    for i in range(len(fed_sites)):  # a simulated SuperNode is named by its partition id
        assert per_site[(f"site{i}", "query")] == 1  # the vocabulary step
        assert per_site[(f"site{i}", "train")] == fed_settings["rounds"]
        assert per_site[(f"site{i}", "evaluate")] == fed_settings["rounds"]
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
    stats = audit[audit["message_type"] == "query"]
    assert set(stats["kind"]) == {"config"}
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
    # a measured value could only travel inside a numeric item: every one is a count, a sum over at least
    # min_cell patients (analytes) or wearers (lifelog), or a loss/AUROC of the model
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
