"""Turn user facts (pandas, pyarrow, lists of tuples, tables read into DuckDB) into typed inputs for the engines.

An input relation is a frame whose leading columns are the arguments; two
optional columns carry metadata: ``_prob`` (probability in [0, 1], e.g. from
a neural predicate) and ``_source`` (a reference to the source record, shown
in proof trees).  Missing values are an error: Datalog has no nulls.  Facts
files read by :func:`~neurosym.logic._factsio.load_facts` stay in their DuckDB
database (a :class:`DatabaseTable`): the native engine evaluates in that
database and nothing passes through Python (pandas is not even imported).

Examples
--------
>>> rel = normalize_relation("edge", [(1, 2), (2, 3)], arity=2)
>>> rel.frame.columns.tolist(), rel.types
(['c0', 'c1'], ['number', 'number'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from neurosym._errors import EvaluationError

if TYPE_CHECKING:
    import pandas as pd

_INT64 = (-(2**63), 2**63 - 1)

#: DuckDB column types of a facts table and the rule language's types.
_DATABASE_TYPES = {"BIGINT": "number", "DOUBLE": "float", "VARCHAR": "symbol"}

__all__ = ["DatabaseTable", "InputRelation", "normalize_relation", "normalize_facts"]


@dataclass
class DatabaseTable:
    """Facts held by a DuckDB database: ``table`` of ``connection`` (None: no rows, no columns) with argument columns
    ``c0..`` (``BIGINT``, ``DOUBLE`` or ``VARCHAR``) and, when given, ``_p`` (probability) and ``_s`` (source reference).

    The native engine evaluates inside ``connection`` and moves the rows into its relation table, so a
    database table is evaluated once; other engines fetch it as a frame.
    """

    connection: duckdb.DuckDBPyConnection
    table: str | None
    source: str  # the file it was read from, for messages
    view: bool = False  # a view of the file (Parquet), read when evaluated, instead of a table of its rows

    def schema(self) -> dict[str, str]:
        """Column -> DuckDB type."""
        if self.table is None:
            return {}
        try:
            return {str(row[0]): str(row[1]) for row in self.connection.execute(f"DESCRIBE {self.table}").fetchall()}
        except duckdb.CatalogException:
            raise EvaluationError(f"the facts read from {self.source} were moved into an earlier evaluation; read them again") from None

    def column_types(self) -> list[str]:
        """Types of the argument columns."""
        return [_DATABASE_TYPES[t] for name, t in self.schema().items() if not name.startswith("_")]

    def rows(self) -> int:
        return 0 if self.table is None else int(self.connection.execute(f"SELECT COUNT(*) FROM {self.table}").fetchone()[0])


@dataclass
class InputRelation:
    """Arguments as columns ``c0..``, plus ``_p`` (probability) and ``_s`` (source reference) when given."""

    name: str
    data: pd.DataFrame | DatabaseTable
    types: list[str | None]  # None: an empty relation, typed by the program
    has_prob: bool
    source_type: str | None  # "number" or "symbol" when a _source column is present

    @property
    def frame(self) -> pd.DataFrame:
        """The facts as a frame (a database table is fetched)."""
        if not isinstance(self.data, DatabaseTable):
            return self.data
        import pandas as pd

        if self.data.table is None:
            return pd.DataFrame({f"c{i}": [] for i in range(len(self.types))})
        return self.data.connection.execute(f"SELECT * FROM {self.data.table}").df()

    def __len__(self) -> int:
        return self.data.rows() if isinstance(self.data, DatabaseTable) else len(self.data)


def _column_type(name: str, i: int, values: pd.Series) -> tuple[pd.Series, str]:
    import numpy as np
    import pandas as pd

    if values.isna().any():
        raise EvaluationError(f"relation {name}: column {i + 1} has {int(values.isna().sum())} missing values; facts cannot contain nulls")
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return values.astype("int64"), "number"
    if pd.api.types.is_integer_dtype(dtype):
        return values.astype("int64"), "number"
    if pd.api.types.is_float_dtype(dtype):
        return _finite(name, i, values.astype("float64")), "float"
    if isinstance(dtype, pd.CategoricalDtype):
        return values.astype("string[pyarrow]"), "symbol"
    if pd.api.types.is_string_dtype(dtype) and not dtype == object:
        return values, "symbol"  # Arrow-backed strings go to the database without Python objects
    kinds = {type(v) for v in values}
    if kinds <= {str}:
        return values.astype(object), "symbol"
    if kinds & {int, float}:
        big = next((v for v in values if isinstance(v, int) and not _INT64[0] <= v <= _INT64[1]), None)
        if big is not None:
            raise EvaluationError(f"relation {name}: column {i + 1} holds {big}, beyond the 64-bit integer range")
    if kinds <= {int, np.int64, np.int32, bool, np.bool_}:
        return values.astype("int64"), "number"
    if kinds <= {int, float, np.int64, np.float64, np.int32, bool}:
        return _finite(name, i, values.astype("float64")), "float"
    raise EvaluationError(f"relation {name}: column {i + 1} mixes strings and numbers ({sorted(k.__name__ for k in kinds)}); a column must hold one kind of value")


def _finite(name: str, i: int, values: pd.Series) -> pd.Series:
    import numpy as np

    bad = ~np.isfinite(values.to_numpy())
    if bad.any():
        raise EvaluationError(f"relation {name}: column {i + 1} holds {values[bad].iloc[0]} in row {int(bad.argmax()) + 1}; "
                              "facts must be finite numbers")
    return values


def normalize_relation(name: str, data: object, arity: int | None = None) -> InputRelation:
    """Normalise one relation's facts; ``arity`` (when the program knows it) is checked."""
    if isinstance(data, InputRelation):  # typed already: a table an engine reads in place (Spark, PostgreSQL)
        if arity is not None and len(data.types) != arity:
            raise EvaluationError(f"relation {name}: the program uses {arity} arguments but {data.name} has {len(data.types)} columns")
        return data
    if isinstance(data, DatabaseTable):
        return _database_relation(name, data, arity)
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        frame = data
    elif hasattr(data, "to_pandas"):
        frame = data.to_pandas()
    else:
        rows = list(data)  # type: ignore[arg-type]
        width = len(rows[0]) if rows else (arity or 0)
        if any(len(r) != width for r in rows):
            raise EvaluationError(f"relation {name}: tuples of different lengths")
        frame = pd.DataFrame(rows, columns=[f"c{i}" for i in range(width)]) if rows else pd.DataFrame({f"c{i}": [] for i in range(width)})
    args = [c for c in frame.columns if not str(c).startswith("_")]
    if not len(frame) and not args and arity:  # an empty .facts file: no columns, the program gives the arity
        frame = pd.DataFrame({f"c{i}": [] for i in range(arity)})
        args = list(frame.columns)
    extra = [c for c in frame.columns if str(c).startswith("_") and c not in ("_prob", "_source")]
    if extra:
        raise EvaluationError(f"relation {name}: unknown metadata columns {extra}; use _prob and _source")
    if arity is not None and len(args) != arity:
        raise EvaluationError(f"relation {name}: the program uses {arity} arguments but the facts have {len(args)} columns {args}")
    out: dict[str, pd.Series] = {}
    types: list[str | None] = []
    for i, c in enumerate(args):
        if len(frame):
            series, t = _column_type(name, i, frame[c].reset_index(drop=True))
        else:  # an empty relation: its types come from the program (a .decl or the rules)
            series, t = frame[c].reset_index(drop=True).astype(object), None
        out[f"c{i}"] = series
        types.append(t)
    has_prob = "_prob" in frame.columns
    if has_prob:
        p = pd.to_numeric(frame["_prob"], errors="coerce").reset_index(drop=True)
        if p.isna().any() or ((p < 0) | (p > 1)).any():
            raise EvaluationError(f"relation {name}: _prob must be a number in [0, 1] in every row")
        out["_p"] = p.astype("float64")
    source_type = None
    if "_source" in frame.columns:
        s = frame["_source"].reset_index(drop=True)
        if pd.api.types.is_integer_dtype(s.dtype):
            out["_s"], source_type = s.astype("int64"), "number"
        else:
            out["_s"], source_type = s.astype(str).astype(object), "symbol"
    # copy=False: the columns stay the caller's arrays (one block each, read only), not a consolidated copy
    return InputRelation(name, pd.DataFrame(out, index=pd.RangeIndex(len(frame)), copy=False), types, has_prob, source_type)


def _database_relation(name: str, data: DatabaseTable, arity: int | None) -> InputRelation:
    """A relation read into DuckDB: its column types are the database's; non-finite floats are errors."""
    types: list[str | None] = list(data.column_types())
    if data.table is None:  # an empty file: the program gives the arity and types
        types = [None] * (arity or 0)
    elif arity is not None and len(types) != arity:
        raise EvaluationError(f"relation {name}: the program uses {arity} arguments but {data.source} has {len(types)} columns")
    for i, t in enumerate(types):
        if t != "float":
            continue
        if not data.connection.execute(f"SELECT bool_or(NOT isfinite(c{i})) FROM {data.table}").fetchone()[0]:
            continue  # one parallel scan; the row number below only for a message
        bad = data.connection.execute(f"SELECT c{i}, n FROM (SELECT c{i}, row_number() OVER () AS n FROM {data.table}) "
                                      f"WHERE NOT isfinite(c{i}) ORDER BY n LIMIT 1").fetchone()
        if bad is not None:
            raise EvaluationError(f"relation {name}: column {i + 1} holds {bad[0]} in row {bad[1]} of {data.source}; "
                                  "facts must be finite numbers")
    columns = data.schema()
    source = None if "_s" not in columns else ("number" if columns["_s"] == "BIGINT" else "symbol")
    return InputRelation(name, data, types, "_p" in columns, source)


def normalize_facts(facts: Mapping[str, object] | None, arities: Mapping[str, int]) -> dict[str, InputRelation]:
    """Normalise the relations the program uses; others are ignored."""
    result = {}
    for name, data in (facts or {}).items():
        if name in arities:
            result[name] = normalize_relation(name, data, arities[name])
    return result
