"""Files in, files out (Soufflé conventions), the CLI, and rule/facts text treated as data only."""

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neurosym import DataLoadError, RuleSyntaxError
from neurosym.cli import app
from neurosym.logic import Program
from neurosym.logic._factsio import read_facts_dir, read_facts_file

runner = CliRunner()
PAYLOADS = ["__import__('os').system('touch {marker}')", "`touch {marker}`", "eval(\"open('{marker}','w')\")",
            "$(touch {marker})", "{{7*7}}"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_facts_files_parse_numbers_and_strings(tmp_path):
    write(tmp_path / "f" / "m.facts", "a\t1\t2.5\nb\t-3\t1e2\n")
    write(tmp_path / "f" / "mixed.facts", "1\tx\n2.5\t3\n")
    facts = read_facts_dir(tmp_path / "f")
    assert facts["m"].values.tolist() == [["a", 1, 2.5], ["b", -3, 100.0]]
    assert facts["mixed"].values.tolist() == [[1.0, "x"], [2.5, "3"]]


def test_ragged_facts_file_is_a_clear_error(tmp_path):
    path = write(tmp_path / "bad.facts", "1\t2\n3\n")
    with pytest.raises(DataLoadError, match="line 2 has 1 fields but line 1 has 2"):
        read_facts_file(path)


def test_rules_run_writes_sorted_tsv_and_explains(tmp_path):
    write(tmp_path / "facts" / "edge.facts", "3\t4\n1\t2\n2\t3\n")
    prog = write(tmp_path / "tc.dl", '@id("tc.base") path(X, Y) :- edge(X, Y).\n@id("tc.step") path(X, Z) :- path(X, Y), edge(Y, Z).\n')
    result = runner.invoke(app, ["rules", "run", str(prog), "--facts", str(tmp_path / "facts"), "--output",
                                 str(tmp_path / "out"), "--explain", "path(1, 4)", "--explain", "path(4, 1)"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "path.csv").read_text() == "1\t2\n1\t3\n1\t4\n2\t3\n2\t4\n3\t4\n"
    assert "rule tc.step" in result.output and "edge(3, 4)" in result.output
    assert "path(4, 1) does not hold" in result.output


def test_rules_run_and_check_take_the_dialect(tmp_path):
    write(tmp_path / "facts" / "edge.facts", "1\t2\n2\t3\n")
    prog = write(tmp_path / "tc.dl", "path(x, y) :- edge(x, y).\npath(x, z) :- path(x, y), edge(y, z).\n")
    args = ["rules", "run", str(prog), "--facts", str(tmp_path / "facts"), "--output", str(tmp_path / "out")]
    result = runner.invoke(app, [*args, "--dialect", "souffle"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "path.csv").read_text() == "1\t2\n1\t3\n2\t3\n"
    closed = write(tmp_path / "closed.dl", "edge(1, 2).\npath(x, y) :- edge(x, y).\n")
    result = runner.invoke(app, ["rules", "check", str(closed), "--dialect", "souffle"])
    assert result.exit_code == 0 and "ok: 2 rules in 1 file(s)" in result.output
    bad = write(tmp_path / "bad.dl", "% lower-case variables\nedge(1, 2).\npath(x, y) :- edge(x, y).\n")
    result = runner.invoke(app, ["rules", "check", str(bad), "--dialect", "souffle"])
    assert result.exit_code == 1 and f"{bad}:1:1: a line starting with '%' is a comment only in the plain dialect" in result.output


@pytest.mark.parametrize("engine", ["native", "pydatalog"])
def test_rules_run_engines_agree(tmp_path, engine):
    write(tmp_path / "facts" / "edge.facts", "1\t2\n2\t3\n")
    prog = write(tmp_path / "tc.dl", "path(X, Y) :- edge(X, Y).\npath(X, Z) :- path(X, Y), edge(Y, Z).\n")
    result = runner.invoke(app, ["rules", "run", str(prog), "--facts", str(tmp_path / "facts"), "--output",
                                 str(tmp_path / engine), "--engine", engine])
    assert result.exit_code == 0, result.output
    assert (tmp_path / engine / "path.csv").read_text() == "1\t2\n1\t3\n2\t3\n"


def test_rules_check_prints_every_error_and_exits_1(tmp_path):
    bad = write(tmp_path / "bad.dl", "p(X) :- q(X Y).\nr(X) :- patient(X, _, _), not r(X).\nt(X, Y) :- lab(X, _, _, _).\nu(X) :- pateint(X, _, _).\n")
    result = runner.invoke(app, ["rules", "check", str(bad)])
    assert result.exit_code == 1
    out = result.output
    for fragment in [f"{bad}:1:13: expected ',' or ')'", "negation through recursion: r -> not r",
                     f"{bad}:3:6: variable Y in the head", "did you mean patient?", "4 error(s)"]:
        assert fragment in out
    assert "^" in out


def test_rules_check_ok(tmp_path):
    good = write(tmp_path / "good.dl", 'dm(P) :- lab(P, "4548-4", V, _), V >= 6.5.\n')
    result = runner.invoke(app, ["rules", "check", str(good)])
    assert result.exit_code == 0 and "ok: 1 rules" in result.output


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_rule_text_are_syntax_errors_or_strings(tmp_path, payload):
    marker = tmp_path / "pwned"
    text = payload.format(marker=marker)
    for rule_text in (f"p(X) :- q(X), {text}.", f"{text}.", f"p(X) :- q(X), X = {text}."):
        try:
            Program.from_text(rule_text).evaluate({"q": [(1,)]})
        except Exception as err:  # noqa: BLE001 - the point: only neurosym errors may come out
            assert isinstance(err, RuleSyntaxError) or err.__class__.__module__.startswith("neurosym"), repr(err)
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    model = Program.from_text(f'p("{quoted}", X) :- q(X).').evaluate({"q": [(1,)]})
    assert model.query("p").iloc[0, 0] == text
    assert not marker.exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_facts_files_stay_strings(tmp_path, payload):
    marker = tmp_path / "pwned"
    text = payload.format(marker=marker)
    write(tmp_path / "facts" / "q.facts", f"{text}\t1\n")
    prog = write(tmp_path / "p.dl", "p(S, N) :- q(S, N).\n")
    for engine in ("native", "pydatalog"):
        result = runner.invoke(app, ["rules", "run", str(prog), "--facts", str(tmp_path / "facts"), "--output",
                                     str(tmp_path / engine), "--engine", engine])
        assert result.exit_code == 0, result.output
        assert (tmp_path / engine / "p.csv").read_text() == f"{text}\t1\n"
    assert not marker.exists()


def test_huge_and_deep_inputs_fail_cleanly():
    from neurosym.logic._lexer import MAX_TEXT_CHARS

    with pytest.raises(RuleSyntaxError, match="too large"):
        Program.from_text("a(1)." + " " * MAX_TEXT_CHARS)
    with pytest.raises(RuleSyntaxError, match="nested"):
        Program.from_text("p(X) :- q(X), Y = " + "-" * 5000 + "X.")
    many = "\n".join(f"r{i}(X) :- r{i + 1}(X)." for i in range(1000)) + "\nr1000(1)."
    assert Program.from_text(many).evaluate({}).count("r0") == 1


def test_console_script_installed():
    out = subprocess.run([str(Path(sys.executable).parent / "neurosym"), "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "rules" in out.stdout


def test_empty_facts_file_is_an_empty_relation(tmp_path):
    write(tmp_path / "f" / "u.facts", "")
    write(tmp_path / "f" / "v.facts", "1\n")
    program = Program.from_text("h(X) :- v(X), not u(X). k(X) :- u(X).")
    for engine in ("native", "pydatalog"):
        model = program.evaluate(read_facts_dir(tmp_path / "f"), engine=engine)
        assert model.query("h").values.tolist() == [[1]] and model.query("k").empty


def test_facts_lines_are_read_whole(tmp_path):
    """No quoting, comments or NULL spellings: every field is a value, an empty field an empty string."""
    write(tmp_path / "q.facts", '#x\t"a"\nNULL\t\n')
    assert read_facts_file(tmp_path / "q.facts").values.tolist() == [["#x", '"a"'], ["NULL", ""]]


def test_rules_run_honours_input_and_output_directives(tmp_path):
    rules = write(tmp_path / "p.dl", """
        .decl Edge(x: number, y: number)
        .decl Path(x: number, y: number)
        .decl Lab(s: symbol, n: number)
        .input Edge
        .input Lab(filename="labels.txt", delimiter=",")
        .output Path
        .output Lab(delimiter=";")
        Path(x, y) :- Edge(x, y).
        Path(x, z) :- Path(x, y), Edge(y, z).
        Unwritten(x) :- Edge(x, _).
    """)
    write(tmp_path / "f" / "Edge.facts", "1\t2\n2\t3\n")
    write(tmp_path / "f" / "labels.txt", "b,2\na,1\n")
    write(tmp_path / "f" / "Ignored.facts", "x\n")
    result = runner.invoke(app, ["rules", "run", str(rules), "--facts", str(tmp_path / "f"), "--output", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["Lab.csv", "Path.csv"]
    assert (tmp_path / "o" / "Path.csv").read_text() == "1\t2\n1\t3\n2\t3\n"
    assert (tmp_path / "o" / "Lab.csv").read_text() == "a;1\nb;2\n"
    (tmp_path / "f" / "Edge.facts").unlink()
    result = runner.invoke(app, ["rules", "run", str(rules), "--facts", str(tmp_path / "f"), "--output", str(tmp_path / "o")])
    assert result.exit_code != 0 and "no facts file for the .input relation Edge" in str(result.exception)
