"""A naive reference evaluator for the rule language, for differential tests.

Pure Python and deliberately simple: for each stratum, every rule is applied
to all tuples again and again (naive bottom-up) until nothing new appears.
Bodies are interpreted straight from the syntax tree: positive atoms by
nested loops over sets of tuples, then ``V = expr`` assignments, aggregates,
comparisons and negations exactly as the language defines them:

* ``V = expr`` is an assignment when ``V`` is bound by no positive atom (nor an
  earlier assignment) and ``expr`` is bound, otherwise a test;
* an aggregate's correlated variables (those also used elsewhere in the
  enclosing body, or bound outside it) are fixed per outer binding;
  ``count``/``sum`` of nothing is 0, ``min``/``max``/``mean`` of nothing is no tuple;
  ``count`` counts the matching combinations of body tuples;
* ``/`` is float division, ``floor``/``ceil``/``round`` return integers,
  ``round`` is half away from zero, ``log`` is the natural logarithm;
* date built-ins read epoch days with :mod:`datetime` (years 1..9999);
* head values are converted to the relation's column types.

Shares no code with the engines except the parser, the checks and the
column types (:meth:`Program._plan`).

Examples
--------
>>> from neurosym.logic import Program
>>> prog = Program.from_text("p(X, Z) :- e(X, Y), p(Y, Z). p(X, Y) :- e(X, Y).")
>>> sorted(evaluate(prog, {"e": [(1, 2), (2, 3)]})["p"])
[(1, 2), (1, 3), (2, 3)]
"""

from __future__ import annotations

import calendar
import datetime
import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import reduce
from itertools import product
from typing import ClassVar

from sqlglot import exp

from neurosym.logic import Program
from neurosym.logic._ast import Aggregate, Assignment, Atom, BinOp, Call, Comparison, Const, Negation, Var, term_vars

__all__ = ["Godel", "evaluate", "evaluate_weighted", "probabilities", "relations"]


def evaluate(program: Program, facts: dict[str, list[tuple]] | None = None) -> dict[str, set[tuple]]:
    """Every relation of ``program`` evaluated on ``facts`` (lists of tuples), as sets of tuples."""
    plan, _ = program._plan(facts or {})
    types = plan.types
    db: dict[str, set[tuple]] = {rel: set() for rel in types}
    for rel, rows in (facts or {}).items():
        if rel in db:
            db[rel] |= {_cast_row(row, types[rel]) for row in rows}
    for rule in plan.rules:
        if rule.is_fact and None not in (values := [_value(a, {}) for a in rule.head.args]):
            db[rule.head.rel].add(_cast_row(values, types[rule.head.rel]))
    for stratum in plan.strata:
        rules = [r for r in plan.rules if r.head.rel in stratum and not r.is_fact]
        changed = True
        while changed:
            changed = False
            for rule in rules:
                for env in _solve(list(rule.body), {}, db):
                    values = [_value(a, env) for a in rule.head.args]
                    if None in values:
                        continue
                    row = _cast_row(values, types[rule.head.rel])
                    if row not in db[rule.head.rel]:
                        db[rule.head.rel].add(row)
                        changed = True
    return db


def evaluate_weighted(program: Program, facts: dict, semiring) -> dict[str, dict[tuple, float]]:
    """Every relation's tuples with their values under ``semiring``, for facts with a ``_prob`` column.

    A naive fixpoint over all derivations, per stratum: each round gives every
    tuple the semiring's ``add`` over its input value (a fact listed twice
    keeps its highest probability; a fact written in the program has ``one``)
    and over every derivation of every rule, a derivation being the ``mul``
    of its atoms' values and, per negation, ``negate`` of the ``add`` of the
    matching tuples' values (a negation whose factor is ``zero`` blocks it).
    Rounds repeat until no tuple appears and no value moves by 1e-12.
    """
    plan, _ = program._plan(facts, semiring)
    types = plan.types
    val: dict[str, dict[tuple, float]] = {rel: {} for rel in types}
    for rel, data in facts.items():
        if rel in val:
            for row, p in _weighted_rows(data):
                row = _cast_row(row, types[rel])
                val[rel][row] = max(val[rel].get(row, p), p)
    for rule in plan.rules:
        if rule.is_fact:
            val[rule.head.rel].setdefault(_cast_row([_value(a, {}) for a in rule.head.args], types[rule.head.rel]), semiring.one)
    for stratum in plan.strata:
        rules = [r for r in plan.rules if r.head.rel in stratum and not r.is_fact]
        base = {rel: dict(val[rel]) for rel in stratum}
        for _ in range(100_000):
            alternatives = {rel: {row: [p] for row, p in base[rel].items()} for rel in stratum}
            for rule in rules:
                for env, factor in _derivations(rule, val, semiring):
                    row = _cast_row([_value(a, env) for a in rule.head.args], types[rule.head.rel])
                    alternatives[rule.head.rel].setdefault(row, []).append(factor)
            new = {rel: {row: reduce(semiring.add, ps) for row, ps in alts.items()} for rel, alts in alternatives.items()}
            changed = any(row not in val[rel] or abs(p - val[rel][row]) > 1e-12 for rel in stratum for row, p in new[rel].items())
            val.update(new)
            if not changed:
                break
    return val


def _weighted_rows(data):
    if hasattr(data, "columns"):
        args = [c for c in data.columns if not str(c).startswith("_")]
        probs = data["_prob"].tolist() if "_prob" in data.columns else [1.0] * len(data)
        return list(zip(data[args].itertuples(index=False, name=None), probs))
    return [(tuple(row), 1.0) for row in data]


def _derivations(rule, val, semiring):
    """(binding, value) of every derivation of ``rule`` over the current values."""
    literals = list(rule.body)
    atoms = [lit for lit in literals if isinstance(lit, Atom)]
    for rows in product(*(sorted(val[a.rel], key=repr) for a in atoms)):
        env = _unify(atoms, rows, {})
        if env is None or (env := _rest(literals, env, set(), val, negations=False)) is None:
            continue
        factors = [val[a.rel][row] for a, row in zip(atoms, rows)]
        blocked = False
        for lit in literals:
            if isinstance(lit, Negation):
                matches = [p for row, p in val[lit.atom.rel].items() if _unify([lit.atom], [row], dict(env)) is not None]
                factor = semiring.negate(reduce(semiring.add, matches) if matches else semiring.zero)
                blocked |= factor == semiring.zero
                factors.append(factor)
        if not blocked:
            yield env, reduce(semiring.mul, factors) if factors else semiring.one


@dataclass(frozen=True)
class Godel:
    """A user-defined semiring (not in the library): ``add = max``, ``mul = min``, ``negate = 1 - p``, with SQL forms."""

    zero: float = 0.0
    one: float = 1.0
    idempotent: ClassVar[bool] = True
    on_demand: ClassVar[bool] = False

    def add(self, a: float, b: float) -> float:
        return max(a, b)

    def mul(self, a: float, b: float) -> float:
        return min(a, b)

    def negate(self, a: float) -> float:
        return 1.0 - a

    def sql_add(self, values: exp.Expression) -> exp.Expression:
        return exp.Max(this=values)

    def sql_mul(self, factors) -> exp.Expression:
        return exp.func("LEAST", *factors) if len(factors) > 1 else factors[0]

    def sql_negate(self, value: exp.Expression) -> exp.Expression:
        return exp.Paren(this=exp.Sub(this=exp.Literal.number(1.0), expression=value))


def probabilities(model) -> dict[str, dict[tuple, float]]:
    """Every relation of an engine's model as tuple -> probability."""
    out = {}
    for rel in model.relations:
        arity = len(model.plan.types[rel])
        frame = model.query(rel)
        out[rel] = {tuple(_plain(v) for v in row[:arity]): float(row[-1]) for row in frame.itertuples(index=False, name=None)}
    return out


def relations(model) -> dict[str, set[tuple]]:
    """The tuples of every relation of an engine's :class:`~neurosym.logic.Model`, as plain Python sets."""
    out = {}
    for rel in model.relations:
        frame = model.query(rel)
        arity = len(model.plan.types[rel])
        out[rel] = {tuple(_plain(v) for v in row)[:arity] for row in frame.itertuples(index=False, name=None)}
        if arity == 0:
            out[rel] = {()} if len(frame) else set()
    return out


def _plain(v):
    return v.item() if hasattr(v, "item") else v


# -- values -------------------------------------------------------------------
def _cast_row(row, types) -> tuple:
    return tuple(_cast(v, t) for v, t in zip(row, types))


def _cast(v, t):
    if t == "float":
        return float(v)
    if t == "number":
        return int(Decimal(v).to_integral_value(ROUND_HALF_UP)) if isinstance(v, float) else int(v)
    return v


def _value(term, env):
    if isinstance(term, Const):
        return term.value
    if isinstance(term, Var):
        return env[term.name]
    if isinstance(term, BinOp):
        a, b = _value(term.left, env), _value(term.right, env)
        if a is None or b is None:
            return None
        if term.op == "/":  # undefined (None) when not finite: no tuple is derived from it
            a, b = float(a), float(b)
            return a / b if b and math.isfinite(a / b) else None
        if isinstance(a, float) or isinstance(b, float):
            a, b = float(a), float(b)
        return a + b if term.op == "+" else a - b if term.op == "-" else a * b
    args = [_value(a, env) for a in term.args]
    return None if None in args else _function(term, args)


_EPOCH = datetime.date(1970, 1, 1)


def _day(n: int) -> datetime.date:
    return _EPOCH + datetime.timedelta(days=n)


def _add_months(n: int, months: int) -> int:
    d = _day(n)
    year, month = divmod(d.year * 12 + d.month - 1 + months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return (datetime.date(year, month + 1, min(d.day, last)) - _EPOCH).days


def _age(born: datetime.date, on: datetime.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


_DATES = {
    "year": lambda n: _day(n).year, "month": lambda n: _day(n).month, "day_of_month": lambda n: _day(n).day,
    "day_of_week": lambda n: _day(n).isoweekday(), "week_start": lambda n: n - _day(n).weekday(),
    "date": lambda s: (datetime.date.fromisoformat(s) - _EPOCH).days,
    "add_months": _add_months, "add_years": lambda n, k: _add_months(n, 12 * k),
    "years_between": lambda a, b: _age(_day(a), _day(b)) if b >= a else -_age(_day(b), _day(a)),
}


def _function(call: Call, args):
    f = call.func
    if f in _DATES:
        return _DATES[f](*args)
    if f in ("min", "max"):
        best = min(args) if f == "min" else max(args)
        return float(best) if any(isinstance(a, float) for a in args) else best
    x = [float(a) for a in args]
    if f == "floor":
        return int(Decimal(x[0]).to_integral_value(ROUND_FLOOR))
    if f == "ceil":
        return -int(Decimal(-x[0]).to_integral_value(ROUND_FLOOR))
    if f == "round":
        return int(Decimal(x[0]).to_integral_value(ROUND_HALF_UP))  # Decimal(float) is exact: half away from zero
    if f == "abs":
        return abs(x[0])
    try:
        value = {"pow": lambda: math.pow(x[0], x[1]), "exp": lambda: math.exp(x[0]),
                 "log": lambda: math.log(x[0]), "sqrt": lambda: math.sqrt(x[0])}[f]()
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) else None


def _test(op, a, b) -> bool:
    if a is None or b is None:
        return False
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


# -- bodies -------------------------------------------------------------------
def _vars(lit) -> set[str]:
    if isinstance(lit, Atom):
        return {v.name for v in lit.vars()}
    if isinstance(lit, Negation):
        return _vars(lit.atom)
    if isinstance(lit, Comparison):
        return {v.name for v in term_vars(lit.left) + term_vars(lit.right)}
    agg = lit.aggregate
    inner = set().union(*(_vars(x) for x in agg.body))
    return {lit.var.name} | inner | ({v.name for v in term_vars(agg.expr)} if agg.expr is not None else set())


def _solve(literals, env: dict, db) -> list[dict]:
    """All bindings of a body (extending ``env``); one per matching combination of tuples."""
    atoms = [lit for lit in literals if isinstance(lit, Atom)]
    out = []
    for rows in product(*(sorted(db[a.rel], key=repr) for a in atoms)):
        e = _unify(atoms, rows, dict(env))
        if e is not None:
            e = _rest(literals, e, set(env), db)
            if e is not None:
                out.append(e)
    return out


def _unify(atoms, rows, env):
    for atom, row in zip(atoms, rows):
        for arg, v in zip(atom.args, row):
            if isinstance(arg, Const):
                if arg.value != v:
                    return None
            elif arg.name in env:
                if env[arg.name] != v:
                    return None
            else:
                env[arg.name] = v
    return env


def _rest(literals, env, outer, db, negations: bool = True):
    """Assignments and aggregates to a fixpoint, then tests (negations too if ``negations``); ``None`` when the binding fails."""
    pending = [lit for lit in literals if not isinstance(lit, Atom)]
    progress = True
    while progress:
        progress = False
        for lit in list(pending):
            if isinstance(lit, Assignment):
                others = set(outer).union(*(_vars(o) for o in literals if o is not lit))
                fixed = (_vars(lit) - {lit.var.name}) & others
                if all(v in env for v in fixed):
                    value = _aggregate(lit.aggregate, {v: env[v] for v in fixed}, db)
                    if value is None:
                        return None
                    if lit.var.name in env:
                        if abs(float(env[lit.var.name]) - float(value)) > 1e-9:
                            return None
                    else:
                        env[lit.var.name] = value
                    pending.remove(lit)
                    progress = True
            elif isinstance(lit, Comparison) and lit.op == "=":
                for target, source in ((lit.left, lit.right), (lit.right, lit.left)):
                    if isinstance(target, Var) and target.name not in env and all(v.name in env for v in term_vars(source)):
                        env[target.name] = _value(source, env)
                        if env[target.name] is None:
                            return None
                        pending.remove(lit)
                        progress = True
                        break
    for lit in pending:
        if isinstance(lit, Comparison) and not _test(lit.op, _value(lit.left, env), _value(lit.right, env)):
            return None
        if negations and isinstance(lit, Negation) and _solve([lit.atom], env, db):
            return None
    return env


def _aggregate(agg: Aggregate, env: dict, db):
    rows = _solve(list(agg.body), env, db)
    if agg.func == "count":
        return len(rows)
    values = [_value(agg.expr, e) for e in rows]
    if agg.func == "sum":
        return sum(values) if values else 0
    if not values:
        return None
    if agg.func == "mean":
        return sum(values) / len(values)
    return min(values) if agg.func == "min" else max(values)
