"""Evaluated relations as Arrow tables: what a :class:`~neurosym.logic.Model` holds, pickles, saves and queries.

Every relation is one ``pyarrow.Table`` with the argument columns ``c0..cN``
and the provenance columns ``_h`` (height, ``int32``), ``_r`` (rule index,
-1 for input facts, ``int32``), ``_p`` (probability, ``float64``) and ``_s``
(source reference).  Heights and rules are NULL where an engine records
none.  :meth:`ResultStore.connect` gives a DuckDB connection holding one table
per relation, named by :func:`~neurosym.logic._sql.table_name` with the same
columns; it is built once per process (an engine's own connection is adopted
as is) and never pickled.

Examples
--------
>>> import pyarrow as pa
>>> schema = relation_schema(["symbol", "number"], None)
>>> schema.names
['c0', 'c1', '_h', '_r', '_p', '_s']
>>> store = ResultStore({"e": pa.table({"c0": ["a"], "c1": [1], "_h": [0], "_r": [-1], "_p": [1.0], "_s": [None]}, schema=schema)},
...                     {"e": ["symbol", "number"]})
>>> store.connect().execute("SELECT c0, c1 FROM rel_e").fetchall()
[('a', 1)]
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pyarrow as pa

from neurosym._errors import EvaluationError
from neurosym.logic._sql import table_name

__all__ = ["ARROW_TYPES", "LOOKUP_ROWS", "ResultStore", "duckdb_connection", "relation_schema"]

ARROW_TYPES = {"symbol": pa.string(), "number": pa.int64(), "float": pa.float64()}

#: Relations with at least this many rows are stored sorted by their arguments in a rebuilt connection, so
#: point lookups (explain, why_not) prune storage blocks with DuckDB's min/max zone maps.
LOOKUP_ROWS = 100_000


def relation_schema(types: list[str], source_type: str | None) -> pa.Schema:
    """Arrow schema of a relation table: arguments ``c0..`` then ``_h``, ``_r``, ``_p``, ``_s``."""
    fields = [pa.field(f"c{i}", ARROW_TYPES[t]) for i, t in enumerate(types)]
    fields += [pa.field("_h", pa.int32()), pa.field("_r", pa.int32()), pa.field("_p", pa.float64()),
               pa.field("_s", ARROW_TYPES[source_type or "symbol"])]
    return pa.schema(fields)


def duckdb_connection(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection with neurosym's settings (no progress bar, unordered inserts)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error:  # inside Jupyter without ipywidgets DuckDB refuses to touch the setting; no bar shows there
        pass
    con.execute("SET preserve_insertion_order = false")  # results are sorted where order matters
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


class ResultStore:
    """Every relation of an evaluation as an Arrow table, plus the column types.

    Parameters
    ----------
    tables : mapping
        Relation -> ``pyarrow.Table`` laid out by :func:`relation_schema`.
    types : mapping
        Relation -> column types (``symbol``, ``number``, ``float``).
    connection : duckdb.DuckDBPyConnection, optional
        A connection already holding these tables (the engine's own), adopted
        by :meth:`connect` in this process.
    """

    def __init__(self, tables: Mapping[str, pa.Table], types: Mapping[str, list[str]],
                 connection: duckdb.DuckDBPyConnection | None = None) -> None:
        missing = sorted(set(types) - set(tables))
        if missing:
            raise EvaluationError(f"the result store has no table for {', '.join(missing)}")
        self.tables = dict(tables)
        self.types = {rel: list(t) for rel, t in types.items()}
        self._con = connection
        self._pid = os.getpid()
        self._sorted = False

    @classmethod
    def from_connection(cls, con: duckdb.DuckDBPyConnection, types: Mapping[str, list[str]]) -> "ResultStore":
        """Export the relation tables of an engine's DuckDB connection (which the store then adopts)."""
        tables = {rel: con.sql(f"SELECT * FROM {table_name(rel)}").to_arrow_table() for rel in types}
        return cls(tables, types, con)

    def num_rows(self, rel: str) -> int:
        """Stored rows of ``rel`` (duplicates included)."""
        return self.tables[rel].num_rows

    @property
    def nbytes(self) -> int:
        """Bytes held by the Arrow tables."""
        return sum(t.nbytes for t in self.tables.values())

    # -- the per-process connection ------------------------------------------
    def connect(self) -> duckdb.DuckDBPyConnection:
        """This process's DuckDB connection over the tables (built on first use, then cached)."""
        if self._con is None or self._pid != os.getpid():
            self._con, self._pid = self._build(), os.getpid()
        return self._con

    def _build(self) -> duckdb.DuckDBPyConnection:
        con = duckdb_connection()
        for rel, table in self.tables.items():
            view = f"arrow_{rel}"
            con.register(view, table)
            args = [f"c{i}" for i in range(len(self.types[rel]))]
            order = f" ORDER BY {', '.join(args)}" if args and table.num_rows >= LOOKUP_ROWS else ""
            con.execute(f"CREATE TABLE {table_name(rel)} AS SELECT * FROM {view}{order}")
            con.unregister(view)
        self._sorted = True
        return con

    def sort_for_lookups(self, min_rows: int = LOOKUP_ROWS) -> float:
        """Sort relations of at least ``min_rows`` rows by their arguments in this process's connection; seconds spent.

        A proof asks for a few tuples of one patient at a time; on sorted
        tables DuckDB's min/max zone maps skip almost every block (100x faster
        at 100k patients).  A rebuilt connection is sorted as it is built; an
        adopted engine connection is sorted on the first call.
        """
        con = self.connect()
        if self._sorted:
            return 0.0
        start = time.perf_counter()
        for rel, types in self.types.items():
            if types and self.num_rows(rel) >= min_rows:
                order = ", ".join(f"c{i}" for i in range(len(types)))
                con.execute(f"CREATE OR REPLACE TABLE {table_name(rel)} AS SELECT * FROM {table_name(rel)} ORDER BY {order}")
        self._sorted = True
        return time.perf_counter() - start

    # -- pickling and files ----------------------------------------------------
    def __getstate__(self) -> dict:
        return {"tables": self.tables, "types": self.types}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["tables"], state["types"])  # type: ignore[misc]

    def save(self, directory: str | Path) -> None:
        """One Arrow IPC file (zstd) per relation: ``<directory>/<relation>.arrow``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        options = pa.ipc.IpcWriteOptions(compression="zstd")
        for rel, table in self.tables.items():
            with pa.OSFile(str(directory / f"{rel}.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema, options=options) as writer:
                writer.write_table(table)

    @classmethod
    def load(cls, directory: str | Path, types: Mapping[str, list[str]]) -> "ResultStore":
        """Read the tables written by :meth:`save` for the relations of ``types``."""
        directory = Path(directory)
        tables = {}
        for rel in types:
            path = directory / f"{rel}.arrow"
            if not path.is_file():
                raise EvaluationError(f"the saved model has no table for relation {rel!r} ({path} is missing)")
            with pa.OSFile(str(path), "rb") as source:
                tables[rel] = pa.ipc.open_file(source).read_all()
        return cls(tables, types)

    def __repr__(self) -> str:
        return f"ResultStore({len(self.tables)} relations, {sum(t.num_rows for t in self.tables.values()):,} rows)"
