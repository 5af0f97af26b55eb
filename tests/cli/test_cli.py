"""The neurosym command line: data summary, rules, and how user mistakes are reported.

``neurosym demo`` trains four models, so it runs once in the suite: installed from a wheel, outside the
checkout, with every fragment of its output checked (``tests/packaging/test_wheel.py``).
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neurosym import EvaluationError
from neurosym.cli import app, main
from neurosym.facts import rules_dir

runner = CliRunner()


def test_data_summary_on_shared_data(shared_data):
    result = runner.invoke(app, ["data", "summary", "--omop", str(shared_data / "omop_synthea27nj"),
                                 "--fitbit", str(shared_data / "fitbit_fitabase"),
                                 "--fhir", str(shared_data / "fhir_synthea_r4" / "bundles")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "condition_occurrence" in out and "dailyActivity" in out and "Observation" in out
    assert "Why rows were not loaded" in out  # Fitbit skips hourlyCalories rows, FHIR skips Claims: both with reasons


def test_data_summary_needs_a_source():
    result = runner.invoke(app, ["data", "summary"])
    assert result.exit_code != 0 and "at least one of" in result.output


# -- user mistakes: one message, a non-zero exit status, no traceback ------------------------------------------


@pytest.fixture()
def graph(tmp_path: Path) -> Path:
    """A facts directory with ``edge`` and a rule file deriving ``path`` from it."""
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "edge.facts").write_text("1\t2\n2\t3\n")
    (tmp_path / "path.dl").write_text("path(X, Y) :- edge(X, Y).\npath(X, Z) :- path(X, Y), edge(Y, Z).\n")
    return tmp_path


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """Usage boxes as wide as a long temporary path, so that no path is broken across lines."""
    monkeypatch.setenv("COLUMNS", "400")


def run(capsys, *args: str) -> tuple[int, str]:
    """Exit status and stdout + stderr of ``neurosym args``, with usage boxes and line breaks flattened to spaces."""
    status = main(list(args))
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text, text
    return status, " ".join(re.sub("[│╭╮╰╯─]", " ", text).split())


def test_a_run_writes_results_and_explains(capsys, graph):
    status, out = run(capsys, "rules", "run", str(graph / "path.dl"), "--facts", str(graph / "facts"),
                      "--output", str(graph / "out"), "--explain", "path(1, 3)")
    assert status == 0, out
    assert (graph / "out" / "path.csv").read_text().splitlines() == ["1\t2", "1\t3", "2\t3"]
    assert 'path(1, 3)' in out and "rule" in out


def test_a_run_explains_as_json(capsys, graph):
    assert main(["rules", "run", str(graph / "path.dl"), "--facts", str(graph / "facts"), "--output", str(graph / "out"),
                 "--explain", "path(1, 3)", "--json"]) == 0
    out = capsys.readouterr().out
    document = json.loads(out[out.index("{"):])
    nodes = {node["id"]: node for node in document["nodes"]}
    root = nodes[document["root"]]
    assert (root["kind"], root["atom"]) == ("rule", "path(1, 3)")
    assert sorted(nodes[c]["atom"] for c in root["children"]) == ["edge(2, 3)", "path(1, 2)"]


def test_a_missing_directory(capsys, graph):
    status, out = run(capsys, "rules", "run", str(graph / "path.dl"), "--facts", str(graph / "nowhere"),
                      "--output", str(graph / "out"))
    assert status == 2 and "'--facts'" in out and "does not exist" in out
    status, out = run(capsys, "data", "summary", "--fitbit", str(graph / "nowhere"))
    assert status == 1 and out.startswith("error: ") and "no such directory" in out


def test_a_missing_rule_file(capsys, graph):
    status, out = run(capsys, "rules", "check", str(graph / "missing.dl"))
    assert status == 2 and "missing.dl' does not exist" in out
    status, out = run(capsys, "rules", "run", str(graph / "missing.dl"), "--facts", str(graph / "facts"),
                      "--output", str(graph / "out"))
    assert status == 2 and "missing.dl' does not exist" in out


def test_an_output_that_is_a_file(capsys, graph):
    status, out = run(capsys, "rules", "run", str(graph / "path.dl"), "--facts", str(graph / "facts"),
                      "--output", str(graph / "path.dl"))
    assert status == 2 and "'--output'" in out and "is a file" in out


def test_a_demo_without_patients(capsys):
    status, out = run(capsys, "demo", "-n", "0")
    assert status == 2 and "Invalid value for '--patients' / '-n'" in out and "1" in out


def test_a_bad_explain_atom(capsys, graph):
    status, out = run(capsys, "rules", "run", str(graph / "path.dl"), "--facts", str(graph / "facts"),
                      "--output", str(graph / "out"), "--explain", "path(1,")
    assert status == 1 and out.startswith("error: <atom>:1:8: expected a term")
    assert not (graph / "out").exists()  # reported before any work


def test_an_unknown_engine(capsys, graph):
    status, out = run(capsys, "rules", "run", str(graph / "path.dl"), "--facts", str(graph / "facts"),
                      "--output", str(graph / "out"), "--engine", "clingo")
    assert status == 1 and out.startswith("error: unknown engine 'clingo'")


def test_a_rule_syntax_error(capsys, graph):
    bad = graph / "bad.dl"
    bad.write_text("path(X, Y) :- edge(X, Y)\npath(X, Z) :- path(X, Y), edge(Y, Z).\n")
    status, out = run(capsys, "rules", "run", str(bad), "--facts", str(graph / "facts"), "--output", str(graph / "out"))
    assert status == 1 and out.startswith(f"error: {bad}:2:1: expected ',' or '.'")
    status, out = run(capsys, "rules", "check", str(bad))
    assert status == 1 and out.startswith(f"{bad}:2:1: expected ',' or '.'") and "1 error(s)" in out


def test_a_directory_without_rules(capsys, graph):
    status, out = run(capsys, "rules", "check", str(graph / "facts"))
    assert status == 1 and out == f"error: directory {graph / 'facts'} holds no rules (no *.dl files)"
    status, out = run(capsys, "rules", "run", str(graph / "facts"), "--facts", str(graph / "facts"),
                      "--output", str(graph / "out"))
    assert status == 1 and "holds no rules" in out


def test_debug_shows_the_traceback(graph):
    with pytest.raises(EvaluationError, match="unknown engine 'clingo'"):
        main(["rules", "run", str(graph / "path.dl"), "--facts", str(graph / "facts"), "--output", str(graph / "out"),
              "--engine", "clingo", "--debug"])


# -- rules check ------------------------------------------------------------------------------------------------


def test_check_runs_the_type_checks_of_run(capsys, tmp_path):
    rules = tmp_path / "old.dl"
    rules.write_text('old(P) :- patient(P, _, Y), Y = "1950".\n')
    status, out = run(capsys, "rules", "check", str(rules))
    assert status == 1 and "old.dl:1:29: type error: 'Y = \"1950\"' compares a string with a number" in out


def test_check_loads_a_library_file_with_the_files_it_needs(capsys):
    status, out = run(capsys, "rules", "check", str(rules_dir() / "risk.dl"))
    assert status == 0 and out == "ok: 203 rules in 6 file(s)"
    status, out = run(capsys, "rules", "check", str(rules_dir()))
    assert status == 0 and out == "ok: 229 rules in 7 file(s)"


# -- version, python -m neurosym, a light --help ---------------------------------------------------------------


def test_version(capsys):
    from neurosym import __version__

    assert run(capsys, "--version") == (0, f"neurosym {__version__}")


def test_python_dash_m_neurosym():
    done = subprocess.run([sys.executable, "-m", "neurosym", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("neurosym ")


def test_help_imports_no_heavy_dependency():
    code = ("import sys; from neurosym.cli import main; status = main(['--help']); "
            "print(sorted(m for m in ('pandas', 'duckdb', 'pyarrow', 'torch', 'numpy') if m in sys.modules), status)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines()[-1] == "[] 0", done.stdout + done.stderr
