"""Smoke test of ``benchmarks/reasoner.py --quick`` on a tiny cohort: every model and concept row is measured.

Nothing here asserts an AUROC level: the benchmark's numbers are for the report.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reasoner.py"


def _bench():
    spec = importlib.util.spec_from_file_location("reasoner_bench", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_expected_auroc_weighs_pairs_by_the_true_risks():
    bench = _bench()
    risk = np.array([0.5, 0.2, 0.1])
    # pairs (case, control) weigh r_i (1 - r_j): (0,1) .4 ordered, (0,2) .45 ordered, (1,0) .1 not, (1,2) .18 ordered,
    # (2,0) .05 not, (2,1) .08 not
    assert bench.expected_auroc(risk, np.array([3.0, 2.0, 1.0])) == pytest.approx(1.03 / 1.26)
    assert bench.expected_auroc(risk, np.array([1.0, 1.0, 1.0])) == pytest.approx(0.5)


def test_quick_run_writes_every_row(tmp_path, capsys):
    bench = _bench()
    out = tmp_path / "reasoner.json"
    bench.main(["--quick", "--n", "300", "--epochs", "1", "--seeds", "0", "--traces", "2", "--output", str(out)])
    result = json.loads(out.read_text())
    assert (result["n"], result["max_epochs"], len(result["runs"])) == (300, 1, 1)
    run = result["runs"][0]
    assert [row["model"] for row in run["models"]] == [
        "neurosym", "neurosym, weak supervision only", "neural-only (RiskModel)", "rules-only (library atoms)",
        "LR on last values", "true risk (ceiling)"]
    for row in run["models"]:
        assert 0.0 <= row["auroc_low"] <= row["auroc"] <= row["auroc_high"] <= 1.0
        assert 0.0 <= row["expected_auroc"] <= 1.0
    predicates = ["rising_glycemic_trajectory", "low_activity_pattern", "short_sleep_pattern"]
    assert [row["predicate"] for row in run["weak_supervision"]] == predicates
    assert [row["predicate"] for row in run["full_model_concepts"]] == predicates
    assert run["faithfulness"]["traces"] == 2 and run["faithfulness"]["max_gap_to_predict_proba"] <= 1e-5
    assert "Neural predicates vs latent truth" in capsys.readouterr().out


def test_models_option_runs_only_those(tmp_path):
    out = tmp_path / "reasoner.json"
    _bench().main(["--quick", "--n", "300", "--seeds", "0", "--models", "LR on last values", "--output", str(out)])
    run = json.loads(out.read_text())["runs"][0]
    assert [row["model"] for row in run["models"]] == ["LR on last values", "true risk (ceiling)"]
    assert (run["weak_supervision"], run["full_model_concepts"], run["faithfulness"]) == ([], [], None)
    with pytest.raises(SystemExit, match="unknown models"):
        _bench().main(["--quick", "--n", "300", "--seeds", "0", "--models", "GBM", "--output", str(out)])
