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
    bench.main(["--quick", "--n", "400", "--epochs", "1", "--output", str(out)])
    result = json.loads(out.read_text())
    assert (result["n"], result["max_epochs"]) == (400, 1)
    assert [row["model"] for row in result["models"]] == [
        "neurosym", "neurosym, no residual", "neural-only (RiskModel)", "rules-only (library atoms)",
        "LR on last values", "true risk (ceiling)"]
    for row in result["models"]:
        assert 0.0 <= row["auroc_low"] <= row["auroc"] <= row["auroc_high"] <= 1.0
    assert [row["predicate"] for row in result["weak_supervision"]] == [
        "rising_glycemic_trajectory", "low_activity_pattern", "short_sleep_pattern"]
    assert "Weak supervision" in capsys.readouterr().out
