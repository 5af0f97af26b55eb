"""The pyDatalog engine: the design-card dependency, used for small programs and cross-checks.

Rules are handed to pyDatalog's resolution engine (:mod:`pyDatalog.pyEngine`)
as objects built from the syntax tree: ``pyEngine.Literal``,
``pyEngine.Clause``, ``pyEngine.Var``, ``pyEngine.Const``, ``pyEngine.Operation``
and ``pyEngine.assert_``/``retract``; answers come from ``Literal.ask()``.
No rule text ever reaches pyDatalog (``pyDatalog.load`` executes Python, so it
is never called) and constants stay plain Python values.

What runs where
---------------
* **pyDatalog**: joins, constants, recursion (tabled SLG resolution), stratified
  negation (``~rel`` literals) and the evaluation order of every body.  Each
  stratum of ``plan.strata`` is asserted as clauses, every relation of the
  stratum is queried, then the clauses are retracted and the answers asserted
  as facts for the strata above.
* **Python, called by pyDatalog**: arithmetic, built-in functions and
  comparisons are ``Operation`` terms whose operator calls a function of this
  module, so numbers follow the native engine exactly (DuckDB semantics:
  ``/`` is float division, ``x / 0`` is ``inf``/``nan``, ``floor``/``ceil``/``round``
  return integers, ``round`` is half away from zero, NaN equals NaN and sorts
  above every number, integers overflow at 64 bits).  A value that cannot be
  computed (integer overflow, ``floor(inf)``) makes its comparison fail; if it
  reaches a rule head, evaluation stops with :class:`~neurosym.EvaluationError`
  like the native engine.
* **Python, between strata**: aggregate bodies (``count``, ``sum``, ``min``,
  ``max``, ``mean``) only read relations of lower strata, which are complete
  when the aggregate's stratum starts.  pyDatalog's ``len_``/``sum_`` aggregate
  *functions* cannot express correlated aggregates (variables bound outside
  the aggregate fixed per outer binding, ``count``/``sum`` of nothing = 0), so
  an aggregate is an ``Operation`` whose Python function evaluates its body by
  indexed nested loops over those finished relations (memoised per outer
  binding).

Floats are kept exact: ``pyEngine.Float_Precision`` (8 significant digits by
default) is set to ``None`` during a run and restored afterwards.  Each run uses
a fresh pyDatalog knowledge base in the calling thread (pyDatalog keeps one
per thread) and puts back whatever the thread had before, so programs never
see each other's facts or rules; relation names are prefixed (``nsr_``) so
they cannot collide with pyDatalog's own predicates.  Runs are serialised by a
lock because ``Float_Precision`` is global.

pyDatalog cannot be interrupted from outside: the ``timeout`` is checked
between strata and relations, and inside every expression, aggregate and (when
a timeout is set) once per binding of each rule's first atom.

Examples
--------
>>> from neurosym.logic import Program
>>> prog = Program.from_text("path(X, Y) :- edge(X, Y). path(X, Z) :- edge(X, Y), path(Y, Z).")
>>> prog.evaluate({"edge": [(1, 2), (2, 3)]}, engine="pydatalog").query("path").values.tolist()
[[1, 2], [1, 3], [2, 3]]
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from neurosym._errors import EvaluationError
from neurosym.logic._ast import Aggregate, Assignment, Atom, BinOp, Comparison, Const, Literal, Negation, Rule, Term, Var, term_vars
from neurosym.logic._checks import range_assignment
from neurosym.logic._dates import DATE_FUNCTIONS
from neurosym.logic._engine import Limits, Plan
from neurosym.logic._inputs import InputRelation
from neurosym.logic._store import ResultStore, arrow_type, relation_schema

__all__ = ["PyDatalogEngine"]

_PREFIX = "nsr_"
_LOCK = threading.RLock()
_INT64 = (-(2**63), 2**63 - 1)
_NAN = float("nan")  # one NaN object: pyDatalog's fact tables then see NaN == NaN, like DuckDB


# ---------------------------------------------------------------------------
# values and built-ins (DuckDB semantics)
# ---------------------------------------------------------------------------
class _Failed:
    """A value that could not be computed; comparisons with it fail, a head holding it is an error."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"<failed: {self.message}>"


class _Undefined(_Failed):
    """An undefined value (``1 / 0``, ``log(-1)``): comparisons with it fail and no tuple is derived from it."""


_UNDEFINED = _Undefined("undefined arithmetic (division by zero, log or sqrt out of domain, non-finite result)")


def _is_defined(value: object) -> bool:
    """False for an undefined value (no tuple is derived); other failures go on to the head, where they are errors."""
    return value is not _UNDEFINED


class _Abort(BaseException):
    """Raised inside pyDatalog to stop it (a BaseException, which pyDatalog does not swallow)."""


class _Fn:
    """A named Python function used as a pyDatalog operator (stable identity, readable repr)."""

    def __init__(self, name: str, func: Callable[..., object], deadline: Callable[[], None] | None = None) -> None:
        self.name = name
        self.func = func
        self.deadline = deadline

    def __call__(self, *args: object) -> object:
        if self.deadline is not None:
            self.deadline()
        for a in args:
            if isinstance(a, _Failed):
                return a
        return self.func(*args)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _canon(value: object) -> object:
    return _NAN if isinstance(value, float) and value != value else value


def _check_int(value: int, what: str) -> object:
    return value if _INT64[0] <= value <= _INT64[1] else _Failed(f"integer overflow in {what} ({value})")


def _arith(op: str) -> Callable[[object, object], object]:
    def apply(a, b):
        if isinstance(a, int) and isinstance(b, int):
            return _check_int({"+": a + b, "-": a - b, "*": a * b}[op], f"'{op}'")
        a, b = float(a), float(b)
        return _canon(a + b if op == "+" else a - b if op == "-" else a * b)
    return apply


def _finite(value: float) -> object:
    """A float result, or :data:`_UNDEFINED` when it is infinite or NaN (``1 / 0``, ``log(-1)``)."""
    return value if math.isfinite(value) else _UNDEFINED


def _div(a: object, b: object) -> object:
    a, b = float(a), float(b)  # type: ignore[arg-type]
    return _UNDEFINED if b == 0 else _finite(a / b)


def _pow(a: object, b: object) -> object:
    try:
        return _finite(math.pow(float(a), float(b)))  # type: ignore[arg-type]
    except (OverflowError, ValueError, ZeroDivisionError):
        return _UNDEFINED


def _exp(a: object) -> object:
    try:
        return _finite(math.exp(float(a)))  # type: ignore[arg-type]
    except OverflowError:
        return _UNDEFINED


def _log(a: object) -> object:
    a = float(a)  # type: ignore[arg-type]
    return math.log(a) if a > 0 and math.isfinite(a) else _UNDEFINED


def _sqrt(a: object) -> object:
    a = float(a)  # type: ignore[arg-type]
    return math.sqrt(a) if a >= 0 and math.isfinite(a) else _UNDEFINED


def _mod(a: object, b: object) -> object:
    """The remainder with the dividend's sign (C, Soufflé, DuckDB); ``x % 0`` is undefined."""
    if isinstance(a, int) and isinstance(b, int):
        return _UNDEFINED if b == 0 else int(math.copysign(abs(a) % abs(b), a))
    return _UNDEFINED if float(b) == 0 else _finite(math.fmod(float(a), float(b)))  # type: ignore[arg-type]


def _shift(left: bool) -> Callable[[object, object], object]:
    """``a bshl b`` / ``a bshr b`` on 64-bit integers: overflow and negative shifts are errors, as in DuckDB."""
    def apply(a, b):
        if b < 0:
            return _Failed(f"shift by a negative number ({b})")
        return _check_int(a << b, "'bshl'") if left else a >> b
    return apply


#: Soufflé's integer operators (``lnot``/``bnot`` take one argument); a logical one gives 1 or 0.
_INTEGER_OPS: dict[str, Callable[..., object]] = {
    "band": lambda a, b: a & b, "bor": lambda a, b: a | b, "bxor": lambda a, b: a ^ b,
    "bshl": _shift(True), "bshr": _shift(False),
    "land": lambda a, b: int(bool(a) and bool(b)), "lor": lambda a, b: int(bool(a) or bool(b)),
    "lxor": lambda a, b: int(bool(a) != bool(b)), "bnot": lambda a: ~a, "lnot": lambda a: int(not a),
}


def _power(a: object, b: object) -> object:
    """Soufflé's ``a ^ b``: a float power (like ``pow``), undefined when not finite."""
    return _pow(a, b)


def _substr(text: str, start: int, length: int) -> object:
    """``length`` characters of ``text`` from position ``start`` (from 0); undefined out of range."""
    return text[start:start + length] if 0 <= start <= len(text) and length >= 0 else _UNDEFINED


def _to_number(text: object) -> object:
    """Decimal, or ``0x`` hexadecimal / ``0b`` binary with an optional ``-`` (Soufflé's); undefined otherwise.  A float
    is truncated toward zero (undefined beyond 64 bits, as DuckDB's TRY_CAST); an integer is itself."""
    if isinstance(text, float):
        return int(text) if math.isfinite(text) and -2**63 <= int(text) < 2**63 else _UNDEFINED
    if isinstance(text, int):
        return text
    text = text.strip()
    prefixed = text.lstrip("-")[:2].lower() in ("0x", "0b") and text.count("-") <= 1
    try:
        return _check_int(int(text, 0) if prefixed else int(text), "to_number()")
    except ValueError:
        return _UNDEFINED


def _to_string(value: object) -> str:
    """A number as DuckDB's CAST to VARCHAR writes it."""
    return repr(float(value)) if isinstance(value, float) else str(value)


def _to_int(x: float, what: str) -> object:
    if x != x or x in (math.inf, -math.inf):
        return _Failed(f"{what}: {x} cannot be converted to an integer")
    return _check_int(int(x), what)


def _round_half_away(x: float) -> float:
    if not math.isfinite(x):
        return x
    r = math.floor(abs(x))
    if abs(x) - r >= 0.5:
        r += 1
    return float(r) if x >= 0 else -float(r)


def _rounding(name: str) -> Callable[[object], object]:
    op = {"floor": math.floor, "ceil": math.ceil, "round": _round_half_away}[name]

    def apply(a):
        x = float(a)
        return _to_int(x, name) if x != x or x in (math.inf, -math.inf) else _to_int(float(op(x)), name)
    return apply


def _order_key(value: object) -> tuple:
    """DuckDB order: NaN above every number and equal to itself; integers compared as doubles with floats."""
    if isinstance(value, str):
        return (2, value)
    value = float(value)  # type: ignore[arg-type]
    return (1, 0.0) if value != value else (0, value)


def _extreme(name: str) -> Callable[..., object]:
    pick = min if name == "min" else max

    def apply(*args):
        best = pick(args, key=lambda v: _order_key(v) if any(isinstance(a, float) for a in args) else v)
        return float(best) if any(isinstance(a, float) for a in args) else best
    return apply


def _dated(name: str, func: Callable[..., int]) -> Callable[..., object]:
    """A date built-in; a string that is no ISO date gives a value that cannot be computed."""
    def apply(*args):
        try:
            return _check_int(func(*args), f"{name}()")
        except ValueError as err:
            return _Failed(f"{name}(): {err}")
    return apply


def compare(op: str, a: object, b: object) -> object:
    """``a op b`` as DuckDB compares (ints and floats as doubles, NaN largest and equal to itself).

    >>> compare("<", 1, 1.5), compare("=", float("nan"), float("nan")), compare("<", "b", "a"), compare("contains", "b", "abc")
    (True, True, False, True)
    """
    if isinstance(a, _Failed) or isinstance(b, _Failed):
        return False
    if isinstance(a, str) != isinstance(b, str):
        return False
    if isinstance(a, float) or isinstance(b, float):
        a, b = _order_key(a), _order_key(b)
    if op in ("contains", "!contains"):  # Soufflé's contains(part, text)
        return (a in b) == (op == "contains")  # type: ignore[operator]
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]  # type: ignore[operator]


_FUNCS: dict[str, Callable[..., object]] = {
    "+": _arith("+"), "-": _arith("-"), "*": _arith("*"), "/": _div, "%": _mod, "^": _power,
    "ord": lambda a: a, "cat": lambda *a: "".join(a), "strlen": len, "substr": _substr, "to_number": _to_number, "to_string": _to_string,
    **_INTEGER_OPS, "to_float": lambda a: float(a), "to_unsigned": lambda a: _to_int(float(a), "to_unsigned") if isinstance(a, float) else a,
    "abs": lambda a: abs(float(a)), "pow": _pow, "exp": _exp, "log": _log, "sqrt": _sqrt,
    "floor": _rounding("floor"), "ceil": _rounding("ceil"), "round": _rounding("round"),
    "min": _extreme("min"), "max": _extreme("max"),
    **{name: _dated(name, f) for name, f in DATE_FUNCTIONS.items()},
}


def cast_value(value: object, type_name: str) -> object:
    """Convert a computed value to a column type the way DuckDB's CAST does.

    >>> cast_value(2.5, "number"), cast_value(-2.5, "number"), cast_value(3, "float")
    (3, -3, 3.0)
    """
    if isinstance(value, _Failed):
        raise EvaluationError(f"a derived value could not be computed: {value.message}")
    if type_name == "float":
        return _canon(float(value))  # type: ignore[arg-type]
    if type_name == "number":
        if isinstance(value, float):
            result = _to_int(_round_half_away(value), "conversion to an integer column")
            if isinstance(result, _Failed):
                raise EvaluationError(f"a derived value could not be computed: {result.message}")
            return result
        checked = _check_int(int(value), "integer column")  # type: ignore[call-overload]
        if isinstance(checked, _Failed):
            raise EvaluationError(f"a derived value could not be computed: {checked.message}")
        return checked
    return value


def evaluate_term(term: Term, env: dict[str, object]) -> object:
    """Value of a term under variable bindings ``env``.

    >>> from neurosym.logic._ast import BinOp, Const, Var
    >>> evaluate_term(BinOp("+", Var("X"), Const(0.2)), {"X": 0.1})
    0.30000000000000004
    """
    if isinstance(term, Const):
        return term.value
    if isinstance(term, Var):
        return env[term.name]
    if isinstance(term, BinOp):
        return _call(_FUNCS[term.op], [evaluate_term(term.left, env), evaluate_term(term.right, env)])
    return _call(_FUNCS[term.func], [evaluate_term(a, env) for a in term.args])


def _call(func: Callable[..., object], args: list[object]) -> object:
    for a in args:
        if isinstance(a, _Failed):
            return a
    return func(*args)


# ---------------------------------------------------------------------------
# body scheduling: which literal binds what, and in which order
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Step:
    """One body literal in evaluation order: atom, assign, compare, negate or aggregate."""

    kind: str
    literal: Literal
    target: str | None = None
    source: Term | None = None
    needs: tuple[str, ...] = ()
    check: bool = False


def _literal_vars(lit: Literal) -> set[str]:
    if isinstance(lit, Atom):
        return {v.name for v in lit.vars()}
    if isinstance(lit, Negation):
        return {v.name for v in lit.atom.vars()}
    if isinstance(lit, Comparison):
        return {v.name for v in term_vars(lit.left) + term_vars(lit.right)}
    return {lit.var.name} | _aggregate_vars(lit.aggregate)


def _aggregate_vars(agg: Aggregate) -> set[str]:
    inner = set().union(*(_literal_vars(lit) for lit in agg.body))
    return inner | ({v.name for v in term_vars(agg.expr)} if agg.expr is not None else set())


def correlated(lit: Assignment, literals: Iterable[Literal], outer: Iterable[str]) -> tuple[str, ...]:
    """Variables of an aggregate fixed by the enclosing body: used elsewhere in it or bound outside it."""
    others = set(outer).union(*(_literal_vars(o) for o in literals if o is not lit))
    return tuple(sorted(_aggregate_vars(lit.aggregate) & others))


def schedule(literals: list[Literal], outer: Iterable[str] = (), first: Iterable[str] = ()) -> list[_Step]:
    """Order a body for left-to-right evaluation, classifying ``V = expr`` as assignment or test.

    Classification follows the native compiler: variables of positive atoms are
    bound first; then, repeatedly, ``V = expr`` with ``V`` unbound and ``expr``
    bound is an assignment and an aggregate whose correlated variables are bound
    is computed.  Atoms of relations in ``first`` come first, then the other
    atoms as written; filters are placed as early as their variables allow.
    """
    outer = set(outer)
    bound = outer | {v.name for lit in literals if isinstance(lit, Atom) for v in lit.vars()}
    pending = [lit for lit in literals if not isinstance(lit, Atom)]
    steps: list[_Step] = []
    progress = True
    while progress:
        progress = False
        for lit in list(pending):
            step = _classify(lit, literals, outer, bound)
            if step is not None:
                steps.append(step)
                bound.add(step.target)  # type: ignore[arg-type]
                pending.remove(lit)
                progress = True
    for lit in pending:
        if isinstance(lit, Assignment):
            raise EvaluationError(f"aggregate '{lit}' uses variables that nothing outside it binds")
        kind = "compare" if isinstance(lit, Comparison) else "negate"
        needs = {v.name for v in (lit.atom.vars() if isinstance(lit, Negation) else term_vars(lit.left) + term_vars(lit.right))
                 if not v.anonymous}
        steps.append(_Step(kind, lit, needs=tuple(sorted(needs))))
    atoms = [lit for lit in literals if isinstance(lit, Atom)]
    first = set(first)
    atoms = [a for a in atoms if a.rel in first] + [a for a in atoms if a.rel not in first]
    return _order(atoms, steps, outer)


def _classify(lit: Literal, literals: list[Literal], outer: set[str], bound: set[str]) -> _Step | None:
    if isinstance(lit, Assignment):
        needs = correlated(lit, literals, outer)
        if all(v in bound for v in needs):
            return _Step("aggregate", lit, lit.var.name, needs=needs, check=lit.var.name in bound)
    elif isinstance(lit, Comparison) and lit.op == "=":
        for target, source in ((lit.left, lit.right), (lit.right, lit.left)):
            if isinstance(target, Var) and target.name not in bound and all(v.name in bound for v in term_vars(source)):
                return _Step("assign", lit, target.name, source, tuple(sorted({v.name for v in term_vars(source)})))
    return None


def _order(atoms: list[Atom], steps: list[_Step], outer: set[str]) -> list[_Step]:
    """Positive atoms in the given order, each other step right after its variables are bound."""
    bound = set(outer)
    out: list[_Step] = []
    waiting = list(steps)

    def flush() -> None:
        moved = True
        while moved:
            moved = False
            for step in list(waiting):
                if all(v in bound for v in step.needs) and (not step.check or step.target in bound):
                    out.append(step)
                    waiting.remove(step)
                    if step.target:
                        bound.add(step.target)
                    moved = True
                    break

    flush()
    for atom in atoms:
        out.append(_Step("atom", atom))
        bound.update(v.name for v in atom.vars())
        flush()
    if waiting:  # pragma: no cover - schedule() only produces steps whose variables get bound
        raise EvaluationError(f"cannot order the body literals {', '.join(str(s.literal) for s in waiting)}")
    return out


# ---------------------------------------------------------------------------
# aggregates: Python over finished (lower-stratum) relations
# ---------------------------------------------------------------------------
class _Solver:
    """Indexed nested-loop evaluation of aggregate bodies over complete relations."""

    def __init__(self, facts: dict[str, set[tuple]], deadline: Callable[[], None]) -> None:
        self.facts = facts
        self.deadline = deadline
        self._index: dict[tuple[str, tuple[int, ...]], dict[tuple, list[tuple]]] = {}
        self._plans: dict[tuple[int, frozenset[str]], list[_Step]] = {}
        self._memo: dict[tuple[int, tuple], object] = {}

    def lookup(self, rel: str, positions: tuple[int, ...], key: tuple) -> list[tuple]:
        index = self._index.get((rel, positions))
        if index is None:
            index = {}
            for row in self.facts.get(rel, ()):
                index.setdefault(tuple(row[i] for i in positions), []).append(row)
            self._index[(rel, positions)] = index
        return index.get(key, [])

    def solve(self, literals: tuple[Literal, ...], env: dict[str, object]) -> list[dict[str, object]]:
        plan_key = (id(literals), frozenset(env))
        steps = self._plans.get(plan_key)
        if steps is None:
            steps = self._plans[plan_key] = schedule(list(literals), env)
        envs = [env]
        for step in steps:
            self.deadline()
            envs = [out for e in envs for out in self.step(step, e)]
        return envs

    def step(self, step: _Step, env: dict[str, object]) -> Iterator[dict[str, object]]:
        lit = step.literal
        if step.kind == "atom":
            yield from self.match(lit, env)  # type: ignore[arg-type]
        elif step.kind == "negate":
            if not any(True for _ in self.match(lit.atom, env)):  # type: ignore[union-attr]
                yield env
        elif step.kind == "compare":
            if compare(lit.op, evaluate_term(lit.left, env), evaluate_term(lit.right, env)) is True:  # type: ignore[union-attr]
                yield env
        elif step.kind == "assign":
            yield {**env, step.target: evaluate_term(step.source, env)}  # type: ignore[arg-type, dict-item]
        else:
            value = self.aggregate(lit.aggregate, {v: env[v] for v in step.needs})  # type: ignore[union-attr]
            if step.check:
                if aggregate_equal(env[step.target], value):  # type: ignore[index]
                    yield env
            elif value is not _EMPTY:
                yield {**env, step.target: value}  # type: ignore[dict-item]

    def match(self, atom: Atom, env: dict[str, object]) -> Iterator[dict[str, object]]:
        positions, key = [], []
        for i, arg in enumerate(atom.args):
            if isinstance(arg, Const):
                positions.append(i)
                key.append(arg.value)
            elif arg.name in env:  # type: ignore[union-attr]
                positions.append(i)
                key.append(env[arg.name])  # type: ignore[union-attr]
        for row in self.lookup(atom.rel, tuple(positions), tuple(key)):
            out = dict(env)
            if all(_same(out.setdefault(arg.name, v), v) for arg, v in zip(atom.args, row) if isinstance(arg, Var)):
                yield out

    def aggregate(self, agg: Aggregate, env: dict[str, object]) -> object:
        key = (id(agg), tuple(sorted(env.items(), key=lambda kv: kv[0])))
        if key not in self._memo:
            rows = self.solve(agg.body, env)
            values = [] if agg.func == "count" else [evaluate_term(agg.expr, e) for e in rows]  # type: ignore[arg-type]
            self._memo[key] = len(rows) if agg.func == "count" else fold(agg.func, values)
        return self._memo[key]


def _same(a: object, b: object) -> bool:
    return a is b or a == b


class _Empty:
    def __repr__(self) -> str:
        return "<no value>"


_EMPTY = _Empty()


def fold(func: str, values: list[object]) -> object:
    """Aggregate ``values``: sum of nothing is 0, min/max/mean of nothing is no value.

    >>> fold("sum", []), fold("mean", [1, 2]), fold("max", [1.0, float("nan")])
    (0, 1.5, nan)
    """
    if any(isinstance(v, _Failed) for v in values):
        return next(v for v in values if isinstance(v, _Failed))
    if func == "sum":
        return _canon(sum(values)) if values else 0  # type: ignore[arg-type]
    if not values:
        return _EMPTY
    if func == "mean":
        return _canon(sum(values) / len(values))  # type: ignore[arg-type, operator]
    if any(isinstance(v, float) for v in values):
        return float(min(values, key=_order_key) if func == "min" else max(values, key=_order_key))  # type: ignore[arg-type]
    return min(values) if func == "min" else max(values)  # type: ignore[type-var]


def aggregate_equal(bound: object, value: object) -> bool:
    """The native engine's test for ``V = agg`` when ``V`` is already bound: within 1e-9."""
    if value is _EMPTY or isinstance(value, _Failed) or isinstance(bound, _Failed):
        return False
    if isinstance(bound, str) or isinstance(value, str):
        return bound == value
    return abs(float(bound) - float(value)) <= 1e-9  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# translation to pyDatalog objects
# ---------------------------------------------------------------------------
def _pred(rel: str) -> str:
    return _PREFIX + rel


class _Translator:
    """Builds ``pyEngine`` clauses for rules; aggregates call back into a :class:`_Solver`."""

    def __init__(self, engine, plan: Plan, solver: _Solver, deadline: Callable[[], None], ticks: bool) -> None:
        self.E = engine
        self.plan = plan
        self.solver = solver
        self.ticks = ticks
        self.fns = {name: _Fn(name, f, deadline) for name, f in _FUNCS.items()}
        self.compare = {op: _Fn(f"compare{op}", (lambda op: lambda a, b: compare(op, a, b))(op), deadline)
                        for op in ("=", "!=", "<", "<=", ">", ">=", "contains", "!contains")}
        self.present = _Fn("has_value", lambda v: v is not _EMPTY)
        self.defined = _is_defined
        self.tick = _Fn("tick", lambda *a: True, deadline)
        self.to_float = _Fn("to_float", lambda v: _canon(float(v)))
        self.fresh = 0

    def op(self, fn: _Fn, args: list) -> object:
        if all(isinstance(a, self.E.Const) for a in args):  # pyDatalog only evaluates operations it substitutes into
            return self.E.Const(fn(*(a.id for a in args)))
        return self.E.Operation(self.E.Const(fn), "(", self.E.VarTuple(args))

    def term(self, term: Term):
        E = self.E
        if isinstance(term, Const):
            return E.Const(term.value)
        if isinstance(term, Var):
            return E.Var(term.name)
        if isinstance(term, BinOp):
            return self.op(self.fns[term.op], [self.term(term.left), self.term(term.right)])
        return self.op(self.fns[term.func], [self.term(a) for a in term.args])  # type: ignore[union-attr]

    def test(self, fn: _Fn, args: list):
        return self.E.Literal("==", [self.op(fn, args), self.E.Const(True)])

    def clause(self, rule: Rule, stratum: set[str]):
        E = self.E
        body: list = []
        bound: set[str] = set()
        for k, step in enumerate(schedule(list(rule.body), first=stratum)):
            if step.kind == "atom" and step.literal.rel in stratum:  # type: ignore[union-attr]
                body += self.general_atom(step.literal, bound)  # type: ignore[arg-type]
            else:
                body += self.literals(step)
            if self.ticks and k == 0 and step.kind == "atom":
                body.append(self.test(self.tick, [E.Var(v.name) for v in step.literal.vars()]))  # type: ignore[union-attr]
            bound |= _literal_vars(step.literal) if step.kind == "atom" else ({step.target} if step.target else set())
        head = []
        types = self.plan.types[rule.head.rel]
        for arg, type_name in zip(rule.head.args, types):
            if isinstance(arg, Const):
                head.append(E.Const(cast_value(arg.value, type_name)))
            elif isinstance(arg, Var) and type_name != "float":
                head.append(E.Var(arg.name))
            else:
                self.fresh += 1
                var = E.Var(f"head#{self.fresh}")
                value = self.term(arg) if type_name != "float" else self.op(self.to_float, [self.term(arg)])
                body.append(E.Literal("==", [var, value]))
                body.append(self.test(self.defined, [var]))
                head.append(var)
        return E.Clause(E.Literal(_pred(rule.head.rel), head), body)

    def general_atom(self, atom: Atom, bound: set[str]) -> list:
        """A same-stratum atom queried with fresh variables only, then matched by equality tests.

        pyDatalog 0.22.4 loops forever on some recursive subgoals with bound
        arguments (``path(X, Z) :- edge(X, Y), path(Y, Z).`` on a cycle); asking
        recursive relations only in their most general form avoids it.
        """
        E = self.E
        fresh = []
        after = []
        seen = set(bound)
        for arg in atom.args:
            self.fresh += 1
            var = E.Var(f"gen#{self.fresh}")
            fresh.append(var)
            if isinstance(arg, Var) and arg.name not in seen:
                after.append(E.Literal("==", [E.Var(arg.name), var]))
                seen.add(arg.name)
            else:
                after.append(self.test(self.compare["="], [self.term(arg), var]))
        return [E.Literal(_pred(atom.rel), fresh), *after]

    def literals(self, step: _Step) -> list:
        E = self.E
        lit = step.literal
        if step.kind == "atom":
            return [E.Literal(_pred(lit.rel), [self.term(a) for a in lit.args])]  # type: ignore[union-attr]
        if step.kind == "negate":
            return [E.Literal("~" + _pred(lit.atom.rel), [self.term(a) for a in lit.atom.args])]  # type: ignore[union-attr]
        if step.kind == "compare":
            return [self.test(self.compare[lit.op], [self.term(lit.left), self.term(lit.right)])]  # type: ignore[union-attr]
        if step.kind == "assign":
            return [E.Literal("==", [E.Var(step.target), self.term(step.source)]),  # type: ignore[arg-type]
                    self.test(self.defined, [E.Var(step.target)])]
        agg_fn = self.aggregate_fn(lit.aggregate, step.needs)  # type: ignore[union-attr]
        args = [E.Var(v) for v in step.needs]
        if step.check:
            check = _Fn("aggregate_equal", lambda bound, *vals: aggregate_equal(bound, agg_fn(*vals)))
            return [self.test(check, [E.Var(step.target), *args])]
        return [E.Literal("==", [E.Var(step.target), self.op(agg_fn, args)]), self.test(self.present, [E.Var(step.target)])]

    def aggregate_fn(self, agg: Aggregate, needs: tuple[str, ...]) -> _Fn:
        solver = self.solver
        return _Fn(f"aggregate {agg.func}", lambda *vals: solver.aggregate(agg, dict(zip(needs, vals))))


# ---------------------------------------------------------------------------
# the engine
# ---------------------------------------------------------------------------
@contextmanager
def _isolated_pydatalog():
    """A fresh knowledge base in this thread with exact floats; the previous state is put back."""
    from pyDatalog import pyEngine
    from pyDatalog.Logic import Logic

    with _LOCK:
        saved_logic = getattr(Logic.tl, "logic", None)
        saved_precision, saved_resolvers = pyEngine.Float_Precision, pyEngine.Python_resolvers
        pyEngine.Float_Precision = None
        pyEngine.Python_resolvers = {}
        Logic()  # new, empty logic for this thread
        try:
            yield pyEngine
        finally:
            if saved_logic is not None:
                Logic(saved_logic)
            else:
                Logic()
            pyEngine.Float_Precision, pyEngine.Python_resolvers = saved_precision, saved_resolvers


def _reject_unsupported(rules: Iterable[Rule]) -> None:
    """``match`` runs RE2 (DuckDB), which Python's ``re`` does not read alike, and the ``range`` generator has no
    pyDatalog form: this engine refuses both."""
    for rule in rules:
        pending = list(rule.body)
        while pending:
            lit = pending.pop()
            if isinstance(lit, Assignment):
                pending += lit.aggregate.body
            elif isinstance(lit, Comparison) and lit.op in ("match", "!match"):
                raise EvaluationError(f"{lit.span}: the pydatalog engine does not evaluate "
                                      f"match() (its regular expressions are RE2's, run by the native engine); use engine='native'")
            elif range_assignment(lit) is not None:
                raise EvaluationError(f"{lit.span}: the pydatalog engine does not evaluate the range() generator; "
                                      f"use engine='native'")


class PyDatalogEngine:
    """Evaluate a :class:`~neurosym.logic.Plan` with pyDatalog; the registered ``"pydatalog"`` engine.

    The result store holds the same tables as the native engine's (``c0..``,
    ``_h``, ``_r``, ``_p``, ``_s``).  Input facts have ``_h = 0, _r = -1``,
    facts written in the program ``_h = 0`` and their rule index, derived
    tuples ``_h`` and ``_r`` NULL (pyDatalog records no provenance) and
    ``_p = 1``.  Probabilities are not supported (no semiring): facts with a
    ``_prob`` column are an :class:`~neurosym.EvaluationError`.

    The ``timeout`` limit is checked between strata and relations and inside
    expressions (pyDatalog itself cannot be interrupted); ``max_iterations``
    and ``memory_limit`` do not apply (resolution has no rounds, nor a database).

    Examples
    --------
    >>> from neurosym.logic import Program
    >>> prog = Program.from_text("total(S) :- S = sum V : { amount(_, V) }.")
    >>> prog.evaluate({"amount": [("a", 0.1), ("b", 0.2)]}, engine="pydatalog").query("total").values.tolist()
    [[0.30000000000000004]]
    """

    name = "pydatalog"

    def run(self, plan: Plan, inputs: Mapping[str, InputRelation], limits: Limits = Limits()) -> ResultStore:
        """Evaluate and return the result store."""
        if plan.prob:
            raise EvaluationError("the pydatalog engine does not compute probabilities (the facts have a _prob column); "
                                  "use engine='native'")
        _reject_unsupported(plan.rules)
        start = time.perf_counter()
        given = {rel: _input_rows(plan, data) for rel, data in inputs.items()}
        program = _program_facts(plan, given)
        base = {rel: set(given.get(rel, ())) | set(program.get(rel, {})) for rel in plan.types}
        try:
            facts = self._evaluate(plan, base, self._deadline(start, limits.timeout))
        except _Abort as abort:
            raise EvaluationError(str(abort)) from None
        tables = {}
        for rel, types in plan.types.items():
            data = inputs.get(rel)
            parts = [_input_table(plan, rel, data)] if data is not None and len(data.frame) else []
            fresh = [(row, index) for row, index in program.get(rel, {}).items() if row not in given.get(rel, ())]
            parts.append(_table(types, data, [row for row, _ in fresh], 0, [index for _, index in fresh]))
            parts.append(_table(types, data, list(facts[rel] - base[rel]), None, None))
            tables[rel] = pa.concat_tables(parts)
        return ResultStore(tables, plan.types)

    @staticmethod
    def _deadline(start: float, timeout: float | None) -> Callable[[], None]:
        if timeout is None:
            return _no_deadline

        def check() -> None:
            if time.perf_counter() - start > timeout:
                raise _Abort(f"evaluation exceeded the time-out of {timeout} s (pydatalog engine)")
        return check

    def _evaluate(self, plan: Plan, base: dict[str, set[tuple]], deadline: Callable[[], None]) -> dict[str, set[tuple]]:
        facts = {rel: set(rows) for rel, rows in base.items()}
        with _isolated_pydatalog() as E:
            for rel, types in plan.types.items():
                E.insert(E.Pred(_pred(rel), len(types)))
                for row in facts[rel]:
                    E.assert_(E.Clause(E.Literal(_pred(rel), [E.Const(v) for v in row]), []))
            solver = _Solver(facts, deadline)
            translator = _Translator(E, plan, solver, deadline, ticks=deadline is not _no_deadline)
            for stratum in plan.strata:
                deadline()
                self._stratum(E, plan, stratum, translator, facts, deadline)
        return facts

    def _stratum(self, E, plan: Plan, stratum: list[str], translator: _Translator, facts: dict[str, set[tuple]],
                 deadline: Callable[[], None]) -> None:
        members = set(stratum)
        clauses = [translator.clause(rule, members) for rule in plan.rules if rule.head.rel in members and not rule.is_fact]
        for clause in clauses:
            E.assert_(clause)
        answers = {}
        for rel in stratum:
            deadline()
            types = plan.types[rel]
            found = E.Literal(_pred(rel), [E.Var(f"q#{i}") for i in range(len(types))]).ask()
            rows = [()] if found is True else (found or [])
            answers[rel] = {tuple(cast_value(v, t) for v, t in zip(row, types)) for row in rows}
        for clause in clauses:
            E.retract(clause)
        for rel, rows in answers.items():
            for row in rows - facts[rel]:
                E.assert_(E.Clause(E.Literal(_pred(rel), [E.Const(v) for v in row]), []))
            facts[rel] |= rows


def _no_deadline() -> None:
    """No time-out: nothing to check."""


def _input_rows(plan: Plan, data: InputRelation) -> set[tuple]:
    """The input's tuples as Python values of the relation's column types."""
    types = plan.types[data.name]
    if not types:
        return {()} if len(data.frame) else set()
    columns = [[cast_value(_canon(v), t) for v in data.frame[f"c{i}"].tolist()] for i, t in enumerate(types)]
    return set(zip(*columns))


def _program_facts(plan: Plan, given: Mapping[str, set[tuple]]) -> dict[str, dict[tuple, int]]:
    """Facts written in the program: relation -> tuple -> rule index (the first rule stating it)."""
    out: dict[str, dict[tuple, int]] = {}
    for index, rule in enumerate(plan.rules):
        if rule.is_fact:
            types = plan.types[rule.head.rel]
            values = [evaluate_term(arg, {}) for arg in rule.head.args]
            if any(v is _UNDEFINED for v in values):
                continue  # an undefined value (1 / 0) states no fact
            row = tuple(cast_value(v, t) for v, t in zip(values, types))
            out.setdefault(rule.head.rel, {}).setdefault(row, index)
    return out


def _input_table(plan: Plan, rel: str, data: InputRelation) -> pa.Table:
    """Input rows as stored by every engine: arguments, ``_h = 0``, ``_r = -1``, ``_p = 1`` and the source."""
    types = plan.types[rel]
    frame = data.frame if types else data.frame.iloc[:1]
    n = len(frame)
    columns = {f"c{i}": pa.array(frame[f"c{i}"], type=arrow_type(t), from_pandas=True) for i, t in enumerate(types)}
    schema = relation_schema(types, data.source_type)
    columns |= {"_h": pa.array(np.zeros(n, dtype="int32")), "_r": pa.array(np.full(n, -1, dtype="int32")),
                "_p": pa.array(np.ones(n)), "_s": pa.array(frame["_s"], type=schema.field("_s").type) if data.source_type
                else pa.nulls(n, schema.field("_s").type)}
    return pa.table(columns, schema=schema)


def _table(types: list[str], data: InputRelation | None, rows: list[tuple], height: int | None, rules: list[int] | None) -> pa.Table:
    """Tuples with one height for all (NULL for derived ones) and their rule indexes (NULL when unknown)."""
    schema = relation_schema(types, data.source_type if data is not None else None)
    n = len(rows)
    columns = {f"c{i}": pa.array([row[i] for row in rows], type=arrow_type(t)) for i, t in enumerate(types)}
    columns |= {"_h": pa.array([height] * n, type=pa.int32()), "_r": pa.array(rules if rules is not None else [None] * n, type=pa.int32()),
                "_p": pa.array(np.ones(n)), "_s": pa.nulls(n, schema.field("_s").type)}
    return pa.table(columns, schema=schema)
