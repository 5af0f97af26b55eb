"""The fact schemas: every base relation the facts stage provides, with its columns and their types.

Types are those of the rule language: ``symbol`` (string), ``number``
(integer) and ``float``.  ``neurosym rules check`` type-checks rule files
against them, as ``neurosym rules run`` does against the facts it reads.

Examples
--------
>>> FACT_SCHEMAS["lab"]
('patient', 'loinc', 'value', 'day')
>>> [t for _, t in BASE_RELATIONS["lab"]]
['symbol', 'symbol', 'float', 'number']
"""

from __future__ import annotations

__all__ = ["BASE_RELATIONS", "FACT_SCHEMAS", "ONTOLOGY_RELATIONS"]

_S, _N, _F = "symbol", "number", "float"

#: Column name and type of every base relation: the cohort's (:data:`FACT_SCHEMAS`) and the ontology's.
BASE_RELATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "patient": (("patient", _S), ("sex", _S), ("birth_year", _N)),
    "birth": (("patient", _S), ("day", _N)),
    "condition": (("patient", _S), ("system", _S), ("code", _S), ("day", _N)),
    "lab": (("patient", _S), ("loinc", _S), ("value", _F), ("day", _N)),
    "vital": (("patient", _S), ("kind", _S), ("value", _F), ("day", _N)),
    "lab_record": (("patient", _S), ("loinc", _S), ("value", _F), ("day", _N), ("comparator", _S), ("record", _N)),
    "vital_record": (("patient", _S), ("kind", _S), ("value", _F), ("day", _N), ("record", _N)),
    "drug": (("patient", _S), ("system", _S), ("code", _S), ("day", _N)),
    "procedure": (("patient", _S), ("system", _S), ("code", _S), ("day", _N)),
    "observation": (("patient", _S), ("system", _S), ("code", _S), ("day", _N)),
    "visit": (("patient", _S), ("kind", _S), ("day", _N)),
    "death": (("patient", _S), ("day", _N)),
    "activity": (("patient", _S), ("day", _N), ("steps", _N), ("active_minutes", _N), ("worn_minutes", _N)),
    "sleep": (("patient", _S), ("day", _N), ("minutes", _N)),
    "sleep_record": (("patient", _S), ("day", _N), ("minutes", _N), ("record", _N)),
    "resting_hr": (("patient", _S), ("day", _N), ("bpm", _F)),
    "index_day": (("patient", _S), ("day", _N)),
    "is_a": (("system", _S), ("code", _S), ("ancestor_system", _S), ("ancestor_code", _S)),
    "concept_label": (("system", _S), ("code", _S), ("label", _S)),
}

#: Relations compiled from an ontology (:meth:`Ontology.to_facts`, :meth:`Ontology.label_facts`).
ONTOLOGY_RELATIONS: tuple[str, ...] = ("is_a", "concept_label")

#: Argument column names of the cohort relations (:meth:`Cohort.to_facts`), in order.
FACT_SCHEMAS: dict[str, tuple[str, ...]] = {
    rel: tuple(name for name, _ in columns) for rel, columns in BASE_RELATIONS.items() if rel not in ONTOLOGY_RELATIONS
}
