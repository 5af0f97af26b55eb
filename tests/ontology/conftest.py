"""Fixtures for the ontology tests: shipped ontologies loaded once per session.

The parse cache goes to a temporary directory so the tests neither read nor
write the user's ``~/.cache/neurosym``: one per session, shared by its
pytest-xdist workers, so the shipped ontologies are parsed once, not once per
worker (the cache writes each file atomically).
"""

from __future__ import annotations

import os

import pytest

from neurosym.ontology import Ontology, ontology_dir


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "neurosym-cache"
    folder.mkdir(exist_ok=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("NEUROSYM_CACHE", str(folder))
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
