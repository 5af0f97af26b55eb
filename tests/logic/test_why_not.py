import pytest

from neurosym import EvaluationError
from neurosym.logic import Program
from neurosym.trace import WhyNot, from_dict, to_dict, validate

SICK = '''
@id("r.sick") sick(P) :- risk(P, high), alive(P).
@id("r.risk") risk(P, high) :- lab(P, V), V >= 7.
@id("r.alive") alive(P) :- person(P), not dead(P).
'''


def outline(report: WhyNot) -> list:
    """The report as nested tuples: atom, holds, note, and per attempt its rule, failing literal, reason,
    closest bindings and the reports below it."""
    return [report.atom, report.holds, report.note,
            [(a.rule_id, a.failed_literal, a.reason, a.partial_bindings, [outline(c) for c in a.children])
             for a in report.attempts]]


@pytest.fixture(scope="module")
def sick():
    return Program.from_text(SICK).evaluate({"person": [("a",), ("b",)], "dead": [("b",)], "lab": [("a", 6), ("b", 8)]})


def test_depth_one_names_the_failing_literal_only(sick):
    assert outline(sick.why_not("sick(a)")) == [
        "sick(a)", False, None, [("r.sick", "risk(P, high)", "no risk fact matches", [{"P": "a"}], [])]]


def test_deeper_levels_say_why_the_failing_derived_atom_does_not_hold(sick):
    assert outline(sick.why_not("sick(a)", depth=3)) == [
        "sick(a)", False, None,
        [("r.sick", "risk(P, high)", "no risk fact matches", [{"P": "a"}],
          [["risk(a, high)", False, None,
            [("r.risk", "V >= 7", "this condition fails for every binding so far", [{"P": "a", "V": 6}], [])]]])]]
    assert outline(sick.why_not("sick(b)", depth=2)) == [
        "sick(b)", False, None,
        [("r.sick", "alive(P)", "no alive fact matches", [{"P": "b"}],
          [["alive(b)", False, None,
            [("r.alive", "not dead(P)", "the negated fact exists for every binding so far", [{"P": "b"}], [])]]])]]


def test_a_recursive_relation_stops_at_a_cycle_and_the_document_validates():
    model = Program.from_text('@id("tc.base") reach(X, Y) :- edge(X, Y).\n'
                              '@id("tc.step") reach(X, Y) :- reach(X, Z), edge(Z, Y).').evaluate({"edge": [(2, 3)]})
    report = model.why_not("reach(1, 3)", depth=5)
    inner = ["reach(1, Z)", False, None,
             [("tc.base", "edge(X, Y)", "no edge fact matches", [{"X": 1}], []),
              ("tc.step", "reach(X, Z)", "no reach fact matches", [{"X": 1}],
               [["reach(1, Z)", False, "already being explained above (a cycle)", []]])]]
    assert outline(report) == [
        "reach(1, 3)", False, None,
        [("tc.base", "edge(X, Y)", "no edge fact matches", [{"X": 1, "Y": 3}], []),
         ("tc.step", "reach(X, Z)", "no reach fact matches", [{"X": 1, "Y": 3}], [inner])]]
    document = to_dict(report)
    validate(document)
    assert outline(from_dict(document)) == outline(report)


def test_holding_atoms_input_relations_and_bad_depth(sick):
    assert outline(sick.why_not("risk(b, high)", depth=2)) == ["risk(b, high)", True, None, []]
    assert sick.why_not("lab(a, 7)", depth=2).note == "lab is an input relation and this fact is not among the inputs"
    with pytest.raises(EvaluationError, match="why_not depth must be >= 1, got 0"):
        sick.why_not("sick(a)", depth=0)
