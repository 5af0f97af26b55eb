"""Explain derived facts and say why others fail.

The engine stores, per tuple, only the rule that first derived it and its
height (Soufflé-style).  :meth:`Explainer.explain` rebuilds a proof on demand:
for a tuple of height h derived by rule r it binds r's head to the tuple and
asks the database for one body grounding whose atoms all have height < h, then
recurses.  Tuples without a recorded height (the ``pydatalog`` engine, and
``WITH RECURSIVE`` strata of the native one) are searched without the bound,
refusing cyclic proofs instead.

Examples
--------
>>> from neurosym.logic import Program
>>> prog = Program.from_text('@id("tc.step") path(X, Z) :- edge(X, Y), path(Y, Z). path(X, Y) :- edge(X, Y).')
>>> model = prog.evaluate({"edge": [(1, 2), (2, 3)]})
>>> print(Explainer(model).explain("path(1, 3)").render_text())
path(1, 3)
└─ rule tc.step  {X=1, Y=2, Z=3}
   ├─ edge(1, 2)
   └─ path(2, 3)
      └─ rule <text>:1:54  {X=2, Y=3}
         └─ edge(2, 3)
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from neurosym._errors import EvaluationError
from neurosym.logic._ast import PREDICATES, Aggregate, Assignment, Atom, BinOp, Call, Comparison, Const, Literal, Negation, Rule, Term, Var, format_value, term_vars
from neurosym.logic._days import as_date, day_columns, day_variables
from neurosym.logic._lookup import atom_columns, coerce, cyclic, find, split_atoms
from neurosym.logic._native import DIALECT
from neurosym.logic._parser import parse_atom
from neurosym.logic._sql import _literal_vars, compile_body, compile_term, literal, table_name, tolerant_equal
from neurosym.trace import Aggregate as AggregateNode
from neurosym.trace import Check, Elided, FactLeaf, Node, OntologyLeaf, OntologyStep, RuleApplication, RuleAttempt, SourceRef, WhyNot, fold
from neurosym.trace import Negation as NegationNode

if TYPE_CHECKING:
    from neurosym.logic._model import Model

__all__ = ["Explainer"]

_MAX_PROOF_NODES = 10_000


class Explainer:
    """Proofs of derived facts (:meth:`explain`) and reports on facts that were not derived (:meth:`why_not`), as traces.

    Epoch days (see :mod:`neurosym.logic._days`) appear as :class:`datetime.date`.
    Witnesses are chosen by a total order (best probability, then every
    column), so the same model gives the same trace in any process.
    """

    def __init__(self, model: "Model") -> None:
        self._model = model
        self._con = model.connect()
        self._plan = model.plan
        self._facts = model.facts
        self._days = day_columns(model)
        self._rule_days = {id(rule): day_variables(rule, self._days) for rule in self._plan.rules}

    def _lookup(self, atom: Atom, limit: int | None = None) -> list[tuple]:
        return find(self._con, self._plan, atom, limit)

    def explain(self, atom: str, max_depth: int | None = 12) -> Node:
        """The trace of a derived (or input) fact: its proof, a DAG of :mod:`neurosym.trace` nodes.

        ``atom`` may contain variables (``'glycemic_status("S01", S)'``): the
        first matching tuple (in the order of its columns) is explained.  Rule
        applications deeper than ``max_depth`` are elided, keeping the
        evidence leaves below them.  Raises :class:`~neurosym.EvaluationError`
        if nothing matches; :meth:`why_not` says why.
        """
        parsed = parse_atom(atom)
        found = self._lookup(parsed, limit=1)
        if not found:
            raise EvaluationError(f"{atom} is not derived; use why_not({atom!r}) to see which rule body fails")
        root = self._explain(parsed.rel, found[0], set(), [_MAX_PROOF_NODES], {})
        return root if max_depth is None else fold(root, helpers=False, max_depth=max_depth)

    def _text(self, rel: str, values: tuple) -> str:
        return f"{rel}({', '.join(_fmt(self._value(rel, i, v)) for i, v in enumerate(values))})"

    def _value(self, rel: str, i: int, value: object) -> object:
        return as_date(value) if i in self._days.get(rel, ()) else value

    def _explain(self, rel: str, row: tuple, stack: set, budget: list[int], memo: dict) -> Node:
        values, height, rule_index, prob, source = row
        if (rel, values) in memo:
            return memo[(rel, values)]
        text = self._text(rel, values)
        shown = [self._value(rel, i, v) for i, v in enumerate(values)]
        p = float(prob) if self._plan.prob and prob is not None else None
        budget[0] -= 1
        if rule_index is None:
            rule_index = self._guess_rule(rel, values, stack)
        node: Node
        if rule_index is None or rule_index < 0:
            node = self._leaf(rel, text, shown, p, source)
        elif self._plan.rules[int(rule_index)].is_fact:
            rule = self._plan.rules[int(rule_index)]
            node = FactLeaf(text, rel, shown, p, SourceRef(text=f"fact in {rule.path} line {rule.span.line}"),
                            rule.id, rule.cite, rule.doc)
        else:
            rule = self._plan.rules[int(rule_index)]
            grounding = self._ground(rule, values, height, stack | {(rel, values)}) if budget[0] > 0 else None
            if grounding is None:
                return Elided(text, [rule.id], p)
            bindings, atom_rows = grounding
            days = self._rule_days[id(rule)]
            shown_bindings = {k: as_date(v) if k in days else v for k, v in bindings.items()}
            node = RuleApplication(text, rule.id, rule.cite, rule.doc,
                                   {k: v for k, v in shown_bindings.items() if not k.startswith("_#")}, p, rule.helper,
                                   height=None if height is None else int(height))
            for lit in rule.body:
                node.children.append(self._literal_node(lit, bindings, shown_bindings, atom_rows, stack | {(rel, values)}, budget, memo))
        memo[(rel, values)] = node
        return node

    def _leaf(self, rel: str, text: str, values: list, p: float | None, source: object) -> Node:
        description = self._describe(rel, source)
        if description and description.get("path"):
            return OntologyLeaf(text, [OntologyStep(**step) for step in description["path"]], p)
        return FactLeaf(text, rel, values, p, SourceRef.from_description(description) if description else None)

    def _literal_node(self, lit: Literal, bindings: dict, shown: dict, atom_rows: dict, stack: set, budget: list[int],
                      memo: dict) -> Node:
        if isinstance(lit, Atom):
            return self._explain(lit.rel, atom_rows[id(lit)], stack, budget, memo)
        if isinstance(lit, Negation):
            p = None
            if self._plan.prob:
                found = self._lookup(Atom(lit.atom.rel, tuple(Const(bindings[a.name]) if isinstance(a, Var) and a.name in bindings
                                                             else a for a in lit.atom.args)), limit=1)
                p = 1.0 - (float(found[0][3]) if found else 0.0)
            return NegationNode(_substitute_atom(lit.atom, shown), p)
        if isinstance(lit, Comparison):
            return Check(_substitute_comparison(lit, shown))
        if isinstance(lit, Assignment):
            return self._aggregate_node(lit, bindings, shown, stack, budget, memo)
        raise TypeError(lit)

    def _aggregate_node(self, lit: Assignment, bindings: dict, shown: dict, stack: set, budget: list[int], memo: dict) -> Node:
        agg = lit.aggregate
        value = shown.get(lit.var.name)
        node = AggregateNode(f"{lit.var} = {agg}  = {_fmt(value)}", value)
        outer = {k: v for k, v in bindings.items() if any(k == x.name for l in agg.body for x in _vars_of(l))
                 and k not in _inner_only(agg, bindings)}
        body = compile_body(list(agg.body), self._plan.types, fixed=outer, prefix="g")
        if not body.atoms:
            return node
        cols = atom_columns(body.atoms)
        select = body.select.select(*cols, copy=False).order_by(*cols, copy=False).limit(5, copy=False)
        for r in self._con.execute(select.sql(DIALECT)).fetchall():
            atom_rows = split_atoms(r, 0, body.atoms)
            for _, atom in body.atoms:
                node.children.append(self._explain(atom.rel, atom_rows[id(atom)], stack, budget, memo))
        return node

    def _ground(self, rule: Rule, values: tuple, height: int | None, stack: set) -> tuple[dict, dict] | None:
        """One body grounding of ``rule`` deriving ``values``: the most probable, then the first by every column."""
        fixed: dict[str, object] = {}
        extra: list[tuple[Term, object]] = []
        for arg, v in zip(rule.head.args, values):
            if isinstance(arg, Var):
                if arg.name in fixed and fixed[arg.name] != v:
                    return None
                fixed[arg.name] = v
            elif isinstance(arg, Const):
                if arg.value != v and not (isinstance(v, (int, float)) and arg.value == v):
                    return None
            else:
                extra.append((arg, v))
        use_height = height is not None
        body = compile_body(list(rule.body), self._plan.types, prob=self._plan.prob, fixed=fixed,
                            height_below=int(height) if use_height else None)
        select = body.select
        if extra:
            select = select.where(exp.and_(*[tolerant_equal(compile_term(t, body.env), literal(v)) for t, v in extra]), copy=False)
        named = sorted(body.env)
        atom_cols = atom_columns(body.atoms)
        cols = [exp.alias_(body.env[name], f"v{k}") for k, name in enumerate(named)] + atom_cols
        select = select.select(*cols, copy=False)
        order = ([exp.Ordered(this=body.probability(), desc=True)] if self._plan.prob else []) + \
            [exp.column(f"v{k}") for k in range(len(named))] + [c for c in atom_cols if c.name in ("_s", "_h", "_r")]
        select = select.order_by(*order, copy=False)
        rows = self._con.execute(select.limit(1 if use_height else 50, copy=False).sql(DIALECT)).fetchall()
        for r in rows:
            atom_rows = split_atoms(r, len(named), body.atoms)
            if not cyclic(body.atoms, atom_rows, stack):
                return {name: r[k] for k, name in enumerate(named)}, atom_rows
        return None

    def _guess_rule(self, rel: str, values: tuple, stack: set) -> int | None:
        """For engines without recorded provenance: an input fact, else the first rule with an acyclic grounding."""
        found = self._con.execute(
            f"SELECT COUNT(*) FROM {table_name(rel)} WHERE _r = -1 AND " + (" AND ".join(
                f"c{i} = {literal(v).sql(DIALECT)}" for i, v in enumerate(values)) or "TRUE")).fetchone()[0]
        if found:
            return -1
        for index, rule in enumerate(self._plan.rules):
            if rule.head.rel == rel and (rule.is_fact or self._ground(rule, values, None, stack | {(rel, values)})):
                return index
        return None

    def _describe(self, rel: str, source: object) -> dict[str, Any] | None:
        if source is None or (isinstance(source, float) and math.isnan(source)):
            return None
        describe = getattr(self._facts, "describe_source", None)
        if describe is not None:
            return describe(rel, source)
        return {"text": str(source)}

    def why_not(self, atom: str, depth: int = 1) -> WhyNot:
        """Why ``atom`` was not derived: per rule, the first body literal that fails and the closest bindings.

        With ``depth`` > 1, where that literal is a derived atom the attempt's
        ``children`` say in turn why it does not hold, bound by the first
        closest bindings, down to ``depth`` levels.  An atom already being
        explained higher up is not explained again: its report has a note.
        """
        if depth < 1:
            raise EvaluationError(f"why_not depth must be >= 1, got {depth}")
        parsed = parse_atom(atom)
        return self._why_not(parsed, str(parsed), depth, frozenset(), {})

    def _why_not(self, parsed: Atom, text: str, depth: int, stack: frozenset, memo: dict) -> WhyNot:
        key = (str(parsed), depth)
        if key in memo:
            return memo[key]
        values = coerce(self._plan, parsed)
        rules = [r for r in self._plan.rules if r.head.rel == parsed.rel and not r.is_fact]
        if self._lookup(parsed, limit=1):
            report = WhyNot(text, True)
        elif not rules:
            report = WhyNot(text, False, note=f"{parsed.rel} is an input relation and this fact is not among the inputs")
        else:
            report = WhyNot(text, False, [])
            for rule in rules:
                attempt, failed, bindings = self._attempt(rule, values)
                below = self._deeper(rule, failed, bindings) if depth > 1 else None
                if below is not None and str(below[0]) in stack | {key[0]}:
                    attempt.children.append(WhyNot(below[1], False, note="already being explained above (a cycle)"))
                elif below is not None:
                    attempt.children.append(self._why_not(*below, depth - 1, stack | {key[0]}, memo))
                report.attempts.append(attempt)
        memo[key] = report
        return report

    def _deeper(self, rule: Rule, failed: Literal | None, bindings: dict) -> tuple[Atom, str] | None:
        """The failing literal as an atom to explain in turn (values from ``bindings``, and its text), if derived."""
        if not isinstance(failed, Atom) or not any(r.head.rel == failed.rel and not r.is_fact for r in self._plan.rules):
            return None
        if not all(isinstance(a, (Var, Const)) for a in failed.args):
            return None
        days = self._rule_days[id(rule)]
        atom = Atom(failed.rel, tuple(Const(bindings[a.name]) if isinstance(a, Var) and a.name in bindings else a
                                      for a in failed.args))
        return atom, _substitute_atom(failed, {k: as_date(v) if k in days else v for k, v in bindings.items()})

    def _attempt(self, rule: Rule, values: list[Term]) -> tuple[RuleAttempt, Literal | None, dict]:
        """The attempt, the failing literal and the first closest bindings (raw values)."""
        days = self._rule_days[id(rule)]
        fixed: dict[str, object] = {}
        for arg, v in zip(rule.head.args, values):
            if isinstance(v, Var):
                continue
            if isinstance(arg, Var):
                if arg.name in fixed and fixed[arg.name] != v.value:
                    return RuleAttempt(rule.id, str(rule), None, f"the head needs {arg} to be both {fixed[arg.name]} and {v.value}"), None, {}
                fixed[arg.name] = v.value
            elif isinstance(arg, Const) and arg.value != v.value:
                return RuleAttempt(rule.id, str(rule), None, f"the head has constant {arg} where the atom has {format_value(v.value)}"), None, {}
        previous: list[dict] = []
        first = dict(fixed)
        body = list(rule.body)
        for i, lit in enumerate(body):
            prefix = body[: i + 1]
            if not _checkable(prefix):
                continue
            compiled = compile_body(prefix, self._plan.types, fixed=fixed, prefix="w")
            named = sorted(n for n in compiled.env if not n.startswith("_#"))
            exprs = [compiled.env[n] for n in named]
            query = compiled.select.select(*[exp.alias_(e, f"v{k}") for k, e in enumerate(exprs)] or [exp.Literal.number(1)])
            order = [exp.column(f"v{k}") for k in range(len(exprs))]
            rows = self._con.execute((query.order_by(*order) if order else query).limit(3).sql(DIALECT)).fetchall()
            if not rows:
                reason = f"no {lit.rel} fact matches" if isinstance(lit, Atom) else "this condition fails for every binding so far"
                if isinstance(lit, Negation):
                    reason = "the negated fact exists for every binding so far"
                closest = previous or [{k: (as_date(v) if k in days else v) for k, v in fixed.items()}]
                return RuleAttempt(rule.id, str(rule), str(lit), reason, closest), lit, first
            previous = [{n: (as_date(r[k]) if n in days else r[k]) for k, n in enumerate(named)} for r in rows] if named else []
            first = {**fixed, **{n: rows[0][k] for k, n in enumerate(named)}}
        return RuleAttempt(rule.id, str(rule), None, "the body holds for some bindings but none produce this head"), None, {}


def _checkable(prefix: list[Literal]) -> bool:
    from neurosym.logic._checks import bound_variables

    bound = bound_variables(prefix)
    last = prefix[-1]
    needed = _vars_of(last) if not isinstance(last, Atom) else []
    if isinstance(last, Comparison) and last.op == "=":
        return any(all(v.name in bound for v in term_vars(side)) for side in (last.left, last.right)) and \
            all(v.name in bound for v in needed)
    if isinstance(last, Negation):
        needed = [v for v in needed if not v.anonymous]
    if isinstance(last, Assignment):
        return True
    return all(v.name in bound for v in needed)


def _vars_of(lit: Literal) -> list[Var]:
    """Variables a literal mentions at rule level (an aggregate: only the variable it assigns)."""
    return [lit.var] if isinstance(lit, Assignment) else _literal_vars(lit)


def _inner_only(agg: Aggregate, bindings: dict) -> set[str]:
    return {v.name for lit in agg.body if isinstance(lit, Atom) for v in lit.vars()} - set(bindings)


def _fmt(value: object) -> str:
    """A value as traces show it: dates ISO, floats to 6 significant digits, symbols as in rules."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, date):
        return value.isoformat()
    return format_value(value) if value is not None else "?"


def _substitute(term: Term, bindings: dict) -> str:
    if isinstance(term, Var):
        return _fmt(bindings[term.name]) if term.name in bindings else str(term)
    if isinstance(term, Const):
        return str(term)
    if isinstance(term, BinOp):
        return f"({_substitute(term.left, bindings)} {term.op} {_substitute(term.right, bindings)})"
    if isinstance(term, Call):
        return f"{term.func}({', '.join(_substitute(a, bindings) for a in term.args)})"
    return str(term)


def _substitute_atom(atom: Atom, bindings: dict) -> str:
    return f"{atom.rel}({', '.join(_substitute(a, bindings) for a in atom.args)})"


def _substitute_comparison(lit: Comparison, bindings: dict) -> str:
    left, right = _substitute(lit.left, bindings), _substitute(lit.right, bindings)
    if lit.op in PREDICATES:
        return f"{lit.op}({_strip(left)}, {_strip(right)})"
    if lit.op == "=" and isinstance(lit.left, Var) and not isinstance(lit.right, (Var, Const)):
        return f"{lit.left} = {_strip(right)} = {left}"
    return f"{_strip(left)} {lit.op} {_strip(right)}"


def _strip(text: str) -> str:
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text
