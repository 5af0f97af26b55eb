"""OMOP concept ancestry as an Ontology (neurosym/ontology/_omop.py)."""

import pytest

from neurosym import OntologyError
from neurosym.ontology import Ontology


@pytest.fixture(scope="module")
def omop(omop_dir):
    return Ontology.from_omop(omop_dir)


def test_concepts_are_system_code_pairs(omop):
    assert omop.resolve("omop:201826") == "snomed:44054006"
    assert omop.label("snomed:44054006") == "Type 2 diabetes mellitus"
    assert omop.resolve("omop:40316773") == "snomed:15777000"
    assert omop.label("omop:40316773") == "Prediabetes"


def test_hierarchy_from_concept_ancestor(omop):
    # concept 255919 (no concept row) is an ancestor of otitis media (372328, SNOMED 65363002)
    assert omop.resolve("omop:372328") == "snomed:65363002"
    assert omop.is_a("omop:372328", "omop:255919")
    assert "omop:255919" in omop.ancestors("snomed:65363002")
    # edges are the transitive reduction: a path has real intermediate steps
    assert omop.path("snomed:95417003", "snomed:22253000") == [
        "snomed:95417003", "snomed:203082005", "snomed:82423001", "snomed:22253000"
    ]
    assert omop.label("snomed:82423001") == "Chronic pain"


def test_rxnorm_ingredient_labels(omop):
    assert omop.label("omop:701322") == "Memantine"
    assert omop.resolve("omop:701322") == "rxnorm:6719"


def test_facts_keep_omop_ids(omop):
    facts = omop.to_facts(codes=["omop:372328"], ancestors=["omop:255919"])
    assert facts[["system", "code", "ancestor_system", "ancestor_code"]].values.tolist() == [
        ["omop", "372328", "omop", "255919"]
    ]
    assert facts._source.iloc[0].startswith("omop:372328 -> snomed:65363002 (alias)")


def test_unknown_concept(omop):
    with pytest.raises(OntologyError, match="Unknown code"):
        omop.ancestors("omop:999999999")


def test_missing_directory(tmp_path):
    with pytest.raises(OntologyError, match="concept_ancestor"):
        Ontology.from_omop(tmp_path)
