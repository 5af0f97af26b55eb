"""The reasoner's program: library + neural rules, split where the prover starts."""

import pytest

from neurosym import InputError
from neurosym.logic import Program
from neurosym.reasoning import DEFAULT_PREDICATES, RELEVANT_RELATIONS, default_program, neural_rule_files, split_program

TOY = '''
  .decl nn(p: symbol)
  @id("b") base(P) :- rec(P).
  @id("c") cand(P) :- base(P), not gone(P).
  @id("f") factor(P, "x") :- nn(P), cand(P).
  @id("g") factor(P, "y") :- base(P).
  @id("a") extra(P, F) :- factor(P, F), F != "y".
  @id("r") risk(P) :- cand(P), extra(P, _).
  @id("k") kidney(P) :- rec(P).
'''


def test_split_keeps_what_depends_on_relevant_or_neural_relations_on_top():
    lower, top = split_program(Program.from_text(TOY), ["factor", "risk"], ["nn"])
    assert [r.id for r in lower.rules] == ["b", "c"]
    assert [r.id for r in top.rules] == ["f", "g", "a", "r"]
    assert top.input_relations == ["base", "cand", "nn"]


def test_neural_predicate_under_negation_is_refused_with_its_place():
    prog = Program.from_text('.decl nn(p: symbol)\n@id("n") risk(P) :- rec(P), not nn(P).', path="bad.dl")
    with pytest.raises(InputError, match=r"bad.dl:2: rule n uses neural predicate nn under a negation"):
        split_program(prog, ["risk"], ["nn"])


def test_relevant_relation_must_be_derived():
    with pytest.raises(InputError, match="no rule derives nothing_here"):
        split_program(Program.from_text(TOY), ["nothing_here"], ["nn"])


def test_default_program_reads_every_default_neural_predicate():
    program = default_program()
    assert set(DEFAULT_PREDICATES) <= set(program.input_relations)
    assert [p.name for p in neural_rule_files()] == ["t2d.dl"]
    neural_rules = [r for r in program.rules if r.id.startswith("neural.")]
    assert len(neural_rules) == 6 and all(r.cite and r.doc for r in neural_rules)
    lower, top = split_program(program, RELEVANT_RELATIONS, DEFAULT_PREDICATES)
    assert {r.head.rel for r in top.rules} == {"t2d_risk_factor", "additional_t2d_risk_factor", "at_risk_t2d"}
    assert "glycemic_status" in {r.head.rel for r in lower.rules}
    assert "ckd_g_stage" not in {r.head.rel for r in lower.rules}  # not needed by the relevant relations
