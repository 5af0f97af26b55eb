"""The curated cardiometabolic ontology: content, annotations and HermiT consistency."""

import shutil

import pytest

from neurosym import OntologyError

NS = "https://w3id.org/neurosym/cardiometabolic#"
DCT = "http://purl.org/dc/terms/bibliographicCitation"
SKOS_DEF = "http://www.w3.org/2004/02/skos/core#definition"

REQUIRED = [
    "Type1Diabetes", "Type2Diabetes", "OtherSpecificDiabetes", "GestationalDiabetes",
    "Prediabetes", "ImpairedFastingGlucose", "ImpairedGlucoseTolerance", "HbA1cDefinedPrediabetes",
    "CKDStageG1", "CKDStageG2", "CKDStageG3a", "CKDStageG3b", "CKDStageG4", "CKDStageG5",
    "AlbuminuriaA1", "AlbuminuriaA2", "AlbuminuriaA3",
    "NormalBloodPressure", "ElevatedBloodPressure", "HypertensionStage1", "HypertensionStage2",
    "Underweight", "NormalWeight", "Overweight", "ObesityClass1", "ObesityClass2", "ObesityClass3",
    "MetabolicSyndrome", "CoronaryArteryDisease", "Stroke", "PeripheralArterialDisease",
    "HbA1c", "FastingGlucose", "Glucose", "Creatinine", "EGFR", "UrineAlbuminCreatinineRatio",
    "TotalCholesterol", "HDLCholesterol", "LDLCholesterol", "Triglycerides", "BodyMassIndex",
    "SystolicBloodPressure", "DiastolicBloodPressure", "BodyWeight", "WaistCircumference",
    "DailySteps", "ActiveMinutes", "SleepMinutes", "RestingHeartRate", "WearTime",
]

LOINC = {
    "HbA1c": ["4548-4"], "FastingGlucose": ["1558-6"], "Glucose": ["2339-0", "2345-7"],
    "Creatinine": ["2160-0"], "EGFR": ["98979-8", "33914-3", "62238-1"],
    "UrineAlbuminCreatinineRatio": ["9318-7", "14959-1"], "TotalCholesterol": ["2093-3"],
    "HDLCholesterol": ["2085-9"], "LDLCholesterol": ["18262-6", "13457-7"],
    "Triglycerides": ["2571-8"], "BodyMassIndex": ["39156-5"], "SystolicBloodPressure": ["8480-6"],
    "DiastolicBloodPressure": ["8462-4"], "BodyWeight": ["29463-7"], "WaistCircumference": ["56086-2"],
}


@pytest.mark.parametrize("name", REQUIRED)
def test_class_has_label_definition_citation(cardio, name):
    assert cardio.label(f"neurosym:{name}")


def test_annotations_in_owl(cardio):
    world = cardio.to_owlready()
    for name in REQUIRED:
        cls = world[NS + name]
        assert cls is not None, name
        assert world._get_data_triple_sp_od(cls.storid, world._abbreviate(DCT)), name
        assert world._get_data_triple_sp_od(cls.storid, world._abbreviate(SKOS_DEF)), name


@pytest.mark.parametrize("name, codes", sorted(LOINC.items()))
def test_loinc_codes(cardio, name, codes):
    for code in codes:
        assert cardio.is_a(f"loinc:{code}", f"neurosym:{name}")


@pytest.mark.parametrize(
    "code, concept",
    [
        ("snomed:44054006", "Type2Diabetes"), ("icd10cm:E11", "Type2Diabetes"),
        ("snomed:46635009", "Type1Diabetes"), ("icd10cm:E10", "Type1Diabetes"),
        ("snomed:15777000", "Prediabetes"), ("icd10cm:R73.03", "Prediabetes"),
        ("snomed:38341003", "Hypertension"), ("icd10cm:I10-I16", "Hypertension"),
        ("snomed:431855005", "CKDStageG1"), ("snomed:431856006", "CKDStageG2"),
        ("icd10cm:N18.4", "CKDStageG4"), ("snomed:127013003", "DiabeticKidneyDisease"),
        ("icd10cm:E66", "OverweightOrObesity"), ("icd10cm:E88.81", "MetabolicSyndrome"),
    ],
)
def test_mappings(cardio, code, concept):
    assert cardio.is_a(code, f"neurosym:{concept}")


@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java")
def test_hermit_consistent(cardio):
    assert cardio.check_consistency() == []


@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java")
def test_hermit_infers_equivalence_and_detects_clash(cardio):
    import owlready2

    world = cardio.to_owlready()
    with world.get_ontology(NS):
        clash = owlready2.types.new_class("Clash", (world[NS + "Type1Diabetes"], world[NS + "Type2Diabetes"]))
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert clash in set(world.inconsistent_classes())
    e11 = world["http://purl.bioontology.org/ontology/ICD10CM/E11"]
    assert world["http://snomed.info/id/44054006"] in e11.equivalent_to


def test_consistency_needs_owl_sources():
    from neurosym.ontology import Ontology

    with pytest.raises(OntologyError, match="not loaded from OWL"):
        Ontology([("icd10cm:A", "icd10cm:B")]).check_consistency()
