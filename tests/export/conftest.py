"""Fixtures of the export tests: the rule library evaluated on the synthetic cohort and on the shared OMOP and FHIR data."""

from __future__ import annotations

import pytest

from neurosym.data import load_fhir, load_omop, synthetic_cohort
from neurosym.facts import clinical_facts, load_rule_library
from real_traces import Source, rule_traces
from tests.conftest import shared_dataset


def _cohort(name: str, request):
    if name == "synthetic":
        return synthetic_cohort(60, seed=0)
    shared = request.getfixturevalue("shared_data")
    if name == "omop":
        return load_omop(shared_dataset(shared, "omop_synthea27nj"))
    return load_fhir(sorted(shared_dataset(shared, "fhir_synthea_r4").joinpath("bundles").glob("*.json")))


@pytest.fixture(scope="session", params=["synthetic", "omop", "fhir"])
def source(request) -> Source:
    """One data source with the whole rule library evaluated on it."""
    cohort = _cohort(request.param, request)
    return Source(request.param, cohort, load_rule_library().evaluate(clinical_facts(cohort)))


@pytest.fixture(scope="session")
def traces(source) -> list:
    """(patient, proof) of up to two conclusions of each explained relation of the source."""
    return rule_traces(source, per_relation=2)
