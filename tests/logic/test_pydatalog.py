"""Tests of neurosym/logic/_pydatalog.py: isolation, exact floats, no code execution, limits."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest
from pyDatalog import pyDatalog, pyEngine
from reference import relations

from neurosym import EvaluationError
from neurosym.logic import Program
from neurosym.logic._pydatalog import cast_value, compare, evaluate_term, fold
from neurosym.logic._parser import parse


def run(text: str, facts: dict | None = None) -> dict[str, set[tuple]]:
    return relations(Program.from_text(text).evaluate(facts or {}, engine="pydatalog"))


class TestIsolation:
    def test_programs_in_sequence_do_not_share_facts_or_rules(self):
        first = run("p(X) :- q(X). extra(X) :- q(X).", {"q": [(1,), (2,)]})
        second = run("p(X) :- r(X).", {"r": [(3,)]})
        assert first["p"] == {(1,), (2,)}
        assert second["p"] == {(3,)}
        assert "extra" not in second

    def test_same_relation_names_across_threads(self):
        results: dict[int, set] = {}

        def worker(k: int) -> None:
            for _ in range(5):
                got = run("p(X) :- q(X), X > 0.", {"q": [(k,), (-k,)]})["p"]
                results[k] = results.get(k, got) & got

        threads = [threading.Thread(target=worker, args=(k,)) for k in (1, 2, 3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == {1: {(1,)}, 2: {(2,)}, 3: {(3,)}}

    @pytest.mark.parametrize("name", ["len", "print", "sum", "eval", "exec", "open", "type", "object", "self", "clear"])
    def test_python_names_as_relations(self, name):
        assert run(f"{name}(X) :- base(X). out(X) :- {name}(X), not other(X). other(2).", {"base": [(1,), (2,)]})["out"] == {(1,)}

    def test_dunder_import_as_relation_name(self):
        # relation names are identifiers starting with a lower-case letter, so __import__ cannot be one
        assert run("import(X) :- base(X). x__import__(X) :- import(X).", {"base": [("os",)]})["x__import__"] == {("os",)}

    def test_caller_knowledge_base_is_kept_and_hidden(self):
        pyDatalog.clear()
        pyDatalog.assert_fact("nsr_q", 42)
        try:
            assert run("p(X) :- q(X).", {"q": [(1,)]})["p"] == {(1,)}
            assert pyDatalog.ask("nsr_q(X)").answers == [(42,)]
        finally:
            pyDatalog.clear()

    def test_float_precision_restored(self):
        before = pyEngine.Float_Precision
        run("p(Y) :- q(X), Y = X + 0.1.", {"q": [(0.2,)]})
        assert pyEngine.Float_Precision == before


class TestFloats:
    def test_sum_is_exact(self):
        assert run("s(Y) :- v(A, B), Y = A + B.", {"v": [(0.1, 0.2)]})["s"] == {(0.1 + 0.2,)}

    def test_no_rounding_to_significant_digits(self):
        got = run("s(X, Y) :- v(X), Y = X * 1.0000001.", {"v": [(6.4999999,), (1 / 3,)]})["s"]
        assert got == {(6.4999999, 6.4999999 * 1.0000001), (1 / 3, (1 / 3) * 1.0000001)}

    def test_float_facts_distinct_beyond_8_digits(self):
        assert run("p(X) :- v(X).", {"v": [(1.0000000001,), (1.0000000002,)]})["p"] == {(1.0000000001,), (1.0000000002,)}

    def test_ints_stay_ints(self):
        got = run("p(X, Y) :- v(X), Y = X * 2. q(Y) :- v(X), Y = round(X / 2).", {"v": [(3,)]})
        (row,) = got["p"]
        assert all(type(v) is int for v in row) and got["q"] == {(2,)}

    @pytest.mark.parametrize("x,expected", [(2.5, 3), (-2.5, -3), (0.49999999999999994, 0), (1.5, 2), (-0.5, -1)])
    def test_round_half_away_from_zero(self, x, expected):
        assert run("r(Y) :- v(X), Y = round(X).", {"v": [(x,)]})["r"] == {(expected,)}

    def test_division_by_zero_derives_nothing(self):
        got = run("d(X, Y) :- v(X), Y = X / 0. e(X, Y) :- v(X), Y = floor(X / 0). f(X) :- v(X), X / 0 > 1.",
                  {"v": [(1,), (-1,), (0,)]})
        assert got["d"] == got["e"] == got["f"] == set()

    def test_integer_overflow_is_an_error(self):
        with pytest.raises(EvaluationError, match="overflow"):
            run("d(Y) :- v(X), Y = X * X.", {"v": [(2**40,)]})


class TestNoCodeExecution:
    PAYLOADS = ["__import__('os').system('touch {marker}')", "); import os; os.system('touch {marker}'); (",
                "{{}}.__class__.__base__.__subclasses__()", "X <= Y", "+p(1)"]

    def test_load_is_never_called(self, monkeypatch):
        def boom(*args, **kwargs):
            raise AssertionError("pyDatalog.load was called")

        monkeypatch.setattr(pyDatalog, "load", boom)
        monkeypatch.setattr(pyDatalog.pyParser, "load", boom)
        monkeypatch.setattr(pyDatalog, "ask", boom)
        assert run("p(X) :- q(X), not r(X). s(N) :- N = count : { q(_) }.", {"q": [(1,), (2,)], "r": [(2,)]})["p"] == {(1,)}

    @pytest.mark.parametrize("payload", PAYLOADS)
    def test_payload_strings_stay_strings(self, payload, tmp_path: Path):
        marker = tmp_path / "pwned"
        text = payload.format(marker=marker)
        quoted = text.replace("\\", "\\\\").replace('"', '\\"')
        got = run(f'p(X, "{quoted}") :- q(X). r(X) :- q(X), X = "{quoted}".', {"q": [(text,), ("other",)]})
        assert got["p"] == {(text, text), ("other", text)}
        assert got["r"] == {(text,)}
        assert not marker.exists()


class TestLimits:
    def test_probabilistic_facts_are_rejected(self):
        import pandas as pd

        facts = {"q": pd.DataFrame({"x": [1], "_prob": [0.5]})}
        with pytest.raises(EvaluationError, match="engine='native'"):
            Program.from_text("p(X) :- q(X).").evaluate(facts, engine="pydatalog")

    def test_timeout(self):
        text = "n(0). n(Y) :- n(X), Y = X + 1, Y < 100000."
        with pytest.raises(EvaluationError, match="time-out"):
            Program.from_text(text).evaluate({}, engine="pydatalog", timeout=0.2)


class TestBuiltins:
    def test_compare_like_duckdb(self):
        nan = float("nan")
        assert compare("=", nan, nan) and compare(">", nan, 1e308) and compare("<", 1, 1.5) and not compare("<", "a", 1)

    def test_fold_empty(self):
        assert fold("sum", []) == 0 and repr(fold("min", [])) == "<no value>"

    def test_cast_value(self):
        assert cast_value(3, "float") == 3.0 and type(cast_value(3, "float")) is float
        with pytest.raises(EvaluationError):
            cast_value(float("inf"), "number")

    @pytest.mark.parametrize("expr,expected", [("abs(0 - 3)", 3.0), ("min(1, 2.5)", 1.0), ("log(1)", 0.0), ("sqrt(4)", 2.0)])
    def test_values(self, expr, expected):
        term = parse(f"h(X) :- X = {expr}.").rules[0].body[0].right
        assert evaluate_term(term, {}) == expected

    @pytest.mark.parametrize("expr", ["log(0)", "pow(0, -1)", "pow(10, 400)", "exp(1000)", "log(0 - 1)", "sqrt(0 - 1)",
                                      "pow(0 - 8, 0.5)", "0 / 0", "1 / 0", "floor(1 / 0)"])
    def test_undefined_values(self, expr):
        term = parse(f"h(X) :- X = {expr}.").rules[0].body[0].right
        assert repr(evaluate_term(term, {})).startswith("<failed: undefined arithmetic")
