"""Soufflé's string constraints ``match``/``contains`` and ``ord``: semantics, errors with locations, engines."""

from __future__ import annotations

import pytest

from neurosym import EvaluationError, RuleError
from neurosym.logic import Program
from neurosym.logic._dialects import to_sql
from neurosym.logic._parser import parse
from neurosym.logic._regex import pattern_problem
from neurosym.logic._sql import compare

WORDS = '.decl w(s: symbol)\nw("aaaa"). w("abba"). w("bcab"). w(""). w("a1b22").\n'


def _rows(model, rel):
    return sorted(map(tuple, model.query(rel).values.tolist()))


def test_match_is_a_full_match():
    text = WORDS + """
    .decl m(s: symbol)
    m(s) :- w(s), match("a.*", s).
    .decl n(s: symbol)
    n(s) :- w(s), !match("a.*", s).
    .decl d(s: symbol)
    d(s) :- w(s), match("[a-z][[:digit:]]\\\\w\\\\d+", s).
    .decl k(n: number)
    k(n) :- n = count : { w(s), match("b.*", s) }.
    """
    model = Program.from_text(text).evaluate({})
    assert _rows(model, "m") == [("a1b22",), ("aaaa",), ("abba",)]
    assert _rows(model, "n") == [("",), ("bcab",)]
    assert _rows(model, "d") == [("a1b22",)]
    assert _rows(model, "k") == [(1,)]


@pytest.mark.parametrize("engine", ["native", "pydatalog"])
def test_contains_takes_the_part_first(engine):
    text = WORDS + """
    .decl c(p: symbol, s: symbol)
    c(p, s) :- w(p), w(s), p != s, contains(p, s).
    .decl n(s: symbol)
    n(s) :- w(s), !contains("b", s), !(contains("1", s) ; s = "").
    """
    model = Program.from_text(text).evaluate({}, engine=engine)
    assert _rows(model, "c") == [("", "a1b22"), ("", "aaaa"), ("", "abba"), ("", "bcab")]
    assert _rows(model, "n") == [("aaaa",)]


@pytest.mark.parametrize("engine", ["native", "pydatalog"])
def test_ord_of_a_number_is_the_number_and_symbols_order_as_themselves(engine):
    text = WORDS + """
    .decl o(a: symbol, b: symbol)
    o(a, b) :- w(a), w(b), ord(a) < ord(b), strlen(a) = 4, strlen(b) = 4.
    .decl n(x: number)
    n(ord(-3) + ord(x)) :- x = 4.
    """
    model = Program.from_text(text).evaluate({}, engine=engine)
    assert _rows(model, "o") == [("aaaa", "abba"), ("aaaa", "bcab"), ("abba", "bcab")]
    assert _rows(model, "n") == [(1,)]


def test_the_constraints_print_as_written_and_parse_back():
    rule = parse('p(s) :- w(s), match("a.*", s), !contains("b", s), ord(s) < ord("z").', dialect="souffle").rules[0]
    assert str(rule) == 'p(s) :- w(s), match("a.*", s), !contains(b, s), ord(s) < ord(z).'
    again = parse(str(rule).replace("(b, s)", '("b", s)').replace("(z)", '("z")'), dialect="souffle").rules[0]
    assert again.body == rule.body


@pytest.mark.parametrize("text, message", [
    ('m(s) :- w(s), match("a(", s).', r"<text>:4:21: type error: match\(\): invalid regular expression: missing \): a\(: 'a\('"),
    ('m(s) :- w(s), match("(a)\\\\1", s).', r"<text>:4:21: type error: match\(\): backreferences \(\\1\) are not supported"),
    ('m(s) :- w(s), !match("(?i)a", s).', r"<text>:4:22: type error: match\(\): inline flags such as \(\?i\)"),
    ("m(s) :- w(s), contains(1, s).", r"<text>:4:24: type error: contains\(\) takes a string as argument 1, got a number \(1\)"),
    ("m(s) :- w(s), match(s).", r"<text>:4:22: expected ',' \(match and contains take two arguments\), found '\)'"),
    ("m(x) :- w(s), x = ord(to_float(strlen(s))).", r"<text>:4:23: type error: ord\(\) takes a symbol or an integer, got a float"),
])
def test_errors_are_located(text, message):
    with pytest.raises(RuleError, match=message):
        Program.from_text(WORDS + ".decl m(s: symbol)\n" + text).evaluate({})


def test_a_computed_pattern_that_does_not_compile_stops_with_its_location():
    text = WORDS + '.decl m(p: symbol, s: symbol)\nm(p, s) :- w(s), w(p), match(p, s).\n'
    assert _rows(Program.from_text(text).evaluate({}), "m") == [("", ""), ("a1b22", "a1b22"), ("aaaa", "aaaa"),
                                                                 ("abba", "abba"), ("bcab", "bcab")]
    bad = text.replace('w("").', 'w("(").')
    with pytest.raises(EvaluationError, match=r"<text>:4:24: match\(p, s\): invalid regular expression \("):
        Program.from_text(bad).evaluate({})


def test_pydatalog_refuses_match_with_its_location():
    text = WORDS + '.decl m(n: number)\nm(n) :- n = count : { w(s), match("a.*", s) }.\n'
    with pytest.raises(EvaluationError, match=r"<text>:4:29: the pydatalog engine does not evaluate match\(\)"):
        Program.from_text(text).evaluate({}, engine="pydatalog")


def test_pattern_problems():
    assert [pattern_problem(p) for p in ("a.*[[:digit:]]+", "[(?=]", "a\\\\1", "x{2,3}?", "(?:ab)|c")] == [None] * 5
    assert pattern_problem("(?=a)") == "lookahead ((?= ...), (?! ...)) is not supported: RE2 evaluates the pattern"
    assert pattern_problem("(?<=a)b") == "lookbehind is not supported (neither ECMAScript's std::regex nor RE2 has it)"
    assert pattern_problem("(?P<n>a)") == "named groups are not ECMAScript syntax (Soufflé's std::regex)"
    assert pattern_problem("\\pL") == "\\p, \\P, \\A, \\z, \\Q, \\E and \\C are not ECMAScript syntax (Soufflé's std::regex)"
    assert pattern_problem("*") == "invalid regular expression: no argument for repetition operator: *"


def test_other_sql_dialects_anchor_the_pattern():
    from sqlglot import exp

    query = exp.select(compare("match", exp.column("p"), exp.column("s"), where="f.dl:1:2")).from_("t")
    assert to_sql(query, "postgres") == "SELECT s ~ ('^(?:' || p || ')$') FROM t"
    assert to_sql(query, "spark") == "SELECT s RLIKE (CONCAT('^(?:', p, ')$')) FROM t"
    assert to_sql(exp.select(compare("!contains", exp.column("p"), exp.column("s"))).from_("t"), "spark") == \
        "SELECT NOT (LOCATE(p, s) > 0) FROM t"
