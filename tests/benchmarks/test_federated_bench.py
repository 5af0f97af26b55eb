"""Smoke test of ``benchmarks/federated.py --quick``: three tiny non-IID sites, two rounds, every column measured.

Nothing here asserts an AUROC level or a time: the benchmark's numbers are for
the report, not for the test suite.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "federated.py"


def test_quick_run_writes_every_column(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("federated_bench", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "federated.json"
    bench.main(["--quick", "--output", str(out)])
    result = json.loads(out.read_text())
    (row,) = result["settings"]
    assert (result["quick"], row["sites"], row["patients"], row["rounds"]) == (True, 3, 240, 2)
    assert sum(row["site_sizes"]) == 240 and len(row["validation_auroc_by_round"]) == 2
    for key in ("centralised_auroc", "federated_auroc", "single_site_auroc_mean"):
        assert 0.0 <= row[key] <= 1.0
    assert row["centralised_ci"][0] <= row["centralised_auroc"] <= row["centralised_ci"][1]
    assert 1 <= row["rounds_to_converge"] <= 2 and row["bytes_per_round"] > 0 and row["peak_rss_mb"] > 0
    assert "federated" in capsys.readouterr().out
