"""The is_a facts relation (neurosym/ontology/_closure.py, Ontology.to_facts)."""

import pandas as pd
import pytest

from neurosym import OntologyError
from neurosym.ontology import IS_A_COLUMNS, Ontology


def test_schema_and_e11_65_rows(clinical):
    facts = clinical.to_facts(codes=["icd10cm:E11.65"])
    assert list(facts.columns) == IS_A_COLUMNS == [
        "system", "code", "ancestor_system", "ancestor_code", "_source"
    ]
    rows = {tuple(r[:4]): r[4] for r in facts.itertuples(index=False)}
    assert rows[("icd10cm", "E11.65", "icd10cm", "E11.65")] == "icd10cm:E11.65"
    assert rows[("icd10cm", "E11.65", "icd10cm", "E08-E13")] == (
        "icd10cm:E11.65 -> icd10cm:E11.6 -> icd10cm:E11 -> icd10cm:E08-E13"
    )
    assert ("icd10cm", "E11.65", "neurosym", "Type2Diabetes") in rows


def test_bridge_row(clinical):
    facts = clinical.to_facts(codes=["snomed:44054006"], ancestors=["icd10cm:E08-E13"])
    assert facts.values.tolist() == [[
        "snomed", "44054006", "icd10cm", "E08-E13",
        "snomed:44054006 -> doid:9352 (xref) -> icd10cm:E11 (xref) -> icd10cm:E08-E13",
    ]]


def test_reflexive_and_transitive_on_sample(icd):
    sample = ["icd10cm:E11.65", "icd10cm:N18.4", "icd10cm:I10", "icd10cm:R73.03", "icd10cm:E66"]
    closure = icd.to_facts()
    pairs = set(zip(closure.system + ":" + closure.code, closure.ancestor_system + ":" + closure.ancestor_code))
    for code in sample:
        assert (code, code) in pairs
        for anc in icd.ancestors(code):
            assert (code, anc) in pairs
            for anc2 in icd.ancestors(anc):
                assert (code, anc2) in pairs  # transitive
    assert len(closure) == len(pairs)  # no duplicate rows
    assert len(closure) > 200_000


def test_restrict_by_codes_and_ancestors(icd):
    facts = icd.to_facts(codes=["E11.65", "I10", "NOPE"], ancestors=["E08-E13", "I00-I99"])
    got = sorted(zip(facts.code, facts.ancestor_code))
    assert got == [("E11.65", "E08-E13"), ("I10", "I00-I99")]
    with pytest.raises(OntologyError):
        icd.to_facts(codes=["NOPE"], errors="raise")


def test_alias_rows_keep_given_code(icd):
    facts = icd.to_facts(codes=["icd10cm:S72.001A"], ancestors=["icd10cm:S72"])
    assert facts.code.tolist() == ["S72.001A"]
    assert facts._source.iloc[0].startswith("icd10cm:S72.001A -> icd10cm:S72.001 (alias)")


def test_label_facts(cardio):
    labels = cardio.label_facts(["neurosym:Prediabetes"])
    assert labels.values.tolist() == [["neurosym", "Prediabetes", "prediabetes"]]


def test_hand_built_ontology_facts():
    onto = Ontology([("icd10cm:X1", "icd10cm:X")])
    facts = onto.to_facts()
    assert isinstance(facts, pd.DataFrame)
    assert sorted(map(tuple, facts[["code", "ancestor_code"]].values.tolist())) == [
        ("X", "X"), ("X1", "X"), ("X1", "X1")
    ]
