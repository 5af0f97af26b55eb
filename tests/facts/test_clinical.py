"""Cohort + ontology -> the facts of the rule library (neurosym/facts/_clinical.py) and the fact schemas."""

import pandas as pd

from neurosym.data import synthetic_cohort
from neurosym.facts import BASE_RELATIONS, FACT_SCHEMAS, ONTOLOGY_RELATIONS, clinical_facts, is_a_facts
from neurosym.logic import Program
from neurosym.ontology import IS_A_COLUMNS, LABEL_COLUMNS, Ontology

ONTOLOGY = Ontology([("icd10cm:E11.65", "icd10cm:E11"), ("icd10cm:E11", "icd10cm:E08-E13"), ("rxnorm:860975", "rxnorm:6809")])


def test_the_ontology_relations_have_the_ontology_columns():
    assert [c for c, _ in BASE_RELATIONS["is_a"]] == IS_A_COLUMNS[:-1]
    assert [c for c, _ in BASE_RELATIONS["concept_label"]] == LABEL_COLUMNS
    assert set(BASE_RELATIONS) == set(FACT_SCHEMAS) | set(ONTOLOGY_RELATIONS)


def test_is_a_rows_for_the_condition_and_drug_codes_and_the_wanted_ancestors():
    facts = {"condition": pd.DataFrame({"patient": ["p", "q"], "system": ["icd10cm"] * 2, "code": ["E11.65", "E11.65"],
                                        "day": [1, 2]}),
             "drug": pd.DataFrame({"patient": ["p"], "system": ["rxnorm"], "code": ["860975"], "day": [1]})}
    rows = is_a_facts(facts, ONTOLOGY, ["icd10cm:E08-E13", "rxnorm:6809"])
    assert rows.values.tolist() == [
        ["icd10cm", "E11.65", "icd10cm", "E08-E13", "icd10cm:E11.65 -> icd10cm:E11 -> icd10cm:E08-E13"],
        ["rxnorm", "860975", "rxnorm", "6809", "rxnorm:860975 -> rxnorm:6809"]]


def test_no_codes_or_no_ancestors_give_an_empty_typed_relation():
    rows = is_a_facts({}, ONTOLOGY, ["icd10cm:E08-E13"])
    assert list(rows.columns) == IS_A_COLUMNS and len(rows) == 0


def test_clinical_facts_adds_is_a_for_the_program():
    cohort = synthetic_cohort(30, seed=2)
    program = Program.from_text('d(P) :- condition(P, S, C, _), is_a(S, C, icd10cm, "E08-E13").')
    facts = clinical_facts(cohort, ONTOLOGY, program=program, landmark="2024-01-01")
    assert set(facts) == set(FACT_SCHEMAS) | {"is_a"}
    assert set(facts["is_a"]["ancestor_code"]) <= {"E08-E13"}
    assert facts["index_day"]["day"].unique().tolist() == [19723]
