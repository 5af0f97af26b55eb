"""Shared conformance check: every engine derives exactly the corpus' expected tuples."""

from __future__ import annotations

import pandas as pd
import pytest
from corpus import CORPUS
from reference import evaluate, relations

from neurosym import EvaluationError
from neurosym.logic import ENGINES, Program, register_engine, unregister_engine
from neurosym.logic._pydatalog import PyDatalogEngine

#: Engines that run in this process; Spark and PostgreSQL run the same corpus in test_spark.py / test_postgres.py.
IN_PROCESS = [engine for engine in ENGINES if engine not in ("spark", "postgres")]


def check_engine(engine: str, name: str) -> None:
    """Evaluate corpus program ``name`` with ``engine`` and compare with its expected tuples."""
    text, facts, expected = CORPUS[name]
    got = relations(Program.from_text(text).evaluate(facts, engine=engine))
    for rel, rows in expected.items():
        assert got[rel] == rows, f"{engine} on {name}: relation {rel}"


def _cases():
    for engine in IN_PROCESS:
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
    results = [relations(program.evaluate(facts, engine=engine)) for engine in IN_PROCESS]
    assert all(r == results[0] for r in results[1:])


def test_provenance_columns_match_native_schema():
    program = Program.from_text("p(X) :- q(X). p(9). q(7).")
    model = program.evaluate({"q": [(1,)]}, engine="pydatalog")
    con = model.connect()
    rows = con.execute("SELECT c0, _h, _r, _p FROM rel_p ORDER BY c0").fetchall()
    assert rows == [(1, None, None, 1.0), (7, None, None, 1.0), (9, 0, 1, 1.0)]
    assert con.execute("SELECT c0, _h, _r, _p FROM rel_q ORDER BY c0").fetchall() == [(1, 0, -1, 1.0), (7, 0, 2, 1.0)]
    native = program.evaluate({"q": [(1,)]})
    assert con.execute("DESCRIBE rel_p").fetchall() == native.connect().execute("DESCRIBE rel_p").fetchall()
    for rel in ("p", "q"):
        assert model.store.tables[rel].schema == native.store.tables[rel].schema
    assert model.store.tables["q"].schema.names == ["c0", "_h", "_r", "_p", "_s"]


def test_input_sources_are_stored_by_every_engine():
    facts = {"q": pd.DataFrame({"x": [1, 2], "_source": ["a.csv row 1", "a.csv row 2"]})}
    program = Program.from_text("p(X) :- q(X).")
    stored = {engine: program.evaluate(facts, engine=engine).store.tables["q"].sort_by("c0") for engine in IN_PROCESS}
    assert stored["pydatalog"].equals(stored["native"])
    assert stored["native"].column("_s").to_pylist() == ["a.csv row 1", "a.csv row 2"]


def test_unknown_engine_names_the_registered_ones():
    with pytest.raises(EvaluationError, match="unknown engine 'sparkle'; choose one of native, pydatalog, spark, postgres"):
        Program.from_text("p(X) :- q(X).").evaluate({"q": [(1,)]}, engine="sparkle")


class _Recording:
    """An engine of its own registered beside the others: it delegates to pyDatalog and records each plan."""

    name = "recording"
    plans: list = []

    def run(self, plan, inputs, limits):
        _Recording.plans.append(plan)
        return PyDatalogEngine().run(plan, inputs, limits)


def test_registered_engine_joins_the_registry_and_passes_the_corpus():
    register_engine("recording", _Recording)
    try:
        assert list(ENGINES) == ["native", "pydatalog", "spark", "postgres", "recording"]
        for name in CORPUS:
            check_engine("recording", name)
        assert len(_Recording.plans) == len(CORPUS)
    finally:
        unregister_engine("recording")
    assert "recording" not in ENGINES


def test_limits_reach_the_engines():
    program = Program.from_text("n(0). n(Y) :- n(X), Y = X + 1.")
    with pytest.raises(EvaluationError, match="within 5 rounds"):
        program.evaluate({}, max_iterations=5)
    with pytest.raises(EvaluationError, match="time-out of 0.01 s"):
        Program.from_text("p(X, Y) :- e(X, Y). p(X, Z) :- p(X, Y), p(Y, Z).").evaluate(
            {"e": [(i, i + 1) for i in range(300)]}, engine="pydatalog", timeout=0.01)
