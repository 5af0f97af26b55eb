"""Code sets: CURIEs in any system, matched with their descendants through ontologies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from neurosym._errors import OntologyError
from neurosym.ontology import Ontology, split_curie

__all__ = ["expand_codes", "match_codes", "resolve_ontologies"]

OntologySpec = str | Ontology


def resolve_ontologies(ontologies: Iterable[OntologySpec]) -> list[Ontology]:
    """Ontology objects for names (``"clinical"``, ``"icd10cm"``, a path) or objects.

    >>> [o.name for o in resolve_ontologies(["icd10cm"])]
    ['icd10cm']
    """
    return [o if isinstance(o, Ontology) else Ontology.load(o) for o in ontologies]


def expand_codes(codes: Iterable[str], ontologies: Sequence[Ontology]) -> set[tuple[str, str]]:
    """``(system, code)`` pairs of ``codes`` and all their descendants in any of ``ontologies``.

    A CURIE an ontology does not know is kept as written (so
    ``omop:201826`` still matches events coded ``omop:201826``); a CURIE no
    ontology knows is matched literally.

    Parameters
    ----------
    codes : iterable of str
        CURIEs such as ``icd10cm:E11``, ``snomed:44054006``, ``omop:201826``.
    ontologies : sequence of Ontology

    Returns
    -------
    set of tuple

    Raises
    ------
    OntologyError
        For a code without a ``system:`` prefix.

    Examples
    --------
    >>> onto = Ontology([("icd10cm:E11.65", "icd10cm:E11"), ("icd10cm:E11.9", "icd10cm:E11")])
    >>> sorted(expand_codes(["icd10cm:E11"], [onto]))
    [('icd10cm', 'E11'), ('icd10cm', 'E11.65'), ('icd10cm', 'E11.9')]
    """
    found: set[tuple[str, str]] = set()
    for code in codes:
        if ":" not in str(code):
            raise OntologyError(f"code {code!r} needs a system prefix, e.g. 'icd10cm:E11' or 'snomed:44054006'",
                                iri=str(code))
        found.add(split_curie(code))
        for onto in ontologies:
            if code in onto:
                found.update(split_curie(c) for c in onto.descendants(code, include_self=True))
    return found


def match_codes(events: pd.DataFrame, pairs: set[tuple[str, str]]) -> np.ndarray:
    """Boolean mask of the events whose ``(system, code)`` is in ``pairs`` (vectorised per system).

    >>> ev = pd.DataFrame({"system": ["icd10cm", "snomed", "icd10cm"], "code": ["E11.9", "E11.9", "I10"]})
    >>> match_codes(ev, {("icd10cm", "E11.9")}).tolist()
    [True, False, False]
    """
    mask = np.zeros(len(events), dtype=bool)
    by_system: dict[str, list[str]] = {}
    for system, code in pairs:
        by_system.setdefault(system, []).append(code)
    system_col = events["system"]
    code_col = events["code"]
    for system, codes in by_system.items():
        in_system = (system_col == system).to_numpy(dtype=bool, na_value=False)
        if in_system.any():
            mask |= in_system & code_col.isin(codes).to_numpy(dtype=bool)
    return mask
