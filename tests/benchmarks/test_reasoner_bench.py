"""Smoke test of ``benchmarks/reasoner.py --quick`` on a tiny cohort: every model and concept row is measured.

Nothing here asserts an AUROC level: the benchmark's numbers are for the report.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reasoner.py"


def test_quick_run_writes_every_row(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("reasoner_bench", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
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
    predicates = ["rising_glycemic_trajectory", "low_activity_pattern", "short_sleep_pattern"]
    assert [row["predicate"] for row in run["weak_supervision"]] == predicates
    assert [row["predicate"] for row in run["full_model_concepts"]] == predicates
    assert run["faithfulness"]["traces"] == 2 and run["faithfulness"]["max_gap_to_predict_proba"] <= 1e-5
    assert "Neural predicates vs latent truth" in capsys.readouterr().out
