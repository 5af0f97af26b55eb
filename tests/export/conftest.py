"""Fixtures of the export tests: the rule library evaluated on the synthetic cohort and on the shared OMOP and FHIR data.

Each source's cohort and traces are made once per session and shared by every export test file: the
first test process that asks evaluates the library and stores them (a pickle in the session's folder,
behind a file lock), any other pytest-xdist worker reads them; the evaluated library itself
(``Source.model``, for why-not questions) is made again only in a process that asks for it. A
parametrised session fixture would not do that: pytest tears it down whenever the parameter changes, so
each file that cycles through the three sources would evaluate the library on all of them again.
"""

from __future__ import annotations

import functools
import os
import pickle
from pathlib import Path

import pytest
from filelock import FileLock

from neurosym.data import load_fhir, load_omop, synthetic_cohort
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
def _evaluated(name: str, folder: Path) -> tuple[Source, list]:
    """The source and its traces, made by the first process of the session that asks and stored in ``folder``."""
    stored = folder / f"{name}.pickle"
    with FileLock(folder / f"{name}.lock"):
        if stored.is_file():
            cohort, traces = pickle.loads(stored.read_bytes())
            return Source(name, cohort), traces
        source = Source(name, _cohort(name))
        traces = rule_traces(source, per_relation=2)
        stored.write_bytes(pickle.dumps((source.cohort, traces)))
    return source, traces


@pytest.fixture(scope="session")
def _sources_folder(tmp_path_factory) -> Path:
    """A folder of this session shared by its pytest-xdist workers (each has its own base folder below it)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "export-sources"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(params=SOURCES)
def source(request, _sources_folder) -> Source:
    """One data source with the whole rule library evaluated on it (skips when its shared data is absent)."""
    if request.param != "synthetic":
        request.getfixturevalue("shared_data")
    return _evaluated(request.param, _sources_folder)[0]


@pytest.fixture
def traces(source, _sources_folder) -> list:
    """(patient, proof) of up to two conclusions of each explained relation of the source."""
    return _evaluated(source.name, _sources_folder)[1]
