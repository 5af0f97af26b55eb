"""Smoke test of ``benchmarks/engine.py --quick``: every system runs, all agree on tuple counts.

Nothing here asserts a time: the benchmark's numbers are for the report, not
for the test suite.  The baselines get 10 s each; one that times out is reported
as such (its speed-up becomes a lower bound), the native engine and SQL never may.  clingo is an optional dependency (``make bench``); when
it is missing its result must say so (``unavailable``).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "engine.py"
SYSTEMS = ("native", "pydatalog", "clingo", "duckdb_sql")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "engine.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--timeout", "10", "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


def test_every_workload_has_every_system(report):
    assert report["meta"]["quick"] is True
    assert len(report["workloads"]) >= 4
    has_clingo = importlib.util.find_spec("clingo") is not None
    for name, workload in report["workloads"].items():
        systems = workload["systems"]
        assert set(SYSTEMS) <= set(systems), name
        for system in SYSTEMS:
            status = systems[system]["status"]
            if system == "clingo" and not has_clingo:
                assert status == "unavailable", (name, systems[system])
            elif system in ("pydatalog", "clingo"):
                assert status in ("ok", "timeout"), (name, system, systems[system])
            else:
                assert status == "ok", (name, system, systems[system])
    assert any(w["systems"]["pydatalog"]["status"] == "ok" for w in report["workloads"].values())


def test_systems_agree_on_tuple_counts(report):
    for name, workload in report["workloads"].items():
        assert workload["counts_agree"], name
        finished = [s for s in workload["systems"].values() if s["status"] == "ok"]
        assert finished
        counts = [s["counts"] for s in finished]
        assert all(c == counts[0] for c in counts), name
        assert sum(counts[0].values()) > 0, name


def test_report_has_ratios_rss_and_explain(report):
    for workload in report["workloads"].values():
        assert set(workload["speedup"]) >= {"pydatalog", "duckdb_sql"}
        assert all(r["value"] > 0 for r in workload["speedup"].values())
    assert report["native_at_scale"]
    for scale in report["native_at_scale"].values():
        assert scale["peak_rss_mb"] > 0
        assert scale["explain"]["calls"] == 20
        assert scale["explain"]["median_ms"] > 0


def test_whole_processes_give_the_same_files(report):
    graphs = [w["whole_process"] for w in report["workloads"].values() if w["params"]["kind"] in ("tc_random", "tc_chain", "sg")]
    assert graphs
    for whole in graphs:
        assert whole["same_output"] is True
        assert whole["repeats"] == len(whole["rules_run_all_cpu"]) == len(whole["duckdb_script_all_cpu"]) == 2  # best of 2 in --quick
        assert whole["rules_run_first_cpu"] > 0 and whole["cpu_ratio"] > 0 and whole["first_cpu_ratio"] > 0
