"""Parser fuzzing: any text either parses or raises a RuleError subclass, never anything else."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurosym import RuleError
from neurosym.logic import Program, parse
from neurosym.logic._lexer import MAX_TEXT_CHARS

TOKENS = [
    "p", "q", "edge", "not", "count", "sum", "min", "max", "mean", "abs", "pow", "floor", "round", "log",
    "X", "Y", "_", "Abc", "0", "1", "-1", "2.5", "1e3", '"s"', '"a\\"b"', '"\\n"', "(", ")", ",", ".", ":-", ":",
    "{", "}", "@", "@id", "@cite", '("r1")', "=", "!=", "<", "<=", ">", ">=", "!", "+", "-", "*", "/",
    ".decl", ".input", ".output", "symbol", "number", "float", "%c\n", "/* c */", "/*", "\n", " ",
]

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def accepts_or_rule_error(text: str) -> None:
    """``parse`` and ``Program.from_text`` return or raise a :class:`~neurosym.RuleError`."""
    for fn in (parse, Program.from_text):
        try:
            fn(text)
        except RuleError:
            pass


@FUZZ
@given(st.text(max_size=300))
def test_random_unicode(text):
    accepts_or_rule_error(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map(" ".join))
def test_token_soup(text):
    accepts_or_rule_error(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_token_soup_without_spaces(text):
    accepts_or_rule_error(text)


@st.composite
def almost_rules(draw) -> str:
    """Well-formed rules with one token replaced, dropped or duplicated."""
    rule = draw(st.sampled_from([
        "h(X) :- a(X, Y), not b(Y), X > 1.",
        "h(X, N) :- a(X, _), N = count : { b(X, _) }.",
        "h(X, S) :- a(X, _), S = sum V : { c(X, V), V != 0 }.",
        '@id("r") @cite("c") h(Y) :- a(X, _), Y = pow(X, 2) + floor(X / 3).',
        ".decl a(x: number, y: symbol)\nh(X) :- a(X, \"s\").",
        "h :- a(_, _).",
    ]))
    tokens = rule.replace("(", " ( ").replace(")", " ) ").replace(",", " , ").split(" ")
    i = draw(st.integers(0, len(tokens) - 1))
    action = draw(st.sampled_from(["drop", "dup", "swap"]))
    if action == "drop":
        del tokens[i]
    elif action == "dup":
        tokens.insert(i, tokens[i])
    else:
        tokens[i] = draw(st.sampled_from(TOKENS))
    return " ".join(tokens)


@FUZZ
@given(almost_rules())
def test_mutated_rules(text):
    accepts_or_rule_error(text)


def _cases():
    for shape in ["parens", "unary", "calls", "aggregates", "sum"]:
        for depth in [50, 99, 100, 101, 500, 5_000, 50_000]:
            yield pytest.param(depth, shape, id=f"{shape}-{depth}")


@pytest.mark.parametrize("depth,shape", list(_cases()))
def test_deep_nesting(depth, shape):
    if shape == "parens":
        expr = "(" * depth + "X" + ")" * depth
    elif shape == "unary":
        expr = "-" * depth + "X"
    elif shape == "calls":
        expr = "abs(" * depth + "X" + ")" * depth
    elif shape == "sum":
        expr = " + ".join(["X"] * depth)
    else:
        expr = "count : { " * depth + "a(X)" + " }" * depth
    accepts_or_rule_error(f"h(Y) :- a(X), Y = {expr}.")


@pytest.mark.parametrize("opener", ["(", "{", "a(", "not ", "@id(", '"', "/*"])
def test_unclosed_brackets(opener):
    accepts_or_rule_error("h(X) :- " + opener * 10_000)


def test_many_rules_and_long_lines():
    accepts_or_rule_error("p(X) :- q(X).\n" * 5_000)  # Program() is superlinear in the rule count (reported)
    accepts_or_rule_error("p(" + ", ".join(f"X{i}" for i in range(20_000)) + ") :- q(X0).")


def test_text_above_the_size_limit_is_rejected_cheaply():
    text = "%" * (MAX_TEXT_CHARS + 1)  # allocated once, ~20 MB
    with pytest.raises(RuleError, match="too large"):
        parse(text)
    with pytest.raises(RuleError, match="too large"):
        Program.from_text(text)


def test_large_text_below_the_limit_is_accepted():
    rule = "p(X) :- q(X).\n"
    text = rule * (MAX_TEXT_CHARS // len(rule) // 100)  # ~200 kB of rules, well within the limit
    assert len(parse(text).rules) == MAX_TEXT_CHARS // len(rule) // 100
