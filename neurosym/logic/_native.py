"""The native engine: semi-naive bottom-up evaluation compiled to SQL, run in DuckDB.

Each stratum (a strongly connected component of the dependency graph) runs
to a fixpoint.  Round 0 evaluates every rule on the full tables; each later
round evaluates only the recursive rules, once per recursive body atom, with
that atom reading the previous round's *delta*.  New tuples keep the rule and
height of their first derivation (lowest height, then lowest rule index) and
nothing else: proof trees are rebuilt on demand by :mod:`neurosym.logic._explain`.

With probabilistic facts (a ``_prob`` column) probabilities combine as the
plan's semiring says, through its SQL forms (``sql_mul`` within a
derivation, ``sql_add`` across derivations, ``sql_negate`` for ``not``).  For
an idempotent semiring (max-product: the best proof) a tuple is re-derived
whenever a derivation improves its value, until nothing improves; for the
others (add-mult: noisy-or) each round recomputes every tuple of a recursive
stratum from all its derivations, until no value changes by more than 1e-12.

The SQL is built as SQLGlot trees (:mod:`neurosym.logic._sql`).  The engine
returns a :class:`~neurosym.logic.ResultStore` that adopts its database.
"""

from __future__ import annotations

import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

import duckdb

from neurosym._errors import EvaluationError
from neurosym.logic._ast import Assignment, Atom, Comparison, Const, Negation, Rule, Var, term_vars
from neurosym.logic._checks import body_atoms
from neurosym.logic._engine import Key, Limits, Plan
from neurosym.logic._exp import exp
from neurosym.logic._inputs import DatabaseTable, InputRelation
from neurosym.logic._sql import SQL_TYPES, cast, col, compile_body, compile_term, may_be_undefined, sql_name, table_name
from neurosym.logic._sqlcache import Statements
from neurosym.logic._store import ResultStore, duckdb_connection

__all__ = ["DIALECT", "NativeEngine", "Plan"]

DIALECT = "duckdb"

#: Smallest change of a probability that counts as an improvement (ends fixpoints despite float noise).
_TOLERANCE = "1e-12"


def _memory_size(text: str) -> str:
    """Validate a size such as ``"2GB"`` or ``"512MB"`` before it reaches SQL."""
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text.strip()):
        raise EvaluationError(f"memory_limit must look like '2GB' or '512MB', got {text!r}")
    return text.strip()


def _delta_name(rel: str, parity: int) -> str:
    return f"delta_{parity}_{sql_name(rel)}"


def _new_name(rel: str) -> str:
    return f"new_{sql_name(rel)}"


def rule_select(plan: Plan, index: int, table_for: Callable[[int, Atom], str]) -> exp.Select:
    """The SELECT deriving rule ``index``'s head tuples with height, rule and probability."""
    rule = plan.rules[index]
    body = compile_body(list(rule.body), plan.types, table_for=table_for, prob=plan.prob, semiring=plan.semiring)
    head_types = plan.types[rule.head.rel]
    columns = [exp.alias_(cast(compile_term(arg, body.env), head_types[i]), f"c{i}") for i, arg in enumerate(rule.head.args)]
    undefined = [exp.Not(this=exp.Is(this=compile_term(arg, body.env), expression=exp.Null()))
                 for arg in rule.head.args if may_be_undefined(arg)]  # an undefined value derives nothing
    if undefined:
        body.select.where(exp.and_(*undefined), copy=False)
    columns += [
        exp.alias_(body.height(), "_h"),
        exp.alias_(exp.Literal.number(index), "_r"),
        exp.alias_(cast(body.probability(), "float"), "_p"),
    ]
    return body.select.select(*columns, copy=False)


def _args(rel: str, plan: Plan, alias: str | None = None) -> list[exp.Column]:
    return [exp.column(f"c{i}", table=alias) for i in range(len(plan.types[rel]))]


def _same_tuple(rel: str, plan: Plan, a: str, b: str) -> exp.Expression:
    conds = [exp.EQ(this=x, expression=y) for x, y in zip(_args(rel, plan, a), _args(rel, plan, b))]
    return exp.and_(*conds) if conds else exp.true()


#: Heights and rule indexes travel packed in one integer, ``height * _PACK + rule``, so one MIN picks the
#: first derivation (lowest height, then lowest rule) in a plain GROUP BY instead of a window function.
_PACK = 1 << 20


def semi_naive_selects(plan: Plan, rules: list[tuple[int, Rule]], members: set[str], parity: int
                       ) -> dict[str, exp.Select]:
    """Per relation, the recursive rules with one recursive atom at a time reading delta ``parity``, deduplicated."""
    selects: dict[str, list[exp.Select]] = {}
    for i, rule in rules:
        for j, atom in enumerate(rule.positive_atoms()):
            if atom.rel in members:
                pick = (lambda j: lambda k, a: _delta_name(a.rel, parity) if k == j else table_name(a.rel))(j)
                selects.setdefault(rule.head.rel, []).append(rule_select(plan, i, pick))
    return {rel: _dedup(rel, plan, sels) for rel, sels in selects.items()}


def _dedup(rel: str, plan: Plan, selects: list[exp.Select], *, fresh: bool = False, distinct: bool = False) -> exp.Select:
    """Best candidate per tuple that is new (or, with probabilities, better than the stored one).

    ``fresh``: the relation's table is still empty, so nothing is compared with it; ``distinct``: the selects
    derive no tuple twice (:func:`distinct_heads`), so a fresh relation takes a single select's rows as they are.
    """
    union = selects[0] if len(selects) == 1 else exp.union(*selects, distinct=False)
    if plan.prob:
        return _dedup_choice(rel, plan, union)
    if plan.types[rel] and fresh and distinct and len(selects) == 1:
        return selects[0]
    if plan.types[rel]:
        return _dedup_grouped(rel, plan, union, fresh)
    order = exp.Order(expressions=[exp.Ordered(this=exp.column("_h")), exp.Ordered(this=exp.column("_r"))])
    window = exp.Window(this=exp.RowNumber(), partition_by=[], order=order)
    keep = [exp.column("_h"), exp.column("_r"), exp.column("_p")]
    ranked = exp.select(*keep, exp.alias_(window, "_rn")).from_(exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("cand"))))
    stored = exp.alias_(exp.to_table(table_name(rel)), "x", table=True)
    ranked = ranked.where(exp.Not(this=exp.Exists(this=exp.select(exp.Literal.number(1)).from_(stored))))
    return exp.select(*keep).from_(exp.Subquery(this=ranked, alias=exp.TableAlias(this=exp.to_identifier("b")))).where(
        exp.EQ(this=exp.column("_rn"), expression=exp.Literal.number(1)))


def _dedup_choice(rel: str, plan: Plan, union: exp.Expression) -> exp.Select:
    """With an idempotent semiring: per tuple, the derivation its ``sql_add`` chooses, if it is new or improves.

    Candidates and the stored rows of the same tuples are ranked together:
    first the rows whose value is within the tolerance of the semiring's
    choice ``sql_add(_p)``, then the stored row before a candidate (so a tie
    is no improvement), then by height and rule.  A tuple is kept when a
    candidate ranks first.
    """
    args = _args(rel, plan)
    keep = [*args, exp.column("_h"), exp.column("_r"), exp.column("_p")]
    cand = exp.select(*keep, exp.alias_(exp.Literal.number(0), "_old")).from_(
        exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("c"))))
    seen = exp.select(exp.Literal.number(1)).from_("cand_keys").where(_same_tuple(rel, plan, "cand_keys", "x"))
    old = (exp.select(*[col("x", c.name) for c in keep], exp.alias_(exp.Literal.number(1), "_old"))
           .from_(exp.alias_(exp.to_table(table_name(rel)), "x", table=True)).where(exp.Exists(this=seen)))
    both = exp.union(exp.select("*").from_("cand"), old, distinct=False)
    chosen = exp.Window(this=plan.semiring.sql_add(exp.column("_p")), partition_by=list(args))
    off = exp.GT(this=exp.func("ABS", exp.Sub(this=exp.column("_p"), expression=exp.column("_v"))),
                 expression=exp.Literal.number(_TOLERANCE))
    order = exp.Order(expressions=[exp.Ordered(this=off), exp.Ordered(this=exp.column("_old"), desc=True),
                                   exp.Ordered(this=exp.column("_h")), exp.Ordered(this=exp.column("_r"))])
    valued = exp.select("*", exp.alias_(chosen, "_v")).from_(exp.Subquery(this=both, alias=exp.TableAlias(this=exp.to_identifier("a"))))
    ranked = exp.select("*", exp.alias_(exp.Window(this=exp.RowNumber(), partition_by=list(args), order=order), "_rn")).from_(
        exp.Subquery(this=valued, alias=exp.TableAlias(this=exp.to_identifier("v"))))
    query = exp.select(*keep).from_(exp.Subquery(this=ranked, alias=exp.TableAlias(this=exp.to_identifier("b")))).where(
        exp.and_(exp.EQ(this=exp.column("_rn"), expression=exp.Literal.number(1)),
                 exp.EQ(this=exp.column("_old"), expression=exp.Literal.number(0))))
    keys = exp.select(*args).from_("cand").distinct() if args else exp.select(exp.Literal.number(1)).from_("cand").limit(1)
    return query.with_("cand", as_=cand).with_("cand_keys", as_=keys)


def _dedup_grouped(rel: str, plan: Plan, union: exp.Expression, fresh: bool) -> exp.Select:
    """New tuples, one per argument tuple, with the (height, rule) of their first derivation."""
    cand = exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("cand")))
    packed = exp.Add(this=exp.Mul(this=cast(exp.column("_h"), "number"), expression=exp.Literal.number(_PACK)),
                     expression=exp.column("_r"))
    grouped = exp.select(*_args(rel, plan), exp.alias_(exp.Min(this=packed), "_k")).from_(cand).group_by(*_args(rel, plan))
    if not fresh:
        stored = exp.alias_(exp.to_table(table_name(rel)), "x", table=True)
        exists = exp.select(exp.Literal.number(1)).from_(stored).where(_same_tuple(rel, plan, "x", "cand"))
        grouped = grouped.where(exp.Not(this=exp.Exists(this=exists)))
    key = exp.column("_k")
    return exp.select(*_args(rel, plan),
                      exp.alias_(exp.IntDiv(this=key, expression=exp.Literal.number(_PACK)), "_h"),
                      exp.alias_(exp.Mod(this=key, expression=exp.Literal.number(_PACK)), "_r"),
                      exp.alias_(exp.Literal.number(1.0), "_p")).from_(
        exp.Subquery(this=grouped, alias=exp.TableAlias(this=exp.to_identifier("g"))))


def distinct_heads(rule: Rule, sets: set[str], keys: Mapping[str, tuple[Key, ...]] | None = None) -> bool:
    """Whether a rule derives no head tuple twice: its positive atoms read relations stored as sets (``sets``)
    and each of them reads one row per head tuple, so distinct groundings give distinct heads (an aggregate
    joins one row per group, a negation only filters).

    An atom reads one row when every argument is a constant or a variable fixed by the head, or when the
    columns of one of its relation's declared ``keys`` are (then its other variables are fixed too:
    ``valid_wear_day(P, D, W) :- activity(P, D, _, _, M), M >= 600, W = ...`` with ``activity`` keyed on
    ``(patient, day)``).

    >>> from neurosym.logic._engine import Key
    >>> from neurosym.logic._parser import parse
    >>> r1, r2 = parse("h(P, W, N) :- w(P, W), N = count : { d(P, D), D < W }. g(P) :- w(P, _).").rules
    >>> distinct_heads(r1, {"w"}), distinct_heads(r2, {"w"}), distinct_heads(r1, set())
    (True, False, False)
    >>> distinct_heads(r2, {"w"}, {"w": (Key((0,), ("p",), "<text>:1:1"),)})
    True
    """
    fixed = {arg.name for arg in rule.head.args if isinstance(arg, Var)}

    def pinned(t: object) -> bool:
        return isinstance(t, Const) or (isinstance(t, Var) and not t.anonymous and t.name in fixed)

    atoms = rule.positive_atoms()
    if any(atom.rel not in sets for atom in atoms):
        return False
    grown = True
    while grown:  # variables fixed through keys fix the atoms they key in turn
        grown = False
        for atom in atoms:
            if any(all(pinned(atom.args[j]) for j in key.columns) for key in (keys or {}).get(atom.rel, ())):
                new = {t.name for t in atom.args if isinstance(t, Var) and not t.anonymous} - fixed
                fixed |= new
                grown = grown or bool(new)
    return all(all(pinned(t) for t in atom.args) or any(all(pinned(atom.args[j]) for j in key.columns)
                                                        for key in (keys or {}).get(atom.rel, ())) for atom in atoms)


def _names(lit: object) -> set[str] | None:
    """Named variables of a literal (None for an aggregate: not looked into)."""
    if isinstance(lit, Atom):
        return {v.name for v in lit.vars() if not v.anonymous}
    if isinstance(lit, Negation):
        return {v.name for v in lit.atom.vars() if not v.anonymous}
    if isinstance(lit, Comparison):
        return {v.name for v in [*term_vars(lit.left), *term_vars(lit.right)] if not v.anonymous}
    return None


def _determined(rule: Rule, fixed: set[str], keys: Mapping[str, tuple[Key, ...]]) -> set[str]:
    """The variables of ``rule`` that ``fixed`` ones determine: through atoms whose key (declared or inferred) they fix,
    assignments ``X = expr`` of determined variables, and aggregates whose variables shared with the rest of the rule
    are determined (an aggregate has one value per group)."""
    fixed = set(fixed)

    def known(t: object) -> bool:
        return isinstance(t, Const) or (isinstance(t, Var) and not t.anonymous and t.name in fixed)

    grown = True
    while grown:
        before = len(fixed)
        for k, lit in enumerate(rule.body):
            if isinstance(lit, Atom) and any(all(known(lit.args[j]) for j in key.columns) for key in keys.get(lit.rel, ())):
                fixed |= _names(lit) or set()
            elif isinstance(lit, Comparison) and lit.op == "=" and isinstance(lit.left, Var) and all(map(known, term_vars(lit.right))):
                fixed.add(lit.left.name)
            elif isinstance(lit, Assignment):
                inner = [_names(x) for x in lit.aggregate.body]
                rest = [_names(x) if not isinstance(x, Assignment) else {x.var.name} for i, x in enumerate(rule.body) if i != k]
                if any(n is None for n in inner):
                    continue
                mentioned = set().union(*inner) | {v.name for v in term_vars(lit.aggregate.expr)} if lit.aggregate.expr else set().union(*inner)
                elsewhere = set().union(*rest, {v.name for v in rule.head.vars()})
                if mentioned & elsewhere <= fixed:
                    fixed.add(lit.var.name)
        grown = len(fixed) > before
    return fixed


def derived_keys(plan: Plan, inputs: set[str] = frozenset()) -> dict[str, tuple[Key, ...]]:
    """Keys that derived relations have by construction, added to the declared ones (for :func:`distinct_heads`).

    A relation defined by one non-recursive rule (and no ``inputs`` facts) has the key of its head arguments bound by body atoms when they
    determine the rest of the head: ``week_active_minutes(P, W, S) :- sufficient_wear(P, W), S = sum ...`` holds
    one ``S`` per ``(P, W)`` (an aggregate's value per group), so ``week_active_minutes_scaled(P, W, M) :-
    week_active_minutes(P, W, S), week_worn_days(P, W, N), M = S * 7 / N`` reads one row of each per head.

    >>> from neurosym.logic import Program
    >>> plan = Program.from_text("w(P, W, N) :- s(P, W), N = count : d(P, W, _). m(P, W) :- w(P, W, N), N > 3.").evaluate(
    ...     {"s": [("a", 1)], "d": [("a", 1, 5)]}).plan
    >>> derived_keys(plan)
    {'w': (Key(0, 1),)}
    """
    keys = dict(plan.keys)
    for stratum in plan.strata:
        own = [r for r in plan.rules if r.head.rel in stratum]
        if len(stratum) != 1 or len(own) != 1 or own[0].is_fact or stratum[0] in keys or stratum[0] in inputs \
                or any(atom.rel == stratum[0] for atom, _ in body_atoms(own[0].body)):
            continue
        rule = own[0]
        bound = {v.name for atom in rule.positive_atoms() for v in atom.vars() if not v.anonymous}
        columns = tuple(i for i, t in enumerate(rule.head.args) if isinstance(t, Var) and t.name in bound)
        if len(columns) == len(rule.head.args):
            continue
        fixed = _determined(rule, {rule.head.args[i].name for i in columns}, keys)
        if all(isinstance(t, Const) or (isinstance(t, Var) and t.name in fixed) for t in rule.head.args):
            keys[stratum[0]] = (Key(columns, tuple(f"c{i}" for i in columns), "derived"),)
    return keys


def _projection_name(index: int, k: int) -> str:
    return f"proj_{index}_{k}"


def _grouped_joins(select: exp.Select) -> list[tuple[exp.Join, str]]:
    """The grouped aggregates of a compiled body: its LEFT JOINs of subqueries aliased ``<prefix>g`` (with their prefix)."""
    found = []
    for join in select.args.get("joins") or []:
        sub = join.this
        if isinstance(sub, exp.Subquery) and join.side == "LEFT" and isinstance(sub.this, exp.Select) \
                and re.fullmatch(r"(?:.*_)?a\d+_g", sub.alias or ""):
            found.append((join, sub.alias[:-1]))
    return found


def _renamed(node: exp.Expression, old: str, new: str) -> exp.Expression:
    """A copy of ``node`` with every table alias starting with ``old`` (an aggregate's prefix) starting with ``new``."""
    def rename(name: str) -> str:
        return new + name[len(old):] if name.startswith(old) else name

    def visit(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Column) and n.table:
            return exp.column(n.name, table=rename(n.table))
        if isinstance(n, exp.TableAlias) and n.name:
            return exp.TableAlias(this=exp.to_identifier(rename(n.name)))
        return n
    return node.copy().transform(visit)


def _value_columns(select: exp.Select) -> list[exp.Expression]:
    """The aggregate values of a grouped subquery (its projections not named ``k<i>``)."""
    return [e for e in select.expressions if not re.fullmatch(r"k\d+", e.alias_or_name)]


def _repoint(select: exp.Select, moves: dict[tuple[str, str], tuple[str, str]]) -> None:
    """Point the columns ``(table, name)`` of ``moves`` at their new ``(table, name)``, in place."""
    for column in list(select.find_all(exp.Column)):
        target = moves.get((column.table, column.name))
        if target is not None:
            column.replace(exp.column(target[1], table=target[0]))


def share_aggregates(select: exp.Select) -> exp.Select:
    """Compute sibling aggregates over the same rows in one grouped subquery (in place; returns ``select``).

    ``N = count : {night_sleep(P, D1, _), W = floor((D1 + 3) / 7)}, A = mean M : {night_sleep(P, D2, M), ...}``
    compile to two LEFT JOINs of subqueries that scan and group the same rows, differing only in their value:
    when two such subqueries are the same after renaming their aliases (same FROM, WHERE, GROUP BY and join
    condition), the second's value moves into the first, which the database then computes in one pass.

    >>> import sqlglot
    >>> q = sqlglot.parse_one("SELECT t0.c0 FROM r AS t0 "
    ...     "LEFT JOIN (SELECT a1_t0.c0 AS k0, COUNT(*) AS v FROM s AS a1_t0 GROUP BY a1_t0.c0) AS a1_g ON a1_g.k0 = t0.c0 "
    ...     "LEFT JOIN (SELECT a2_t0.c0 AS k0, SUM(a2_t0.c1) AS v FROM s AS a2_t0 GROUP BY a2_t0.c0) AS a2_g ON a2_g.k0 = t0.c0 "
    ...     "WHERE a1_g.v > a2_g.v", read="duckdb")
    >>> shared = share_aggregates(q)
    >>> [join.this.sql("duckdb") for join in shared.args["joins"]]
    ['(SELECT a1_t0.c0 AS k0, COUNT(*) AS v, SUM(a1_t0.c1) AS v1 FROM s AS a1_t0 GROUP BY a1_t0.c0) AS a1_g']
    >>> shared.args["where"].sql("duckdb")
    'WHERE a1_g.v > a1_g.v1'
    """
    groups: dict[str, tuple[exp.Join, str, int]] = {}
    moves: dict[tuple[str, str], tuple[str, str]] = {}
    for join, prefix in _grouped_joins(select):
        inner = join.this.this
        shape = _renamed(inner, prefix, "shared_")
        shape.set("expressions", [e for e in shape.expressions if e not in _value_columns(shape)])
        key = shape.sql(DIALECT) + " ON " + _renamed(join.args["on"], prefix, "shared_").sql(DIALECT)
        if key not in groups:
            groups[key] = (join, prefix, 0)
            continue
        first, first_prefix, count = groups[key]
        for value in _value_columns(inner):
            count += 1
            moved = _renamed(value.this if isinstance(value, exp.Alias) else value, prefix, first_prefix)
            first.this.this.select(exp.alias_(moved, f"v{count}"), copy=False)
            moves[(join.this.alias, value.alias_or_name)] = (first.this.alias, f"v{count}")
        groups[key] = (first, first_prefix, count)
        join.pop()
    _repoint(select, moves)
    return select


def _fold_into_projection(select: exp.Select, alias: str, table: str, kept: list[int]) -> list[str]:
    """Move the grouped aggregates that group ``table`` by exactly the projected columns into the projection.

    The projection of atom ``alias`` holds one row per value of the ``kept`` columns of ``table``; an aggregate
    subquery ``SELECT c<j>..., v FROM table GROUP BY c<j>...`` over the same columns (no filter, no join) joined on
    them has exactly one row per projected row, so its values are computed in the projection's own GROUP BY.
    Returns the value columns (``v AS v``, SQL) the projection adds; the joins are removed and their values read
    from ``alias`` (in place).
    """
    added: list[str] = []
    moves: dict[tuple[str, str], tuple[str, str]] = {}
    for join, prefix in _grouped_joins(select):
        inner = join.this.this
        source = inner.args.get("from_")
        if inner.args.get("joins") or inner.args.get("where") or inner.args.get("having") or source is None \
                or not isinstance(source.this, exp.Table) or source.this.name != table:
            continue
        inner_alias = source.this.alias_or_name
        keys = {e.alias: e.this for e in inner.expressions if re.fullmatch(r"k\d+", e.alias_or_name) and isinstance(e, exp.Alias)}
        groups = (inner.args.get("group") or exp.Group()).expressions
        conds = list(join.args["on"].flatten()) if isinstance(join.args["on"], exp.And) else [join.args["on"]]
        pairs = {}
        for cond in conds:
            if isinstance(cond, exp.EQ) and isinstance(cond.this, exp.Column) and isinstance(cond.expression, exp.Column) \
                    and cond.this.table == join.this.alias and cond.expression.table == alias:
                pairs[cond.this.name] = cond.expression.name
        wanted = {f"c{j}" for j in kept}
        same = all(isinstance(keys.get(k), exp.Column) and keys[k].table == inner_alias and keys[k].name == c
                   for k, c in pairs.items())
        if not (same and len(pairs) == len(conds) == len(keys) == len(groups) and set(pairs.values()) == wanted
                and {g.name for g in groups if isinstance(g, exp.Column) and g.table == inner_alias} == wanted):
            continue
        for value in _value_columns(inner):
            name = f"v{len(added)}"
            expression = (value.this if isinstance(value, exp.Alias) else value).copy().transform(  # the projection reads p
                lambda n: exp.column(n.name, table="p") if isinstance(n, exp.Column) and n.table == inner_alias else n)
            added.append(f"{expression.sql(DIALECT)} AS {name}")
            moves[(join.this.alias, value.alias_or_name)] = (alias, name)
        join.pop()
    _repoint(select, moves)
    return added


def _projected(plan: Plan, own: list[tuple[int, Rule]], sets: set[str], empty: set[str],
               keys: Mapping[str, tuple[Key, ...]] | None = None) -> tuple[list[tuple[str, str]], str | None]:
    """A relation's only rule with its atoms' ``_`` columns projected away first, when that makes its heads distinct.

    ``night_sleep(P, D, T) :- sleep_record(P, D, _, _), T = sum ...`` derives one head per *record* and needs a
    GROUP BY over all of them; reading ``sleep_record`` projected on ``(P, D)`` (distinct, lowest height) derives
    each head once, so the rows go straight into the table.  An aggregate that groups the same relation by the same
    columns (``T = sum M : {sleep_record(P, D, M, R)}``) is computed in the projection's GROUP BY instead of a second
    pass and a join (:func:`_fold_into_projection`).  Returns the temporary views (name, ``CREATE``
    statement) and the rule's SELECT over them, or ``([], None)`` where that does not apply (several rules, stated facts,
    probabilities, an atom variable that is not a head argument, an atom that is not a set).
    """
    if plan.prob or len(own) != 1 or own[0][1].head.rel not in empty:
        return [], None
    index, rule = own[0]
    if distinct_heads(rule, sets, plan.keys if keys is None else keys):
        return [], None
    head = {arg.name for arg in rule.head.args if isinstance(arg, Var)}
    views: dict[int, tuple[str, list[int]]] = {}
    for k, atom in enumerate(rule.positive_atoms()):
        kept = [j for j, t in enumerate(atom.args) if not (isinstance(t, Var) and t.anonymous)]
        if any(isinstance(atom.args[j], Var) and atom.args[j].name not in head for j in kept):
            return [], None
        if len(kept) == len(atom.args):
            if atom.rel not in sets:
                return [], None
            continue
        views[k] = (table_name(atom.rel), kept)
    if not views:
        return [], None
    pick = lambda k, atom: _projection_name(index, k) if k in views else table_name(atom.rel)  # noqa: E731
    select = share_aggregates(rule_select(plan, index, pick))
    statements = []
    for k, (table, kept) in sorted(views.items()):
        values = "".join(f", {v}" for v in _fold_into_projection(select, f"t{k}", table, kept)) if kept else ""
        lead = "".join(f"p.c{j} AS c{j}, " for j in kept)
        group = f" GROUP BY {', '.join(f'p.c{j}' for j in kept)}" if kept else " HAVING COUNT(*) > 0"
        name = _projection_name(index, k)
        statements.append((name, f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {lead}MIN(p._h) AS _h, 1.0 AS _p{values} "
                                 f"FROM {table} AS p{group}"))
    return statements, _dedup(rule.head.rel, plan, [select], fresh=True, distinct=True).sql(DIALECT)


def deduplicated_inputs(plan: Plan) -> set[str]:
    """Input relations whose duplicate rows are removed on loading: those read inside ``count``, ``sum`` and
    ``mean``, all with probabilities, and the nullary ones (elsewhere duplicates change no result)."""
    aggregated = {atom.rel for rule in plan.rules for lit in rule.body if isinstance(lit, Assignment)
                  and lit.aggregate.func in ("count", "sum", "mean") for atom, _ in body_atoms(lit.aggregate.body)}
    found = set(plan.types) if plan.prob else aggregated | {rel for rel, types in plan.types.items() if not types}
    return found - set(plan.keys)  # a keyed relation's rows are checked unique instead (_check_key)


#: Rows read per batch when checking that input facts come in the order of a key.
_KEY_BATCH = 1 << 20


def _in_key_order(con: duckdb.DuckDBPyConnection, source: str, columns: list[str]) -> bool:
    """Whether the rows of ``source`` come with strictly increasing ``columns`` (compared as tuples): then no two
    share a value.  One ordered scan of the key columns, compared in Arrow batch by batch."""
    import pyarrow.compute as pc

    con.execute("SET preserve_insertion_order = true")  # the rows in the order the facts hold them
    reader = None
    try:
        reader = con.sql(f"SELECT {', '.join(columns)} FROM {source}").to_arrow_reader(_KEY_BATCH)
        last = None
        for batch in reader:
            n = batch.num_rows
            if not n:
                continue
            if last is not None and not last < tuple(c[0].as_py() for c in batch.columns):
                return False
            increasing = equal = None  # row i < row i + 1: first unequal column decides
            for column in batch.columns:
                a, b = column.slice(0, n - 1), column.slice(1)
                less = pc.less(a, b)
                increasing = less if increasing is None else pc.or_(increasing, pc.and_(equal, less))
                equal = pc.equal(a, b) if equal is None else pc.and_(equal, pc.equal(a, b))
            if n > 1 and not pc.all(increasing).as_py():
                return False
            last = tuple(c[n - 1].as_py() for c in batch.columns)
        return True
    finally:
        if reader is not None:
            reader.close()  # an early answer leaves rows unread
        con.execute("SET preserve_insertion_order = false")


def check_key(con: duckdb.DuckDBPyConnection, rel: str, source: str, key: Key) -> None:
    """Raise :class:`~neurosym.EvaluationError` when two input rows of ``rel`` (``source``: a FROM item with columns
    ``c0..``) have the same values in the columns of ``key``, naming the first such value and the declaration.

    Facts that come sorted by the key (as the facts stage writes them) are checked in one ordered scan
    (:func:`_in_key_order`); others by grouping on the key columns.
    """
    columns = [f"c{j}" for j in key.columns]
    if _in_key_order(con, source, columns):
        return
    listed = ", ".join(columns)
    row = con.execute(f"SELECT {listed}, COUNT(*) FROM {source} GROUP BY {listed} HAVING COUNT(*) > 1 ORDER BY {listed} LIMIT 1"
                      ).fetchone()
    if row is not None:
        raise EvaluationError(f"relation {rel}: {row[-1]} input rows have the key ({', '.join(key.names)}) = "
                              f"({', '.join(map(repr, row[:-1]))}); the key declared at {key.where} allows one row per value")


def _linear(plan: Plan, stratum: list[str], rules: list[tuple[int, Rule]]) -> bool:
    """Whether a stratum fits ``WITH RECURSIVE ... UNION`` and surely terminates there.

    One relation, exactly one recursive rule using it once in its body, no
    probabilities, and a recursive head built only from atom variables and
    constants (no arithmetic that could invent values forever: such programs
    take the semi-naive path, whose round limit stops them).
    """
    rel = stratum[0]
    if plan.prob or len(stratum) != 1 or not plan.types[rel]:
        return False
    if sum(any(a.rel == rel for a in r.positive_atoms()) for _, r in rules) != 1:
        return False  # DuckDB's WITH RECURSIVE takes one recursive term
    for _, rule in rules:
        uses = sum(a.rel == rel for a in rule.positive_atoms())
        if uses > 1:
            return False
        if uses:
            atom_vars = {v.name for a in rule.positive_atoms() for v in a.vars()}
            if not all(isinstance(t, Const) or (isinstance(t, Var) and t.name in atom_vars) for t in rule.head.args):
                return False
    return True


#: SQL compiled for recent plans, so evaluating a program again skips SQLGlot (most of the Python time of a small
#: evaluation): plan key -> (the plan's rules, statement key -> SQL).  Probabilistic plans are compiled every time.
_COMPILED: OrderedDict[tuple, tuple[tuple[Rule, ...], dict]] = OrderedDict()
_COMPILED_PLANS = 16


def _compiled(plan: Plan, sets: set[str], empty: set[str]) -> dict:
    """The statement cache of ``plan``: its rules, column types and strata and the relations stored as sets
    (``sets``) and without stated facts (``empty``) decide every statement the engine compiles."""
    if plan.prob:
        return {}
    key = (id(plan.rules), len(plan.rules), tuple((rel, tuple(t)) for rel, t in sorted(plan.types.items())),
           tuple(map(tuple, plan.strata)), frozenset(sets), frozenset(empty), repr(sorted(plan.keys.items())))
    hit = _COMPILED.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], plan.rules)):  # the same rule objects, in order
        _COMPILED.move_to_end(key)
        return hit[1]
    _COMPILED[key] = (tuple(plan.rules), Statements.load(plan, sets, empty))  # compiled by an earlier process, if any
    while len(_COMPILED) > _COMPILED_PLANS:
        _COMPILED.popitem(last=False)
    return _COMPILED[key][1]


def _check_limits(limits: Limits, stratum: list[str], rounds: int, start: float) -> None:
    if rounds > limits.max_iterations:
        raise EvaluationError(f"stratum {stratum} did not reach a fixpoint within {limits.max_iterations} rounds; raise max_iterations")
    if limits.timeout is not None and time.perf_counter() - start > limits.timeout:
        raise EvaluationError(f"evaluation exceeded the time-out of {limits.timeout} s (stratum {stratum}, round {rounds})")


class NativeEngine:
    """Evaluate a :class:`Plan` in an in-process DuckDB database; the registered ``"native"`` engine.

    Parameters
    ----------
    threads : int, optional
        DuckDB worker threads (default: all cores).
    """

    name = "native"

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads

    def run(self, plan: Plan, inputs: Mapping[str, InputRelation], limits: Limits = Limits()) -> ResultStore:
        """Evaluate and return the result store (which adopts the database and exports Arrow tables from it when needed).

        Facts read into a database (:func:`~neurosym.logic._factsio.load_facts`) are evaluated in that database.
        """
        con = self._connection(inputs)
        if limits.memory_limit:
            con.execute(f"SET temp_directory = '{tempfile.mkdtemp(prefix='neurosym-duckdb-')}'")
            con.execute(f"SET memory_limit = '{_memory_size(limits.memory_limit)}'")
        start = time.perf_counter()
        # The time-out holds inside one statement too: a timer interrupts the database, which then raises.
        timer = threading.Timer(limits.timeout, con.interrupt) if limits.timeout is not None else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        stratum: list[str] = []
        for rel, keys in plan.keys.items():
            defined = next((r for r in plan.rules if r.head.rel == rel), None)
            if defined is not None:
                raise EvaluationError(f"relation {rel} has a key (declared at {keys[0].where}) but rule {defined.id} defines it: "
                                      "keys are declared for input relations, whose facts are checked on loading")
        # relations stored without duplicates: derived ones, deduplicated inputs and inputs with a (checked) key
        sets = (set(plan.types) - set(inputs)) | deduplicated_inputs(plan) | (set(plan.keys) & set(inputs))
        empty = set(plan.types) - set(inputs) - {r.head.rel for r in plan.rules if r.is_fact}  # until derived
        self._sql = _compiled(plan, sets, empty)
        self._derived: dict[str, tuple[Key, ...]] | None = None  # derived_keys(plan), when a statement is compiled
        self._inputs = set(inputs)
        try:
            self._create_tables(con, plan, inputs)
            self._load_inputs(con, plan, inputs)
            self._load_rule_facts(con, plan)
            for stratum in plan.strata:
                self._stratum(con, plan, stratum, start, limits, sets, empty)
            if isinstance(self._sql, Statements):
                self._sql.save()
        except duckdb.InterruptException as err:
            raise EvaluationError(f"evaluation exceeded the time-out of {limits.timeout} s (stratum {stratum})") from err
        except duckdb.OutOfMemoryException as err:
            raise EvaluationError(f"evaluation exceeded the memory limit of {limits.memory_limit} (stratum {stratum}): {err}") from err
        except duckdb.Error as err:
            where = f"evaluating {', '.join(stratum)}" if stratum else "loading the facts"
            raise EvaluationError(f"{where} failed in the database: {err}") from err
        finally:
            if timer is not None:
                timer.cancel()
        return ResultStore(None, plan.types, connection=con, sources={rel: data.source_type for rel, data in inputs.items()},
                           sets=sets)

    def _connection(self, inputs: Mapping[str, InputRelation]) -> duckdb.DuckDBPyConnection:
        """The database the facts were read into (when they all are in one), else a fresh one."""
        databases = {id(d.data.connection): d.data.connection for d in inputs.values()
                     if isinstance(d.data, DatabaseTable) and d.data.table is not None}
        if len(databases) != 1:
            return duckdb_connection(self.threads)
        con = next(iter(databases.values()))
        if self.threads:
            con.execute(f"SET threads = {int(self.threads)}")
        return con

    def _keys(self, plan: Plan) -> dict[str, tuple[Key, ...]]:
        """Declared and inferred keys (:func:`derived_keys`), computed once per run when a statement needs them."""
        if self._derived is None:
            self._derived = derived_keys(plan, self._inputs)
        return self._derived

    def _cached(self, key: tuple, build: Callable[[], object]):
        """The compiled statement(s) ``key`` of this plan, built once (:func:`_compiled`)."""
        if key not in self._sql:
            self._sql[key] = build()
        return self._sql[key]

    def _create_tables(self, con, plan: Plan, inputs: Mapping[str, InputRelation]) -> None:
        """Every relation's table, in one call to the database."""
        statements = []
        for rel, types in plan.types.items():
            source = inputs[rel].source_type if rel in inputs else None
            columns = [f"c{i} {SQL_TYPES[t]}" for i, t in enumerate(types)]
            columns += ["_h INTEGER", "_r INTEGER", "_p DOUBLE", f"_s {SQL_TYPES[source or 'symbol']}"]
            statements.append(f"CREATE TABLE {table_name(rel)} ({', '.join(columns)})")
        if statements:
            con.execute(";\n".join(statements))

    def _load_inputs(self, con, plan: Plan, inputs: Mapping[str, InputRelation]) -> None:
        """Copy input facts into their tables (through Arrow, without Python objects).

        Relations are sets, but removing duplicate input rows costs a hash
        aggregate over every column; it is done only where duplicates could
        change a result (:func:`deduplicated_inputs`): inside ``count``,
        ``sum`` and ``mean`` and with probabilities (a tuple keeps its highest
        probability, so a semiring counts it once); ``min`` and ``max`` do not
        care.  Elsewhere rule evaluation and :class:`Model` queries deduplicate.
        A relation with a declared key is checked instead (:func:`check_key`).
        """
        deduplicated = deduplicated_inputs(plan)
        for rel, data in inputs.items():
            if not len(data):
                continue
            view = self._input_view(con, rel, data)
            args = [f"c{i}" for i in range(len(plan.types[rel]))]
            typed = [f"CAST(c{i} AS {SQL_TYPES[t]}) AS c{i}" for i, t in enumerate(plan.types[rel])]
            inner = f"SELECT {', '.join(typed + (['_p'] if data.has_prob else []) + (['_s'] if data.source_type else []))} FROM {view}"
            for key in plan.keys.get(rel, ()):
                check_key(con, rel, f"({inner}) AS i", key)
            if rel in deduplicated:
                prob = "MAX(_p)" if data.has_prob else "1.0"
                src = "MIN(_s)" if data.source_type else "NULL"
                group = f" GROUP BY {', '.join(args)}" if args else ""
                con.execute(f"INSERT INTO {table_name(rel)} SELECT {', '.join(args + ['0', '-1', prob, src])} FROM ({inner}) AS i{group}")
            else:
                src = "_s" if data.source_type else "NULL"
                prob = "_p" if data.has_prob else "1.0"
                con.execute(f"INSERT INTO {table_name(rel)} SELECT {', '.join(args + ['0', '-1', prob, src])} FROM ({inner}) AS i")
            if isinstance(data.data, DatabaseTable) and data.data.connection is con:
                con.execute(f"DROP {'VIEW' if data.data.view else 'TABLE'} {view}")  # the rows now live in the relation's table
            else:
                con.unregister(view)

    @staticmethod
    def _input_view(con, rel: str, data: InputRelation) -> str:
        """The name under which ``con`` sees the facts: their own table, or a registered Arrow view of them."""
        if isinstance(data.data, DatabaseTable) and data.data.connection is con:
            return data.data.table
        import pyarrow as pa

        view = f"input_{sql_name(rel)}"
        con.register(view, pa.Table.from_pandas(data.frame, preserve_index=False))
        return view

    def _load_rule_facts(self, con, plan: Plan) -> None:
        """The program's facts, one statement per relation (:meth:`_facts_sql`)."""
        for rel in dict.fromkeys(rule.head.rel for rule in plan.rules if rule.is_fact):
            con.execute(self._cached(("facts", rel), lambda: self._facts_sql(plan, rel)))

    @staticmethod
    def _facts_sql(plan: Plan, rel: str) -> str:
        """Insert the facts the program states for ``rel``: each tuple once, with its first rule, unless stored already."""
        types = plan.types[rel]
        selects = []
        for index, rule in enumerate(plan.rules):
            if not rule.is_fact or rule.head.rel != rel:
                continue
            values = [cast(compile_term(arg, {}), types[i]) for i, arg in enumerate(rule.head.args)]
            select = exp.select(*[exp.alias_(v, f"c{i}") for i, v in enumerate(values)], exp.alias_(exp.Literal.number(index), "_r"))
            for arg, value in zip(rule.head.args, values):
                if may_be_undefined(arg):  # an undefined value (1 / 0) states no fact
                    select = select.where(exp.Not(this=exp.Is(this=value, expression=exp.Null())), copy=False)
            selects.append(select)
        union = selects[0] if len(selects) == 1 else exp.union(*selects, distinct=False)
        args = [exp.column(f"c{i}") for i in range(len(types))]
        stored = exp.alias_(exp.to_table(table_name(rel)), "x", table=True)
        exists = exp.select(exp.Literal.number(1)).from_(stored)
        if args:
            exists = exists.where(exp.and_(*[exp.EQ(this=exp.column(f"c{i}", table="x"), expression=exp.column(f"c{i}", table="f"))
                                             for i in range(len(types))]))
        query = exp.select(*[exp.column(f"c{i}", table="f") for i in range(len(types))], exp.Literal.number(0),
                           exp.Min(this=exp.column("_r", table="f")), exp.Literal.number(1.0), exp.Null()).from_(
            exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("f"))))
        query = query.group_by(*[exp.column(f"c{i}", table="f") for i in range(len(types))]) if args else \
            query.having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0)))
        query = query.where(exp.Not(this=exp.Exists(this=exists)))
        return f"INSERT INTO {table_name(rel)} {query.sql(DIALECT)}"

    def _stratum(self, con, plan: Plan, stratum: list[str], start: float, limits: Limits, sets: set[str], empty: set[str]) -> None:
        """Evaluate one stratum; ``sets`` are the relations stored without duplicates, ``empty`` those without stated facts."""
        members = set(stratum)
        rules = [(i, r) for i, r in enumerate(plan.rules) if r.head.rel in members and not r.is_fact]
        if plan.prob and not plan.semiring.idempotent:
            self._all_derivations(con, plan, stratum, rules, start, limits)
            return
        recursive = any(atom.rel in members for _, r in rules for atom in r.positive_atoms())
        if not recursive:
            for rel in stratum:
                own = [(i, r) for i, r in rules if r.head.rel == rel]
                views, projected = self._cached(("projected", rel), lambda: _projected(plan, own, sets, empty, self._keys(plan)))
                if views:  # the atoms' _ columns projected away first: each head derived once
                    con.execute(";\n".join(sql for _, sql in views))
                    self._insert(con, plan, rel, projected)
                    con.execute(";\n".join(f"DROP VIEW {name}" for name, _ in views))
                elif own:
                    self._insert(con, plan, rel, self._first_sql(plan, rel, rules, sets, empty, recursive))
            return
        if _linear(plan, stratum, rules):
            self._recursive_cte(con, plan, stratum[0], rules, fresh=stratum[0] in empty)
            return
        first_sql = {rel: self._first_sql(plan, rel, rules, sets, empty, recursive)
                     for rel in stratum if any(r.head.rel == rel for _, r in rules)}
        # Semi-naive rounds alternate between two delta tables per relation, so no table is renamed or dropped
        # inside the loop: round k writes delta_<rel>_<k % 2> and its rules read the other one.
        next_sql = [self._cached(("next", tuple(stratum), parity), lambda: self._variants(plan, rules, members, parity))
                    for parity in (0, 1)]
        counts = {rel: self._delta_round(con, plan, rel, first_sql.get(rel), 0) for rel in stratum}
        rounds = 0
        while any(counts.values()):
            rounds += 1
            _check_limits(limits, stratum, rounds, start)
            sql = next_sql[(rounds - 1) % 2]
            counts = {rel: self._delta_round(con, plan, rel, sql.get(rel), rounds % 2) for rel in stratum}
        for rel in stratum:
            for parity in (0, 1):
                con.execute(f"DROP TABLE IF EXISTS {_delta_name(rel, parity)}")

    def _first_sql(self, plan: Plan, rel: str, rules: list[tuple[int, Rule]], sets: set[str], empty: set[str],
                   recursive: bool) -> str:
        """Round 0 of ``rel``: every rule on the full tables, new tuples only (compiled once per plan)."""
        full = lambda k, atom: table_name(atom.rel)  # noqa: E731
        own = [(i, r) for i, r in rules if r.head.rel == rel]
        return self._cached(("first", rel), lambda: _dedup(
            rel, plan, [share_aggregates(rule_select(plan, i, full)) for i, _ in own], fresh=not recursive and rel in empty,
            distinct=all(distinct_heads(r, sets, self._keys(plan)) for _, r in own)).sql(DIALECT))

    def _all_derivations(self, con, plan: Plan, stratum: list[str], rules: list[tuple[int, Rule]], start: float,
                         limits: Limits) -> None:
        """A non-idempotent semiring: every round recomputes each tuple from all its derivations.

        A tuple's value is the semiring's ``sql_add`` over its stored input or
        program facts (``base_<rel>``, fixed when the stratum starts) and every
        grounding of every rule deriving it; its height and rule are those of
        its lowest derivation.  A non-recursive stratum takes one round, a
        recursive one repeats until no tuple appears and no value moves by
        more than the tolerance.
        """
        members = set(stratum)
        recursive = any(atom.rel in members for _, r in rules for atom in r.positive_atoms())
        full = lambda k, atom: table_name(atom.rel)  # noqa: E731
        sql = {rel: self._combined(plan, rel, [rule_select(plan, i, full) for i, r in rules if r.head.rel == rel])
               for rel in stratum}
        for rel in stratum:
            con.execute(f"CREATE OR REPLACE TEMP TABLE base_{sql_name(rel)} AS SELECT * FROM {table_name(rel)}")
        rounds = 0
        while True:
            rounds += 1
            _check_limits(limits, stratum, rounds, start)
            for rel in stratum:
                con.execute(f"CREATE OR REPLACE TEMP TABLE next_{sql_name(rel)} AS {sql[rel]}")
            changed = 0
            for rel in stratum:
                same = _same_tuple(rel, plan, "n", "x").sql(DIALECT)
                changed += con.execute(f"SELECT COUNT(*) FROM next_{sql_name(rel)} n LEFT JOIN {table_name(rel)} x ON {same} "
                                       f"WHERE x._p IS NULL OR ABS(n._p - x._p) > {_TOLERANCE}").fetchone()[0]
            for rel in stratum:
                con.execute(f"DELETE FROM {table_name(rel)}")
                con.execute(f"INSERT INTO {table_name(rel)} SELECT * FROM next_{sql_name(rel)}")
            if not recursive or not changed:
                break
        for rel in stratum:
            con.execute(f"DROP TABLE base_{sql_name(rel)}")
            con.execute(f"DROP TABLE next_{sql_name(rel)}")

    @staticmethod
    def _combined(plan: Plan, rel: str, selects: list[exp.Select]) -> str:
        """Per tuple of ``rel``: ``sql_add`` of all its alternatives, its lowest (height, rule), its source."""
        args = ", ".join(f"c{i}" for i in range(len(plan.types[rel])))
        lead = f"{args}, " if args else ""
        parts = [f"SELECT * FROM base_{sql_name(rel)}"]
        parts += [f"SELECT {lead}_h, _r, _p, NULL AS _s FROM ({sel.sql(DIALECT)}) AS d{k}" for k, sel in enumerate(selects)]
        value = plan.semiring.sql_add(exp.column("_p")).sql(DIALECT)
        group = f" GROUP BY {args}" if args else " HAVING COUNT(*) > 0"
        grouped = (f"SELECT {lead}MIN(CAST(_h AS BIGINT) * {_PACK} + _r) AS _k, {value} AS _p, MIN(_s) AS _s "
                   f"FROM ({' UNION ALL '.join(parts)}) AS a{group}")
        return (f"SELECT {lead}CAST(_k // {_PACK} AS INTEGER) AS _h, CAST(_k % {_PACK} AS INTEGER) AS _r, "
                f"CAST(_p AS DOUBLE) AS _p, _s FROM ({grouped}) AS g")

    def _recursive_cte(self, con, plan: Plan, rel: str, rules: list[tuple[int, Rule]], fresh: bool) -> None:
        """Evaluate a linearly recursive relation with one ``WITH RECURSIVE ... UNION`` query.

        The database keeps the deduplication table across iterations, which is
        far faster than anti-joining every round.  Such tuples get no recorded
        rule or height (NULL); :meth:`Model.explain` then searches their proofs
        with a cycle check instead of the height bound.
        """
        con.execute(self._cached(("recursive", rel), lambda: self._recursive_sql(plan, rel, rules, fresh)))

    @staticmethod
    def _recursive_sql(plan: Plan, rel: str, rules: list[tuple[int, Rule]], fresh: bool) -> str:
        cte = f"rec_{sql_name(rel)}"
        types = plan.types[rel]
        args = [f"c{i}" for i in range(len(types))]
        base = [exp.select(*[exp.column(a) for a in args]).from_(table_name(rel))]
        step = []
        for i, rule in rules:
            recursive = any(a.rel == rel for a in rule.positive_atoms())
            table_for = (lambda k, atom: cte if atom.rel == rel else table_name(atom.rel))
            body = compile_body(list(rule.body), plan.types, table_for=table_for)
            select = body.select.select(*[exp.alias_(cast(compile_term(arg, body.env), types[k]), f"c{k}")
                                          for k, arg in enumerate(rule.head.args)], copy=False)
            (step if recursive else base).append(select)
        anchor = base[0] if len(base) == 1 else exp.union(*base, distinct=True)
        steps = step[0] if len(step) == 1 else exp.union(*step, distinct=False)
        query = (f"WITH RECURSIVE {cte}({', '.join(args)}) AS ({anchor.sql(DIALECT)} UNION {steps.sql(DIALECT)}) "
                 f"SELECT {', '.join(args)}, NULL, NULL, 1.0, NULL FROM {cte} AS n")
        if not fresh:  # the table holds stated facts, which the recursion also returns
            query += (f" WHERE NOT EXISTS (SELECT 1 FROM {table_name(rel)} AS x WHERE "
                      + " AND ".join(f"x.{a} = n.{a}" for a in args) + ")")
        return f"INSERT INTO {table_name(rel)} {query}"

    def _variants(self, plan: Plan, rules: list[tuple[int, Rule]], members: set[str], parity: int) -> dict[str, str]:
        """:func:`semi_naive_selects` as DuckDB SQL."""
        return {rel: select.sql(DIALECT) for rel, select in semi_naive_selects(plan, rules, members, parity).items()}

    def _insert(self, con, plan: Plan, rel: str, sql: str, source: str | None = None) -> int:
        """Store new (or, with probabilities, improved) tuples; return how many."""
        args = ", ".join(f"c{i}" for i in range(len(plan.types[rel])))
        cols = f"{args}, " if args else ""
        if source is None and not plan.prob:
            return con.execute(f"INSERT INTO {table_name(rel)} SELECT {cols}_h, _r, _p, NULL FROM ({sql}) AS n").fetchone()[0]
        if source is None:
            source = _new_name(rel)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {source} AS {sql}")
        if plan.prob:
            same = " AND ".join(f"d.c{i} = {table_name(rel)}.c{i}" for i in range(len(plan.types[rel]))) or "TRUE"
            con.execute(f"DELETE FROM {table_name(rel)} WHERE EXISTS (SELECT 1 FROM {source} d WHERE {same})")
        return con.execute(f"INSERT INTO {table_name(rel)} SELECT {cols}_h, _r, _p, NULL FROM {source}").fetchone()[0]

    def _delta_round(self, con, plan: Plan, rel: str, sql: str | None, parity: int) -> int:
        delta = _delta_name(rel, parity)
        if sql is None:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {delta} AS SELECT * FROM {table_name(rel)} LIMIT 0")
            return 0
        count = con.execute(f"CREATE OR REPLACE TEMP TABLE {delta} AS {sql}").fetchone()[0]
        if count:
            self._insert(con, plan, rel, sql, source=delta)
        return count
