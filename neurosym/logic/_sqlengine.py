"""Semi-naive evaluation driven from Python over any SQL backend (Spark SQL, PostgreSQL).

The driver runs a :class:`~neurosym.logic.Plan` stratum by stratum as the
native engine does, with the same compiled SQLGlot trees
(:func:`~neurosym.logic._native.rule_select`, the same deduplication
queries), translated by :func:`~neurosym.logic._dialects.to_sql`.  A backend
only knows how to hold tables: create one per relation, load input rows,
materialise a query as a named table and add, replace or overwrite a
relation's rows with one.  So both engines give each derived tuple the rule
and height of its first derivation (``_r``, ``_h``), combine probabilities
through the plan's semiring, and a recursive stratum runs in rounds that each
read only the previous round's new tuples (its *delta*) until none appear.

A non-recursive stratum is one SQL statement per relation; a recursive one is
one statement per relation and round; a non-idempotent semiring recomputes
every tuple of its stratum from all its derivations each round, as
:class:`~neurosym.logic._native.NativeEngine` does.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa
from sqlglot import exp

from neurosym.logic._ast import Assignment, Rule
from neurosym.logic._checks import body_atoms
from neurosym.logic._dialects import to_sql
from neurosym.logic._engine import Limits, Plan
from neurosym.logic._inputs import InputRelation
from neurosym.logic._native import (NativeEngine, _check_limits, _dedup, _delta_name, _same_tuple, rule_select,
                                   semi_naive_selects)
from neurosym.logic._sql import cast, compile_term, may_be_undefined, sql_name, table_name
from neurosym.logic._store import relation_schema

if TYPE_CHECKING:
    from neurosym.logic._store import ResultStore

__all__ = ["SQLBackend", "SQLDriver", "dedup_inputs", "input_table"]


class SQLBackend(Protocol):
    """Tables of one evaluation in an SQL engine; every table has the columns of :func:`relation_schema`."""

    dialect: str

    def create(self, rel: str, schema: pa.Schema) -> None:
        """An empty table for relation ``rel`` (named ``table_name(rel)``)."""

    def load(self, rel: str, data: InputRelation, dedup: bool) -> None:
        """Add ``data``'s rows to ``rel`` (height 0, rule -1), one row per tuple when ``dedup``."""

    def materialize(self, name: str, sql: str, count: bool = True) -> int:
        """Store the rows of query ``sql`` (columns ``c0.., _h, _r, _p``) as table ``name``; their number.

        With ``count=False`` the number may be any positive stand-in (the
        caller adds the rows whatever their number): a backend may then defer
        the work to the next statement that reads ``name``.
        """

    def append(self, rel: str, name: str) -> None:
        """Add the rows of table ``name`` to ``rel``."""

    def replace(self, rel: str, name: str) -> None:
        """Replace the tuples of ``rel`` that are in table ``name`` by ``name``'s rows (improved probabilities)."""

    def overwrite(self, rel: str, name: str) -> None:
        """Make the rows of ``rel`` those of table ``name``."""

    def drop(self, name: str) -> None:
        """Drop a table made by :meth:`materialize`, if it exists."""

    def result(self, plan: Plan, schemas: Mapping[str, pa.Schema]) -> "ResultStore":
        """Every relation as a result store."""


def dedup_inputs(plan: Plan) -> set[str]:
    """Input relations whose duplicate rows could change a result (read by ``count``/``sum``/``mean``, or any with probabilities).

    The same choice as :meth:`NativeEngine._load_inputs <neurosym.logic._native.NativeEngine>`.
    """
    aggregated = {atom.rel for rule in plan.rules for lit in rule.body if isinstance(lit, Assignment)
                  and lit.aggregate.func in ("count", "sum", "mean") for atom, _ in body_atoms(lit.aggregate.body)}
    return set(plan.types) if plan.prob else aggregated | {rel for rel, types in plan.types.items() if not types}


def input_table(plan: Plan, rel: str, data: InputRelation) -> pa.Table:
    """An input relation's rows as Arrow (height 0, rule -1, probability 1 unless given).

    Argument columns keep the facts' own types (the program's where a column
    is untyped); engines cast them to the relation's types in SQL, as the
    native engine does.
    """
    types = [own or planned for own, planned in zip(data.types, plan.types[rel])]
    schema = relation_schema(types, data.source_type)
    frame = data.frame
    n = len(frame)
    columns = [pa.array(frame[f"c{i}"], type=schema.field(i).type, from_pandas=True) for i in range(len(types))]
    columns += [pa.array([0] * n, pa.int32()), pa.array([-1] * n, pa.int32()),
                pa.array(frame["_p"], pa.float64()) if data.has_prob else pa.array([1.0] * n, pa.float64()),
                pa.array(frame["_s"], schema.field("_s").type, from_pandas=True) if data.source_type
                else pa.nulls(n, schema.field("_s").type)]
    return pa.Table.from_arrays(columns, schema=schema)


class SQLDriver:
    """Runs plans on a :class:`SQLBackend`: the evaluation loop shared by the Spark and PostgreSQL engines."""

    def __init__(self, backend: SQLBackend) -> None:
        self.backend = backend

    def sql(self, tree: exp.Expression | str) -> str:
        """``tree`` (or DuckDB SQL text) in the backend's dialect."""
        return to_sql(tree, self.backend.dialect)

    def run(self, plan: Plan, inputs: Mapping[str, InputRelation], limits: Limits) -> dict[str, pa.Schema]:
        """Evaluate every stratum; the relations' Arrow schemas (for :meth:`SQLBackend.result`)."""
        start = time.perf_counter()
        schemas = {rel: relation_schema(types, inputs[rel].source_type if rel in inputs else None)
                   for rel, types in plan.types.items()}
        for rel, schema in schemas.items():
            self.backend.create(rel, schema)
        dedup = dedup_inputs(plan)
        for rel, data in inputs.items():
            self.backend.load(rel, data, rel in dedup)
        self._rule_facts(plan)
        for stratum in plan.strata:
            self._stratum(plan, stratum, start, limits)
        return schemas

    def _rule_facts(self, plan: Plan) -> None:
        for index, rule in enumerate(plan.rules):
            if not rule.is_fact:
                continue
            types = plan.types[rule.head.rel]
            values = [cast(compile_term(arg, {}), types[i]) for i, arg in enumerate(rule.head.args)]
            select = exp.select(*[exp.alias_(v, f"c{i}") for i, v in enumerate(values)],
                                exp.alias_(exp.Literal.number(0), "_h"), exp.alias_(exp.Literal.number(index), "_r"),
                                exp.alias_(exp.Literal.number(1.0), "_p"))
            stored = exp.alias_(exp.to_table(table_name(rule.head.rel)), "x", table=True)
            conds = [exp.EQ(this=exp.column(f"c{i}", table="x"), expression=v.copy()) for i, v in enumerate(values)]
            exists = exp.select(exp.Literal.number(1)).from_(stored)
            if conds:
                exists = exists.where(exp.and_(*conds))
            select = select.where(exp.Not(this=exp.Exists(this=exists)))
            for arg, value in zip(rule.head.args, values):
                if may_be_undefined(arg):  # an undefined value (1 / 0) states no fact
                    select = select.where(exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())))
            self._add(plan, rule.head.rel, self.sql(select), f"fact_{index}", count=False)

    def _add(self, plan: Plan, rel: str, sql: str, name: str, count: bool = True) -> int:
        """Materialise ``sql`` as ``name`` and add it to ``rel`` (replacing tuples it improves, with probabilities).

        Only recursion needs the number of new rows (a round without any ends
        it); elsewhere ``count=False`` spares the backend a count.
        """
        count = self.backend.materialize(name, sql, count)
        if count:
            (self.backend.replace if plan.prob else self.backend.append)(rel, name)
        return count

    def _stratum(self, plan: Plan, stratum: list[str], start: float, limits: Limits) -> None:
        members = set(stratum)
        rules = [(i, r) for i, r in enumerate(plan.rules) if r.head.rel in members and not r.is_fact]
        if plan.prob and not plan.semiring.idempotent:
            self._all_derivations(plan, stratum, rules, start, limits)
            return
        full = lambda k, atom: table_name(atom.rel)  # noqa: E731
        first = {rel: self.sql(_dedup(rel, plan, sels)) for rel in stratum
                 if (sels := [rule_select(plan, i, full) for i, r in rules if r.head.rel == rel])}
        recursive = any(atom.rel in members for _, r in rules for atom in r.positive_atoms())
        if not recursive:
            for rel, sql in first.items():
                self._add(plan, rel, sql, f"new_{sql_name(rel)}", count=False)
                self.backend.drop(f"new_{sql_name(rel)}")
            return
        step = [self._variants(plan, rules, members, parity) for parity in (0, 1)]
        counts = {rel: self._delta(plan, rel, first.get(rel), 0) for rel in stratum}
        rounds = 0
        while any(counts.values()):
            rounds += 1
            _check_limits(limits, stratum, rounds, start)
            sql = step[(rounds - 1) % 2]
            counts = {rel: self._delta(plan, rel, sql.get(rel), rounds % 2) for rel in stratum}
        for rel in stratum:
            for parity in (0, 1):
                self.backend.drop(_delta_name(rel, parity))

    def _variants(self, plan: Plan, rules: list[tuple[int, Rule]], members: set[str], parity: int) -> dict[str, str]:
        """:func:`~neurosym.logic._native.semi_naive_selects` in this backend's dialect."""
        return {rel: self.sql(select) for rel, select in semi_naive_selects(plan, rules, members, parity).items()}

    def _delta(self, plan: Plan, rel: str, sql: str | None, parity: int) -> int:
        """This round's new tuples of ``rel`` as its delta table ``parity``, added to ``rel``; how many."""
        if sql is None:
            sql = self.sql(exp.select("*").from_(table_name(rel)).where(exp.false()))
        return self._add(plan, rel, sql, _delta_name(rel, parity))

    def _all_derivations(self, plan: Plan, stratum: list[str], rules: list[tuple[int, Rule]], start: float,
                         limits: Limits) -> None:
        """A non-idempotent semiring: each round recomputes every tuple from all its derivations (see the native engine)."""
        members = set(stratum)
        recursive = any(atom.rel in members for _, r in rules for atom in r.positive_atoms())
        full = lambda k, atom: table_name(atom.rel)  # noqa: E731
        combined = {rel: self.sql(NativeEngine._combined(plan, rel, [rule_select(plan, i, full) for i, r in rules
                                                                       if r.head.rel == rel])) for rel in stratum}
        for rel in stratum:
            self.backend.materialize(f"base_{sql_name(rel)}", self.sql(f"SELECT * FROM {table_name(rel)}"))
        rounds = 0
        while True:
            rounds += 1
            _check_limits(limits, stratum, rounds, start)
            for rel in stratum:
                self.backend.materialize(f"next_{sql_name(rel)}", combined[rel])
            changed = 0
            for rel in stratum:
                same = _same_tuple(rel, plan, "n", "x").sql("duckdb")
                changed += self.backend.materialize(f"changed_{sql_name(rel)}", self.sql(
                    f"SELECT n.* FROM next_{sql_name(rel)} AS n LEFT JOIN {table_name(rel)} AS x ON {same} "
                    f"WHERE x._p IS NULL OR ABS(n._p - x._p) > 1e-12"))
            for rel in stratum:
                self.backend.overwrite(rel, f"next_{sql_name(rel)}")
            if not recursive or not changed:
                break
        for rel in stratum:
            for prefix in ("base", "next", "changed"):
                self.backend.drop(f"{prefix}_{sql_name(rel)}")
