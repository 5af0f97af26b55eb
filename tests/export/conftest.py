"""Fixtures of the export tests: the rule library evaluated on the synthetic cohort and on the shared OMOP and FHIR data.

Each source is evaluated once per test process and shared by every export test file. A parametrised
session fixture would not do that: pytest tears it down whenever the parameter changes, so each file
that cycles through the three sources would evaluate the library on all of them again.
"""

from __future__ import annotations

import functools

import pytest

from neurosym.data import load_fhir, load_omop, synthetic_cohort
from neurosym.facts import clinical_facts, load_rule_library
from real_traces import Source, rule_traces
from neurosym._resources import shared_data_dir
from tests.conftest import shared_dataset

SOURCES = ("synthetic", "omop", "fhir")


def _cohort(name: str):
    if name == "synthetic":
        return synthetic_cohort(60, seed=0)
    shared = shared_data_dir()
    if name == "omop":
        return load_omop(shared_dataset(shared, "omop_synthea27nj"))
    return load_fhir(sorted(shared_dataset(shared, "fhir_synthea_r4").joinpath("bundles").glob("*.json")))


@functools.cache
def _evaluated(name: str) -> tuple[Source, list]:
    cohort = _cohort(name)
    source = Source(name, cohort, load_rule_library().evaluate(clinical_facts(cohort)))
    return source, rule_traces(source, per_relation=2)


@pytest.fixture(params=SOURCES)
def source(request) -> Source:
    """One data source with the whole rule library evaluated on it (skips when its shared data is absent)."""
    if request.param != "synthetic":
        request.getfixturevalue("shared_data")
    return _evaluated(request.param)[0]


@pytest.fixture
def traces(source) -> list:
    """(patient, proof) of up to two conclusions of each explained relation of the source."""
    return _evaluated(source.name)[1]
