"""The native engine: semi-naive bottom-up evaluation compiled to SQL, run in DuckDB.

Each stratum (a strongly connected component of the dependency graph) runs
to a fixpoint.  Round 0 evaluates every rule on the full tables; each later
round evaluates only the recursive rules, once per recursive body atom, with
that atom reading the previous round's *delta*.  New tuples keep the rule and
height of their first derivation (lowest height, then lowest rule index) and
nothing else: proof trees are rebuilt on demand by :mod:`neurosym.logic._model`.

With probabilistic facts (a ``_prob`` column) the engine computes the
best-proof (max-product) probability: a tuple is re-derived whenever a
derivation with a higher probability appears, until nothing improves.

The SQL is built as SQLGlot trees (:mod:`neurosym.logic._sql`); only this module
talks to DuckDB.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pyarrow as pa
from sqlglot import exp

from neurosym._errors import EvaluationError
from neurosym.logic._ast import Assignment, Atom, Const, Rule, Var
from neurosym.logic._checks import body_atoms
from neurosym.logic._inputs import InputRelation
from neurosym.logic._sql import SQL_TYPES, cast, col, compile_body, compile_term, table_name

__all__ = ["NativeEngine", "Plan"]

DIALECT = "duckdb"


@dataclass
class Plan:
    """What an engine needs: rules, column types, strata and whether probabilities are tracked."""

    rules: list[Rule]
    types: dict[str, list[str]]
    strata: list[list[str]]
    prob: bool


def _memory_size(text: str) -> str:
    """Validate a size such as ``"2GB"`` or ``"512MB"`` before it reaches SQL."""
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text.strip()):
        raise EvaluationError(f"memory_limit must look like '2GB' or '512MB', got {text!r}")
    return text.strip()


def _delta_name(rel: str, parity: int) -> str:
    return f"delta_{parity}_{rel}"


def _new_name(rel: str) -> str:
    return f"new_{rel}"


def rule_select(plan: Plan, index: int, table_for: Callable[[int, Atom], str]) -> exp.Select:
    """The SELECT deriving rule ``index``'s head tuples with height, rule and probability."""
    rule = plan.rules[index]
    body = compile_body(list(rule.body), plan.types, table_for=table_for, prob=plan.prob)
    head_types = plan.types[rule.head.rel]
    columns = [exp.alias_(cast(compile_term(arg, body.env), head_types[i]), f"c{i}") for i, arg in enumerate(rule.head.args)]
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


def _dedup(rel: str, plan: Plan, selects: list[exp.Select]) -> exp.Select:
    """Best candidate per tuple that is new (or, with probabilities, better than the stored one)."""
    union = selects[0] if len(selects) == 1 else exp.union(*selects, distinct=False)
    if not plan.prob and plan.types[rel]:
        return _dedup_grouped(rel, plan, union)
    order = [exp.Ordered(this=exp.column("_h")), exp.Ordered(this=exp.column("_r"))]
    if plan.prob:
        order.insert(0, exp.Ordered(this=exp.column("_p"), desc=True))
    window = exp.Window(this=exp.RowNumber(), partition_by=_args(rel, plan), order=exp.Order(expressions=order))
    keep = [*_args(rel, plan), exp.column("_h"), exp.column("_r"), exp.column("_p")]
    ranked = exp.select(*keep, exp.alias_(window, "_rn")).from_(exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("cand"))))
    stored = exp.alias_(exp.to_table(table_name(rel)), "x", table=True)
    if not plan.prob:
        exists = exp.select(exp.Literal.number(1)).from_(stored).where(_same_tuple(rel, plan, "x", "cand"))
        ranked = ranked.where(exp.Not(this=exp.Exists(this=exists)))
        return exp.select(*keep).from_(exp.Subquery(this=ranked, alias=exp.TableAlias(this=exp.to_identifier("b")))).where(
            exp.EQ(this=exp.column("_rn"), expression=exp.Literal.number(1)))
    best = exp.Subquery(this=ranked, alias=exp.TableAlias(this=exp.to_identifier("b")))
    picked = [exp.column(c.name, table="b") for c in keep]
    better = exp.or_(exp.Is(this=col("x", "_h"), expression=exp.Null()),
                     exp.GT(this=col("b", "_p"), expression=exp.Add(this=col("x", "_p"), expression=exp.Literal.number("1e-12"))))
    return (exp.select(*picked).from_(best).join(stored, on=_same_tuple(rel, plan, "x", "b"), join_type="left")
            .where(exp.and_(exp.EQ(this=col("b", "_rn"), expression=exp.Literal.number(1)), better)))


def _dedup_grouped(rel: str, plan: Plan, union: exp.Expression) -> exp.Select:
    """New tuples, one per argument tuple, with the (height, rule) of their first derivation."""
    cand = exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("cand")))
    stored = exp.alias_(exp.to_table(table_name(rel)), "x", table=True)
    exists = exp.select(exp.Literal.number(1)).from_(stored).where(_same_tuple(rel, plan, "x", "cand"))
    packed = exp.Add(this=exp.Mul(this=cast(exp.column("_h"), "number"), expression=exp.Literal.number(_PACK)),
                     expression=exp.column("_r"))
    grouped = (exp.select(*_args(rel, plan), exp.alias_(exp.Min(this=packed), "_k")).from_(cand)
               .where(exp.Not(this=exp.Exists(this=exists))).group_by(*_args(rel, plan)))
    key = exp.column("_k")
    return exp.select(*_args(rel, plan),
                      exp.alias_(exp.IntDiv(this=key, expression=exp.Literal.number(_PACK)), "_h"),
                      exp.alias_(exp.Mod(this=key, expression=exp.Literal.number(_PACK)), "_r"),
                      exp.alias_(exp.Literal.number(1.0), "_p")).from_(
        exp.Subquery(this=grouped, alias=exp.TableAlias(this=exp.to_identifier("g"))))


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


class NativeEngine:
    """Evaluate a :class:`Plan` in an in-process DuckDB database.

    Parameters
    ----------
    max_iterations : int
        Rounds allowed per stratum before :class:`~neurosym.EvaluationError`.
    timeout : float, optional
        Seconds allowed for the whole evaluation.
    threads : int, optional
        DuckDB worker threads (default: all cores).
    memory_limit : str, optional
        Cap on the database's memory, e.g. ``"2GB"``; beyond it DuckDB spills to a temporary directory.
    """

    name = "native"

    def __init__(self, max_iterations: int = 100_000, timeout: float | None = None, threads: int | None = None,
                 memory_limit: str | None = None) -> None:
        self.max_iterations = max_iterations
        self.timeout = timeout
        self.threads = threads
        self.memory_limit = memory_limit

    def run(self, plan: Plan, inputs: dict[str, InputRelation]) -> duckdb.DuckDBPyConnection:
        """Evaluate and return the connection holding one table per relation."""
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET enable_progress_bar = false")
        except duckdb.Error:  # inside Jupyter without ipywidgets DuckDB refuses to touch the setting; no bar shows there
            pass
        con.execute("SET preserve_insertion_order = false")  # results are sorted where order matters
        if self.threads:
            con.execute(f"SET threads = {int(self.threads)}")
        if self.memory_limit:
            con.execute(f"SET temp_directory = '{tempfile.mkdtemp(prefix='neurosym-duckdb-')}'")
            con.execute(f"SET memory_limit = '{_memory_size(self.memory_limit)}'")
        start = time.perf_counter()
        self._create_tables(con, plan, inputs)
        self._load_inputs(con, plan, inputs)
        self._load_rule_facts(con, plan)
        for stratum in plan.strata:
            try:
                self._stratum(con, plan, stratum, start)
            except duckdb.Error as err:
                raise EvaluationError(f"evaluating {', '.join(stratum)} failed in the database: {err}") from err
        return con

    def _create_tables(self, con, plan: Plan, inputs: dict[str, InputRelation]) -> None:
        for rel, types in plan.types.items():
            source = inputs[rel].source_type if rel in inputs else None
            columns = [f"c{i} {SQL_TYPES[t]}" for i, t in enumerate(types)]
            columns += ["_h INTEGER", "_r INTEGER", "_p DOUBLE", f"_s {SQL_TYPES[source or 'symbol']}"]
            con.execute(f"CREATE TABLE {table_name(rel)} ({', '.join(columns)})")

    def _load_inputs(self, con, plan: Plan, inputs: dict[str, InputRelation]) -> None:
        """Copy input facts into their tables (through Arrow, without Python objects).

        Relations are sets, but removing duplicate input rows costs a hash
        aggregate over every column; it is done only where duplicates could
        change a result: inside ``count``, ``sum`` and ``mean`` and with
        probabilities (the best one is kept); ``min`` and ``max`` do not care.
        Elsewhere rule evaluation and
        :class:`Model` queries deduplicate.
        """
        aggregated = {atom.rel for rule in plan.rules for lit in rule.body if isinstance(lit, Assignment)
                      and lit.aggregate.func in ("count", "sum", "mean") for atom, _ in body_atoms(lit.aggregate.body)}
        for rel, data in inputs.items():
            if not len(data.frame):
                continue
            view = f"input_{rel}"
            con.register(view, pa.Table.from_pandas(data.frame, preserve_index=False))
            args = [f"c{i}" for i in range(len(plan.types[rel]))]
            typed = [f"CAST(c{i} AS {SQL_TYPES[t]}) AS c{i}" for i, t in enumerate(plan.types[rel])]
            inner = f"SELECT {', '.join(typed + (['_p'] if data.has_prob else []) + (['_s'] if data.source_type else []))} FROM {view}"
            if rel in aggregated or data.has_prob or not args:
                prob = "MAX(_p)" if data.has_prob else "1.0"
                src = "MIN(_s)" if data.source_type else "NULL"
                group = f" GROUP BY {', '.join(args)}" if args else ""
                con.execute(f"INSERT INTO {table_name(rel)} SELECT {', '.join(args + ['0', '-1', prob, src])} FROM ({inner}) AS i{group}")
            else:
                src = "_s" if data.source_type else "NULL"
                con.execute(f"INSERT INTO {table_name(rel)} SELECT {', '.join(args + ['0', '-1', '1.0', src])} FROM ({inner}) AS i")
            con.unregister(view)

    def _load_rule_facts(self, con, plan: Plan) -> None:
        for index, rule in enumerate(plan.rules):
            if not rule.is_fact:
                continue
            rel = rule.head.rel
            types = plan.types[rel]
            values = [cast(compile_term(arg, {}), types[i]) for i, arg in enumerate(rule.head.args)]
            select = exp.select(*values, exp.Literal.number(0), exp.Literal.number(index), exp.Literal.number(1.0), exp.Null())
            stored = exp.alias_(exp.to_table(table_name(rel)), "x", table=True)
            conds = [exp.EQ(this=exp.column(f"c{i}", table="x"), expression=v) for i, v in enumerate(values)]
            exists = exp.select(exp.Literal.number(1)).from_(stored)
            if conds:
                exists = exists.where(exp.and_(*conds))
            select = select.where(exp.Not(this=exp.Exists(this=exists)))
            con.execute(f"INSERT INTO {table_name(rel)} {select.sql(DIALECT)}")

    def _stratum(self, con, plan: Plan, stratum: list[str], start: float) -> None:
        members = set(stratum)
        rules = [(i, r) for i, r in enumerate(plan.rules) if r.head.rel in members and not r.is_fact]
        full = lambda k, atom: table_name(atom.rel)  # noqa: E731
        first = {rel: [rule_select(plan, i, full) for i, r in rules if r.head.rel == rel] for rel in stratum}
        first_sql = {rel: _dedup(rel, plan, sels).sql(DIALECT) for rel, sels in first.items() if sels}
        recursive = any(atom.rel in members for _, r in rules for atom in r.positive_atoms())
        if not recursive:
            for rel, sql in first_sql.items():
                self._insert(con, plan, rel, sql)
            return
        if _linear(plan, stratum, rules):
            self._recursive_cte(con, plan, stratum[0], rules)
            return
        # Semi-naive rounds alternate between two delta tables per relation, so no table is renamed or dropped
        # inside the loop: round k writes delta_<rel>_<k % 2> and its rules read the other one.
        next_sql = [self._variants(plan, rules, members, parity) for parity in (0, 1)]
        counts = {rel: self._delta_round(con, plan, rel, first_sql.get(rel), 0) for rel in stratum}
        rounds = 0
        while any(counts.values()):
            rounds += 1
            if rounds > self.max_iterations:
                raise EvaluationError(f"stratum {stratum} did not reach a fixpoint within {self.max_iterations} rounds; raise max_iterations")
            if self.timeout is not None and time.perf_counter() - start > self.timeout:
                raise EvaluationError(f"evaluation exceeded the time-out of {self.timeout} s (stratum {stratum}, round {rounds})")
            sql = next_sql[(rounds - 1) % 2]
            counts = {rel: self._delta_round(con, plan, rel, sql.get(rel), rounds % 2) for rel in stratum}
        for rel in stratum:
            for parity in (0, 1):
                con.execute(f"DROP TABLE IF EXISTS {_delta_name(rel, parity)}")

    def _recursive_cte(self, con, plan: Plan, rel: str, rules: list[tuple[int, Rule]]) -> None:
        """Evaluate a linearly recursive relation with one ``WITH RECURSIVE ... UNION`` query.

        The database keeps the deduplication table across iterations, which is
        far faster than anti-joining every round.  Such tuples get no recorded
        rule or height (NULL); :meth:`Model.explain` then searches their proofs
        with a cycle check instead of the height bound.
        """
        cte = f"rec_{rel}"
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
                 f"SELECT {', '.join(args)}, NULL, NULL, 1.0, NULL FROM {cte} AS n "
                 f"WHERE NOT EXISTS (SELECT 1 FROM {table_name(rel)} AS x WHERE "
                 + " AND ".join(f"x.{a} = n.{a}" for a in args) + ")")
        con.execute(f"INSERT INTO {table_name(rel)} {query}")

    def _variants(self, plan: Plan, rules: list[tuple[int, Rule]], members: set[str], parity: int) -> dict[str, str]:
        """Per relation, the recursive rules with one recursive atom at a time reading delta ``parity``."""
        selects: dict[str, list[exp.Select]] = {}
        for i, rule in rules:
            for j, atom in enumerate(rule.positive_atoms()):
                if atom.rel in members:
                    pick = (lambda j: lambda k, a: _delta_name(a.rel, parity) if k == j else table_name(a.rel))(j)
                    selects.setdefault(rule.head.rel, []).append(rule_select(plan, i, pick))
        return {rel: _dedup(rel, plan, sels).sql(DIALECT) for rel, sels in selects.items()}

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
