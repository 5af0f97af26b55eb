"""Column schemas of the canonical patient model.

A :class:`~neurosym.data.Cohort` stores three columnar tables, each sorted by
patient and time: ``patients``, ``events`` and the lifelog's ``daily`` and
``hourly`` frames.  Every row carries source-pointer columns
(``source_dataset``, ``source_table``, ``source_row``, ``source_id``) so any
fact can be traced back to the exact record it came from.

Days in facts are integer **epoch days** (days since 1970-01-01, negative
before), see :func:`date_to_day` and :func:`day_to_date`.

Examples
--------
>>> date_to_day("1970-01-08"), day_to_date(7)
(7, '1970-01-08')
"""

from __future__ import annotations

import datetime as _dt
from typing import Iterable

import numpy as np
import pandas as pd

from neurosym._errors import InputError
from neurosym.ontology._codes import SYSTEMS

__all__ = [
    "EVENT_KINDS",
    "CODE_SYSTEMS",
    "COMPARATORS",
    "PATIENT_COLUMNS",
    "EVENT_COLUMNS",
    "DAILY_COLUMNS",
    "HOURLY_COLUMNS",
    "SOURCE_COLUMNS",
    "date_to_day",
    "day_to_date",
    "empty_frame",
    "conform",
]

#: Kinds of timeline events.
EVENT_KINDS: tuple[str, ...] = (
    "condition",
    "drug",
    "measurement",
    "procedure",
    "observation",
    "visit",
    "death",
)

#: Code systems, as lower-case names used in events and facts: the one list
#: kept in :mod:`neurosym.ontology._codes` (``SYSTEMS``).
CODE_SYSTEMS: tuple[str, ...] = SYSTEMS

#: Comparators a value may carry (FHIR ``Quantity.comparator``, OMOP
#: ``operator_concept_id``): ``"<"`` 5 means "below 5", not 5.
COMPARATORS: tuple[str, ...] = ("<", "<=", ">=", ">", "=")

#: Pointer to the exact source record of a row.
SOURCE_COLUMNS: dict[str, str] = {
    "source_dataset": "category",  # e.g. "omop_synthea27nj", "synthetic(seed=0)"
    "source_table": "category",  # table, file or FHIR resource type
    "source_row": "Int64",  # 1-based data row number in that table/file (header excluded)
    "source_id": "string",  # record id (FHIR resource id, OMOP *_id) where one exists
}

PATIENT_COLUMNS: dict[str, str] = {
    "patient_id": "string",
    "sex": "category",  # "F", "M" or "U" (unknown)
    "birth_date": "datetime64[s]",
    "death_date": "datetime64[s]",
    **SOURCE_COLUMNS,
}

EVENT_COLUMNS: dict[str, str] = {
    "patient_id": "category",
    "time": "datetime64[s]",
    "end_time": "datetime64[s]",  # drugs, visits; NaT otherwise
    "kind": "category",  # one of EVENT_KINDS
    "system": "category",  # one of CODE_SYSTEMS
    "code": "category",
    "value": "float64",  # canonical unit for known LOINC codes, see neurosym.data.units
    "unit": "category",
    "value_text": "category",  # non-numeric result, when present
    "comparator": "category",  # one of COMPARATORS when the source qualified the value ("<" 5); null otherwise
    **SOURCE_COLUMNS,
}

#: One row per patient and calendar day with data.  A day without a row is
#: missing (unknown), never zero.  ``worn_minutes`` is the wear time; a day
#: present with ``worn_minutes == 0`` was explicitly recognised as not worn.
DAILY_COLUMNS: dict[str, str] = {
    "patient_id": "category",
    "date": "datetime64[s]",
    "steps": "Int64",
    "active_minutes": "Int64",
    "sleep_minutes": "Int64",
    "resting_hr": "Float64",
    "worn_minutes": "Int64",
    **SOURCE_COLUMNS,
}

HOURLY_COLUMNS: dict[str, str] = {
    "patient_id": "category",
    "time": "datetime64[s]",
    "steps": "Int64",
    "heart_rate": "Float64",
    **SOURCE_COLUMNS,
}

_EPOCH = _dt.date(1970, 1, 1)


def date_to_day(value: str | _dt.date | _dt.datetime | np.datetime64) -> int:
    """Epoch day (days since 1970-01-01) of a date, datetime or ISO string.

    >>> date_to_day("2020-01-01")
    18262
    """
    return int(pd.Timestamp(value).normalize().value // 86_400_000_000_000)


def day_to_date(day: int) -> str:
    """ISO date of an epoch day.

    >>> day_to_date(18262)
    '2020-01-01'
    """
    return (_EPOCH + _dt.timedelta(days=int(day))).isoformat()


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    """An empty frame with the given column dtypes.

    >>> list(empty_frame(PATIENT_COLUMNS).columns)[:3]
    ['patient_id', 'sex', 'birth_date']
    """
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def conform(frame: pd.DataFrame, columns: dict[str, str], sort_by: Iterable[str] = ()) -> pd.DataFrame:
    """Return ``frame`` with exactly ``columns`` in order and dtype.

    Missing optional columns are filled with nulls; unknown columns are an
    error, so a loader cannot silently carry data nobody reads.

    >>> df = conform(pd.DataFrame({"patient_id": ["a"], "sex": ["F"]}), PATIENT_COLUMNS)
    >>> str(df["sex"].dtype), int(df["birth_date"].isna().sum())
    ('category', 1)
    """
    extra = set(frame.columns) - set(columns)
    if extra:
        raise InputError(f"unexpected columns {sorted(extra)}; expected a subset of {list(columns)}")
    n = len(frame)
    out = {}
    for name, dtype in columns.items():
        if name in frame.columns:
            col = frame[name]
            if str(col.dtype) == dtype or (dtype == "category" and isinstance(col.dtype, pd.CategoricalDtype)):
                pass  # already right: no copy
            elif dtype.startswith("datetime64"):
                col = pd.to_datetime(col).astype(dtype)
            elif dtype == "category":
                col = col.astype("string").astype("category") if col.dtype != "category" else col
            else:
                col = col.astype(dtype)
        else:
            col = pd.Series([None] * n, dtype="object").astype(dtype)
        out[name] = col.reset_index(drop=True)
    result = pd.DataFrame(out, copy=False)
    sort_by = list(sort_by)
    if sort_by and n:
        result = result.sort_values(sort_by, kind="stable").reset_index(drop=True)
    return result
