"""The reasoner's program: the rule library plus the neural-predicate rules, split where proofs start.

Proofs are needed only for the prediction-relevant relations.  :func:`split_program`
cuts a program in two: the *lower* part derives everything those relations
need that does not depend on them or on a neural predicate (glycemic status,
BMI class, eligibility, ...), evaluated once per cohort without
probabilities; the *top* part holds the relevant relations and every relation
between them and the neural predicates.  The top part is evaluated on the
lower part's tuples (as facts) plus the neural candidate facts, and the
prover works on it alone, so proofs are shallow and fast; a lower fact in a
proof is expanded on demand by the lower model's explainer.

Examples
--------
>>> prog = Program.from_text('''
...   .decl nn(p: symbol)
...   @id("b") base(P) :- rec(P).
...   @id("f") factor(P, "x") :- nn(P), base(P).
...   @id("g") factor(P, "y") :- base(P).
...   @id("r") risk(P) :- factor(P, _).''')
>>> lower, top = split_program(prog, ["factor", "risk"], ["nn"])
>>> [r.id for r in lower.rules], [r.id for r in top.rules]
(['b'], ['f', 'g', 'r'])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from neurosym._errors import InputError
from neurosym._resources import rules_dir
from neurosym.facts import load_rule_library
from neurosym.logic import Program
from neurosym.logic._ast import Module
from neurosym.logic._checks import body_atoms

__all__ = ["RELEVANT_RELATIONS", "default_program", "neural_rule_files", "split_program"]

#: Relations whose atoms feed the risk head by default.
RELEVANT_RELATIONS = ("t2d_risk_factor", "at_risk_t2d")


def neural_rule_files() -> list:
    """The rule files that use neural predicates (``rules/neural/*.dl``)."""
    return sorted((rules_dir() / "neural").glob("*.dl"))


def default_program() -> Program:
    """The shipped rule library plus the neural-predicate rules.

    >>> "rising_glycemic_trajectory" in default_program().input_relations
    True
    """
    return load_rule_library() + Program.from_files(neural_rule_files())


def _uses(program: Program) -> dict[str, set[str]]:
    """Relation -> relations its rules' bodies read (inside negations and aggregates too)."""
    uses: dict[str, set[str]] = {}
    for rule in program.rules:
        uses.setdefault(rule.head.rel, set()).update(a.rel for a, _ in body_atoms(rule.body))
    return uses


def _closure(start: Iterable[str], edges: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        rel = todo.pop()
        if rel not in seen:
            seen.add(rel)
            todo += edges.get(rel, ())
    return seen


def split_program(program: Program, relations: Sequence[str], predicates: Sequence[str]) -> tuple[Program, Program]:
    """The lower and top parts of ``program`` for proofs of ``relations`` over neural ``predicates``.

    Parameters
    ----------
    program : Program
    relations : sequence of str
        Prediction-relevant relations (their first argument is the patient).
    predicates : sequence of str
        Neural predicate names the program reads.

    Returns
    -------
    lower, top : Program
        ``lower`` derives the inputs ``top`` reads (apart from base facts and
        the neural predicates); ``top`` derives ``relations``.

    Raises
    ------
    InputError
        For a relation no rule derives, or a neural predicate under a negation or inside an aggregate.
    """
    uses = _uses(program)
    missing = [r for r in relations if r not in uses]
    if missing:
        raise InputError(f"no rule derives {', '.join(missing)}; relevant relations must be derived by the program")
    for rule in program.rules:
        for atom, where in body_atoms(rule.body):
            if atom.rel in predicates and where != "pos":
                raise InputError(f"{rule.path}:{rule.span.line}: rule {rule.id} uses neural predicate {atom.rel} "
                                 "under a negation or in an aggregate; neural facts may only be used positively")
    needed = _closure(relations, uses)
    reverse: dict[str, set[str]] = {}
    for head, body in uses.items():
        for rel in body:
            reverse.setdefault(rel, set()).add(head)
    above = _closure([*relations, *predicates], reverse)
    top_rels = needed & above & set(uses)
    module = program.module
    top = Module(rules=[r for r in module.rules if r.head.rel in top_rels],
                 decls=[d for d in module.decls if d.rel in top_rels or d.rel in predicates], sources=module.sources)
    lower = Module(rules=[r for r in module.rules if r.head.rel in needed - top_rels],
                   decls=[d for d in module.decls if d.rel in needed - top_rels], sources=module.sources)
    return Program(lower), Program(top)
