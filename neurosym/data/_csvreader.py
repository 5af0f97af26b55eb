"""The shared CSV reader every table loader is built on.

:func:`read_csv_table` reads one CSV file (plain or ``.gz``) through DuckDB
with every value as text, adds a 1-based ``_row`` column (the data row
number, header excluded, which loaders store in ``source_row``) and checks
that the required columns are there.  Loaders then parse and type the
columns they use, so one malformed value never breaks a whole file; only an
unreadable file or a missing column raises :class:`~neurosym.DataLoadError`.

Conventions:

* header names are matched case-insensitively and returned lower-case
  (MIMIC-III ships both ``ROW_ID`` and ``row_id`` styles);
* empty fields, quoted or not, are missing (``NA``); other values are kept
  exactly as written (no trimming);
* rows keep file order, so ``_row`` is the record's position in the file.

Examples
--------
>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "person.csv"
>>> _ = path.write_text("person_id,year_of_birth\\n7,1970\\n8,\\n")
>>> df = read_csv_table(path, ["person_id"], optional=["year_of_birth", "race"])
>>> df["_row"].tolist(), df["person_id"].tolist(), df["year_of_birth"].isna().tolist()
([1, 2], ['7', '8'], [False, True])
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from neurosym._errors import DataLoadError

__all__ = ["read_csv_table", "csv_columns", "find_table"]

_OPTIONS = "header=true, all_varchar=true, delim=',', quote='\"', escape='\"'"


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def find_table(directory: str | Path, name: str, *, required: bool = True) -> Path | None:
    """The file of table ``name`` in ``directory``: ``<name>.csv`` or ``<name>.csv.gz``, any letter case.

    Returns None for a missing optional table; raises :class:`DataLoadError`
    for a missing required one or a missing directory.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "PERSON.csv").write_text("person_id\\n1\\n")
    >>> find_table(folder, "person").name, find_table(folder, "death", required=False)
    ('PERSON.csv', None)
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataLoadError("not a directory; pass the folder that holds the CSV tables", source=str(directory))
    wanted = {f"{name.lower()}.csv", f"{name.lower()}.csv.gz"}
    found = sorted(p for p in directory.iterdir() if p.name.lower() in wanted and p.is_file())
    if found:
        return found[0]
    if required:
        raise DataLoadError(f"required table {name!r} not found (looked for {name}.csv or {name}.csv.gz)",
                            source=str(directory))
    return None


def csv_columns(path: str | Path, *, connection: duckdb.DuckDBPyConnection | None = None) -> list[str]:
    """Header names of a CSV file, as written; :class:`DataLoadError` if unreadable.

    ``connection`` reuses an open DuckDB connection (a new one otherwise).

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("A,b\\n1,2\\n")
    >>> csv_columns(path)
    ['A', 'b']
    """
    path = Path(path)
    if not path.is_file():
        raise DataLoadError("file not found; check the directory and file name", source=str(path))
    try:
        rows = (connection or duckdb.connect()).sql(f"DESCRIBE SELECT * FROM read_csv({_sql_path(path)}, {_OPTIONS})").fetchall()
    except duckdb.Error as err:
        raise DataLoadError(f"not a readable CSV file: {err}", source=str(path)) from err
    return [r[0] for r in rows]


def read_csv_table(path: str | Path, columns: Iterable[str] | None = None, *,
                   optional: Iterable[str] = ()) -> pd.DataFrame:
    """Read a CSV table as text with a 1-based ``_row`` column.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.csv.gz`` file with a header row.
    columns : iterable of str, optional
        Required columns (case-insensitive).  ``None`` reads every column.
    optional : iterable of str
        Columns read when present and filled with ``NA`` when absent.

    Returns
    -------
    pandas.DataFrame
        ``_row`` (int64, data row number, header excluded) then the requested
        columns (all columns if ``columns`` is None) in lower case, values
        as strings, empty fields ``NA``.

    Raises
    ------
    DataLoadError
        The file is missing or not CSV, or lacks a required column; the
        message names the file and the column.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("ID,Name\\n1,a\\n")
    >>> list(read_csv_table(path).columns)
    ['_row', 'id', 'name']
    >>> read_csv_table(path, ["id", "dob"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    neurosym._errors.DataLoadError: ...t.csv: missing column 'dob' (found id, name); ...
    """
    path = Path(path)
    connection = duckdb.connect()
    header = {name.lower(): name for name in csv_columns(path, connection=connection)}
    wanted = list(header) if columns is None else [c.lower() for c in columns]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise DataLoadError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
            f"(found {', '.join(header)}); the table does not match the expected schema",
            source=str(path),
        )
    extra = [c.lower() for c in optional if c.lower() not in wanted]
    present = wanted + [c for c in extra if c in header]
    select = ", ".join(f"{_ident(header[c])} AS {_ident(c)}" for c in present) or "1 AS _none"
    try:
        frame = connection.sql(f"SELECT {select} FROM read_csv({_sql_path(path)}, {_OPTIONS})").df()
    except duckdb.Error as err:
        raise DataLoadError(f"not a readable CSV file: {err}", source=str(path)) from err
    frame = frame[present] if present else frame.iloc[:, :0]
    out = {"_row": pd.RangeIndex(1, len(frame) + 1).to_numpy(dtype="int64")}
    for c in wanted + extra:
        col = frame[c].astype("string") if c in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
        out[c] = col.mask(col == "").to_numpy() if c in frame else col.to_numpy()
    return pd.DataFrame(out).astype({c: "string" for c in wanted + extra})
