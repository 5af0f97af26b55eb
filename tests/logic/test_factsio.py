"""Facts files read into DuckDB and evaluated there; ``rules run`` imports neither pandas nor pyarrow."""

import subprocess
import sys

import pytest

from neurosym import DataLoadError, EvaluationError
from neurosym.logic import Program
from neurosym.logic._factsio import facts_files, load_facts

TC = "path(X, Y) :- edge(X, Y).\npath(X, Z) :- edge(X, Y), path(Y, Z).\n"


def _write(directory, name, text):
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text)
    return directory / name


def test_facts_are_evaluated_in_the_database_they_were_read_into(tmp_path):
    _write(tmp_path, "edge.facts", "1\t2\n2\t3\n3\t4\n")
    facts = load_facts({"edge": (tmp_path / "edge.facts", "\t")})
    model = Program.from_text(TC).evaluate(facts)
    assert model.connect() is facts["edge"].connection
    assert model.query("path").values.tolist() == [[1, 2], [1, 3], [1, 4], [2, 3], [2, 4], [3, 4]]
    assert model.connect().execute("SELECT COUNT(*) FROM duckdb_tables() WHERE table_name LIKE 'facts_%'").fetchone() == (0,)


def test_typed_columns_an_empty_file_and_a_delimiter(tmp_path):
    _write(tmp_path, "lab.facts", "p1;7.5;hba1c\np2;5;fpg\n")
    _write(tmp_path, "gone.facts", "")
    facts = load_facts({"lab": (tmp_path / "lab.facts", ";"), "gone": (tmp_path / "gone.facts", "\t")})
    model = Program.from_text("high(P, T) :- lab(P, V, T), V > 6, not gone(P).").evaluate(facts)
    assert model.query("high").values.tolist() == [["p1", "hba1c"]]
    assert model.plan.types["lab"] == ["symbol", "float", "symbol"] and model.plan.types["gone"] == ["symbol"]


def test_other_engines_fetch_the_table(tmp_path):
    _write(tmp_path, "edge.facts", "1\t2\n2\t3\n")
    model = Program.from_text(TC).evaluate(load_facts({"edge": (tmp_path / "edge.facts", "\t")}), engine="pydatalog")
    assert model.query("path").values.tolist() == [[1, 2], [1, 3], [2, 3]]


def test_errors_name_the_file(tmp_path):
    _write(tmp_path, "edge.facts", "1\t2\n2\t3\t4\n")
    with pytest.raises(DataLoadError, match=r"edge\.facts: line 2 has 3 fields but line 1 has 2"):
        load_facts({"edge": (tmp_path / "edge.facts", "\t")})
    _write(tmp_path, "w.facts", "1.5\ninf\n")
    with pytest.raises(EvaluationError, match=r"relation w: column 1 holds inf in row 2 of .*w\.facts; facts must be finite"):
        Program.from_text("v(X) :- w(X).").evaluate(load_facts({"w": (tmp_path / "w.facts", "\t")}))
    _write(tmp_path, "e.facts", "1\t2\n")
    with pytest.raises(EvaluationError, match=r"relation e: the program uses 1 arguments but .*e\.facts has 2 columns"):
        Program.from_text("v(X) :- e(X).").evaluate(load_facts({"e": (tmp_path / "e.facts", "\t")}))


def test_facts_move_into_one_evaluation(tmp_path):
    _write(tmp_path, "edge.facts", "1\t2\n")
    facts = load_facts({"edge": (tmp_path / "edge.facts", "\t")})
    Program.from_text(TC).evaluate(facts)
    with pytest.raises(EvaluationError, match=r"the facts read from .*edge\.facts were moved into an earlier evaluation"):
        Program.from_text(TC).evaluate(facts)


def test_facts_files_of_a_directory(tmp_path):
    _write(tmp_path, "b.facts", "1\n")
    _write(tmp_path, "a.facts", "2\n")
    _write(tmp_path, "notes.txt", "x\n")
    assert list(facts_files(tmp_path)) == ["a", "b"]
    with pytest.raises(DataLoadError, match="facts directory not found"):
        facts_files(tmp_path / "nowhere")


HEAVY = ("pandas", "pyarrow", "numpy", "networkx", "neurosym.trace", "neurosym.data", "neurosym.facts", "torch")


def test_rules_run_imports_no_frame_library(tmp_path):
    _write(tmp_path / "facts", "edge.facts", "1\t2\n2\t3\n")
    _write(tmp_path, "tc.dl", TC)
    code = ("import sys; from neurosym.cli import main; "
            f"status = main(['rules', 'run', {str(tmp_path / 'tc.dl')!r}, '--facts', {str(tmp_path / 'facts')!r}, "
            f"'--output', {str(tmp_path / 'out')!r}]); "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), status)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[-1] == "[] 0", done.stdout + done.stderr
    assert (tmp_path / "out" / "path.csv").read_text() == "1\t2\n1\t3\n2\t3\n"


def test_parquet_facts_with_probabilities_and_sources(tmp_path):
    import pandas as pd

    pd.DataFrame({"patient": ["a", "b", "a"], "value": [1.5, 7.0, 8.0], "n": pd.array([1, 2, 3], dtype="int32"),
                  "_source": ["r1", "r2", "r3"], "_prob": [1.0, 0.5, 0.9]}).to_parquet(tmp_path / "lab.parquet")
    facts = load_facts({"lab": tmp_path / "lab.parquet"})
    model = Program.from_text("high(P) :- lab(P, V, _), V > 5.").evaluate(facts)
    assert model.query("high").values.tolist() == [["a", 0.9], ["b", 0.5]]
    assert model.plan.types["lab"] == ["symbol", "float", "number"]
    assert model.explain('high("a")').children[0].source.text == "r3"


@pytest.mark.parametrize("frame, message", [
    ({"p": ["a", None]}, r"lab\.parquet: column 1 has 1 missing values; facts cannot contain nulls"),
    ({"p": ["a"], "_prob": [1.5]}, r"lab\.parquet: _prob must be a number in \[0, 1\] in every row \(1 are not\)"),
    ({"p": ["a"], "_note": ["x"]}, r"lab\.parquet: unknown metadata columns \['_note'\]; use _prob and _source"),
])
def test_parquet_facts_errors(tmp_path, frame, message):
    import pandas as pd

    pd.DataFrame(frame).to_parquet(tmp_path / "lab.parquet")
    with pytest.raises(DataLoadError, match=message):
        load_facts({"lab": tmp_path / "lab.parquet"})
