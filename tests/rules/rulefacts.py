"""Hand-built facts for the rule-library tests (imported by the test modules).

Every test patient has index day ``INDEX`` (2024-10-04) unless told otherwise
and is born in 1970 (54 at the index day); facts are written as plain tuples.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from neurosym.facts import BASE_RELATIONS

#: The index day of the hand-built patients: 2024-10-04.
INDEX = 20000

#: Column dtypes of every base relation (empty relations keep their types), from the fact schemas.
SCHEMAS: dict[str, dict[str, str]] = {
    rel: {name: {"symbol": "object", "number": "int64", "float": "float64"}[kind] for name, kind in columns}
    for rel, columns in BASE_RELATIONS.items()
}


def day(year: int, month: int, dom: int) -> int:
    """Epoch day of a date."""
    return (dt.date(year, month, dom) - dt.date(1970, 1, 1)).days


def make_facts(patients=(), *, index: int = INDEX, **relations) -> dict[str, pd.DataFrame]:
    """Typed facts: ``patients`` are ``(id, sex, birth_year)`` (each gets ``index_day``), the rest tuples per relation.

    Each patient without a ``birth`` row is born on 1 January of its birth year; ``lab``, ``vital`` and ``sleep``
    rows also become ``lab_record`` (comparator ``none``), ``vital_record`` and ``sleep_record`` rows with their own
    record key, so equal readings stay separate records, as in :meth:`Cohort.to_facts`.
    """
    frames = {name: data for name, data in relations.items() if isinstance(data, pd.DataFrame)}
    rows = {name: list(relations.get(name, [])) if name not in frames else [] for name in SCHEMAS}
    rows["patient"] += list(patients)
    known = {r[0] for r in rows["index_day"]}
    rows["index_day"] += [(p[0], index) for p in patients if p[0] not in known]
    born = {r[0] for r in rows["birth"]}
    rows["birth"] += [(p[0], day(p[2], 1, 1)) for p in rows["patient"] if p[0] not in born]
    rows["lab_record"] += [(*r, "none", 1_000_000 + i) for i, r in enumerate(rows["lab"])]
    rows["vital_record"] += [(*r, 2_000_000 + i) for i, r in enumerate(rows["vital"])]
    rows["sleep_record"] += [(*r, 3_000_000 + i) for i, r in enumerate(rows["sleep"])]
    out = {}
    for name, cols in SCHEMAS.items():
        frame = pd.DataFrame(rows[name], columns=list(cols)) if rows[name] else pd.DataFrame({c: [] for c in cols})
        out[name] = frame.astype(cols)
    out.update(frames)
    return out


def values(model, rel: str, patient: str) -> set:
    """The second column of ``rel`` for one patient (e.g. its categories)."""
    frame = model.query(rel)
    return set(frame[frame.iloc[:, 0] == patient].iloc[:, 1].tolist())


def holds(model, rel: str, patient: str) -> bool:
    """True when a one-column patient relation holds for ``patient``."""
    frame = model.query(rel)
    return patient in set(frame.iloc[:, 0].tolist())
