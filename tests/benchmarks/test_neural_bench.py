"""Smoke test of ``benchmarks/neural.py --quick`` on a tiny cohort: every model and curve point is measured.

Nothing here asserts an AUROC level or a time: the benchmark's numbers are for
the report, not for the test suite.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "neural.py"


def test_quick_run_writes_every_row(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("neural_bench", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "neural.json"
    bench.main(["--quick", "--n", "400", "--output", str(out)])
    result = json.loads(out.read_text())
    assert (result["n"], result["max_epochs"], result["curve_seeds"]) == (400, 3, 1)
    assert [row["model"] for row in result["models"]] == [
        "LR on last values", "GBM on engineered features", "flat record + labs", "ontology record + labs",
        "ontology record + labs + lifelog"]
    curve = {(row["fraction"], row["encoder"]) for row in result["data_efficiency"]}
    assert curve == {(f, e) for f in (0.05, 0.10, 0.25, 1.0) for e in ("ontology", "flat")}
    for row in result["models"] + result["data_efficiency"]:
        assert 0.0 <= row["auroc_low"] <= row["auroc"] <= row["auroc_high"] <= 1.0 and row["fit_s"] > 0
    assert 0.5 < result["ceilings"]["true_risk_auroc"] <= 1.0
    assert "ontology - flat mean" in capsys.readouterr().out
