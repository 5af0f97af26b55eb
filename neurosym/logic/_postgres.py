"""The PostgreSQL engine: the same plan evaluated inside a PostgreSQL database.

``Program.evaluate(facts, engine="postgres")`` connects to the URL of
``$NEUROSYM_POSTGRES_URL`` (or the one given to :class:`PostgresEngine`),
keeps every relation in a temporary table of its session (nothing is left in
the database when it ends) and runs each stratum with
:class:`~neurosym.logic._sqlengine.SQLDriver`: the compiled SQLGlot trees in
PostgreSQL's dialect, recursion semi-naive from Python.  Facts are copied in
(``COPY``, through Arrow) or, as :class:`PostgresRelation`, read in place by a
query over tables already in the database, e.g. an OMOP CDM schema
(:func:`neurosym.facts.omop_sql_facts`): then no patient row leaves the
server until the results are read back.

Symbols are compared byte-wise (``COLLATE "C"``), as DuckDB and Spark do.
``timeout`` bounds every statement (``statement_timeout``) and the whole run;
``memory_limit`` does not apply (the server's ``work_mem`` governs spilling).
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from neurosym._errors import EvaluationError
from neurosym.logic._engine import Limits, Plan
from neurosym.logic._inputs import InputRelation
from neurosym.logic._sql import table_name
from neurosym.logic._sqlengine import SQLDriver, input_table
from neurosym.logic._store import ResultStore

__all__ = ["URL_VARIABLE", "PostgresEngine", "PostgresRelation", "redact"]

#: Environment variable holding the default connection URL.
URL_VARIABLE = "NEUROSYM_POSTGRES_URL"

_PG_TYPES = {"symbol": "TEXT", "number": "BIGINT", "float": "DOUBLE PRECISION"}


def redact(url: str) -> str:
    """A connection URL without its password, for messages.

    >>> redact("postgresql://ann:secret@db.example.org:5432/cdm")
    'postgresql://ann:***@db.example.org:5432/cdm'
    """
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def connect(url: str) -> Any:
    """An autocommit psycopg connection; :class:`~neurosym.EvaluationError` naming the (redacted) URL when it fails."""
    try:
        import psycopg
    except ImportError as err:
        raise EvaluationError("the PostgreSQL engine needs psycopg: pip install 'neurosym[postgres]'") from err
    if not re.match(r"^(postgres|postgresql)://", url) and "=" not in url:
        raise EvaluationError(f"not a PostgreSQL connection URL: {redact(url)!r} (expected postgresql://user@host:port/database)")
    try:
        return psycopg.connect(url, autocommit=True)
    except psycopg.Error as err:
        raise EvaluationError(f"cannot connect to PostgreSQL at {redact(url)}: {str(err).strip().splitlines()[0]}") from err


class PostgresRelation(InputRelation):
    """Facts read in place from the database: ``query`` returns the argument columns (then ``_source``, if ``source_type``).

    ``setup`` statements run once per evaluation before any relation is read
    (e.g. a temporary table that several queries share).  Only the PostgreSQL
    engine reads it; others raise :class:`~neurosym.EvaluationError`.
    """

    def __init__(self, name: str, query: str, types: list[str], source_type: str | None = None, setup: tuple[str, ...] = ()) -> None:
        super().__init__(name, query, list(types), False, source_type)
        self.setup = tuple(setup)

    @property
    def frame(self) -> Any:
        raise EvaluationError(f"relation {self.name} is read inside PostgreSQL: evaluate with engine='postgres'")

    def __len__(self) -> int:
        raise EvaluationError(f"relation {self.name} is read inside PostgreSQL: evaluate with engine='postgres'")

    def __repr__(self) -> str:
        return f"PostgresRelation({self.name!r}, {self.types})"


class _PostgresTables:
    """The :class:`~neurosym.logic._sqlengine.SQLBackend` of PostgreSQL: one temporary table per relation."""

    dialect = "postgres"

    def __init__(self, connection: Any, plan: Plan) -> None:
        self.con = connection
        self.plan = plan
        self.sources: dict[str, str] = {}
        self.made: set[str] = set()  # tables made by materialize
        self.done: set[str] = set()  # setup statements of PostgresRelations run
        self.rows: dict[str, int] = {}  # rows added to each relation table
        self.analyzed: dict[str, int] = {}  # rows when its statistics were last taken

    def execute(self, sql: str) -> int:
        with self.con.cursor() as cur:
            cur.execute(sql)
            return cur.rowcount

    def _args(self, rel: str, alias: str = "") -> list[str]:
        return [f"{alias}c{i}" for i in range(len(self.plan.types[rel]))]

    def create(self, rel: str, schema: pa.Schema) -> None:
        source = "BIGINT" if pa.types.is_integer(schema.field("_s").type) else "TEXT"
        self.sources[rel] = source
        columns = [f"c{i} {_PG_TYPES[t]}" + (' COLLATE "C"' if t == "symbol" else "") for i, t in enumerate(self.plan.types[rel])]
        columns += ["_h INTEGER", "_r INTEGER", "_p DOUBLE PRECISION", f"_s {source}"]
        self.execute(f"CREATE TEMP TABLE {table_name(rel)} ({', '.join(columns)})")

    def load(self, rel: str, data: InputRelation, dedup: bool) -> None:
        table = table_name(rel)
        args = self._args(rel)
        if isinstance(data, PostgresRelation):
            for statement in data.setup:
                if statement not in self.done:
                    self.execute(statement)
                    self.done.add(statement)
            names = ", ".join(args + (["_s"] if data.source_type else []))
            source = f"(SELECT * FROM ({data.data}) AS q ({names}))"
            prob, src = "1.0", ("_s" if data.source_type else "NULL")
        else:
            source = f"input_{table}"
            rows = input_table(self.plan, rel, data)
            raw = [f"c{i} {_PG_TYPES[t]}" for i, t in enumerate(_rule_types(rows.schema))]
            self.execute(f"CREATE TEMP TABLE {source} ({', '.join(raw + ['_h INTEGER', '_r INTEGER', '_p DOUBLE PRECISION'])}, "
                         f"_s {self.sources[rel]})")
            self._copy_in(source, rows)
            prob, src = "_p", "_s"
        typed = [f"CAST({a} AS {_PG_TYPES[t]})" for a, t in zip(args, self.plan.types[rel])]
        if dedup:
            group = f" GROUP BY {', '.join(args)}" if args else " HAVING COUNT(*) > 0"
            select = f"SELECT {', '.join(typed + ['0', '-1', f'MAX({prob})', f'MIN({src})'])} FROM {source} AS i{group}"
        else:
            select = f"SELECT {', '.join(typed + ['0', '-1', prob, src])} FROM {source} AS i"
        added = self.execute(f"INSERT INTO {table} {select}")
        if not isinstance(data, PostgresRelation):
            self.execute(f"DROP TABLE {source}")
        self._analyze(rel, added)

    def _copy_in(self, table: str, rows: pa.Table) -> None:
        if not rows.num_rows:
            return
        buffer = io.BytesIO()
        pacsv.write_csv(rows, buffer, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
        with self.con.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())

    def materialize(self, name: str, sql: str, count: bool = True) -> int:
        if name in self.made:  # a delta table of an earlier round: refilled, not re-created (no catalog churn)
            self.execute(f"TRUNCATE {name}")
            return self.execute(f"INSERT INTO {name} {sql}")
        self.made.add(name)
        return self.execute(f"CREATE TEMP TABLE {name} AS {sql}")

    def _analyze(self, rel: str, added: int) -> None:
        """Refresh the planner's statistics of ``rel`` whenever it has doubled since they were taken."""
        table = table_name(rel)
        self.rows[table] = self.rows.get(table, 0) + added
        if self.rows[table] >= 2 * self.analyzed.get(table, 0) and self.rows[table]:
            self.execute(f"ANALYZE {table}")
            self.analyzed[table] = self.rows[table]

    def append(self, rel: str, name: str) -> None:
        cols = ", ".join(self._args(rel) + ["_h", "_r", "_p", "NULL"])
        self._analyze(rel, self.execute(f"INSERT INTO {table_name(rel)} SELECT {cols} FROM {name}"))

    def replace(self, rel: str, name: str) -> None:
        table = table_name(rel)
        same = " AND ".join(f"d.{a} = {table}.{a}" for a in self._args(rel)) or "TRUE"
        self.execute(f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {name} AS d WHERE {same})")
        self.append(rel, name)

    def overwrite(self, rel: str, name: str) -> None:
        table = table_name(rel)
        self.execute(f"DELETE FROM {table}")
        self.execute(f"INSERT INTO {table} SELECT {', '.join(self._args(rel) + ['_h', '_r', '_p', '_s'])} FROM {name}")

    def drop(self, name: str) -> None:
        self.made.discard(name)
        self.execute(f"DROP TABLE IF EXISTS {name}")

    def result(self, plan: Plan, schemas: Mapping[str, pa.Schema]) -> ResultStore:
        tables = {}
        for rel, schema in schemas.items():
            quoted = [f"c{i}" for i, t in enumerate(plan.types[rel]) if t == "symbol"] + (["_s"] if self.sources[rel] == "TEXT" else [])
            force = f", FORCE_QUOTE ({', '.join(quoted)})" if quoted else ""
            buffer = io.BytesIO()
            with self.con.cursor() as cur, cur.copy(f"COPY {table_name(rel)} TO STDOUT (FORMAT csv{force})") as copy:
                for chunk in copy:
                    buffer.write(chunk)
            tables[rel] = _read_csv(buffer.getvalue(), schema)
        return ResultStore(tables, plan.types)


def _rule_types(schema: pa.Schema) -> list[str]:
    """The rule types of the argument columns of an Arrow relation table."""
    kinds = {pa.string(): "symbol", pa.int64(): "number", pa.float64(): "float"}
    return [kinds[f.type] for f in schema if f.name.startswith("c")]


def _read_csv(data: bytes, schema: pa.Schema) -> pa.Table:
    """Rows written by ``COPY ... (FORMAT csv)``: an unquoted empty field is NULL, a quoted one an empty string."""
    if not data:
        return schema.empty_table()
    read = pacsv.ReadOptions(column_names=schema.names)
    convert = pacsv.ConvertOptions(column_types=dict(zip(schema.names, schema.types)), null_values=[""],
                                   strings_can_be_null=True, quoted_strings_can_be_null=False)
    return pacsv.read_csv(io.BytesIO(data), read_options=read, convert_options=convert).cast(schema)


class PostgresEngine:
    """Evaluates a plan inside PostgreSQL; registered as ``"postgres"``.

    Parameters
    ----------
    url : str, optional
        ``postgresql://user:password@host:port/database``; default
        ``$NEUROSYM_POSTGRES_URL``.
    """

    name = "postgres"

    def __init__(self, url: str | None = None) -> None:
        url = url or os.environ.get(URL_VARIABLE)
        if not url:
            raise EvaluationError(f"the PostgreSQL engine needs a connection URL: set {URL_VARIABLE} "
                                  "or register PostgresEngine(url) under a name")
        self.url = url

    def run(self, plan: Plan, inputs: Mapping[str, InputRelation], limits: Limits = Limits()) -> ResultStore:
        """Evaluate ``plan`` in temporary tables of a new session and read every relation back."""
        import psycopg

        con = connect(self.url)
        start = time.perf_counter()
        try:
            if limits.timeout is not None:
                ms = max(1, int(limits.timeout * 1000))
                con.execute(f"SET statement_timeout = {ms}")
            backend = _PostgresTables(con, plan)
            schemas = SQLDriver(backend).run(plan, inputs, limits)
            if limits.timeout is not None and time.perf_counter() - start > limits.timeout:
                raise EvaluationError(f"evaluation exceeded the time-out of {limits.timeout} s")
            return backend.result(plan, schemas)
        except psycopg.errors.QueryCanceled as err:
            raise EvaluationError(f"evaluation exceeded the time-out of {limits.timeout} s") from err
        except psycopg.errors.UndefinedTable as err:
            raise EvaluationError(f"a table is missing in PostgreSQL at {redact(self.url)}: {str(err).splitlines()[0]}") from err
        except psycopg.Error as err:
            raise EvaluationError(f"evaluation failed in PostgreSQL: {str(err).strip().splitlines()[0]}") from err
        finally:
            con.close()
