"""Column types of relations: ``symbol`` (string), ``number`` (integer) or ``float``.

Types come from ``.decl`` lines, input facts and constants, and flow through
rules to a fixpoint.  Mixing strings and numbers in one column, comparing a
string with a number or doing arithmetic on strings is an error located at
the offending term.

Examples
--------
>>> from neurosym.logic._parser import parse
>>> infer_types(parse("h(X, Y) :- e(X), Y = X / 2."), {"e": ["number"]})["h"]
['number', 'float']
"""

from __future__ import annotations

from collections.abc import Mapping

from neurosym._errors import RuleError
from neurosym.logic._checks import strata
from neurosym.logic._dates import SIGNATURES, parse_date
from neurosym.logic._ast import (PREDICATES, Aggregate, Assignment, Atom, BinOp, Call, Comparison, Const, Module, Negation, Rule,
                                  Term, Var)
from neurosym.logic._regex import check_pattern

__all__ = ["infer_types", "join_types", "value_type", "syntactic_type"]

_FLOAT_FUNCS = {"exp", "log", "sqrt", "pow", "to_float"}
_INT_FUNCS = {"floor", "ceil", "round", "to_unsigned"}
#: Operators and functions of integers only (Soufflé's bitwise and logical ones).
INTEGER_OPS = {"band", "bor", "bxor", "bshl", "bshr", "land", "lor", "lxor", "bnot", "lnot"}
#: Soufflé's string functors: argument kinds (the last repeats) and result type.
_STRING_FUNCS = {"cat": (("symbol",), "symbol"), "strlen": (("symbol",), "number"),
                 "substr": (("symbol", "number", "number"), "symbol"), "to_number": (("text or number",), "number"),
                 "to_string": (("any",), "symbol"), "match": (("symbol",), "number"), "contains": (("symbol",), "number")}


def syntactic_type(term: Term) -> str | None:
    """The type of a term when its form alone tells (a constant, most functions); ``None`` when a variable decides.

    >>> syntactic_type(Call("to_float", (Var("x"),))), syntactic_type(Call("cat", (Var("x"), Var("y")))), syntactic_type(Var("x"))
    ('float', 'symbol', None)
    """
    if isinstance(term, Const):
        return value_type(term.value)
    if isinstance(term, Call):
        if term.func in _FLOAT_FUNCS:
            return "float"
        if term.func in _INT_FUNCS or term.func in INTEGER_OPS or term.func in SIGNATURES:
            return "number"
        if term.func in _STRING_FUNCS and term.func not in ("match", "contains"):
            return _STRING_FUNCS[term.func][1]
        return None
    if isinstance(term, BinOp):
        if term.op in INTEGER_OPS:
            return "number"
        if term.op in ("/", "^"):
            return "float"
        sides = {syntactic_type(term.left), syntactic_type(term.right)}
        return "float" if "float" in sides else "number" if sides == {"number"} else None
    return None


def value_type(value: object) -> str:
    """Type of a Python constant."""
    if isinstance(value, str):
        return "symbol"
    if isinstance(value, float):
        return "float"
    return "number"


def join_types(a: str | None, b: str | None) -> str | None:
    """Least common type; ``None`` if unknown; raises ``TypeError`` for symbol vs number."""
    if a is None or a == b:
        return b
    if b is None:
        return a
    if "symbol" in (a, b):
        raise TypeError(f"mixes strings and numbers ({a} vs {b})")
    return "float"


class _Inference:
    def __init__(self, module: Module, types: dict[str, list[str | None]]) -> None:
        self.module = module
        self.types = types
        self.changed = False

    def error(self, rule: Rule, term: object, message: str) -> RuleError:
        span = getattr(term, "span", rule.span)
        lines = self.module.sources.get(rule.path, [])
        src = lines[span.line - 1] if 0 < span.line <= len(lines) else None
        return RuleError(f"type error: {message}", path=rule.path, line=span.line or None, col=span.col or None,
                         source_line=src, rule_id=rule.id)

    def column(self, rel: str, i: int, arity: int) -> str | None:
        cols = self.types.setdefault(rel, [None] * arity)
        return cols[i] if i < len(cols) else None

    def widen(self, rule: Rule, atom: Atom, i: int, new: str | None) -> None:
        cols = self.types.setdefault(atom.rel, [None] * atom.arity)
        try:
            joined = join_types(cols[i], new)
        except TypeError as err:
            raise self.error(rule, atom.args[i], f"column {i + 1} of {atom.rel} {err}") from None
        if joined != cols[i]:
            cols[i] = joined
            self.changed = True

    def term(self, rule: Rule, term: Term, env: dict[str, str | None]) -> str | None:
        if isinstance(term, Const):
            return value_type(term.value)
        if isinstance(term, Var):
            return env.get(term.name)
        if isinstance(term, BinOp):
            self.numeric(term.left, term.right, env=env)
            left, right = self.term(rule, term.left, env), self.term(rule, term.right, env)
            for side, t in ((term.left, left), (term.right, right)):
                if t == "symbol":
                    raise self.error(rule, side, f"arithmetic '{term.op}' on a string ({side})")
                if t == "float" and term.op in INTEGER_OPS:
                    raise self.error(rule, side, f"'{term.op}' takes integers, got a float ({side})")
            if term.op in INTEGER_OPS:
                return "number"
            if term.op == "/" or "float" in (left, right):
                return "float"
            return "number" if left and right else None
        if isinstance(term, Call):
            args = [self.term(rule, a, env) for a in term.args]
            if term.func == "ord":  # a number is its own ordinal; a symbol orders as itself (see _sql.compile_term)
                if args[0] == "float":
                    raise self.error(rule, term.args[0], f"ord() takes a symbol or an integer, got a float ({term.args[0]})")
                return args[0]
            if term.func in ("min", "max") and "symbol" in args:  # Soufflé's min/max of symbols: by their bytes
                for a, t in zip(term.args, args):
                    if t not in ("symbol", None):
                        raise self.error(rule, a, f"{term.func}() mixes strings and numbers ({a} is a {t})")
                    if isinstance(a, Var):
                        env[a.name] = "symbol"
                return "symbol"
            if term.func in SIGNATURES:
                return self.date_call(rule, term, args)
            if term.func in _STRING_FUNCS:
                return self.string_call(rule, term, args, env)
            self.numeric(*term.args, env=env)
            args = [self.term(rule, a, env) for a in term.args]
            for a, t in zip(term.args, args):
                if t == "symbol":
                    raise self.error(rule, a, f"{term.func}() of a string ({a})")
                if t == "float" and term.func in INTEGER_OPS:
                    raise self.error(rule, a, f"{term.func} takes an integer, got a float ({a})")
            if term.func in INTEGER_OPS:
                return "number"
            if term.func in _FLOAT_FUNCS:
                return "float"
            if term.func in _INT_FUNCS:
                return "number"
            return "float" if "float" in args else ("number" if all(args) else None)
        raise TypeError(term)

    def string_call(self, rule: Rule, term: Call, args: list[str | None], env: dict[str, str | None]) -> str:
        """A string functor: its arguments' kinds (``symbol``, ``number`` or ``any`` number) and its result."""
        wants, result = _STRING_FUNCS[term.func]
        for k, (a, t) in enumerate(zip(term.args, args)):
            want = wants[min(k, len(wants) - 1)]
            if isinstance(a, Var) and t is None:
                env[a.name] = "number" if want in ("number", "any") else "symbol"
            elif t is not None and want in ("symbol", "number") and (want == "symbol") != (t == "symbol"):
                kind = "a string" if want == "symbol" else "a number"
                raise self.error(rule, a, f"{term.func}() takes {kind} as argument {k + 1}, got a {t} ({a})")
        return result

    @staticmethod
    def numeric(*terms: Term, env: dict[str, str | None]) -> None:
        """A variable nothing typed yet (from an empty input) that takes part in arithmetic is a number."""
        for t in terms:
            if isinstance(t, Var) and env.get(t.name) is None:
                env[t.name] = "number"

    def date_call(self, rule: Rule, term: Call, args: list[str | None]) -> str:
        """A date built-in: epoch days are integers, ``date()`` reads a constant or symbol ``YYYY-MM-DD``."""
        for a, t, want in zip(term.args, args, SIGNATURES[term.func]):
            if want == "symbol":
                if t is not None and t != "symbol":
                    raise self.error(rule, a, f"{term.func}() takes an ISO date string \"YYYY-MM-DD\", got a {t} ({a})")
                if isinstance(a, Const):
                    try:
                        parse_date(str(a.value))
                    except ValueError as err:
                        raise self.error(rule, a, f"{term.func}(): {err}") from None
            elif t is not None and t != "number":
                kind = "a string" if t == "symbol" else "a float"
                raise self.error(rule, a, f"{term.func}() takes integers (epoch days, counts), got {kind} ({a})")
        return "number"

    def bind_atom(self, rule: Rule, atom: Atom, env: dict[str, str | None]) -> None:
        for i, arg in enumerate(atom.args):
            col = self.column(atom.rel, i, atom.arity)
            if isinstance(arg, Var):
                try:
                    env[arg.name] = join_types(env.get(arg.name), col)
                except TypeError as err:
                    raise self.error(rule, arg, f"variable {arg} {err}") from None
            elif isinstance(arg, Const) and col is not None:
                try:
                    join_types(col, value_type(arg.value))
                except TypeError:
                    raise self.error(rule, arg, f"constant {arg} does not match column {i + 1} of {atom.rel} ({col})") from None

    def body(self, rule: Rule, literals, env: dict[str, str | None]) -> None:
        for lit in literals:
            if isinstance(lit, Atom):
                self.bind_atom(rule, lit, env)
        for _ in range(len(literals) + 1):
            for lit in literals:
                if isinstance(lit, Comparison):
                    self.comparison(rule, lit, env)
                elif isinstance(lit, Assignment):
                    env[lit.var.name] = self.aggregate(rule, lit.aggregate, dict(env))
                elif isinstance(lit, Negation):
                    self.bind_atom(rule, lit.atom, dict(env))

    def comparison(self, rule: Rule, lit: Comparison, env: dict[str, str | None]) -> None:
        if lit.op in PREDICATES:  # match(pattern, text), contains(part, text): strings
            self.string_call(rule, Call(lit.op.lstrip("!"), (lit.left, lit.right), lit.span),
                             [self.term(rule, lit.left, env), self.term(rule, lit.right, env)], env)
            if lit.op.endswith("match") and isinstance(lit.left, Const):
                check_pattern(str(lit.left.value), lambda message: self.error(rule, lit.left, message))
            return
        left, right = self.term(rule, lit.left, env), self.term(rule, lit.right, env)
        for target, t in ((lit.left, right), (lit.right, left)):  # X < 18: X is a number (an untyped empty input)
            if isinstance(target, Var) and env.get(target.name) is None and t is not None:
                env[target.name] = t
        if left and right and "symbol" in (left, right) and left != right:
            raise self.error(rule, lit, f"'{lit}' compares a string with a number")

    def aggregate(self, rule: Rule, agg: Aggregate, env: dict[str, str | None]) -> str | None:
        self.body(rule, list(agg.body), env)
        if agg.func == "count":
            return "number"
        t = self.term(rule, agg.expr, env)
        if t == "symbol" and agg.func in ("sum", "mean"):
            raise self.error(rule, agg.expr, f"{agg.func} of strings")
        return "float" if agg.func == "mean" else t

    def untyped_columns(self, literals, env: dict[str, str | None]) -> None:
        """Columns nothing typed yet (an empty input) take the type of the variable or constant used there."""
        for lit in literals:
            atom = lit.atom if isinstance(lit, Negation) else lit if isinstance(lit, Atom) else None
            if isinstance(lit, Assignment):
                self.untyped_columns(lit.aggregate.body, env)
            if atom is None:
                continue
            cols = self.types.setdefault(atom.rel, [None] * atom.arity)
            for i, arg in enumerate(atom.args):
                t = env.get(arg.name) if isinstance(arg, Var) else value_type(arg.value) if isinstance(arg, Const) else None
                if i < len(cols) and cols[i] is None and t is not None:
                    cols[i] = t
                    self.changed = True

    def rule(self, rule: Rule) -> None:
        env: dict[str, str | None] = {}
        self.body(rule, list(rule.body), env)
        self.untyped_columns(rule.body, env)
        for i, arg in enumerate(rule.head.args):
            self.widen(rule, rule.head, i, self.term(rule, arg, env))


def infer_types(module: Module, base: Mapping[str, list[str | None]],
                order: list[list[str]] | None = None) -> dict[str, list[str]]:
    """Column types of every relation; unknown columns default to ``symbol``.

    ``order`` is the program's strata if the caller already has them.
    """
    types: dict[str, list[str | None]] = {rel: list(cols) for rel, cols in base.items()}
    for decl in module.decls:
        types[decl.rel] = [t for _, t in decl.columns]
    inference = _Inference(module, types)
    rank = {rel: k for k, stratum in enumerate(order if order is not None else strata(module)) for rel in stratum}
    rules = sorted(module.rules, key=lambda r: rank.get(r.head.rel, -1))  # dependencies first: few passes
    for _ in range(len(rules) + 2):
        inference.changed = False
        for rule in rules:
            inference.rule(rule)
        if not inference.changed:
            break
    return {rel: [t or "symbol" for t in cols] for rel, cols in types.items()}
