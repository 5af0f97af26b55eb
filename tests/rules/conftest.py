"""Fixtures of the rule-library tests: the library, the clinical ontology and its ``is_a`` rows."""

from __future__ import annotations

import pandas as pd
import pytest

from neurosym.facts import load_rule_library, required_ancestors


@pytest.fixture(scope="session")
def ontology():
    from neurosym.ontology import Ontology

    return Ontology.load("clinical")


@pytest.fixture(scope="session")
def library():
    """The whole rule library."""
    return load_rule_library()


@pytest.fixture(scope="session")
def is_a_rows(ontology, library):
    """``is_a`` rows for the given CURIEs, restricted to the ancestors the library names."""
    ancestors = required_ancestors(library)

    def rows(codes: list[str]) -> pd.DataFrame:
        return ontology.to_facts(codes=codes, ancestors=ancestors)

    return rows
