"""Soufflé-style fact files: ``<relation>.facts``, tab separated, no header (:meth:`Model.write_csv_dir` writes the ``.csv`` out).

Reading never evaluates anything: a field is an integer if it looks like one,
a float if it looks like one, otherwise a string, and a column holding any
non-number is read as strings throughout (relations have one type per column).

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "edge.facts").write_text("1\\t2\\n2\\tx\\n")
>>> read_facts_dir(d)["edge"].values.tolist()
[[1, '2'], [2, 'x']]
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from neurosym._errors import DataLoadError

__all__ = ["read_facts_dir", "read_facts_file", "MAX_FACTS_BYTES"]

#: Largest single facts file accepted.
MAX_FACTS_BYTES = 2_000_000_000
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


def _parse_column(values: list[str]) -> list:
    if values and all(_INT.match(v) for v in values):
        return [int(v) for v in values]
    if values and all(_FLOAT.match(v) for v in values):
        return [float(v) for v in values]
    return values


def read_facts_file(path: str | Path) -> pd.DataFrame:
    """Read one tab-separated facts file into a frame with columns ``c0..``."""
    path = Path(path)
    if path.stat().st_size > MAX_FACTS_BYTES:
        raise DataLoadError(f"facts file larger than {MAX_FACTS_BYTES:,} bytes", source=str(path))
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [row for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE) if row != []]
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        bad = next(i for i, r in enumerate(rows, 1) if len(r) != len(rows[0]))
        raise DataLoadError(f"line {bad} has {len(rows[bad - 1])} fields but line 1 has {len(rows[0])}", source=str(path))
    width = widths.pop() if widths else 0
    columns = list(zip(*rows)) if rows else [[] for _ in range(width)]
    return pd.DataFrame({f"c{i}": _parse_column(list(col)) for i, col in enumerate(columns)})


def read_facts_dir(directory: str | Path) -> dict[str, pd.DataFrame]:
    """Every ``<relation>.facts`` file of a directory."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataLoadError("facts directory not found", source=str(directory))
    return {p.stem: read_facts_file(p) for p in sorted(directory.glob("*.facts"))}
