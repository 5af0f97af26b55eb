"""CURIE parsing and IRIs (neurosym/ontology/_codes.py)."""

import pytest

from neurosym import OntologyError
from neurosym.ontology import SYSTEMS, from_iri, split_curie, to_iri


@pytest.mark.parametrize(
    "text, expected",
    [
        ("icd10cm:E11.65", ("icd10cm", "E11.65")),
        ("ICD10CM:e1165", ("icd10cm", "E11.65")),
        ("icd10cm:E08-E13", ("icd10cm", "E08-E13")),
        ("SNOMED:44054006", ("snomed", "44054006")),
        ("sct:44054006", ("snomed", "44054006")),
        ("DOID:9352", ("doid", "9352")),
        ("neurosym:Prediabetes", ("neurosym", "Prediabetes")),
    ],
)
def test_split_curie(text, expected):
    assert split_curie(text) == expected


def test_bare_code_needs_default_system():
    assert split_curie("I10", default_system="icd10cm") == ("icd10cm", "I10")
    with pytest.raises(OntologyError, match="no system"):
        split_curie("I10")


def test_unknown_system_lists_known_ones():
    with pytest.raises(OntologyError, match="Unknown code system 'foo'.*icd10cm"):
        split_curie("foo:1")


@pytest.mark.parametrize("curie", ["icd10cm:E11.65", "snomed:44054006", "doid:9352", "loinc:4548-4",
                                   "neurosym:Type2Diabetes", "omop:201826"])
def test_iri_round_trip(curie):
    assert from_iri(to_iri(curie)) == curie


def test_systems_are_lowercase():
    assert all(s == s.lower() for s in SYSTEMS)
    assert SYSTEMS == ("icd10cm", "icd9cm", "icd9proc", "snomed", "loinc", "rxnorm", "ndc", "cvx", "cpt4", "omop",
                       "doid", "neurosym", "fhir", "local")


def test_one_code_system_list_and_one_vocabulary_map():
    from neurosym.data import CODE_SYSTEMS
    from neurosym.ontology._codes import OMOP_VOCABULARIES, SYSTEM_IRIS

    assert CODE_SYSTEMS is SYSTEMS
    assert set(SYSTEM_IRIS) <= set(SYSTEMS) and set(OMOP_VOCABULARIES.values()) <= set(SYSTEMS)
    # RxNorm Extension codes are OHDSI-made (OMOP2092413), not RxNorm codes: they stay OMOP concept ids
    assert "RxNorm Extension" not in OMOP_VOCABULARIES
    assert OMOP_VOCABULARIES["ICD9Proc"] == "icd9proc"


def test_systems_without_iri():
    assert split_curie("ndc:00002-8215") == ("ndc", "00002-8215")
    with pytest.raises(OntologyError, match="'ndc' has no IRI namespace"):
        to_iri("ndc:00002-8215")
