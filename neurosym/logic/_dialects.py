"""Engine-specific SQL in one place: the compiled SQLGlot trees rewritten for Spark SQL and PostgreSQL.

The compiler (:mod:`neurosym.logic._sql`) builds trees with DuckDB's
semantics: ``x / 0`` is infinite (so undefined), ``ISFINITE`` tells a number
from ``inf`` and ``NaN``, ``ln(-1)`` is NaN, ``round`` is half away from zero.
SQLGlot translates the syntax; :func:`to_sql` also translates what SQLGlot
leaves alone, so every engine derives the same tuples:

* every dialect: a division by zero gives NULL (PostgreSQL and ANSI Spark
  raise), ``ISFINITE(v)`` becomes ``v - v = 0`` (false for ``inf`` and ``NaN``),
  ``REGEXP_FULL_MATCH(t, p)`` (``match``) a search for ``^(?:p)$``;
* PostgreSQL: ``ln``, ``sqrt``, ``exp`` and ``power`` outside their domain give
  NULL instead of an error, ``round`` rounds half away from zero, ``%`` is
  taken on ``NUMERIC`` (PostgreSQL has none for doubles), ``mean``
  averages doubles, ``to_number`` reads decimal, ``0x`` and ``0b`` text (else NULL), epoch days
  become dates by ``DATE '1970-01-01' + n``;
* PostgreSQL: ``range``'s series is ``GENERATE_SERIES`` itself (no ``UNNEST``); Spark: an ``EXPLODE`` of a
  ``SEQUENCE`` that is empty when it would count down;
* Spark: epoch days through ``DATE_FROM_UNIX_DATE`` / ``UNIX_DATE``, ISO
  weekdays through ``WEEKDAY``, ``0x`` / ``0b`` text through ``CONV``.

Examples
--------
>>> to_sql("SELECT a / b FROM t", "postgres")
'SELECT CAST(a AS DOUBLE PRECISION) / NULLIF(b, 0) FROM t'
>>> to_sql("SELECT ROUND(x) FROM t", "postgres")
'SELECT TRUNC(x) + TRUNC(2 * (x - TRUNC(x))) FROM t'
>>> to_sql("SELECT CASE WHEN ISFINITE(LN(x / y)) THEN 1 END FROM t", "spark")
'SELECT CASE WHEN (LN(x / NULLIF(y, 0)) - LN(x / NULLIF(y, 0)) = 0) THEN 1 END FROM t'
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp

from neurosym._errors import EvaluationError

__all__ = ["DIALECTS", "to_sql"]

#: The SQLGlot dialects the rewrites know.
DIALECTS = ("duckdb", "spark", "postgres")

_ZERO = exp.Literal.number(0)
_EPOCH = exp.Cast(this=exp.Literal.string("1970-01-01"), to=exp.DataType.build("DATE"))
_MAX_EXP = exp.Literal.number("709.782712893384")  # exp(x) overflows a double beyond this
_MIN_EXP = exp.Literal.number("-745.1332191019412")  # and underflows to 0 below this


def _when(condition: exp.Expression, value: exp.Expression, default: exp.Expression | None = None) -> exp.Case:
    case = exp.Case(ifs=[exp.If(this=condition, true=value)])
    if default is not None:
        case.set("default", default)
    return case


def _double(value: exp.Expression) -> exp.Expression:
    return exp.Cast(this=value, to=exp.DataType.build("DOUBLE"))


def _ordered_aggregate(node: exp.Expression) -> exp.Expression | None:
    """``SUM(x ORDER BY x)`` / ``AVG(...)`` for DuckDB's sorted-list sum or mean (``LIST_SUM(LIST_SORT(LIST(x)))``)."""
    if not (isinstance(node, exp.Anonymous) and str(node.this).upper() in ("LIST_SUM", "LIST_AVG")):
        return None
    listed = node.expressions[0].expressions[0]
    term = listed.expressions[0]
    ordered = exp.Order(this=term, expressions=[exp.Ordered(this=term.copy(), nulls_first=False)])
    return (exp.Sum if str(node.this).upper() == "LIST_SUM" else exp.Avg)(this=ordered)


def _common(node: exp.Expression) -> exp.Expression:
    """Rewrites every non-DuckDB engine needs."""
    ordered = _ordered_aggregate(node)
    if ordered is not None:
        return ordered
    if isinstance(node, exp.Div) and not isinstance(node.expression, exp.Nullif):
        node.set("expression", exp.Nullif(this=node.expression, expression=_ZERO.copy()))
        return node
    if isinstance(node, exp.Coalesce) and isinstance(node.this, exp.Try) and str(node.expressions[0].this).upper() == "ERROR":
        return node.this.this  # DuckDB's guard of a computed match pattern (TRY, ERROR): the engine's own error instead
    if isinstance(node, exp.RegexpFullMatch):  # a search anchored at both ends
        anchored = exp.Paren(this=exp.Concat(expressions=[exp.Literal.string("^(?:"), node.expression, exp.Literal.string(")$")]))
        return exp.RegexpLike(this=node.this, expression=anchored)
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "ISFINITE":
        value = node.expressions[0]
        return exp.Paren(this=exp.EQ(this=exp.Sub(this=value, expression=value.copy()), expression=_ZERO.copy()))
    return node


def _postgres(node: exp.Expression) -> exp.Expression:
    node = _common(node)
    if isinstance(node, exp.Unnest) and isinstance(node.expressions[0], exp.GenerateSeries):
        return node.expressions[0]  # range's series: PostgreSQL's GENERATE_SERIES already returns rows
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "TYPEOF":  # to_number's overloads
        return exp.Cast(this=exp.Anonymous(this="PG_TYPEOF", expressions=node.expressions), to=exp.DataType.build("TEXT"))
    if isinstance(node, exp.Ln):
        x = node.this
        return exp.Ln(this=_when(exp.GT(this=x, expression=_ZERO.copy()), x.copy()))
    if isinstance(node, exp.Sqrt):
        x = node.this
        return exp.Sqrt(this=_when(exp.GTE(this=x, expression=_ZERO.copy()), x.copy()))
    if isinstance(node, exp.Exp):
        x = node.this
        return _when(exp.GT(this=x, expression=_MAX_EXP.copy()), exp.Null(),
                     _when(exp.LT(this=x, expression=_MIN_EXP.copy()), exp.Literal.number("0.0"), exp.Exp(this=x.copy())))
    if isinstance(node, exp.Pow):
        base, power = node.this, node.expression
        bad = exp.or_(exp.and_(exp.EQ(this=base, expression=_ZERO.copy()), exp.LT(this=power, expression=_ZERO.copy())),
                      exp.and_(exp.LT(this=base.copy(), expression=_ZERO.copy()),
                               exp.NEQ(this=power.copy(), expression=exp.Floor(this=power.copy()))),
                      exp.GT(this=exp.Mul(this=power.copy(), expression=exp.Ln(this=_when(
                          exp.GT(this=exp.Abs(this=base.copy()), expression=_ZERO.copy()), exp.Abs(this=base.copy())))),
                          expression=_MAX_EXP.copy()))
        return _when(bad, exp.Null(), exp.Pow(this=base.copy(), expression=power.copy()))
    if isinstance(node, exp.Round) and node.args.get("decimals") is None:
        x = node.this
        trunc = lambda v: exp.func("TRUNC", v)  # noqa: E731
        frac = exp.Paren(this=exp.Sub(this=x.copy(), expression=trunc(x.copy())))
        return exp.Add(this=trunc(x.copy()), expression=trunc(exp.Mul(this=exp.Literal.number(2), expression=frac)))
    if isinstance(node, exp.Mod):  # PostgreSQL has no remainder of doubles; NUMERIC's is exact (integers stay integers)
        numeric = exp.DataType.build("DECIMAL")
        return exp.Mod(this=exp.Cast(this=node.this, to=numeric), expression=exp.Cast(this=node.expression, to=numeric.copy()))
    if isinstance(node, exp.Avg):  # a float mean's sorted input (AVG(x ORDER BY x)) is cast inside its ORDER BY
        order = node.this if isinstance(node.this, exp.Order) else None
        if order is not None:
            return exp.Avg(this=exp.Order(this=_double(order.this), expressions=order.expressions))
        return exp.Avg(this=_double(node.this))
    if isinstance(node, exp.TryCast):
        if node.to.is_type("bigint"):  # decimal, 0x hexadecimal or 0b binary text (as DuckDB reads them), else NULL
            text = exp.Cast(this=node.this, to=exp.DataType.build("TEXT"))

            def matches(pattern: str) -> exp.Expression:
                return exp.RegexpILike(this=text.copy(), expression=exp.Literal.string(pattern))

            def based(digits: int, prefix: str) -> exp.Expression:  # bit string of 64 digits -> BIGINT
                bits = exp.Concat(expressions=[exp.Literal.string(prefix), exp.func(
                    "LPAD", exp.Substring(this=text.copy(), start=exp.Literal.number(3)), exp.Literal.number(digits),
                    exp.Literal.string("0"))])
                return exp.Cast(this=exp.Cast(this=bits, to=exp.DataType.build("BIT(64)")), to=exp.DataType.build("BIGINT"))

            return exp.Case(ifs=[exp.If(this=matches(r"^\s*[-+]?[0-9]+\s*$"), true=exp.Cast(this=text.copy(), to=node.to.copy())),
                                 exp.If(this=matches(r"^0x[0-9a-f]{1,15}$"), true=based(16, "x")),
                                 exp.If(this=matches(r"^0b[01]{1,63}$"), true=based(64, ""))])
        return exp.Cast(this=node.this, to=node.to)
    if isinstance(node, exp.Substring):
        for key in ("start", "length"):
            if node.args.get(key) is not None:
                node.set(key, exp.Cast(this=node.args[key], to=exp.DataType.build("INT")))
        return node
    if isinstance(node, exp.DateFromUnixDate):
        return exp.Paren(this=exp.Add(this=_EPOCH.copy(), expression=exp.Cast(this=node.this, to=exp.DataType.build("INT"))))
    if isinstance(node, exp.UnixDate):
        return exp.Paren(this=exp.Sub(this=exp.Cast(this=node.this, to=exp.DataType.build("DATE")), expression=_EPOCH.copy()))
    if isinstance(node, exp.DayOfWeekIso):
        return exp.Extract(this=exp.var("ISODOW"), expression=node.this)
    if isinstance(node, (exp.Year, exp.Month, exp.Day)):
        unit = {exp.Year: "YEAR", exp.Month: "MONTH", exp.Day: "DAY"}[type(node)]
        return exp.Cast(this=exp.Extract(this=exp.var(unit), expression=node.this), to=exp.DataType.build("BIGINT"))
    return node


def _spark(node: exp.Expression) -> exp.Expression:
    node = _common(node)
    if isinstance(node, (exp.Sum, exp.Avg)) and isinstance(node.this, exp.Order):  # no ordered aggregates: added as met
        return type(node)(this=node.this.this)
    if isinstance(node, exp.Unnest) and isinstance(node.expressions[0], exp.GenerateSeries):  # range's series
        series = node.expressions[0]  # Spark's SEQUENCE(0, -1) counts down: an empty series is an empty array
        start, end = series.args["start"], series.args["end"]
        rows = exp.If(this=exp.GTE(this=end.copy(), expression=start.copy()),
                      true=exp.func("SEQUENCE", start.copy(), end.copy()), false=exp.Array(expressions=[]))
        return exp.Explode(this=rows)
    if isinstance(node, exp.UnixDate):
        return exp.Anonymous(this="UNIX_DATE", expressions=[node.this])
    if isinstance(node, exp.TryCast) and node.to.is_type("bigint"):  # 0x / 0b text as DuckDB reads it, through CONV
        text = node.this

        def based(pattern: str, base: int) -> exp.If:
            digits = exp.func("CONV", exp.Substring(this=text.copy(), start=exp.Literal.number(3)), exp.Literal.number(base),
                              exp.Literal.number(10))
            return exp.If(this=exp.RegexpLike(this=text.copy(), expression=exp.Literal.string(pattern)),
                          true=exp.TryCast(this=digits, to=node.to.copy()))

        return exp.Case(ifs=[based("^0[xX][0-9a-fA-F]{1,15}$", 16), based("^0[bB][01]{1,63}$", 2)], default=node.copy())
    if isinstance(node, exp.DayOfWeekIso):  # WEEKDAY counts from Monday = 0 (SQLGlot's DAYOFWEEK form is off by two)
        return exp.Paren(this=exp.Add(this=exp.Anonymous(this="WEEKDAY", expressions=[node.this]), expression=exp.Literal.number(1)))
    return node


_REWRITES: dict[str, Callable[[exp.Expression], exp.Expression]] = {"duckdb": lambda node: node, "spark": _spark,
                                                                    "postgres": _postgres}


def to_sql(tree: exp.Expression | str, dialect: str) -> str:
    """SQL text of a compiled tree (or of DuckDB SQL text) for ``dialect``, with the rewrites above.

    Parameters
    ----------
    tree : sqlglot.exp.Expression or str
        A tree built by the compiler, or SQL text in DuckDB's dialect.
    dialect : str
        One of :data:`DIALECTS`.
    """
    if dialect not in _REWRITES:
        raise EvaluationError(f"no SQL rewrites for dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    root = sqlglot.parse_one(tree, read="duckdb") if isinstance(tree, str) else tree.copy()
    rewrite = _REWRITES[dialect]
    for node in reversed(list(root.dfs())):  # children first, so a rewritten node holds rewritten children
        new = rewrite(node)
        if new is not node:
            if node is root:
                root = new
            else:
                node.replace(new)
    return root.sql(dialect)
