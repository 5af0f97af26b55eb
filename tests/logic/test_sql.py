"""Rule bodies compiled to SQL (neurosym/logic/_sql.py): float aggregates that do not depend on the row order."""

from __future__ import annotations

import functools
import operator
import os
import subprocess
import sys

import numpy as np
import pandas as pd

from neurosym.logic import Program
from neurosym.logic._parser import parse
from neurosym.logic._dialects import to_sql
from neurosym.logic._sql import compile_body

# Enough rows (several DuckDB row groups of 122,880) for the aggregate to run on both threads.
ROWS = 400_000
RULES = """
total(G, S) :- group(G), S = sum X : { value(G, X) }.
average(G, M) :- group(G), M = mean X : { value(G, X) }.
steps(G, S) :- group(G), S = sum N : { count_of(G, N) }.
"""


def _facts() -> dict:
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 3, ROWS)
    values = rng.normal(0, 1, ROWS) * 10.0 ** rng.integers(-3, 6, ROWS)  # magnitudes 1e-3 .. 1e5: rounding shows
    return {"group": pd.DataFrame({"g": [0, 1, 2]}), "value": pd.DataFrame({"g": groups, "x": values}),
            "count_of": pd.DataFrame({"g": groups, "n": rng.integers(0, 10_000, ROWS)})}


def _ascending_sum(values: np.ndarray) -> float:
    """Left-to-right addition of the values in ascending order (the order the compiled aggregate adds in)."""
    return functools.reduce(operator.add, np.sort(values).tolist(), 0.0)


def test_float_sum_and_mean_are_bit_identical_between_evaluations():
    facts = _facts()
    program = Program.from_text(RULES)
    runs = []
    for _ in range(3):
        model = program.evaluate(facts)
        runs.append({rel: sorted(map(tuple, model.query(rel).values.tolist())) for rel in ("total", "average", "steps")})
    assert runs[0] == runs[1] == runs[2]
    value = facts["value"]
    for g in range(3):
        xs = value.loc[value["g"] == g, "x"].to_numpy()
        assert runs[0]["total"][g] == (g, _ascending_sum(xs))  # the values are distinct: the set is every row
        assert runs[0]["average"][g] == (g, _ascending_sum(xs) / len(xs))
    steps = facts["count_of"]
    assert runs[0]["steps"] == [(g, int(steps.loc[steps["g"] == g, "n"].unique().sum())) for g in range(3)]  # a set


_CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
from test_sql import RULES, _facts
from neurosym.logic import Program
model = Program.from_text(RULES).evaluate(_facts())
print(repr(sorted(map(tuple, model.query("average").values.tolist()))))
"""


def test_float_mean_is_bit_identical_between_processes(tmp_path):
    here = os.path.dirname(__file__)
    env = {**os.environ, "NEUROSYM_CACHE": str(tmp_path)}
    outputs = {subprocess.run([sys.executable, "-c", _CHILD, here], env=env, capture_output=True, text=True, check=True).stdout
               for _ in range(2)}
    assert len(outputs) == 1


def test_only_float_sums_and_means_are_ordered():
    types = {"v": ["symbol", "float", "number"], "h": ["symbol", "float"]}
    sql = {}
    for name, agg in [("float_sum", "sum X : { v(G, X, _) }"), ("float_mean", "mean X : { v(G, X, _) }"),
                      ("int_sum", "sum N : { v(G, _, N) }"), ("int_mean", "mean N : { v(G, _, N) }"),
                      ("scaled", "sum Y : { v(G, _, N), Y = N * 1.5 }"), ("doubled", "sum Y : { v(G, _, N), Y = N * 2 }"),
                      ("float_max", "max X : { v(G, X, _) }")]:
        rule = parse(f"h(G, S) :- v(G, _, _), S = {agg}.").rules[0]
        sql[name] = compile_body(list(rule.body), types).select.sql("duckdb")
    assert "LIST_SUM(LIST_SORT(LIST(a1_t0.c1)))" in sql["float_sum"]
    assert "LIST_AVG(LIST_SORT(LIST(a1_t0.c1)))" in sql["float_mean"]
    assert "SUM(a1_t0.c2) AS v" in sql["int_sum"] and "AVG(a1_t0.c2) AS v" in sql["int_mean"]
    assert "LIST_SUM" in sql["scaled"] and "LIST" not in sql["doubled"]
    assert "SUM(a1_t0.c1 ORDER BY a1_t0.c1)" in to_sql(compile_body(list(parse("h(G, S) :- v(G, _, _), S = sum X : { v(G, X, _) }.")
                                                                       .rules[0].body), types).select, "postgres")
    assert "MAX(a1_t0.c1) AS v" in sql["float_max"]


def test_division_by_a_constant_of_magnitude_one_or_more_needs_no_finiteness_check():
    facts = {"a": [("x", -8.0), ("x", 13.0), ("y", 1e308)]}
    model = Program.from_text("h(P, X) :- a(P, D), X = D / -7.\nz(P, X) :- a(P, D), X = D / 0.5.").evaluate(facts)
    assert sorted(map(tuple, model.query("h").values.tolist())) == [("x", -13.0 / 7), ("x", 8.0 / 7), ("y", -1e308 / 7)]
    assert sorted(map(tuple, model.query("z").values.tolist())) == [("x", -16.0), ("x", 26.0)]  # 1e308 / 0.5 is undefined
    types = {"a": ["symbol", "float"], "w": ["symbol", "number"]}
    week = compile_body(list(parse("w(P, W) :- a(P, D), W = floor(D / 7).").rules[0].body), types)
    assert "ISFINITE" not in week.select.sql("duckdb") and "IS NULL" not in week.select.sql("duckdb")
    half = compile_body(list(parse("w(P, W) :- a(P, D), W = floor(D / 0.5).").rules[0].body), types)
    assert "ISFINITE" in half.select.sql("duckdb") and "IS NULL" in half.select.sql("duckdb")
