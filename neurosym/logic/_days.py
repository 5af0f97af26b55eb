"""Which columns and variables hold epoch days, so that traces can show them as ISO dates.

Days are plain integers in the rule language (1970-01-01 = day 0).  A column
holds days when

* its name (from ``.decl`` or the input frame, see :meth:`Model.columns`) is
  ``day`` or ``date`` or ends in ``_day`` or ``_date`` (the facts schemas name
  every day column ``day``), or
* some rule puts a day-valued term in it (propagated to a fixpoint).

A variable of a rule is day-valued when it fills a day column of a body atom,
or is assigned a day-valued term: a day variable, ``add_months``,
``add_years``, ``week_start`` or ``date(...)``, a day plus or minus a number,
``min``/``max`` of days, or a ``min``/``max`` aggregate of a day.  A day minus
a day is a number of days; ``year(D)`` is a number.

Examples
--------
>>> from neurosym.logic import Program
>>> prog = Program.from_text('.decl seen(p: symbol, day: number) '
...                          'last(P, L) :- seen(P, _), L = max D : seen(P, D). due(P, add_months(L, 3)) :- last(P, L).')
>>> model = prog.evaluate({"seen": [("a", 19000)]})
>>> days = day_columns(model)
>>> days["seen"], days["last"], days["due"]
(frozenset({1}), frozenset({1}), frozenset({1}))
>>> as_date(19000)
datetime.date(2022, 1, 8)
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from neurosym.logic._ast import Assignment, Atom, BinOp, Call, Comparison, Rule, Term, Var

if TYPE_CHECKING:
    from neurosym.logic._model import Model

__all__ = ["as_date", "day_columns", "day_variables"]

_DAY_FUNCTIONS = ("add_months", "add_years", "week_start", "date")
_EPOCH = date(1970, 1, 1)


def day_columns(model: "Model") -> dict[str, frozenset[int]]:
    """Per relation, the positions of its day columns."""
    cols = {rel: {i for i, name in enumerate(model.columns(rel)) if _day_name(name)} for rel in model.plan.types}
    changed = True
    while changed:
        changed = False
        for rule in model.plan.rules:
            days = day_variables(rule, cols)
            for i, arg in enumerate(rule.head.args):
                if i not in cols[rule.head.rel] and _day_term(arg, days):
                    cols[rule.head.rel].add(i)
                    changed = True
    return {rel: frozenset(c) for rel, c in cols.items()}


def day_variables(rule: Rule, cols: dict[str, set[int]] | dict[str, frozenset[int]]) -> set[str]:
    """The names of the rule's day-valued variables."""
    days = {a.name for lit in rule.body if isinstance(lit, Atom)
            for i, a in enumerate(lit.args) if isinstance(a, Var) and i in cols.get(lit.rel, ())}
    changed = True
    while changed:
        changed = False
        for lit in rule.body:
            new: list[str] = []
            if isinstance(lit, Comparison) and lit.op == "=":
                for target, source in ((lit.left, lit.right), (lit.right, lit.left)):
                    if isinstance(target, Var) and target.name not in days and _day_term(source, days):
                        new.append(target.name)
            elif isinstance(lit, Assignment) and lit.var.name not in days and lit.aggregate.func in ("min", "max"):
                inner = {a.name for sub in lit.aggregate.body if isinstance(sub, Atom)
                         for i, a in enumerate(sub.args) if isinstance(a, Var) and i in cols.get(sub.rel, ())}
                if lit.aggregate.expr is not None and _day_term(lit.aggregate.expr, inner | days):
                    new.append(lit.var.name)
            days.update(new)
            changed |= bool(new)
    return days


def as_date(value: object) -> object:
    """An integer epoch day as a :class:`datetime.date` (other values unchanged)."""
    if isinstance(value, int) and not isinstance(value, bool) and -700_000 < value < 2_900_000:
        return _EPOCH + timedelta(days=value)
    return value


def _day_name(name: str) -> bool:
    name = name.lower()
    return name in ("day", "date") or name.endswith(("_day", "_date"))


def _day_term(term: Term, days: set[str]) -> bool:
    if isinstance(term, Var):
        return term.name in days
    if isinstance(term, Call):
        if term.func in _DAY_FUNCTIONS:
            return True
        return term.func in ("min", "max") and all(_day_term(a, days) for a in term.args)
    if isinstance(term, BinOp):
        left, right = _day_term(term.left, days), _day_term(term.right, days)
        return (term.op == "+" and left != right) or (term.op == "-" and left and not right)
    return False
