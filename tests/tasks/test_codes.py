import pandas as pd
import pytest

from neurosym import OntologyError
from neurosym.ontology import Ontology
from neurosym.tasks import expand_codes, match_codes


def test_clinical_ontology_bridges_snomed_to_icd10cm():
    pairs = expand_codes(["icd10cm:E11"], [Ontology.load("clinical")])
    assert {("icd10cm", "E11.65"), ("snomed", "44054006")} <= pairs
    assert ("icd10cm", "E10.9") not in pairs


def test_unknown_codes_match_literally_and_need_a_system():
    assert expand_codes(["omop:201826"], []) == {("omop", "201826")}
    with pytest.raises(OntologyError, match="'E11' needs a system prefix"):
        expand_codes(["E11"], [])


def test_match_codes_is_per_system():
    ev = pd.DataFrame({"system": pd.Categorical(["icd10cm", "snomed", "omop"]), "code": ["E11", "E11", "201826"]})
    assert match_codes(ev, {("icd10cm", "E11"), ("omop", "201826")}).tolist() == [True, False, True]
