"""The fast path of ``neurosym rules run``: the plain form runs without Typer, every other form goes to Typer."""

import subprocess
import sys

import pytest

from neurosym.cli._rules_run import _plain_arguments

TC = "path(X, Y) :- edge(X, Y).\npath(X, Z) :- edge(X, Y), path(Y, Z).\n"


@pytest.fixture
def graph(tmp_path):
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "edge.facts").write_text("1\t2\n2\t3\n")
    (tmp_path / "tc.dl").write_text(TC)
    return tmp_path


def _main(args):
    code = (f"import sys; from neurosym.cli import main; status = main({args!r}); "
            "print('typer' in sys.modules, 'click' in sys.modules, 'rich' in sys.modules, status)")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_the_plain_form_runs_without_typer(graph):
    done = _main(["rules", "run", str(graph / "tc.dl"), "--facts", str(graph / "facts"), f"--output={graph / 'out'}"])
    assert done.stdout.splitlines() == [f"{graph / 'out' / 'path.csv'}: 3 tuples", "False False False 0"], done.stderr
    assert (graph / "out" / "path.csv").read_text() == "1\t2\n1\t3\n2\t3\n"


def test_a_failure_prints_the_same_error_and_exits_1(graph):
    done = _main(["rules", "run", str(graph / "tc.dl"), "--facts", str(graph / "facts"), "--output", str(graph / "out"),
                  "--engine", "clingo"])
    assert done.stdout.splitlines()[-1].endswith(" 1") and done.stderr.startswith("error: unknown engine 'clingo'")


@pytest.mark.parametrize("args", [
    ["rules", "run", "--help"],
    ["rules", "check", "{d}/tc.dl"],
    ["rules", "run", "{d}/tc.dl", "--facts", "{d}/facts", "--output", "{d}/out", "--explain", "path(1, 3)"],
    ["rules", "run", "{d}/tc.dl", "--facts", "{d}/nowhere", "--output", "{d}/out"],
    ["rules", "run", "{d}/missing.dl", "--facts", "{d}/facts", "--output", "{d}/out"],
    ["rules", "run", "{d}/tc.dl", "--facts", "{d}/facts", "--output", "{d}/tc.dl"],
    ["rules", "run", "{d}/tc.dl", "--facts", "{d}/facts"],
    ["rules", "run", "{d}/tc.dl", "--facts", "{d}/facts", "--output", "{d}/out", "--debug"],
])
def test_every_other_form_goes_to_typer(graph, args):
    assert _plain_arguments([a.format(d=graph) for a in args]) is None


def test_the_plain_arguments(graph):
    got = _plain_arguments(["rules", "run", str(graph / "tc.dl"), str(graph / "facts"), "--engine=pydatalog",
                            "--facts", str(graph / "facts"), "--output", str(graph / "out"), "--dialect", "souffle"])
    assert got == {"program": [graph / "tc.dl", graph / "facts"], "engine": "pydatalog", "dialect": "souffle",
                   "facts": graph / "facts", "output": graph / "out"}
