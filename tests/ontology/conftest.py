"""Fixtures for the ontology tests: shipped ontologies loaded once per session.

The parse cache goes to a temporary directory so the tests neither read nor
write the user's ``~/.cache/neurosym``.
"""

from __future__ import annotations

import pytest

from neurosym.ontology import Ontology, ontology_dir


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("NEUROSYM_CACHE", str(tmp_path_factory.mktemp("neurosym-cache")))
    yield
    mp.undo()


def _load(name: str) -> Ontology:
    if not (ontology_dir() / f"{name}.owl").is_file():
        pytest.skip(f"{name}.owl not built; run python ontologies/build.py")
    return Ontology.load(name)


@pytest.fixture(scope="session")
def icd() -> Ontology:
    return _load("icd10cm")


@pytest.fixture(scope="session")
def doid() -> Ontology:
    return _load("doid")


@pytest.fixture(scope="session")
def cardio() -> Ontology:
    return _load("cardiometabolic")


@pytest.fixture(scope="session")
def clinical(icd, doid, cardio) -> Ontology:
    return Ontology.load("clinical")


@pytest.fixture(scope="session")
def omop_dir(shared_data):
    path = shared_data / "omop_synthea27nj"
    if not (path / "concept_ancestor.csv").is_file():
        pytest.skip(f"OMOP concept_ancestor.csv not found in {path}")
    return path
