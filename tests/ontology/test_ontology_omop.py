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


def test_rxnorm_extension_stays_an_omop_id(tmp_path):
    # one vocabulary map for the loader and the ontology: RxNorm Extension is not RxNorm
    (tmp_path / "concept.csv").write_text(
        "concept_id,concept_name,vocabulary_id,concept_code\n"
        "21601, Drug class,ATC,A\n35100000,Some drug,RxNorm Extension,OMOP2092413\n701322,Memantine,RxNorm,6719\n")
    (tmp_path / "concept_ancestor.csv").write_text(
        "ancestor_concept_id,descendant_concept_id\n21601,35100000\n21601,701322\n")
    onto = Ontology.from_omop(tmp_path)
    assert onto.resolve("omop:35100000") == "omop:35100000"
    assert onto.resolve("omop:701322") == "rxnorm:6719"
    assert onto.is_a("omop:35100000", "omop:21601")
    from neurosym.data import load_omop  # the loader codes the same concept the same way
    (tmp_path / "person.csv").write_text("person_id,gender_concept_id,year_of_birth\n1,8532,1960\n")
    (tmp_path / "drug_exposure.csv").write_text(
        "drug_exposure_id,person_id,drug_concept_id,drug_exposure_start_date\n1,1,35100000,2020-01-01\n"
        "2,1,701322,2020-01-02\n")
    events = load_omop(tmp_path).events
    assert events[["system", "code"]].values.tolist() == [["omop", "35100000"], ["rxnorm", "6719"]]


def test_malformed_vocabulary_row_names_file_and_line(tmp_path):
    (tmp_path / "concept.csv").write_text("concept_id,concept_name,vocabulary_id,concept_code\n1,a,SNOMED,1\n2,b\n")
    (tmp_path / "concept_ancestor.csv").write_text("ancestor_concept_id,descendant_concept_id\n1,1\n")
    with pytest.raises(OntologyError, match=r"concept.csv: malformed CSV row at line 3"):
        Ontology.from_omop(tmp_path)
