"""Turn user facts (pandas, pyarrow, lists of tuples) into typed frames for the engines.

An input relation is a frame whose leading columns are the arguments; two
optional columns carry metadata: ``_prob`` (probability in [0, 1], e.g. from
a neural predicate) and ``_source`` (a reference to the source record, shown
in proof trees).  Missing values are an error: Datalog has no nulls.

Examples
--------
>>> rel = normalize_relation("edge", [(1, 2), (2, 3)], arity=2)
>>> rel.frame.columns.tolist(), rel.types
(['c0', 'c1'], ['number', 'number'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from neurosym._errors import EvaluationError

_INT64 = (-(2**63), 2**63 - 1)

__all__ = ["InputRelation", "normalize_relation", "normalize_facts"]


@dataclass
class InputRelation:
    """Arguments as columns ``c0..``, plus ``_p`` (probability) and ``_s`` (source reference) when given."""

    name: str
    frame: pd.DataFrame
    types: list[str | None]  # None: an empty relation, typed by the program
    has_prob: bool
    source_type: str | None  # "number" or "symbol" when a _source column is present


def _column_type(name: str, i: int, values: pd.Series) -> tuple[pd.Series, str]:
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
    return InputRelation(name, pd.DataFrame(out, index=pd.RangeIndex(len(frame))), types, has_prob, source_type)


def normalize_facts(facts: Mapping[str, object] | None, arities: Mapping[str, int]) -> dict[str, InputRelation]:
    """Normalise the relations the program uses; others are ignored."""
    result = {}
    for name, data in (facts or {}).items():
        if name in arities:
            result[name] = normalize_relation(name, data, arities[name])
    return result
