"""Proofs as sets of input facts, and probabilities computed from them.

Examples
--------
>>> import pandas as pd
>>> from neurosym.logic import Program, TopKProofs
>>> prog = Program.from_text("p(X) :- a(X). p(X) :- b(X).")
>>> half = pd.DataFrame({"x": [1], "_prob": [0.5]})
>>> Prover(prog.evaluate({"a": half, "b": half}, semiring=TopKProofs(k=2))).probability("p(1)")
0.75
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from neurosym.logic._ast import Atom, Const, Rule, Var
from neurosym.logic._lookup import atom_columns, cyclic, find, split_atoms
from neurosym.logic._native import DIALECT
from neurosym.logic._parser import parse_atom
from neurosym.logic._semiring import TopKProofs
from neurosym.logic._sql import cast, compile_body

if TYPE_CHECKING:
    from neurosym.logic._model import Model

__all__ = ["Prover"]


class Prover:
    """Top-k proofs of derived facts and the probabilities they give under the model's semiring."""

    def __init__(self, model: "Model") -> None:
        self._con = model.connect()
        self._plan = model.plan
        self._semiring = model.semiring
        self._fact_probs: dict = {}

    def probability(self, atom: str) -> float:
        """Probability of a ground atom (0 if not derived) under the model's semiring."""
        parsed = parse_atom(atom)
        found = find(self._con, self._plan, parsed, limit=1)
        if not found:
            return 0.0
        if not isinstance(self._semiring, TopKProofs):
            return float(found[0][3])
        proofs = self._proof_sets(parsed.rel, found[0][0], self._semiring.k, set(), {})
        return float(self._semiring.combine(proofs, self._fact_probs))

    def _proof_sets(self, rel: str, values: tuple, k: int, stack: set, memo: dict) -> list[tuple[frozenset, float]]:
        key = (rel, values)
        if key in memo:
            return memo[key]
        proofs: list[tuple[frozenset, float]] = []
        input_row = find(self._con, self._plan, Atom(rel, tuple(Const(v) for v in values)), limit=1)
        if input_row and (input_row[0][2] is not None and input_row[0][2] < 0 or input_row[0][2] is not None and self._plan.rules[int(input_row[0][2])].is_fact):
            p = float(input_row[0][3])
            self._fact_probs[key] = p
            proofs.append((frozenset([key]), p))
        for rule in self._plan.rules:
            if rule.head.rel != rel or rule.is_fact or len(proofs) >= 4 * k:
                continue
            for bindings, atom_rows, neg_p in self._groundings(rule, values, stack | {key}, limit=k):
                combos: list[tuple[frozenset, float]] = [(frozenset(), neg_p)]
                for lit in rule.positive_atoms():
                    vals = atom_rows[id(lit)][0]
                    sub = self._proof_sets(lit.rel, vals, k, stack | {key}, memo)
                    combos = sorted(((f | sf, self._set_prob(f | sf) * neg_p) for f, _ in combos for sf, _ in sub),
                                    key=lambda x: -x[1])[:k]
                proofs += combos
        proofs = sorted(set(proofs), key=lambda x: -x[1])[:k]
        if not stack:
            memo[key] = proofs
        return proofs

    def _set_prob(self, facts: frozenset) -> float:
        p = 1.0
        for f in facts:
            p *= self._fact_probs.get(f, 1.0)
        return p

    def _groundings(self, rule: Rule, values: tuple, stack: set, limit: int):
        fixed = {a.name: v for a, v in zip(rule.head.args, values) if isinstance(a, Var)}
        body = compile_body(list(rule.body), self._plan.types, prob=True, fixed=fixed)
        cols = atom_columns(body.atoms)
        negs = [p for p in body.probs if not isinstance(p, exp.Column)]
        neg = negs[0] if negs else exp.Literal.number(1.0)
        for p in negs[1:]:
            neg = exp.Mul(this=neg, expression=p)
        q = body.select.select(*cols, exp.alias_(cast(neg, "float"), "_neg")).order_by(
            exp.Ordered(this=body.probability(), desc=True)).limit(limit * 4)
        out = []
        for r in self._con.execute(q.sql(DIALECT)).fetchall():
            atom_rows = split_atoms(r, 0, body.atoms)
            if not cyclic(body.atoms, atom_rows, stack):
                out.append(({}, atom_rows, float(r[-1])))
        return out[:limit]
