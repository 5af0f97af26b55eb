"""Declared keys (``.decl ... key(...)``) and the native engine's grouped-aggregate sharing, with exact outputs."""

import re

import pandas as pd
import pytest

from neurosym import EvaluationError, RuleSyntaxError
from neurosym.logic import Program
from neurosym.logic._engine import Key, declared_keys
from neurosym.logic._factsio import load_facts
from neurosym.logic._native import _projected, derived_keys, distinct_heads
from neurosym.logic._parser import parse

ACTIVITY = """.decl act(p: symbol, d: number, m: number) key(p, d)
valid(P, D, W) :- act(P, D, M), M >= 600, W = floor((D + 3) / 7).
worn(P, W, N) :- valid(P, _, W), N = count : valid(P, _, W).
"""
ROWS = [("a", 1, 700), ("a", 2, 100), ("a", 3, 650), ("b", 1, 600)]


def rows(model, rel):
    return [tuple(r) for r in model.query(rel).itertuples(index=False)]


def keyless(text):
    return text.replace(" key(p, d)", "")


# -- syntax ----------------------------------------------------------------------------------------------------------
def test_key_qualifier_parsed_by_name():
    (decl,) = parse(".decl a(p: symbol, d: number, x: float) key(p, d) key(x)").decls
    assert decl.keys == (("p", "d"), ("x",))
    assert declared_keys([decl]) == {"a": (Key((0, 1), ("p", "d"), "<text>:1:1"), Key((2,), ("x",), "<text>:1:1"))}
    assert declared_keys([decl])["a"][0].where == "<text>:1:1"


def test_key_on_the_next_line_is_a_relation():
    module = parse(".decl a(p: symbol)\nkey(1).\n", dialect="souffle")
    assert module.decls[0].keys == () and [str(r) for r in module.rules] == ["key(1)."]


@pytest.mark.parametrize("text, message, col", [
    (".decl a(p: symbol, d: number) key(p, q)", "key column 'q' is not a column of the declaration (columns: p, d)", 38),
    (".decl a(p: symbol, d: number) key(p, p)", "key column 'p' is named twice", 38),
    (".decl a(p: symbol) key()", "key column ')' is not a column of the declaration (columns: p)", 24),
])
def test_bad_key_is_a_located_syntax_error(text, message, col):
    with pytest.raises(RuleSyntaxError, match=re.escape(message)) as info:
        parse(text, path="k.dl")
    assert (info.value.path, info.value.line, info.value.col) == ("k.dl", 1, col)


# -- checking ------------------------------------------------------------------------------------------------------
def test_keyed_input_gives_the_results_of_the_unkeyed_program():
    for facts in (ROWS, ROWS[::-1]):  # in key order (one ordered scan) and not (grouped check)
        model = Program.from_text(ACTIVITY).evaluate({"act": facts})
        assert rows(model, "valid") == [("a", 1, 0), ("a", 3, 0), ("b", 1, 0)]
        assert rows(model, "worn") == [("a", 0, 2), ("b", 0, 1)]
        assert rows(model, "worn") == rows(Program.from_text(keyless(ACTIVITY)).evaluate({"act": facts}), "worn")


@pytest.mark.parametrize("facts", [ROWS + [("a", 3, 10)], ROWS + [("a", 3, 650)], [("b", 1, 1)] + ROWS])
def test_repeated_key_is_an_error_naming_the_value_and_the_declaration(facts):
    value = "('b', 1)" if facts[0] == ("b", 1, 1) else "('a', 3)"
    with pytest.raises(EvaluationError, match=re.escape(f"relation act: 2 input rows have the key (p, d) = {value}; "
                                                        "the key declared at keys.dl:1:1 allows one row per value")):
        Program.from_text(ACTIVITY, path="keys.dl").evaluate({"act": facts})


def test_key_checked_on_facts_read_into_the_database(tmp_path):
    pd.DataFrame(ROWS, columns=["p", "d", "m"]).to_parquet(tmp_path / "act.parquet")
    assert rows(Program.from_text(ACTIVITY).evaluate(load_facts({"act": tmp_path / "act.parquet"})), "worn") == [("a", 0, 2), ("b", 0, 1)]
    (tmp_path / "act.facts").write_text("a\t1\t700\nb\t1\t600\na\t1\t5\n")
    with pytest.raises(EvaluationError, match=r"relation act: 2 input rows have the key \(p, d\) = \('a', 1\)"):
        Program.from_text(ACTIVITY).evaluate(load_facts({"act": tmp_path / "act.facts"}))


def test_keyed_probabilistic_facts_keep_their_probabilities():
    facts = pd.DataFrame({"p": ["a", "a"], "d": [1, 2], "m": [700, 900], "_prob": [0.5, 0.25]})
    model = Program.from_text(ACTIVITY).evaluate({"act": facts})
    assert model.query("valid")["probability"].tolist() == [0.5, 0.25]


def test_key_on_a_derived_relation_is_an_error():
    text = ".decl h(p: symbol) key(p)\nh(P) :- q(P)."
    with pytest.raises(EvaluationError, match=r"relation h has a key \(declared at <text>:1:1\) but rule .* defines it"):
        Program.from_text(text).evaluate({"q": [("a",)]})


def test_distinct_heads_follow_keys_through_the_body():
    key = Key((0,), ("x",), "<text>:1:1")
    (rule,) = parse("h(P) :- a(P, X), b(X, Y).").rules
    assert not distinct_heads(rule, {"a", "b"}) and not distinct_heads(rule, {"a", "b"}, {"a": (key,)})
    assert distinct_heads(rule, {"a", "b"}, {"a": (key,), "b": (key,)})  # P fixes the a row, its X the b row
    assert not distinct_heads(rule, {"a"}, {"a": (key,), "b": (key,)})  # b is not stored as a set


def test_library_lifelog_keys_reject_two_rows_for_one_day():
    from neurosym.facts import load_rule_library

    program = load_rule_library(["lifelog"])
    activity = pd.DataFrame({"patient": ["p", "p"], "day": [19000, 19000], "steps": [1, 2], "active": [0, 0], "worn": [700, 700]})
    with pytest.raises(EvaluationError, match=r"relation activity: 2 input rows have the key \(patient, day\) = \('p', 19000\); "
                                              r"the key declared at .*lifelog\.dl:\d+:1"):
        program.evaluate({"activity": activity, "sleep_record": [("p", 19000, 400, 1)], "index_day": [("p", 19010)]})


# -- shared aggregates -----------------------------------------------------------------------------------------------
SLEEP = """night(P, D, T) :- rec(P, D, _, _), T = sum M : { rec(P, D, M, R) }.
week(P, N, A) :- night(P, _, _), N = count : { night(P, D1, _) }, A = mean M : { night(P, D2, M) }.
"""


def test_aggregate_over_the_projected_relation_is_computed_in_the_projection():
    program = Program.from_text(SLEEP)
    model = program.evaluate({"rec": [("a", 1, 300, 1), ("a", 1, 60, 2), ("a", 2, 420, 3), ("b", 5, 30, 4)]})
    assert rows(model, "night") == [("a", 1, 360), ("a", 2, 420), ("b", 5, 30)]
    assert rows(model, "week") == [("a", 2, 390.0), ("b", 1, 30.0)]
    plan = model.plan
    index = next(i for i, r in enumerate(plan.rules) if r.head.rel == "night")
    views, select = _projected(plan, [(index, plan.rules[index])], set(plan.types) - {"rec"} | {"rec"}, {"night", "week"})
    assert views == [(f"proj_{index}_0", f"CREATE OR REPLACE TEMP VIEW proj_{index}_0 AS SELECT p.c0 AS c0, p.c1 AS c1, "
                                         "MIN(p._h) AS _h, 1.0 AS _p, SUM(p.c2) AS v0 FROM rel_rec AS p GROUP BY p.c0, p.c1")]
    assert "JOIN" not in select and "COALESCE(t0.v0, 0)" in select


def test_sibling_aggregates_share_one_subquery():
    plan = Program.from_text(SLEEP).evaluate({"rec": [("a", 1, 300, 1)]}).plan
    index = next(i for i, r in enumerate(plan.rules) if r.head.rel == "week")
    ((_, view),), select = _projected(plan, [(index, plan.rules[index])], set(plan.types), {"night", "week"})
    assert "JOIN" not in select and "CAST(COALESCE(t0.v0, 0) AS BIGINT) AS c1, CAST(t0.v1 AS DOUBLE) AS c2" in select
    assert view.endswith("MIN(p._h) AS _h, 1.0 AS _p, COUNT(*) AS v0, AVG(p.c2) AS v1 FROM rel_night AS p GROUP BY p.c0")


# -- inferred keys of derived relations ----------------------------------------------------------------------------
def test_derived_keys_follow_aggregates_and_keys_but_not_free_values():
    text = """w(P, W, N) :- s(P, W), N = count : d(P, W, _).
scaled(P, W, M) :- w(P, W, N), v(P, W, X), M = N * X.
free(P, X) :- s(P, Y), X = Y + 1.
v(P, W, X) :- s(P, W), X = max Z : d(P, W, Z)."""
    facts = {"s": [("a", 1), ("a", 2)], "d": [("a", 1, 5), ("a", 1, 6), ("a", 2, 3)]}
    model = Program.from_text(text).evaluate(facts)
    assert {rel: [k.columns for k in keys] for rel, keys in derived_keys(model.plan).items()} == {
        "w": [(0, 1)], "v": [(0, 1)], "scaled": [(0, 1)]}
    assert rows(model, "scaled") == [("a", 1, 12), ("a", 2, 3)] and rows(model, "free") == [("a", 2), ("a", 3)]


def test_relation_with_input_facts_has_no_derived_key():
    text = "w(P, W, N) :- s(P, W), N = count : d(P, W, _). m(P, W) :- w(P, W, N), N > 0."
    model = Program.from_text(text).evaluate({"s": [("a", 1)], "d": [("a", 1, 5), ("a", 1, 6)], "w": [("a", 1, 7)]})
    assert rows(model, "w") == [("a", 1, 2), ("a", 1, 7)] and rows(model, "m") == [("a", 1)]
    assert derived_keys(model.plan, {"s", "d", "w"}) == {}
