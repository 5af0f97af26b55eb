"""ICD-10-CM hierarchy spot checks, from the source's SOURCE.md."""

import pytest

from neurosym import OntologyError
from neurosym.ontology import Ontology


def test_counts(icd):
    codes = [n for n in icd if n.startswith("icd10cm:")]
    assert len([c for c in codes if len(c.split(":")[1]) == 3 and "-" not in c]) >= 1914 - 40
    assert len(codes) == 46149
    # 22 chapters are the roots
    roots = [n for n in icd if not icd.parents(n)]
    assert len(roots) == 22
    assert "icd10cm:E00-E89" in roots


def test_e11_65_chain(icd):
    assert icd.label("E11.65") == "Type 2 diabetes mellitus with hyperglycemia"
    assert icd.path("E11.65", "E00-E89") == [
        "icd10cm:E11.65", "icd10cm:E11.6", "icd10cm:E11", "icd10cm:E08-E13", "icd10cm:E00-E89"
    ]
    assert icd.label("E08-E13") == "Diabetes mellitus (E08-E13)"
    assert icd.label("E00-E89") == "Endocrine, nutritional and metabolic diseases (E00-E89)"


@pytest.mark.parametrize(
    "code, block, chapter",
    [
        ("N18.4", "N17-N19", "N00-N99"),
        ("N18.32", "N17-N19", "N00-N99"),
        ("I10", "I10-I16", "I00-I99"),
        ("R73.03", "R70-R79", "R00-R99"),
        ("E66.01", "E65-E68", "E00-E89"),
    ],
)
def test_block_and_chapter(icd, code, block, chapter):
    assert icd.is_a(code, block)
    assert icd.is_a(code, chapter)
    assert not icd.is_a(block, code)


def test_spot_labels_and_children(icd):
    assert icd.label("N18.4") == "Chronic kidney disease, stage 4 (severe)"
    assert icd.children("N18.3") == ["icd10cm:N18.30", "icd10cm:N18.31", "icd10cm:N18.32"]
    assert icd.label("I10") == "Essential (primary) hypertension"
    assert icd.label("R73.03") == "Prediabetes"
    assert icd.children("E66") == [f"icd10cm:E66.{s}" for s in ("0", "1", "2", "3", "8", "9")]
    assert icd.children("E66.0") == ["icd10cm:E66.01", "icd10cm:E66.09"]


def test_super_blocks(icd):
    assert icd.path("C00", "C00-D49") == [
        "icd10cm:C00", "icd10cm:C00-C14", "icd10cm:C00-C75", "icd10cm:C00-C96", "icd10cm:C00-D49"
    ]
    # a one-category block is merged into its category
    assert icd.parents("B10") == ["icd10cm:A00-B99"]


def test_descendants(icd):
    below = icd.descendants("E08-E13")
    assert "icd10cm:E11.65" in below and "icd10cm:E10" in below
    assert icd.descendants("E11.65") == []
    assert icd.ancestors("E11.65", include_self=True)[0] == "icd10cm:E11.65"


def test_seventh_character_resolves_to_parent(icd):
    assert icd.resolve("S72.001A") == "icd10cm:S72.001"
    assert icd.resolve("T07.XXXA") == "icd10cm:T07"
    assert icd.path("S72.001A", "S72")[:2] == ["icd10cm:S72.001A", "icd10cm:S72.001"]


def test_unknown_code_suggests(icd):
    with pytest.raises(OntologyError, match=r"Unknown code 'E11\.655'.*Did you mean icd10cm:E11\.65"):
        icd.ancestors("E11.655")
    with pytest.raises(OntologyError, match="Unknown code"):
        icd.is_a("icd10cm:ZZZ", "E11")
    assert "icd10cm:E11" in icd and "icd10cm:ZZZ" not in icd


def test_path_to_non_ancestor_raises(icd):
    with pytest.raises(OntologyError, match="not subsumed"):
        icd.path("E11", "I10")


def test_unknown_ontology_name():
    with pytest.raises(OntologyError, match="Did you mean 'icd10cm'"):
        Ontology.load("icd10")


def test_cache_gives_same_graph(icd):
    fresh = Ontology.load("icd10cm", cache=False)
    assert sorted(fresh.graph.edges(data="kind")) == sorted(icd.graph.edges(data="kind"))
    assert fresh.label("E11") == icd.label("E11")
