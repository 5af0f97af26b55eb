"""The rule library inside PostgreSQL on the shared OMOP set: the same relations as DuckDB on the CSV export.

The shared OMOP CDM CSVs are loaded into a throwaway server (schema ``cdm``);
the library then runs there on facts read straight from the CDM tables
(:func:`omop_sql_facts`), and on the loader's facts copied in, and both give
exactly DuckDB's relations.
"""

from __future__ import annotations

import pytest
from postgres_server import load_cdm, postgres_url

from neurosym import EvaluationError
from neurosym.data import load_omop
from neurosym.facts import clinical_facts, load_rule_library, omop_sql_facts
from neurosym.logic._postgres import URL_VARIABLE

pytestmark = pytest.mark.shared_data


def tuples(model) -> dict[str, set[tuple]]:
    return {rel: set(model.query(rel).itertuples(index=False, name=None)) for rel in model.relations}


@pytest.fixture(scope="module")
def cdm(shared_data):
    folder = shared_data / "omop_synthea27nj"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    url = postgres_url()
    load_cdm(url, folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(URL_VARIABLE, url)
        yield url, folder


@pytest.fixture(scope="module")
def ontology():
    from neurosym.ontology import Ontology

    return Ontology.load("clinical")


@pytest.fixture(scope="module")
def duckdb_run(cdm, ontology):
    library = load_rule_library()
    facts = clinical_facts(load_omop(cdm[1]), ontology)
    return library, facts, tuples(library.evaluate(facts))


def test_library_on_cdm_tables_matches_duckdb(cdm, ontology, duckdb_run):
    library, _, expected = duckdb_run
    facts = omop_sql_facts(cdm[0], "cdm", ontology=ontology)
    got = tuples(library.evaluate(facts, engine="postgres"))
    assert got == expected
    assert len(expected["glycemic_status"]) > 0 and len(expected["lab_record"]) > 1000


def test_library_on_copied_facts_matches_duckdb(duckdb_run):
    library, facts, expected = duckdb_run
    assert tuples(library.evaluate(facts, engine="postgres")) == expected


def test_missing_cdm_tables_are_named(cdm):
    with pytest.raises(EvaluationError, match="the OMOP CDM schema 'public' lacks the table\\(s\\) person, concept, visit_occurrence"):
        omop_sql_facts(cdm[0], "public")
    with pytest.raises(EvaluationError, match="not a schema name: 'cdm; DROP'"):
        omop_sql_facts(cdm[0], "cdm; DROP")
