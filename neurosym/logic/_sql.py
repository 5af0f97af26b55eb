"""Compile rule bodies to SQL expression trees (SQLGlot), portable across SQL engines.

A relation ``r`` of arity n is a table ``rel_r`` with argument columns
``c0 .. c{n-1}`` and provenance columns ``_h`` (derivation height: 0 for input
facts), ``_r`` (index of the rule that first derived the tuple, -1 for input
facts), ``_p`` (probability) and ``_s`` (source reference of input facts).

A rule body becomes ``SELECT ... FROM`` its positive atoms joined on shared
variables, ``WHERE`` constants, comparisons and ``NOT EXISTS`` for negations;
aggregates become correlated scalar subqueries, which DuckDB, PostgreSQL and
Spark all decorrelate.  The same trees are used by evaluation, ``explain`` and
``why_not``.  Nothing here is engine specific: ``sql(dialect=...)`` emits the
text for any SQLGlot dialect.

Examples
--------
>>> from neurosym.logic._parser import parse
>>> rule = parse("h(X) :- a(X, Y), b(Y), Y > 2.").rules[0]
>>> body = compile_body(list(rule.body), {"a": ["number"] * 2, "b": ["number"], "h": ["number"]})
>>> body.select.select(body.env["X"]).sql("duckdb")
'SELECT t0.c0 FROM rel_a AS t0 JOIN rel_b AS t1 ON t1.c0 = t0.c1 WHERE t0.c1 > CAST(2 AS BIGINT)'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from neurosym._errors import EvaluationError
from neurosym.logic._checks import bound_variables, range_assignment
from neurosym.logic._exp import exp
from neurosym.logic._semiring import MaxProduct, Semiring
from neurosym.logic._types import syntactic_type
from neurosym.logic._ast import Aggregate, Assignment, Atom, BinOp, Call, Comparison, Const, Literal, Negation, Term, Var, term_vars

__all__ = ["BodySQL", "compile_body", "compile_term", "compare", "literal", "table_name", "sql_name", "may_be_undefined", "SQL_TYPES", "cast",
           "tolerant_equal", "sql_string"]

SQL_TYPES = {"symbol": "VARCHAR", "number": "BIGINT", "float": "DOUBLE"}
_FUNCS = {"abs": "ABS", "pow": "POWER", "exp": "EXP", "log": "LN", "sqrt": "SQRT", "floor": "FLOOR", "ceil": "CEIL", "round": "ROUND"}
# Operators -> names of SQLGlot expression classes (looked up on use: SQLGlot is imported lazily).
_CMP = {"=": "EQ", "!=": "NEQ", "<": "LT", "<=": "LTE", ">": "GT", ">=": "GTE"}
_ARITH = {"+": "Add", "-": "Sub", "*": "Mul", "%": "Mod"}
_BITWISE = {"band": "BitwiseAnd", "bor": "BitwiseOr", "bxor": "BitwiseXor", "bshl": "BitwiseLeftShift",
            "bshr": "BitwiseRightShift"}
_LOGICAL = {"land": "And", "lor": "Or", "lxor": "NEQ"}


#: Functions whose float result may be non-finite (``1 / 0``, ``log(-1)``): such a value is undefined (SQL NULL).
_PARTIAL = ("exp", "log", "sqrt", "pow")


def sql_name(rel: str) -> str:
    """A relation's name as SQL sees it: SQL ignores case, so upper-case letters are recorded in a suffix.

    >>> sql_name("edge"), sql_name("Edge"), sql_name("pP")
    ('edge', 'edge__u1', 'pp__u2')
    """
    mask = sum(1 << i for i, ch in enumerate(rel) if ch.isupper())
    return f"{rel.lower()}__u{mask:x}" if mask else rel


def table_name(rel: str) -> str:
    """SQL table of a relation (prefixed so no relation name collides with an SQL keyword).

    >>> table_name("edge"), table_name("Edge")
    ('rel_edge', 'rel_edge__u1')
    """
    return f"rel_{sql_name(rel)}"


def _safe_divisor(term: Term, op: str) -> bool:
    """Whether dividing any finite number by ``term`` has a finite value: a constant of magnitude at least 1 for ``/``
    (the quotient is no larger than the dividend), any non-zero constant for ``%``.  Stored numbers are finite."""
    if not isinstance(term, Const) or isinstance(term.value, str):
        return False
    return abs(term.value) >= 1 if op == "/" else term.value != 0


def may_be_undefined(term: Term) -> bool:
    """Whether a term may have no value: it divides (except by a constant that cannot make it infinite, such as
    ``D / 7``) or calls ``exp``, ``log``, ``sqrt`` or ``pow``.

    >>> from neurosym.logic._ast import BinOp, Const, Var
    >>> may_be_undefined(BinOp("/", Var("d"), Const(7))), may_be_undefined(BinOp("/", Var("d"), Const(0.5)))
    (False, True)
    """
    if isinstance(term, BinOp):
        if term.op in ("/", "%") and _safe_divisor(term.right, term.op):
            return may_be_undefined(term.left)
        return term.op in ("/", "%", "^") or may_be_undefined(term.left) or may_be_undefined(term.right)
    if isinstance(term, Call):
        return term.func in (*_PARTIAL, "to_number", "substr") or any(may_be_undefined(a) for a in term.args)
    return False


def _finite(value: exp.Expression) -> exp.Expression:
    """``value`` when it is a finite number, else NULL (undefined: no tuple is derived from it)."""
    return exp.Case(ifs=[exp.If(this=exp.func("ISFINITE", value), true=value)])


def literal(value: object) -> exp.Expression:
    """An SQL literal; strings are escaped by SQLGlot, never pasted."""
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, bool):
        return exp.Literal.number(int(value))
    if isinstance(value, float):
        return cast(exp.Literal.number(repr(value)), "float") if value == value else exp.Null()
    return cast(exp.Literal.number(int(value)), "number")  # BIGINT: integer literals must not overflow at 32 bits


def sql_string(text: str) -> str:
    """``text`` as an SQL string literal, quotes doubled as SQLGlot writes them, without building an expression.

    >>> sql_string("it's") == literal("it's").sql("duckdb")
    True
    """
    return "'" + text.replace("'", "''") + "'"


def cast(expr: exp.Expression, type_name: str) -> exp.Expression:
    return exp.Cast(this=expr, to=exp.DataType.build(SQL_TYPES[type_name]))


def tolerant_equal(left: exp.Expression, right: exp.Expression) -> exp.Expression:
    """Equality that tolerates float rounding between a stored value and its recomputation."""
    def as_float(e: exp.Expression) -> exp.Expression:
        return exp.TryCast(this=e, to=exp.DataType.build("DOUBLE"))

    close = exp.LTE(this=exp.func("ABS", exp.Sub(this=as_float(left), expression=as_float(right))),
                    expression=exp.Literal.number("1e-9"))
    return exp.or_(exp.EQ(this=left, expression=right), close)


def col(alias: str, name: str) -> exp.Column:
    return exp.column(name, table=alias)


def compile_term(term: Term, env: Mapping[str, exp.Expression]) -> exp.Expression:
    """SQL for a term whose variables are all in ``env``."""
    if isinstance(term, Const):
        return literal(term.value)
    if isinstance(term, Var):
        return env[term.name]
    if isinstance(term, BinOp):
        left, right = compile_term(term.left, env), compile_term(term.right, env)
        if term.op == "/":
            quotient = exp.Div(this=cast(left, "float"), expression=right, typed=False, safe=False)
            return quotient if _safe_divisor(term.right, "/") else _finite(quotient)
        if term.op == "%":  # the remainder has the dividend's sign (C, Soufflé); x % 0 is undefined (NULL)
            return exp.Paren(this=exp.Mod(this=left, expression=exp.Nullif(this=right, expression=exp.Literal.number(0))))
        if term.op == "^":
            return _finite(exp.func("POWER", cast(left, "float"), cast(right, "float")))
        if term.op in _BITWISE:  # integer operands (checked by the types); '^' gives an integral double, made an integer
            return exp.Paren(this=getattr(exp, _BITWISE[term.op])(this=cast(left, "number"), expression=cast(right, "number")))
        if term.op in _LOGICAL:
            return _one_if(getattr(exp, _LOGICAL[term.op])(this=_true(left), expression=_true(right)))
        return exp.Paren(this=getattr(exp, _ARITH[term.op])(this=left, expression=right))
    if isinstance(term, Call):
        args = [compile_term(a, env) for a in term.args]
        if term.func == "ord":  # Soufflé's symbol-table index is not kept here: a symbol orders as itself
            return args[0]
        if term.func == "to_number":
            return _number_of(args[0], syntactic_type(term.args[0]))
        if term.func in ("min", "max"):
            return exp.func("LEAST" if term.func == "min" else "GREATEST", *args)
        if term.func in ("floor", "ceil", "round"):
            return cast(exp.func(_FUNCS[term.func], cast(args[0], "float")), "number")
        if term.func in _DATE_SQL:
            return _DATE_SQL[term.func](*args)
        if term.func in _STRING_SQL:
            return _STRING_SQL[term.func](*args)
        if term.func in _CONVERSIONS:
            return _CONVERSIONS[term.func](args[0])
        value = exp.func(_FUNCS[term.func], *[cast(a, "float") for a in args])
        return _finite(value) if term.func in _PARTIAL else value
    raise TypeError(f"not a term: {term!r}")


def compare(op: str, left: exp.Expression, right: exp.Expression, where: str | None = None) -> exp.Expression:
    """SQL for ``left op right``; ``match(left, right)`` is a full match of the regular expression ``left`` (RE2; a
    constant pattern is checked by :mod:`neurosym.logic._regex` before evaluation), ``contains(left, right)`` a search
    for ``left`` in ``right`` (the empty string is in every string), ``!match`` and ``!contains`` their negations.

    A pattern computed during evaluation that RE2 cannot compile stops the evaluation with an error that starts
    with ``where`` (the literal's location), through DuckDB's ``TRY`` and ``ERROR``.

    >>> compare("contains", exp.column("p"), exp.column("s")).sql("duckdb")
    'STRPOS(s, p) > 0'
    >>> compare("match", exp.column("p"), exp.column("s"), where="f.dl:3:9").sql("duckdb")
    "COALESCE(TRY(REGEXP_FULL_MATCH(s, p)), ERROR('f.dl:3:9: invalid regular expression ' || p))"
    """
    if op.lstrip("!") == "match":
        test: exp.Expression = exp.RegexpFullMatch(this=right, expression=left)
        if where is not None:
            message = exp.DPipe(this=exp.Literal.string(f"{where}: invalid regular expression "), expression=left.copy())
            test = exp.Coalesce(this=exp.Try(this=test), expressions=[exp.Anonymous(this="ERROR", expressions=[message])])
    elif op.lstrip("!") == "contains":
        test = exp.GT(this=exp.StrPosition(this=right, substr=left), expression=exp.Literal.number(0))
    else:
        return getattr(exp, _CMP[op])(this=left, expression=right)
    return exp.Not(this=exp.Paren(this=test)) if op.startswith("!") else test


def _true(value: exp.Expression) -> exp.Expression:
    """Soufflé's truth of a number: non-zero."""
    return exp.Paren(this=exp.NEQ(this=value, expression=exp.Literal.number(0)))


def _one_if(condition: exp.Expression) -> exp.Expression:
    """1 where ``condition`` holds, else 0 (a CASE: PostgreSQL casts no boolean to BIGINT)."""
    return exp.Case(ifs=[exp.If(this=condition, true=literal(1))], default=literal(0))


_CONVERSIONS: dict[str, Callable[[exp.Expression], exp.Expression]] = {
    "to_float": lambda x: cast(x, "float"),
    "to_unsigned": lambda x: cast(exp.func("TRUNC", x), "number"),
    "bnot": lambda x: exp.BitwiseNot(this=exp.Paren(this=x)),
    "lnot": lambda x: _one_if(exp.EQ(this=x, expression=exp.Literal.number(0))),
}


# -- dates: epoch days through the dialect's date functions (SQLGlot transpiles them) ---------------
def _day(days: exp.Expression) -> exp.Expression:
    return exp.DateFromUnixDate(this=days)


def _epoch_days(date: exp.Expression) -> exp.Expression:
    return exp.UnixDate(this=date)


def _iso_dow(days: exp.Expression) -> exp.Expression:
    return exp.DayOfWeekIso(this=_day(days))


def _ymd(days: exp.Expression) -> exp.Expression:
    """``year * 10000 + month * 100 + day``: ordered like the dates, so differences count whole years."""
    day = _day(days)
    return exp.Paren(this=exp.Add(this=exp.Add(this=exp.Mul(this=exp.Year(this=day), expression=exp.Literal.number(10000)),
                                               expression=exp.Mul(this=exp.Month(this=day), expression=exp.Literal.number(100))),
                                  expression=exp.Day(this=day)))


def _add_months(days: exp.Expression, months: exp.Expression) -> exp.Expression:
    return _epoch_days(exp.DateAdd(this=_day(days), expression=months, unit=exp.var("MONTH")))


_DATE_SQL: dict[str, Callable[..., exp.Expression]] = {
    "year": lambda d: exp.Year(this=_day(d)),
    "month": lambda d: exp.Month(this=_day(d)),
    "day_of_month": lambda d: exp.Day(this=_day(d)),
    "day_of_week": _iso_dow,
    "week_start": lambda d: exp.Paren(this=exp.Sub(this=exp.Add(this=d, expression=exp.Literal.number(1)), expression=_iso_dow(d))),
    "date": lambda s: _epoch_days(exp.Cast(this=s, to=exp.DataType.build("DATE"))),
    "add_months": _add_months,
    "add_years": lambda d, n: _add_months(d, exp.Mul(this=exp.Literal.number(12), expression=n)),
    "years_between": lambda a, b: exp.IntDiv(this=exp.Paren(this=exp.Sub(this=_ymd(b), expression=_ymd(a))),
                                             expression=exp.Literal.number(10000)),
}


def _substr(text: exp.Expression, start: exp.Expression, length: exp.Expression) -> exp.Expression:
    """Soufflé's ``substr(s, i, n)``: ``n`` characters from position ``i`` (from 0); undefined out of range."""
    inside = exp.and_(exp.GTE(this=start, expression=exp.Literal.number(0)), exp.GTE(this=length, expression=exp.Literal.number(0)),
                      exp.LTE(this=start, expression=exp.Length(this=text)))
    value = exp.Substring(this=text, start=exp.Add(this=start, expression=exp.Literal.number(1)), length=length)
    return exp.Case(ifs=[exp.If(this=inside, true=value)])


def _to_number(text: exp.Expression) -> exp.Expression:
    """Soufflé's ``to_number``: decimal, ``0x`` hexadecimal or ``0b`` binary, with an optional ``-``; undefined otherwise."""
    def number(t: exp.Expression) -> exp.Expression:
        return exp.TryCast(this=t, to=exp.DataType.build("BIGINT"))

    negative_prefixed = exp.or_(exp.ILike(this=text, expression=exp.Literal.string("-0x%")),
                                exp.ILike(this=text, expression=exp.Literal.string("-0b%")))
    tail = exp.Substring(this=text, start=exp.Literal.number(2))
    integer = exp.RegexpFullMatch(this=text.copy(), expression=exp.Literal.string(r"\s*[-+]?[0-9]+\s*"))
    return exp.Case(ifs=[exp.If(this=negative_prefixed, true=exp.Neg(this=number(tail))),
                         exp.If(this=integer, true=number(text.copy())),  # not '1.5', which DuckDB's cast would round
                         exp.If(this=exp.or_(exp.ILike(this=text.copy(), expression=exp.Literal.string("0x%")),
                                             exp.ILike(this=text.copy(), expression=exp.Literal.string("0b%"))),
                                true=number(text.copy()))])


def _typed_as(value: exp.Expression, names: tuple[str, ...]) -> exp.Expression:
    """Whether the SQL type of ``value`` is one of ``names`` (as DuckDB, Spark or PostgreSQL spell it)."""
    return exp.In(this=exp.Upper(this=exp.Anonymous(this="TYPEOF", expressions=[value.copy()])),
                  expressions=[exp.Literal.string(n) for n in names])


def _number_of(value: exp.Expression, kind: str | None) -> exp.Expression:
    """Soufflé's ``to_number``, overloaded on its argument's type (``kind``, or the SQL type when only the data tells):
    text is read (:func:`_to_number`), a float truncated toward zero, an integer is itself."""
    truncated = exp.TryCast(this=exp.func("TRUNC", exp.TryCast(this=value.copy(), to=exp.DataType.build("DOUBLE"))),
                            to=exp.DataType.build("BIGINT"))
    if kind is not None:  # known from the term's form: no branch that PostgreSQL would fold on a constant
        return {"symbol": _to_number(value), "float": truncated, "number": value}[kind]
    floating = _typed_as(value, ("DOUBLE", "DOUBLE PRECISION", "FLOAT"))
    integral = _typed_as(value, ("BIGINT", "INTEGER", "INT"))
    return exp.Case(ifs=[exp.If(this=floating, true=truncated),
                         exp.If(this=integral, true=exp.TryCast(this=value.copy(), to=exp.DataType.build("BIGINT")))],
                    default=_to_number(exp.Cast(this=value.copy(), to=exp.DataType.build("VARCHAR"))))


_STRING_SQL: dict[str, Callable[..., exp.Expression]] = {
    "cat": lambda *a: exp.func("CONCAT", *a),
    "strlen": lambda s: exp.Length(this=s),
    "substr": _substr,
    "to_string": lambda x: exp.Cast(this=x, to=exp.DataType.build("VARCHAR")),
}


@dataclass
class BodySQL:
    """A compiled body: the query (no projections yet), variable bindings and provenance expressions."""

    select: exp.Select
    env: dict[str, exp.Expression]
    atoms: list[tuple[str, Atom]] = field(default_factory=list)
    heights: list[exp.Expression] = field(default_factory=list)
    probs: list[exp.Expression] = field(default_factory=list)
    semiring: Semiring = field(default_factory=MaxProduct)

    def height(self) -> exp.Expression:
        if not self.heights:
            return exp.Literal.number(1)
        top = self.heights[0] if len(self.heights) == 1 else exp.func("GREATEST", *self.heights)
        return exp.Add(this=exp.Literal.number(1), expression=top)

    def probability(self) -> exp.Expression:
        """The semiring's product of the atoms' probabilities and the negations' factors."""
        return self.semiring.sql_mul(self.probs) if self.probs else exp.Literal.number(self.semiring.one)


class _Compiler:
    def __init__(self, types: Mapping[str, list[str]], table_for: Callable[[int, Atom], str], prob: bool, prefix: str,
                 fixed: Mapping[str, object], height_below: int | None, semiring: Semiring) -> None:
        self.types = types
        self.table_for = table_for
        self.prob = prob
        self.semiring = semiring
        self.prefix = prefix
        self.fixed = fixed
        self.height_below = height_below
        self.sub = 0

    def body(self, literals: list[Literal], outer: Mapping[str, exp.Expression], atom_offset: int = 0) -> BodySQL:
        env: dict[str, exp.Expression] = dict(outer)
        for name, value in self.fixed.items():
            env.setdefault(name, literal(value))
        select: exp.Select | None = None
        conditions: list[exp.Expression] = []
        result = BodySQL(exp.select(), env, semiring=self.semiring)
        positives = [lit for lit in literals if isinstance(lit, Atom)]
        for k, atom in enumerate(positives):
            alias = f"{self.prefix}t{k}"
            table = exp.alias_(exp.to_table(self.table_for(atom_offset + k, atom)), alias, table=True)
            join_on: list[exp.Expression] = []
            for i, arg in enumerate(atom.args):
                column = col(alias, f"c{i}")
                if isinstance(arg, Const):
                    join_on.append(exp.EQ(this=column, expression=literal(arg.value)))
                elif arg.name in env:
                    join_on.append(exp.EQ(this=column, expression=env[arg.name]))
                else:
                    env[arg.name] = column
            if self.height_below is not None:  # tuples without a recorded height (NULL) are allowed too
                join_on.append(exp.Not(this=exp.GTE(this=col(alias, "_h"), expression=exp.Literal.number(self.height_below))))
            if select is None:
                select = exp.select().from_(table, copy=False)
                conditions += join_on
            elif join_on:
                select = select.join(table, on=exp.and_(*join_on), copy=False)
            else:
                select = select.join(table, join_type="cross", copy=False)
            result.atoms.append((alias, atom))
            result.heights.append(col(alias, "_h"))
            if self.prob:
                result.probs.append(col(alias, "_p"))
        if select is None:
            select = exp.select()
        rest = [lit for lit in literals if not isinstance(lit, Atom)]
        pending = list(rest)
        progress = True
        while progress:
            progress = False
            for lit in list(pending):
                if isinstance(lit, Assignment) and all(v.name in env for v in self._agg_outer_vars(lit.aggregate, literals)):
                    value, join = self.aggregate(lit.aggregate, env, self._agg_outer_vars(lit.aggregate, literals), select)
                    if join is not None:
                        select = select.join(join[0], on=join[1], join_type="left", copy=False)
                    if lit.var.name in env:
                        conditions.append(tolerant_equal(env[lit.var.name], value))
                    else:
                        env[lit.var.name] = value
                    conditions.append(exp.Not(this=exp.Is(this=value, expression=exp.Null())))
                    pending.remove(lit)
                    progress = True
                elif (generator := range_assignment(lit)) is not None and all(v.name in env for v in term_vars(generator[1])):
                    self.sub += 1
                    series, value = _range(generator[1], env, f"{self.prefix}r{self.sub}")
                    select = select.from_(series, copy=False) if select.args.get("from_") is None else \
                        select.join(series, join_type="cross", copy=False)
                    target = generator[0]
                    if target.name in env:
                        conditions.append(exp.EQ(this=env[target.name], expression=value))
                    elif target.name in self.fixed:
                        conditions.append(tolerant_equal(literal(self.fixed[target.name]), value))
                    else:
                        env[target.name] = value
                    pending.remove(lit)
                    progress = True
                elif isinstance(lit, Comparison) and lit.op == "=":
                    for target, source in ((lit.left, lit.right), (lit.right, lit.left)):
                        if isinstance(target, Var) and target.name not in env and all(v.name in env for v in term_vars(source)):
                            env[target.name] = compile_term(source, env)
                            if may_be_undefined(source):
                                conditions.append(exp.Not(this=exp.Is(this=env[target.name], expression=exp.Null())))
                            pending.remove(lit)
                            progress = True
                            break
                        if isinstance(target, Var) and target.name in self.fixed and all(v.name in env for v in term_vars(source)) \
                                and not any(v.name == target.name for v in term_vars(source)):
                            conditions.append(tolerant_equal(literal(self.fixed[target.name]), compile_term(source, env)))
                            pending.remove(lit)
                            progress = True
                            break
        for lit in pending:
            if isinstance(lit, Comparison):
                conditions.append(compare(lit.op, compile_term(lit.left, env), compile_term(lit.right, env),
                                          where=f"{lit.span}: {lit}" if not isinstance(lit.left, Const) else None))
            elif isinstance(lit, Negation):
                conditions.append(self.negation(lit, env, result))
            elif isinstance(lit, Assignment):
                raise EvaluationError(f"aggregate '{lit}' uses variables that nothing outside it binds")
        if conditions:
            select = select.where(exp.and_(*conditions), copy=False)
        result.select = select
        return result

    def _agg_outer_vars(self, agg: Aggregate, literals: list[Literal]) -> list[Var]:
        """Variables the aggregate needs from the outer rule (those it mentions that also live outside it)."""
        outside = {v.name for lit in literals if not (isinstance(lit, Assignment) and lit.aggregate is agg)
                   for v in ([lit.var] if isinstance(lit, Assignment) else _literal_vars(lit))}
        inner = bound_variables(agg.body, outside)  # t = x + 1 binds t inside when x lives outside
        return [v for v in _mentioned(agg) if v.name in outside or (v.name not in inner and not v.anonymous)]

    def negation(self, lit: Negation, env: Mapping[str, exp.Expression], result: BodySQL) -> exp.Expression:
        self.sub += 1
        alias = f"{self.prefix}n{self.sub}"
        conds = []
        for i, arg in enumerate(lit.atom.args):
            if isinstance(arg, Const):
                conds.append(exp.EQ(this=col(alias, f"c{i}"), expression=literal(arg.value)))
            elif not arg.anonymous:
                conds.append(exp.EQ(this=col(alias, f"c{i}"), expression=env[arg.name]))
        table = exp.alias_(exp.to_table(table_name(lit.atom.rel)), alias, table=True)
        if not self.prob:
            sub = exp.select(exp.Literal.number(1)).from_(table)
            if conds:
                sub = sub.where(exp.and_(*conds))
            return exp.Not(this=exp.Exists(this=sub))
        sub = exp.select(self.semiring.sql_add(col(alias, "_p"))).from_(table)
        if conds:
            sub = sub.where(exp.and_(*conds))
        zero = exp.Literal.number(self.semiring.zero)
        factor = exp.Paren(this=self.semiring.sql_negate(exp.Coalesce(this=exp.Subquery(this=sub), expressions=[zero])))
        result.probs.append(factor)
        return exp.NEQ(this=factor, expression=zero)

    def aggregate(self, agg: Aggregate, env: Mapping[str, exp.Expression], shared: list[Var],
                  outer: exp.Select) -> tuple[exp.Expression, tuple[exp.Expression, exp.Expression] | None]:
        """SQL for an aggregate's value, plus a LEFT JOIN to add to the outer query when it is grouped.

        When every variable the aggregate shares with the rule is bound by the
        aggregate's own atoms, it becomes one grouped subquery joined on those
        variables (one pass over the data); otherwise (e.g. ``T <= I`` with
        ``I`` from outside) a correlated scalar subquery.
        """
        self.sub += 1
        prefix = f"{self.prefix}a{self.sub}_"
        inner_bound = bound_variables(agg.body)
        names = sorted({v.name for v in shared})
        grouped = bool(names) and all(n in inner_bound for n in names) and outer.args.get("from_") is not None
        inner = _Compiler(self.types, lambda k, atom: table_name(atom.rel), False, prefix, {}, None, self.semiring)
        body = inner.body(list(agg.body), {} if grouped else env)
        if body.select.args.get("from_") is None:  # no atoms (sum t : { t = x + 1 }): over one row, not the outer query's
            body.select = body.select.from_(exp.Subquery(this=exp.select(exp.Literal.number(1)),
                                                         alias=exp.TableAlias(this=exp.to_identifier(f"{prefix}one"))), copy=False)
        if agg.func == "count":
            value: exp.Expression = exp.Count(this=exp.Star())
        else:
            term = compile_term(agg.expr, body.env)
            atom_vars = {v.name for lit in agg.body if isinstance(lit, Atom) for v in lit.vars()}
            if not grouped and not any(v.name in atom_vars for v in term_vars(agg.expr)):  # else SQL aggregates it outside
                rows = exp.Subquery(this=body.select.select(exp.alias_(term, "v"), copy=False),
                                    alias=exp.TableAlias(this=exp.to_identifier(f"{prefix}rows")))
                body.select, term = exp.select().from_(rows, copy=False), col(f"{prefix}rows", "v")
            if agg.func in ("sum", "mean") and _may_be_float(agg.expr, _atom_types(agg.body, self.types)):
                value = _in_order(term, agg.func)
            else:
                value = {"sum": exp.Sum, "min": exp.Min, "max": exp.Max, "mean": exp.Avg}[agg.func](this=term)
        if not grouped:
            sub = exp.Subquery(this=body.select.select(value, copy=False))
            return (exp.Coalesce(this=sub, expressions=[exp.Literal.number(0)]) if agg.func in ("count", "sum") else sub), None
        alias = f"{prefix}g"
        keys = [exp.alias_(body.env[n], f"k{i}") for i, n in enumerate(names)]
        query = body.select.select(*keys, exp.alias_(value, "v"), copy=False).group_by(*[body.env[n] for n in names], copy=False)
        table = exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(alias)))
        on = exp.and_(*[exp.EQ(this=col(alias, f"k{i}"), expression=env[n]) for i, n in enumerate(names)])
        result = col(alias, "v")
        return (exp.Coalesce(this=result, expressions=[exp.Literal.number(0)]) if agg.func in ("count", "sum") else result), (table, on)


def _atom_types(literals: tuple[Literal, ...], types: Mapping[str, list[str]]) -> dict[str, str]:
    """Variable -> type of the column it stands for in the positive atoms of ``literals``; a variable set to an
    integer term (``Y = N * 2``) is an integer too."""
    found = {arg.name: types[lit.rel][i] for lit in literals if isinstance(lit, Atom) and lit.rel in types
             for i, arg in enumerate(lit.args) if isinstance(arg, Var)}
    for lit in literals:
        if isinstance(lit, Comparison) and lit.op == "=":
            for target, source in ((lit.left, lit.right), (lit.right, lit.left)):
                if isinstance(target, Var) and target.name not in found and not _may_be_float(source, found):
                    found[target.name] = "number"
    return found


def _may_be_float(term: Term, var_types: Mapping[str, str]) -> bool:
    """Whether ``term`` may have a float value (its type, or a variable's, is float or unknown).

    >>> from neurosym.logic._ast import BinOp, Const, Var
    >>> _may_be_float(BinOp("*", Var("x"), Const(2)), {"x": "number"}), _may_be_float(Var("x"), {"x": "float"})
    (False, True)
    """
    kind = syntactic_type(term)
    if kind is not None:
        return kind == "float"
    if isinstance(term, Var):
        return var_types.get(term.name) != "number"
    if isinstance(term, BinOp):
        return _may_be_float(term.left, var_types) or _may_be_float(term.right, var_types)
    if isinstance(term, Call):
        return any(_may_be_float(a, var_types) for a in term.args)
    return True


def _in_order(term: exp.Expression, func: str) -> exp.Expression:
    """A float ``sum`` or ``mean`` that adds its inputs in ascending order: ``LIST_SUM(LIST_SORT(LIST(x)))``.

    Floating-point addition is not associative, and a parallel aggregate adds in
    whatever order its threads meet the rows, so a float ``sum`` or ``mean`` could
    differ in its last digits between two evaluations.  Added in ascending order,
    the result depends on the values alone.  Integer sums are exact and need no order.
    DuckDB collects the values of a group in parallel and sorts and adds each list
    on its own, which costs about what ``SUM(x)`` does; its ordered aggregate
    (``SUM(x ORDER BY x)``, what the other engines run, see
    :mod:`neurosym.logic._dialects`) took twice as long on the rule library.

    >>> _in_order(exp.column("x"), "mean").sql("duckdb")
    'LIST_AVG(LIST_SORT(LIST(x)))'
    """
    listed = exp.Anonymous(this="LIST_SORT", expressions=[exp.Anonymous(this="LIST", expressions=[term])])
    return exp.Anonymous(this={"sum": "LIST_SUM", "mean": "LIST_AVG"}[func], expressions=[listed])


def _range(call: Call, env: Mapping[str, exp.Expression], alias: str) -> tuple[exp.Expression, exp.Expression]:
    """Soufflé's ``range(from, to, step)``: ``from``, ``from + step``, ... while before ``to`` (step 1, or -1 when
    ``from > to``; a step of 0 gives ``from`` alone unless ``from = to``).  A lateral table of the indexes ``k`` and the
    value ``from + k * step``."""
    start, stop = compile_term(call.args[0], env), compile_term(call.args[1], env)
    one = exp.Literal.number(1)
    step = compile_term(call.args[2], env) if len(call.args) == 3 else \
        exp.Case(ifs=[exp.If(this=exp.LTE(this=start.copy(), expression=stop.copy()), true=one.copy())], default=exp.Neg(this=one.copy()))
    zero = exp.Literal.number(0)

    def steps(low: exp.Expression, high: exp.Expression, size: exp.Expression) -> exp.Expression:
        span = exp.Div(this=cast(exp.Paren(this=exp.Sub(this=high.copy(), expression=low.copy())), "float"), expression=size,
                       typed=False, safe=False)
        return exp.func("GREATEST", zero.copy(), exp.func("CEIL", span))

    count = exp.Case(ifs=[exp.If(this=exp.GT(this=step.copy(), expression=zero.copy()), true=steps(start, stop, step.copy())),
                          exp.If(this=exp.LT(this=step.copy(), expression=zero.copy()),
                                 true=steps(stop, start, exp.Neg(this=exp.Paren(this=step.copy())))),
                          exp.If(this=exp.NEQ(this=start.copy(), expression=stop.copy()), true=one.copy())], default=zero.copy())
    last = exp.Sub(this=cast(count, "number"), expression=one.copy())
    series = exp.select(exp.Alias(this=exp.Unnest(expressions=[exp.GenerateSeries(start=zero.copy(), end=last)]),
                                  alias=exp.to_identifier("k")))
    table = exp.Lateral(this=exp.Subquery(this=series), alias=exp.TableAlias(this=exp.to_identifier(alias)))
    value = exp.Paren(this=exp.Add(this=start.copy(), expression=exp.Mul(this=col(alias, "k"), expression=exp.Paren(this=step.copy()))))
    return table, value


def _mentioned(agg: Aggregate) -> list[Var]:
    """Variables an aggregate mentions, less those only a nested aggregate binds (they live inside it)."""
    out: list[Var] = []
    for lit in agg.body:
        if isinstance(lit, Assignment):
            inner = bound_variables(lit.aggregate.body)
            out += [lit.var] + [v for v in _mentioned(lit.aggregate) if v.name not in inner]
        else:
            out += _literal_vars(lit)
    return out + (term_vars(agg.expr) if agg.expr is not None else [])


def _literal_vars(lit: Literal) -> list[Var]:
    if isinstance(lit, Atom):
        return lit.vars()
    if isinstance(lit, Negation):
        return lit.atom.vars()
    if isinstance(lit, Comparison):
        return term_vars(lit.left) + term_vars(lit.right)
    if isinstance(lit, Assignment):
        inner = [v for sub in lit.aggregate.body for v in _literal_vars(sub)]
        return [lit.var] + inner + (term_vars(lit.aggregate.expr) if lit.aggregate.expr is not None else [])
    return []


def compile_body(
    literals: list[Literal],
    types: Mapping[str, list[str]],
    *,
    table_for: Callable[[int, Atom], str] | None = None,
    prob: bool = False,
    fixed: Mapping[str, object] | None = None,
    height_below: int | None = None,
    prefix: str = "",
    semiring: Semiring | None = None,
) -> BodySQL:
    """Compile a rule body.

    Parameters
    ----------
    table_for : callable, optional
        ``(k, atom) -> table`` for the k-th positive atom; semi-naive
        evaluation points one atom at a delta table.  Default: ``rel_<name>``.
    prob : bool
        Combine the probabilities (``_p``) of the atoms with ``semiring.sql_mul``; a negation contributes
        ``semiring.sql_negate`` of the ``sql_add`` of the matching tuples' probabilities.
    fixed : mapping, optional
        Variables fixed to constants (``explain`` binds the head this way).
    height_below : int, optional
        Only use tuples derived below this height (well-founded proofs).
    semiring : Semiring, optional
        How probabilities combine (default :class:`~neurosym.logic.MaxProduct`).
    """
    compiler = _Compiler(types, table_for or (lambda k, atom: table_name(atom.rel)), prob, prefix, fixed or {}, height_below,
                         semiring or MaxProduct())
    return compiler.body(literals, {})
