"""Soufflé-style fact files: ``<relation>.facts``, tab separated, no header (:meth:`Model.write_csv_dir` writes the ``.csv`` out).

DuckDB reads the files (``read_csv``, typed, no header); nothing is evaluated:
a column is integers if every field looks like one, floats if every field
looks like a number, otherwise strings throughout (one type per column).

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "edge.facts").write_text("1\\t2\\n2\\tx\\n")
>>> read_facts_dir(d)["edge"].values.tolist()
[[1, '2'], [2, 'x']]
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from neurosym._errors import DataLoadError
from neurosym.logic._inputs import DatabaseTable
from neurosym.logic._sql import sql_name
from neurosym.logic._store import duckdb_connection

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["facts_files", "load_facts", "read_facts_dir", "read_facts_file", "MAX_FACTS_BYTES"]

#: Largest single facts file accepted.
MAX_FACTS_BYTES = 2_000_000_000

# Every line read whole (no quoting, escapes, comments or NULL spellings), each column typed by all its values.
_READ = ("SELECT * FROM read_csv($path, delim=$delim, header=false, quote='', escape='', comment='', nullstr='\x01', "
         "skip=$skip, sample_size=-1, auto_type_candidates=['BIGINT', 'DOUBLE', 'VARCHAR'], strict_mode=true, null_padding=false)")
_WIDTHS = ("SELECT n, len(string_split(line, $delim)) AS w FROM (SELECT line, row_number() OVER () AS n "
           "FROM read_csv($path, columns={'line': 'VARCHAR'}, delim='\x02', header=false, quote='', escape='', comment='', "
           "nullstr='\x01', strict_mode=false)) WHERE line <> '' ORDER BY n")


def _read_into(con: duckdb.DuckDBPyConnection, table: str, path: Path, delimiter: str, headers: bool = False) -> bool:
    """Read one facts file into table ``table`` (columns ``c0..``; ``headers``: its first line names the columns and is
    skipped, Soufflé's ``headers=true``); False for an empty file (no table)."""
    size = path.stat().st_size
    if size > MAX_FACTS_BYTES:
        raise DataLoadError(f"facts file larger than {MAX_FACTS_BYTES:,} bytes", source=str(path))
    if size == 0:
        return False
    try:
        con.execute(f"CREATE TABLE {table} AS {_READ}", {"path": str(path), "delim": delimiter, "skip": int(headers)})
        for i, (name, *_) in enumerate(con.execute(f"DESCRIBE {table}").fetchall()):
            con.execute(f'ALTER TABLE {table} RENAME COLUMN "{name}" TO c{i}')
    except duckdb.Error as err:
        raise _ragged(con, path, delimiter, int(headers)) or DataLoadError(f"cannot read the facts: {err}", source=str(path)) from None
    return True


#: DuckDB types of Parquet columns and the types they are read as (integers, floats, strings).
_PARQUET_TYPES = {**dict.fromkeys(("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "BOOLEAN"),
                                  "BIGINT"),
                  "FLOAT": "DOUBLE", "DOUBLE": "DOUBLE", "VARCHAR": "VARCHAR"}


def _read_parquet_into(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> bool:
    """Make ``table`` a view of a Parquet file of facts (argument columns, optional ``_prob`` and ``_source``).

    Argument columns become ``c0..`` (integers as ``BIGINT``, floats as ``DOUBLE``, strings); ``_prob``
    becomes ``_p`` and ``_source`` ``_s``.  Missing values and probabilities outside [0, 1] are errors.
    The rows are not copied: the native engine reads the file once, straight into its relation's table
    (a copy would double the memory and cost a compression pass).  Missing values are counted from the
    file's column statistics where every row group has them, else by a scan.
    """
    scan = f"read_parquet({_quote(str(path))})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    except duckdb.Error as err:
        raise DataLoadError(f"cannot read the facts: {err}", source=str(path)) from None
    extra = [name for name, *_ in described if name.startswith("_") and name not in ("_prob", "_source")]
    if extra:
        raise DataLoadError(f"unknown metadata columns {extra}; use _prob and _source", source=str(path))
    select, args = [], []
    for name, kind, *_ in described:
        if name == "_prob":
            select.append(f'CAST("{name}" AS DOUBLE) AS _p')
            continue
        if name == "_source":
            select.append(f'"{name}" AS _s' if _PARQUET_TYPES.get(kind) == "BIGINT" else f'CAST("{name}" AS VARCHAR) AS _s')
            continue
        if kind not in _PARQUET_TYPES:
            raise DataLoadError(f"column {name!r} has type {kind}; facts hold integers, floats or strings", source=str(path))
        select.append(f'CAST("{name}" AS {_PARQUET_TYPES[kind]}) AS c{len(args)}')
        args.append(name)
    con.execute(f"CREATE VIEW {table} AS SELECT {', '.join(select)} FROM {scan}")
    for i, n in enumerate(_missing(con, table, path, args)):
        if n:
            raise DataLoadError(f"column {i + 1} has {n} missing values; facts cannot contain nulls", source=str(path))
    if any(name == "_prob" for name, *_ in described):
        bad = con.execute(f"SELECT count(*) FILTER (WHERE _p IS NULL OR _p < 0 OR _p > 1) FROM {table}").fetchone()[0]
        if bad:
            raise DataLoadError(f"_prob must be a number in [0, 1] in every row ({bad} are not)", source=str(path))
    return True


def _missing(con: duckdb.DuckDBPyConnection, table: str, path: Path, columns: list[str]) -> list[int]:
    """Missing values per argument column: from the Parquet statistics when every row group has them, else counted."""
    try:
        rows = con.execute("SELECT path_in_schema, sum(stats_null_count), count(*) FILTER (WHERE stats_null_count IS NULL) "
                           "FROM parquet_metadata($path) GROUP BY ALL", {"path": str(path)}).fetchall()
        stats = {name: (nulls, unknown) for name, nulls, unknown in rows}
    except duckdb.Error:
        stats = {}
    if all(name in stats and not stats[name][1] for name in columns):
        return [int(stats[name][0] or 0) for name in columns]
    checks = [f"count(*) FILTER (WHERE c{i} IS NULL)" for i in range(len(columns))]
    return list(con.execute(f"SELECT {', '.join(checks)} FROM {table}").fetchone()) if checks else []


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load_facts(files: Mapping[str, str | Path | tuple[str | Path, str] | tuple[str | Path, str, bool]]) -> dict[str, DatabaseTable]:
    """Read facts files into one fresh DuckDB database; relation -> its table there (evaluated in place, once).

    ``files`` maps a relation to a Parquet file (``*.parquet``: argument columns in order, optional ``_prob``
    and ``_source``), a tab-separated facts file, ``(facts file, delimiter)`` or ``(facts file, delimiter, headers)``.  The native engine
    evaluates inside this database, so the facts never pass through Python.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from neurosym.logic import Program
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "edge.facts").write_text("1\\t2\\n2\\t3\\n")
    >>> facts = load_facts({"edge": (d / "edge.facts", "\\t")})
    >>> Program.from_text("p(X, Z) :- edge(X, Y), edge(Y, Z).").evaluate(facts).count("p")
    1
    """
    con = duckdb_connection()
    tables = {}
    for rel, spec in files.items():
        path, delimiter, headers = (Path(spec[0]), *spec[1:], False)[:3] if isinstance(spec, tuple) else (Path(spec), "\t", False)
        table = f"facts_{sql_name(rel)}"
        read = (_read_parquet_into(con, table, path) if path.suffix == ".parquet"
                else _read_into(con, table, path, delimiter, bool(headers)))
        tables[rel] = DatabaseTable(con, table if read else None, str(path), view=read and path.suffix == ".parquet")
    return tables


def _arrow_strings(t: pa.DataType) -> pd.ArrowDtype | None:
    import pandas as pd
    import pyarrow as pa

    return pd.ArrowDtype(t) if pa.types.is_string(t) or pa.types.is_large_string(t) else None


def read_facts_file(path: str | Path, delimiter: str = "\t", headers: bool = False) -> pd.DataFrame:
    """Read one facts file (tab separated by default; ``headers``: skip a first line of column names) into a frame
    with columns ``c0..``; DuckDB does the reading.

    Strings stay Arrow-backed (no Python objects); an empty file is a relation with no columns yet (the
    program gives its arity).
    """
    import pandas as pd

    con = duckdb.connect()
    try:
        if not _read_into(con, "facts", Path(path), delimiter, headers):
            return pd.DataFrame()
        return con.table("facts").to_arrow_table().to_pandas(types_mapper=_arrow_strings)
    finally:
        con.close()


def _ragged(con, path: Path, delimiter: str, skip: int) -> DataLoadError | None:
    """The first line whose number of fields differs from the first data line's, as an error (None if all agree)."""
    try:
        rows = con.execute(f"SELECT n, w, first(w) OVER (ORDER BY n) AS w0 FROM ({_WIDTHS}) WHERE n > $skip "
                           "QUALIFY w <> w0 ORDER BY n LIMIT 1", {"path": str(path), "delim": delimiter, "skip": skip}).fetchall()
    except duckdb.Error:
        return None
    if not rows:
        return None
    line, width, first = rows[0]
    return DataLoadError(f"line {line} has {width} fields but line {skip + 1} has {first}", source=str(path))


def facts_files(directory: str | Path) -> dict[str, Path]:
    """Every ``<relation>.facts`` file of a directory, by relation."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataLoadError("facts directory not found", source=str(directory))
    return {p.stem: p for p in sorted(directory.glob("*.facts"))}


def read_facts_dir(directory: str | Path) -> dict[str, pd.DataFrame]:
    """Every ``<relation>.facts`` file of a directory, as frames."""
    return {rel: read_facts_file(path) for rel, path in facts_files(directory).items()}
