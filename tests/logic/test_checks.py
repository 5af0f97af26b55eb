"""Checks before evaluation: safety, arity, stratification, undefined relations."""

import pytest

from neurosym import ArityError, RuleError, SafetyError, StratificationError, UnknownRelationError
from neurosym.logic import Program, parse
from neurosym.logic._checks import check_module, strata


def errors(text, known=None):
    return check_module(parse(text, "c.dl"), known=known or {})


@pytest.mark.parametrize("text, message", [
    ("h(X, Y) :- a(X).", "variable Y in the head is not bound"),
    ("h(X) :- a(X), not b(X, Y).", "variable Y in 'not b(X, Y)' is not bound"),
    ("h(X) :- a(X), Y > 3.", "variable Y in comparison 'Y > 3' is not bound"),
    ("h(X, Y) :- a(X), Y = Z + 1.", "variable Z in an assignment"),
    ("h(X) :- a(X), N = sum V : b(X).", "variable V of the sum expression is not bound"),
    ("h(_) :- a(X).", "'_' cannot appear in a rule head"),
    ("h(X).", "facts must be ground"),
])
def test_unsafe_rules(text, message):
    errs = errors(text, {"a": 1, "b": 2 if "b(X, Y)" in text else 1})
    assert any(isinstance(e, SafetyError) and message in e.message for e in errs), [str(e) for e in errs]


def test_safe_rules_pass():
    text = """
    h(X, Y) :- a(X), Y = X * 2.
    g(X) :- a(X), not b(X, _).
    n(X, N) :- a(X), N = count : b(X, _).
    k(X, Y) :- a(X), Z = X + 1, Y = Z + 1, Y > 2.
    """
    assert errors(text, {"a": 1, "b": 2}) == []


def test_arity_mismatch_names_both_places():
    errs = errors("h(X) :- a(X).\ng(X) :- a(X, X).", {})
    arity = [e for e in errs if isinstance(e, ArityError)]
    assert len(arity) == 1 and arity[0].line == 2 and "used with 2 arguments here but 1 in c.dl:1" in arity[0].message


def test_arity_against_input_facts():
    errs = errors("h(X) :- a(X, X).", {"a": 1})
    assert isinstance(errs[0], ArityError) and "in the input facts" in errs[0].message


def test_undefined_relation_with_did_you_mean():
    errs = errors("h(X) :- pateint(X, _, _).", {"patient": 3})
    err = next(e for e in errs if isinstance(e, UnknownRelationError))
    assert err.name == "pateint" and "did you mean patient?" in err.message and (err.line, err.col) == (1, 9)


@pytest.mark.parametrize("text, cycle", [
    ("p(X) :- q(X), not r(X).\nr(X) :- p(X).", "p -> not r -> p"),
    ("p(X) :- q(X), not p(X).", "p -> not p"),
    ("c(X, N) :- q(X), N = count : c(X, _).", "c -> aggregate over c"),
    ("a(X) :- q(X), not b(X).\nb(X) :- c(X).\nc(X) :- a(X).", "a -> not b -> c -> a"),
])
def test_negation_or_aggregation_through_recursion(text, cycle):
    errs = [e for e in errors(text, {"q": 1}) if isinstance(e, StratificationError)]
    assert errs and cycle in errs[0].message


def test_strata_order_respects_negation_and_recursion():
    order = strata(parse("a(X) :- b(X).\nc(X) :- a(X), not d(X).\nd(X) :- b(X).\ne(X) :- e(X), b(X).\ne(X) :- c(X)."))
    flat = [rel for s in order for rel in s]
    assert flat.index("a") < flat.index("c") and flat.index("d") < flat.index("c") and flat.index("c") < flat.index("e")


def test_program_rejects_unsafe_and_duplicate_ids():
    with pytest.raises(SafetyError):
        Program.from_text("h(X, Y) :- a(X).")
    with pytest.raises(RuleError, match="used by more than one rule"):
        Program.from_text('@id("x") a(X) :- b(X).\n@id("x") c(X) :- b(X).')


def test_program_evaluate_checks_undefined_relations():
    prog = Program.from_text("h(X) :- a(X).")
    with pytest.raises(UnknownRelationError, match="unknown relation a"):
        prog.evaluate({})
    assert prog.check(known=["a"]) == []


def test_type_errors_are_located():
    prog = Program.from_text('h(X) :- a(X), X > "z".')
    with pytest.raises(RuleError, match="compares a string with a number"):
        prog.evaluate({"a": [(1,)]})
    prog = Program.from_text("h(Y) :- a(X), Y = X + 1.")
    with pytest.raises(RuleError, match="arithmetic"):
        prog.evaluate({"a": [("s",)]})
