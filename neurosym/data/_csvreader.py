"""The shared CSV reader every table loader is built on.

:func:`read_csv_table` reads one CSV file (plain or ``.gz``) through DuckDB
with every value as text, adds a 1-based ``_row`` column (the data row
number, header excluded, which loaders store in ``source_row``) and checks
that the required columns are there.  Loaders then parse and type the
columns they use, so one malformed value never breaks a whole file; only an
unreadable file or a missing column raises :class:`~neurosym.DataLoadError`.

Conventions:

* header names are matched case-insensitively and returned lower-case
  (MIMIC-III ships both ``ROW_ID`` and ``row_id`` styles); a UTF-8 BOM is
  accepted;
* empty fields, quoted or not, are missing (``NA``); other values are kept
  exactly as written (no trimming);
* rows keep file order, so ``_row`` is the record's position in the file;
* **one malformed row never fails a table**: a row with a field too many or
  too few, or with bytes that are not UTF-8, is left out by DuckDB
  (``ignore_errors`` with ``store_rejects``) and recorded in the report
  as rejected with its line number.  When rows are rejected, ``_row``
  numbers follow the file's lines (line number minus the header line), so
  the rejected rows keep their own numbers and the others theirs.  A file
  whose line endings are mixed (one LF line in a CRLF file) cannot be read
  by DuckDB's strict parser; it is read in lenient mode, with a warning,
  every row loads (the odd line ending is harmless) and rows with a field
  too many or too few are still rejected.

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

import csv
import gzip
from collections.abc import Iterable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from neurosym._errors import DataLoadError
from neurosym.data._report import LoadReport

__all__ = ["read_csv_table", "csv_columns", "find_table"]

_DIALECT = "header=true, auto_detect=false, delim=',', quote='\"', escape='\"', ignore_errors=true, store_rejects=true"
_LENIENT = "file has mixed line endings or non-standard quoting: read in DuckDB's lenient mode"
_SURPLUS = "__neurosym_surplus_field__"  # sentinel column catching a row's fields beyond the header


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def find_table(directory: str | Path, name: str, *, required: bool = True,
               report: LoadReport | None = None) -> Path | None:
    """The file of table ``name`` in ``directory``: ``<name>.csv`` or ``<name>.csv.gz``, any letter case.

    Returns None for a missing optional table; raises :class:`DataLoadError`
    for a missing required one or a missing directory.  When several files
    match (``measurement.csv`` and ``measurement.csv.gz``), the plain
    ``.csv`` is read, never both, and ``report`` gets a warning naming the
    files left out.

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
    found = sorted((p for p in directory.iterdir() if p.name.lower() in wanted and p.is_file()),
                   key=lambda p: (p.name.lower().endswith(".gz"), p.name))
    if len(found) > 1 and report is not None:
        report.warn(name, f"several files for table {name!r}: read {found[0].name}, ignored "
                          f"{', '.join(p.name for p in found[1:])}")
    if found:
        return found[0]
    if required:
        raise DataLoadError(f"required table {name!r} not found (looked for {name}.csv or {name}.csv.gz)",
                            source=str(directory))
    return None


def csv_columns(path: str | Path) -> list[str]:
    """Header names of a CSV file, as written; :class:`DataLoadError` if unreadable.

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
        with (gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")) as fh:
            first = fh.readline()
        line = first.decode("utf-8-sig").rstrip("\r\n")
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise DataLoadError(f"not a readable CSV file: {err}", source=str(path)) from err
    names = next(csv.reader([line]), [])
    if not names or any(not n for n in names):
        raise DataLoadError("no header row (or an empty column name); expected a CSV file with a header",
                            source=str(path))
    if len({n.lower() for n in names}) < len(names):
        raise DataLoadError(f"duplicate column names in the header {names}", source=str(path))
    return names


def _scan(path: Path, names: list[str], select: str, options: str = "") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Good rows and rejected lines (line, reason) of one DuckDB scan."""
    connection = duckdb.connect()
    columns = "{" + ", ".join(f"{_literal(n)}: 'VARCHAR'" for n in names) + "}"
    frame = connection.sql(f"SELECT {select} FROM read_csv({_sql_path(path)}, {_DIALECT}, columns={columns}{options})").df()
    rejects = connection.sql(
        "SELECT line, first(lower(error_type) || ' (' || error_message || ')' ORDER BY column_idx) AS reason "
        "FROM reject_errors GROUP BY line ORDER BY line").df()
    return frame, rejects


def _lenient_scan(path: Path, names: list[str], select: str) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Rows, their numbers and rejected lines of a file DuckDB's strict parser refuses (mixed line endings).

    The lenient parser would cut a row's surplus fields silently, so the scan
    adds a sentinel column (rows with a value there have a field too many),
    and a second scan finds the rows with a field too few.
    """
    lenient = ", strict_mode=false"
    frame, rejects = _scan(path, [*names, _SURPLUS], f"{select}, {_ident(_SURPLUS)}", lenient + ", null_padding=true")
    _, short = _scan(path, names, "1", lenient)
    short = short[short["reason"].str.startswith("missing columns")]
    rows = _row_numbers(len(frame), rejects["line"].to_numpy(dtype="int64") - 1)
    too_many = frame[_SURPLUS].notna().to_numpy(dtype=bool)
    too_few = np.isin(rows, short["line"].to_numpy(dtype="int64") - 1) & ~too_many
    found = pd.DataFrame({"line": rows[too_many] + 1,
                          "reason": f"too many columns (expected {len(names)}, found more)"})
    rejects = pd.concat([rejects, found, short[np.isin(short["line"] - 1, rows[too_few])]], ignore_index=True)
    keep = ~(too_many | too_few)
    rejects = rejects.astype({"line": "int64"}).sort_values("line", ignore_index=True)
    return frame[keep].drop(columns=_SURPLUS), rows[keep], rejects


def read_csv_table(path: str | Path, columns: Iterable[str] | None = None, *,
                   optional: Iterable[str] = (), report: LoadReport | None = None,
                   table: str | None = None) -> pd.DataFrame:
    """Read a CSV table as text with a 1-based ``_row`` column.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.csv.gz`` file with a header row.
    columns : iterable of str, optional
        Required columns (case-insensitive).  ``None`` reads every column.
    optional : iterable of str
        Columns read when present and filled with ``NA`` when absent.
    report : LoadReport, optional
        Where malformed rows are recorded (counted as read and rejected
        under ``table``, with their line number).  Without a report a
        malformed row raises :class:`DataLoadError`, so nothing is lost
        silently.
    table : str, optional
        The report's table name; the file name by default.

    Returns
    -------
    pandas.DataFrame
        ``_row`` (int64, data row number, header excluded) then the requested
        columns (all columns if ``columns`` is None) in lower case, values
        as strings, empty fields ``NA``.  Malformed rows are not in it.

    Raises
    ------
    DataLoadError
        The file is missing or not CSV, lacks a required column, or has a
        malformed row and no ``report`` was given; the message names the
        file and the column or line.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("ID,Name\\n1,a\\n2,b,extra\\n3,c\\n")
    >>> report = LoadReport("demo")
    >>> read_csv_table(path, report=report, table="t")[["_row", "id"]].values.tolist()
    [[1, '1'], [3, '3']]
    >>> report.issues[["row", "reason"]].values.tolist()  # doctest: +ELLIPSIS
    [[2, 'malformed CSV row at line 3: too many columns (Expected Number of Columns: 2 Found: 3)...']]
    >>> read_csv_table(path, ["id", "dob"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    neurosym._errors.DataLoadError: ...t.csv: missing column 'dob' (found id, name); ...
    """
    path = Path(path)
    names = csv_columns(path)
    header = {name.lower(): name for name in names}
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
    table = table or path.name
    try:
        try:
            frame, rejects = _scan(path, names, select)
            rows = _row_numbers(len(frame), rejects["line"].to_numpy(dtype="int64") - 1)
        except duckdb.InvalidInputException:
            frame, rows, rejects = _lenient_scan(path, names, select)
            if report is not None:
                report.warn(table, _LENIENT, 1)
    except duckdb.Error as err:
        raise DataLoadError(f"not a readable CSV file: {err}", source=str(path)) from err
    frame = frame[present] if present else frame.iloc[:, :0]
    if len(rejects):
        reasons = "malformed CSV row at line " + rejects["line"].astype(str) + ": " + rejects["reason"].astype(str)
        if report is None:
            raise DataLoadError(reasons.iloc[0] + f" ({len(rejects)} malformed row(s))", source=str(path),
                                record=f"line {rejects['line'].iloc[0]}")
        report.count(table, read=len(rejects), loaded=0)
        report.add_issues(pd.DataFrame({"table": table, "row": rejects["line"].to_numpy() - 1, "record_id": None,
                                        "status": "rejected", "reason": reasons.to_numpy()}))
    out = {"_row": rows}
    for c in wanted + extra:
        col = frame[c].astype("string") if c in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
        out[c] = col.mask(col == "").to_numpy() if c in frame else col.to_numpy()
    return pd.DataFrame(out).astype({c: "string" for c in wanted + extra})


def _row_numbers(good: int, rejected: np.ndarray) -> np.ndarray:
    """Row numbers of the ``good`` rows: 1, 2, ... skipping the numbers of the rejected rows."""
    if not len(rejected):
        return np.arange(1, good + 1, dtype="int64")
    candidates = np.arange(1, good + len(rejected) + int(rejected.max()) + 1, dtype="int64")
    return candidates[~np.isin(candidates, rejected)][:good]
