"""Cohort + ontology -> the facts the clinical rule library reads.

:func:`is_a_facts` compiles the ontology's subsumption into ``is_a`` rows for
the codes a cohort uses; :func:`clinical_facts` adds them to the cohort's
base relations.

Examples
--------
>>> from neurosym.data import synthetic_cohort
>>> from neurosym.facts import load_rule_library
>>> cohort = synthetic_cohort(3, seed=0)
>>> model = load_rule_library(["glycemic"]).evaluate(clinical_facts(cohort))
>>> statuses = {"diabetes", "possible_diabetes", "unconfirmed_hyperglycemia", "prediabetes", "normal"}
>>> set(model.query("glycemic_status")["status"]) <= statuses
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import pandas as pd

from neurosym.facts._facts import Facts
from neurosym.facts._library import load_rule_library, required_ancestors
from neurosym.facts._schemas import BASE_RELATIONS
from neurosym.logic import Program

if TYPE_CHECKING:  # pragma: no cover
    from neurosym.data import Cohort
    from neurosym.ontology import Ontology

__all__ = ["clinical_facts", "is_a_facts"]

#: Relations whose ``(system, code)`` columns name concepts that ``is_a`` rows are built for.
CODED_RELATIONS: tuple[str, ...] = ("condition", "drug")


def is_a_facts(facts: Mapping[str, pd.DataFrame], ontology: "Ontology", ancestors: Iterable[str]) -> pd.DataFrame:
    """The ``is_a`` rows linking the codes of ``facts`` to the wanted ancestors.

    Parameters
    ----------
    facts : mapping
        Base relations; the codes are read from :data:`CODED_RELATIONS` as ``system:code``.
    ontology : Ontology
    ancestors : iterable of str
        Ancestor CURIEs to keep (e.g. :func:`required_ancestors` of a program).

    Returns
    -------
    pandas.DataFrame
        Columns ``system, code, ancestor_system, ancestor_code, _source`` (the ontology path).

    Examples
    --------
    >>> from neurosym.ontology import Ontology
    >>> onto = Ontology([("icd10cm:E11.65", "icd10cm:E11")])
    >>> facts = {"condition": pd.DataFrame({"patient": ["p"], "system": ["icd10cm"], "code": ["E11.65"], "day": [0]})}
    >>> is_a_facts(facts, onto, ["icd10cm:E11"]).values.tolist()
    [['icd10cm', 'E11.65', 'icd10cm', 'E11', 'icd10cm:E11.65 -> icd10cm:E11']]
    """
    codes: dict[str, None] = {}
    for rel in CODED_RELATIONS:
        if rel in facts and len(facts[rel]):
            frame = facts[rel]
            pairs = frame["system"].astype(str) + ":" + frame["code"].astype(str)
            codes.update(dict.fromkeys(pairs.unique().tolist()))
    ancestors = list(ancestors)
    rows = ontology.to_facts(codes=list(codes), ancestors=ancestors) if codes and ancestors else None
    if rows is None or not len(rows):
        columns = [name for name, _ in BASE_RELATIONS["is_a"]] + ["_source"]
        rows = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    return rows.reset_index(drop=True)


def clinical_facts(cohort: "Cohort", ontology: "Ontology | None" = None, *, landmark: str | None = None,
                   program: Program | None = None) -> Facts:
    """Base facts of ``cohort`` plus the ``is_a`` rows the rule library needs.

    The ``is_a`` rows are restricted to the cohort's condition and drug codes
    (as ``system:code``) and to the ancestors that ``program`` (default: the
    whole library) names in its ``is_a`` atoms, so they stay small.

    Parameters
    ----------
    cohort : Cohort
    ontology : Ontology, optional
        Default ``Ontology.load("clinical")`` (ICD-10-CM, DOID, curated
        cardiometabolic terms and their bridges).
    landmark : str, optional
        Passed to :meth:`Cohort.to_facts` (the index day of every patient).
    program : Program, optional
        Rules whose ``is_a`` ancestors are wanted; default the whole library.

    Returns
    -------
    Facts
    """
    facts = cohort.to_facts(landmark=landmark)
    if ontology is None:
        from neurosym.ontology import Ontology

        ontology = Ontology.load("clinical")
    rows = is_a_facts(facts, ontology, required_ancestors(program or load_rule_library()))
    return facts.with_relations({"is_a": rows})
