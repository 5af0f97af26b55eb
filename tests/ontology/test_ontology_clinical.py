"""DOID, cross-references and the combined "clinical" ontology."""

import pytest

from neurosym import OntologyError
from neurosym.ontology import Ontology


def test_doid_basics(doid):
    assert doid.label("doid:9352") == "type 2 diabetes mellitus"
    assert doid.is_a("DOID:9352", "doid:9351")
    assert len(doid) > 11000


def test_xrefs_both_ways(doid, clinical):
    for onto in (doid, clinical):
        assert onto.icd10cm_to_doid("icd10cm:E11") == ["doid:9352"]
        assert onto.doid_to_icd10cm("doid:9352") == ["icd10cm:E11"]
        assert "doid:10603" in onto.icd10cm_to_doid("R73.03")  # glucose intolerance
    assert clinical.icd10cm_to_doid("E11.65") == []
    assert clinical.icd10cm_to_doid("E11.65", inherit=True) == ["doid:9352"]


def test_xref_needs_doid(icd):
    with pytest.raises(OntologyError, match="no DOID cross-references"):
        icd.icd10cm_to_doid("E11")


def test_snomed_is_a_icd_block_via_doid(clinical):
    assert clinical.is_a("snomed:44054006", "icd10cm:E08-E13")
    assert clinical.path_text("snomed:44054006", "icd10cm:E08-E13") == (
        "snomed:44054006 -> doid:9352 (xref) -> icd10cm:E11 (xref) -> icd10cm:E08-E13"
    )


def test_bridge_without_cardiometabolic(icd, doid):
    both = Ontology.combined(icd, doid)
    assert both.path("snomed:44054006", "icd10cm:E08-E13") == [
        "snomed:44054006", "doid:9352", "icd10cm:E11", "icd10cm:E08-E13"
    ]
    assert not both.is_a("icd10cm:E10", "icd10cm:E11")


def test_cardiometabolic_mappings(clinical):
    assert clinical.is_a("icd10cm:E11.65", "neurosym:Type2Diabetes")
    assert clinical.is_a("neurosym:Type2Diabetes", "icd10cm:E11")
    assert clinical.is_a("icd10cm:R73.03", "neurosym:Prediabetes")
    assert clinical.is_a("icd10cm:R73.01", "snomed:15777000")
    assert clinical.is_a("icd10cm:N18.4", "neurosym:ChronicKidneyDisease")
    assert clinical.is_a("snomed:431855005", "icd10cm:N18")
    assert clinical.is_a("icd10cm:I15.0", "neurosym:Hypertension")
    assert clinical.is_a("icd10cm:E66.01", "neurosym:Obesity")
    assert clinical.is_a("loinc:4548-4", "neurosym:GlycemicMeasurement")
    assert not clinical.is_a("icd10cm:E10", "neurosym:Type2Diabetes")
    assert not clinical.is_a("icd10cm:R73.03", "neurosym:DiabetesMellitus")


def test_default_system_is_icd(clinical):
    assert clinical.resolve("E11") == "icd10cm:E11"


def test_xref_one_to_many_is_not_equivalence(clinical):
    # E03.1 is referenced by several DOID classes: each is_a E03.1, not the reverse
    terms = clinical.icd10cm_to_doid("E03.1")
    assert len(terms) > 1
    for term in terms:
        assert clinical.is_a(term, "icd10cm:E03.1")
    assert not clinical.is_a("icd10cm:E03.1", terms[0])
