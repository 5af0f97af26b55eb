"""Evaluated relations as Arrow tables: what a :class:`~neurosym.logic.Model` holds, pickles, saves and queries.

Every relation is one ``pyarrow.Table`` with the argument columns ``c0..cN``
and the provenance columns ``_h`` (height, ``int32``), ``_r`` (rule index,
-1 for input facts, ``int32``), ``_p`` (probability, ``float64``) and ``_s``
(source reference).  Heights and rules are NULL where an engine records
none.  :meth:`ResultStore.connect` gives a DuckDB connection holding one table
per relation, named by :func:`~neurosym.logic._sql.table_name` with the same
columns (views over the Arrow tables; sorted copies of the large ones after
:meth:`ResultStore.sort_for_lookups`); it is built once per process (an
engine's own connection is adopted as is) and never pickled.

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
from collections.abc import Iterable, Mapping
from pathlib import Path

from typing import TYPE_CHECKING

import duckdb

from neurosym._errors import EvaluationError
from neurosym.logic._sql import table_name

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["DATABASE", "LOOKUP_ROWS", "MEMORY_LIMIT_BYTES", "ResultStore", "arrow_type", "duckdb_connection", "relation_schema"]

#: Relations with at least this many rows are stored sorted by their arguments in a rebuilt connection, so
#: point lookups (explain, why_not) prune storage blocks with DuckDB's min/max zone maps.
LOOKUP_ROWS = 100_000


def arrow_type(type_name: str) -> pa.DataType:
    """The Arrow type of a column type (``symbol``, ``number``, ``float``); pyarrow is imported when first needed.

    >>> arrow_type("number")
    DataType(int64)
    """
    import pyarrow as pa

    return {"symbol": pa.string(), "number": pa.int64(), "float": pa.float64()}[type_name]


def relation_schema(types: list[str], source_type: str | None) -> pa.Schema:
    """Arrow schema of a relation table: arguments ``c0..`` then ``_h``, ``_r``, ``_p``, ``_s``."""
    import pyarrow as pa

    fields = [pa.field(f"c{i}", arrow_type(t)) for i, t in enumerate(types)]
    fields += [pa.field("_h", pa.int32()), pa.field("_r", pa.int32()), pa.field("_p", pa.float64()),
               pa.field("_s", arrow_type(source_type or "symbol"))]
    return pa.schema(fields)


#: The in-memory database every connection of :func:`duckdb_connection` works in.
DATABASE = "neurosym"

#: Memory a connection's database may hold before it spills blocks to a temporary directory (at most 80% of RAM).
MEMORY_LIMIT_BYTES = 4 * 1024**3

_spill: list[str] = []  # this process's spill directory, made when the first connection is


def _spill_directory() -> str:
    """One temporary directory per process for the blocks DuckDB spills beyond its memory limit (removed at exit)."""
    if not _spill:
        import atexit
        import shutil
        import tempfile

        _spill.append(tempfile.mkdtemp(prefix="neurosym-duckdb-"))
        atexit.register(shutil.rmtree, _spill[0], True)
    return _spill[0]


def _memory_limit() -> str:
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): the fixed limit
        ram = 2 * MEMORY_LIMIT_BYTES
    return f"{min(MEMORY_LIMIT_BYTES, int(0.8 * ram)) // 1024**2}MB"


def duckdb_connection(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection with neurosym's settings (no progress bar, unordered inserts).

    Its tables live in an attached in-memory database (:data:`DATABASE`, the connection's default; a cursor of
    the connection starts in DuckDB's own default database: ``USE neurosym`` there).  The database holds up to
    :data:`MEMORY_LIMIT_BYTES` and spills beyond it to a temporary directory.  It is not compressed: DuckDB
    compresses an in-memory database at its checkpoints, on one thread, which made the rule library at 100k
    patients take 75 s instead of 30 s (peak RSS 4.0 GB; without compression and with this limit 4.4 GB).
    """
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH ':memory:' AS {DATABASE}")
    con.execute(f"USE {DATABASE}")
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error:  # inside Jupyter without ipywidgets DuckDB refuses to touch the setting; no bar shows there
        pass
    con.execute("SET preserve_insertion_order = false")  # results are sorted where order matters
    con.execute(f"SET temp_directory = '{_spill_directory()}'")
    con.execute(f"SET memory_limit = '{_memory_limit()}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


class ResultStore:
    """Every relation of an evaluation as an Arrow table, plus the column types.

    Parameters
    ----------
    tables : mapping, optional
        Relation -> ``pyarrow.Table`` laid out by :func:`relation_schema`.
    types : mapping
        Relation -> column types (``symbol``, ``number``, ``float``).
    connection : duckdb.DuckDBPyConnection, optional
        An engine's database already holding the relation tables (instead of
        ``tables``): :meth:`connect` adopts it in this process and the Arrow
        tables are exported from it (laid out by :func:`relation_schema`) when
        first needed (pickling, :meth:`save`, :attr:`tables`), so evaluation
        does not pay for the export.
    sources : mapping, optional
        Relation -> type of its ``_s`` source references (``number`` or
        ``symbol``; ``symbol`` when absent), for the exported tables.
    sets : iterable of str, optional
        Relations the engine stored without duplicate tuples (with ``connection``): counting and writing them
        needs no ``DISTINCT``.  Not kept by pickling or :meth:`save` (then every relation is deduplicated).
    """

    def __init__(self, tables: Mapping[str, pa.Table] | None, types: Mapping[str, list[str]], *,
                 connection: duckdb.DuckDBPyConnection | None = None, sources: Mapping[str, str | None] | None = None,
                 sets: Iterable[str] = ()) -> None:
        if tables is None and connection is None:
            raise EvaluationError("a result store needs its tables or an engine connection holding them")
        self.types = {rel: list(t) for rel, t in types.items()}
        self._tables = dict(tables) if tables is not None else None
        if self._tables is not None and (missing := sorted(set(self.types) - set(self._tables))):
            raise EvaluationError(f"the result store has no table for {', '.join(missing)}")
        self._sources = dict(sources or {})
        self.sets = frozenset(sets)
        self._con = connection
        self._pid = os.getpid()
        self._adopted = connection is not None
        self._sorted = False

    @property
    def tables(self) -> dict[str, pa.Table]:
        """Relation -> Arrow table (exported from the engine's connection on first access)."""
        if self._tables is None:
            con = self._con
            if con is None or self._pid != os.getpid():
                raise EvaluationError("the result store's engine connection belongs to another process")
            self._tables = {}
            reader = con.cursor()  # its own result set: an unfinished fetch on the connection does not block it
            try:
                reader.execute(f"USE {DATABASE}")
                for rel, types in self.types.items():
                    schema = relation_schema(types, self._sources.get(rel))
                    table = reader.sql(f"SELECT * FROM {table_name(rel)}").to_arrow_table()
                    self._tables[rel] = table if table.schema == schema else table.cast(schema)
            finally:
                reader.close()
        return self._tables

    def num_rows(self, rel: str) -> int:
        """Stored rows of ``rel`` (duplicates included)."""
        if self._tables is None:
            return int(self.connect().execute(f"SELECT COUNT(*) FROM {table_name(rel)}").fetchone()[0])
        return self._tables[rel].num_rows

    @property
    def nbytes(self) -> int:
        """Bytes held by the Arrow tables."""
        return sum(t.nbytes for t in self.tables.values())

    # -- the per-process connection ------------------------------------------
    def connect(self) -> duckdb.DuckDBPyConnection:
        """This process's DuckDB connection over the tables (built on first use, then cached)."""
        if self._con is None or self._pid != os.getpid():
            self._con, self._pid, self._adopted, self._sorted = self._build(), os.getpid(), False, False
        return self._con

    def _build(self) -> duckdb.DuckDBPyConnection:
        """Views ``rel_<name>`` over the registered Arrow tables: no copy until :meth:`sort_for_lookups`."""
        con = duckdb_connection()
        for rel, table in self.tables.items():
            con.register(f"arrow_{rel}", table)
            con.execute(f"CREATE VIEW {table_name(rel)} AS SELECT * FROM arrow_{rel}")
        return con

    def sort_for_lookups(self, min_rows: int = LOOKUP_ROWS) -> float:
        """Store relations of at least ``min_rows`` rows sorted by their arguments in this process's connection; seconds spent.

        A proof asks for a few tuples of one patient at a time; on sorted
        tables DuckDB's min/max zone maps skip almost every block (100x faster
        at 100k patients).  Done once per connection, on the first call.
        """
        con = self.connect()
        if self._sorted:
            return 0.0
        start = time.perf_counter()
        for rel, types in self.types.items():
            if types and self.num_rows(rel) >= min_rows:
                order = ", ".join(f"c{i}" for i in range(len(types)))
                if self._adopted:
                    con.execute(f"CREATE OR REPLACE TABLE {table_name(rel)} AS SELECT * FROM {table_name(rel)} ORDER BY {order}")
                else:
                    con.execute(f"DROP VIEW {table_name(rel)}")
                    con.execute(f"CREATE TABLE {table_name(rel)} AS SELECT * FROM arrow_{rel} ORDER BY {order}")
        self._sorted = True
        return time.perf_counter() - start

    # -- pickling and files ----------------------------------------------------
    def __getstate__(self) -> dict:
        return {"tables": self.tables, "types": self.types}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["tables"], state["types"])  # type: ignore[misc]

    def save(self, directory: str | Path) -> None:
        """One Arrow IPC file (zstd) per relation: ``<directory>/<relation>.arrow``."""
        import pyarrow as pa

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        options = pa.ipc.IpcWriteOptions(compression="zstd")
        for rel, table in self.tables.items():
            with pa.OSFile(str(directory / f"{rel}.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema, options=options) as writer:
                writer.write_table(table)

    @classmethod
    def load(cls, directory: str | Path, types: Mapping[str, list[str]]) -> "ResultStore":
        """Read the tables written by :meth:`save` for the relations of ``types``."""
        import pyarrow as pa

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
        return f"ResultStore({len(self.types)} relations, {sum(self.num_rows(rel) for rel in self.types):,} rows)"
