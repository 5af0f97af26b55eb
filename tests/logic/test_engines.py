"""Shared conformance check: every engine derives exactly the corpus' expected tuples."""

from __future__ import annotations

import pytest
from corpus import CORPUS
from reference import evaluate, relations

from neurosym.logic import ENGINES, Program


def check_engine(engine: str, name: str) -> None:
    """Evaluate corpus program ``name`` with ``engine`` and compare with its expected tuples."""
    text, facts, expected = CORPUS[name]
    got = relations(Program.from_text(text).evaluate(facts, engine=engine))
    for rel, rows in expected.items():
        assert got[rel] == rows, f"{engine} on {name}: relation {rel}"


def _cases():
    for engine in ENGINES:
        for name in CORPUS:
            yield pytest.param(engine, name, id=f"{engine}-{name}")


@pytest.mark.parametrize("engine,name", list(_cases()))
def test_engine_matches_corpus(engine, name):
    check_engine(engine, name)


@pytest.mark.parametrize("name", list(CORPUS))
def test_reference_matches_corpus(name):
    text, facts, expected = CORPUS[name]
    got = evaluate(Program.from_text(text), facts)
    for rel, rows in expected.items():
        assert got[rel] == rows, rel


@pytest.mark.parametrize("name", list(CORPUS))
def test_engines_agree_on_every_relation(name):
    text, facts, _ = CORPUS[name]
    program = Program.from_text(text)
    results = [relations(program.evaluate(facts, engine=engine)) for engine in ENGINES]
    assert all(r == results[0] for r in results[1:])


def test_provenance_columns_match_native_schema():
    program = Program.from_text("p(X) :- q(X). p(9). q(7).")
    model = program.evaluate({"q": [(1,)]}, engine="pydatalog")
    rows = model._con.execute("SELECT c0, _h, _r, _p FROM rel_p ORDER BY c0").fetchall()
    assert rows == [(1, None, None, 1.0), (7, None, None, 1.0), (9, 0, 1, 1.0)]
    assert model._con.execute("SELECT c0, _h, _r, _p FROM rel_q ORDER BY c0").fetchall() == [(1, 0, -1, 1.0), (7, 0, 2, 1.0)]
    native = program.evaluate({"q": [(1,)]})
    assert model._con.execute("DESCRIBE rel_p").fetchall() == native._con.execute("DESCRIBE rel_p").fetchall()
