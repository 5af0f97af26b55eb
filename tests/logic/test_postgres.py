"""The PostgreSQL engine against a real server: the conformance corpora give DuckDB's relations exactly.

A throwaway server is started for the test process (``postgres_server``);
the tests skip with the reason when the PostgreSQL binaries or psycopg are
missing.  ``engine="postgres"`` is reached through the registry, with the
server's URL in ``$NEUROSYM_POSTGRES_URL``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from corpus import CORPUS
from hypothesis import HealthCheck, given, settings
from postgres_server import postgres_url
from reference import relations
from test_builtins import FACTS as DATE_FACTS
from test_builtins import RULES as DATE_RULES
from test_builtins import _expected as date_expected
from test_differential import _declarations, programs

from neurosym import EvaluationError
from neurosym.logic import AddMult, MaxProduct, Program
from neurosym.logic._postgres import URL_VARIABLE, PostgresEngine, PostgresRelation

sys.path.insert(0, str(Path(__file__).parent / "souffle"))
from runner import case_dirs, run_case  # noqa: E402
from test_souffle_corpus import KNOWN_FAILURES, SLOW  # noqa: E402

#: Soufflé cases of thousands of semi-naive rounds: one round is a few statements of ~10 ms on PostgreSQL, so they
#: pass the 20 s time-out of the runner only on DuckDB (which runs linear recursion as one WITH RECURSIVE query).
DEEP_RECURSION = {"evaluation/cprog4", "example/amicable", "example/magic_prime2", "example/prime2", "example/tic-tac-toe"}


@pytest.fixture(scope="module", autouse=True)
def url():
    """The test server's URL, made the default of ``engine="postgres"``."""
    server = postgres_url()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(URL_VARIABLE, server)
        yield server


@pytest.mark.parametrize("name", list(CORPUS))
def test_corpus(name):
    text, facts, expected = CORPUS[name]
    program = Program.from_text(text)
    got = relations(program.evaluate(facts, engine="postgres"))
    for rel, rows in expected.items():
        assert got[rel] == rows, rel
    assert got == relations(program.evaluate(facts))


def test_dates():
    got = relations(Program.from_text(DATE_RULES).evaluate(DATE_FACTS, engine="postgres"))
    for rel, rows in date_expected().items():
        assert got[rel] == rows, rel


@pytest.mark.parametrize("name", sorted(f"{p.parent.name}/{p.name}" for p in case_dirs()))
def test_souffle_case(name):
    if name in SLOW or name in KNOWN_FAILURES or name in DEEP_RECURSION:
        pytest.skip("fails or times out on DuckDB too, or too deep for the runner's time-out here")
    outcome = run_case(Path(__file__).parent / "souffle" / "cases" / name, engine="postgres")
    if outcome.status == "unsupported":
        pytest.skip(f"unsupported: {outcome.detail}")
    assert outcome.status == "pass", outcome.detail


@settings(max_examples=15, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(programs())
def test_random_programs_match_duckdb(case):
    text, facts = case
    program = Program.from_text(_declarations() + text)
    assert relations(program.evaluate(facts, engine="postgres")) == relations(program.evaluate(facts)), text


def test_provenance_matches_duckdb_and_explain_works():
    program = Program.from_text("path(X, Y) :- edge(X, Y). path(X, Z) :- path(X, Y), path(Y, Z). far(X) :- path(X, 4), not edge(X, 4).")
    facts = {"edge": pd.DataFrame({"a": [1, 2, 3, 3], "b": [2, 3, 1, 4], "_source": ["e1", "e2", "e3", "e4"]})}
    ours, native = program.evaluate(facts, engine="postgres"), program.evaluate(facts)
    for rel in ("path", "far", "edge"):
        order = [(f"c{i}", "ascending") for i in range(len(ours.plan.types[rel]))]
        assert ours.store.tables[rel].sort_by(order).equals(native.store.tables[rel].sort_by(order)), rel
    proof = [n.kind for n in ours.explain("far(1)").walk()]
    assert proof == [n.kind for n in native.explain("far(1)").walk()] and proof.count("rule") == 6
    assert ours.query("path", provenance=True)["_height"].max() == 3


@pytest.mark.parametrize("semiring", [MaxProduct(), AddMult()], ids=["max-product", "add-mult"])
def test_probabilities_match_duckdb(semiring):
    program = Program.from_text("reach(X, Y) :- e(X, Y). reach(X, Z) :- reach(X, Y), e(Y, Z). safe(X) :- node(X), not reach(X, 4).")
    facts = {"e": pd.DataFrame({"a": [1, 1, 2, 3], "b": [2, 3, 4, 4], "_prob": [0.5, 0.8, 0.9, 0.25]}),
             "node": pd.DataFrame({"x": [1, 2, 3]})}
    ours = program.evaluate(facts, engine="postgres", semiring=semiring)
    native = program.evaluate(facts, semiring=semiring)
    for rel in ("reach", "safe"):
        left, right = ours.query(rel), native.query(rel)
        assert left.drop(columns="probability").equals(right.drop(columns="probability"))
        assert left["probability"].tolist() == pytest.approx(right["probability"].tolist(), abs=1e-12)
    assert native.query("safe")["probability"].round(4).tolist() == ([0.55, 0.1, 0.75] if isinstance(semiring, MaxProduct)
                                                                    else [0.44, 0.1, 0.75])


def test_facts_read_in_place(url):
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS public.edges")
        con.execute("CREATE TABLE public.edges (src BIGINT, dst BIGINT)")
        con.execute("INSERT INTO public.edges VALUES (1, 2), (2, 3), (2, 3)")
    program = Program.from_text("path(X, Y) :- edge(X, Y). path(X, Z) :- path(X, Y), edge(Y, Z). n(C) :- C = count : { edge(_, _) }.")
    facts = {"edge": PostgresRelation("edge", "SELECT src, dst FROM public.edges", ["number", "number"])}
    model = program.evaluate(facts, engine="postgres")
    assert model.query("path").values.tolist() == [[1, 2], [1, 3], [2, 3]]
    assert model.query("n").values.tolist() == [[2]]  # a relation is a set: the duplicate row counts once
    with pytest.raises(EvaluationError, match="relation edge is read inside PostgreSQL: evaluate with engine='postgres'"):
        program.evaluate(facts)


def test_errors_are_clear(url, monkeypatch):
    program = Program.from_text("p(X) :- q(X).")
    missing = {"q": PostgresRelation("q", "SELECT x FROM cdm.nowhere", ["number"])}
    with pytest.raises(EvaluationError, match='a table is missing in PostgreSQL at .*relation "cdm.nowhere" does not exist'):
        program.evaluate(missing, engine="postgres")
    with pytest.raises(EvaluationError, match="not a PostgreSQL connection URL: 'mysql://db/x'"):
        PostgresEngine("mysql://db/x").run(*program._plan({"q": [(1,)]}))
    with pytest.raises(EvaluationError, match=r"cannot connect to PostgreSQL at postgresql://ann:\*\*\*@127.0.0.1:1/cdm"):
        PostgresEngine("postgresql://ann:secret@127.0.0.1:1/cdm?connect_timeout=2").run(*program._plan({"q": [(1,)]}))
    monkeypatch.delenv(URL_VARIABLE)
    with pytest.raises(EvaluationError, match=f"needs a connection URL: set {URL_VARIABLE}"):
        program.evaluate({"q": [(1,)]}, engine="postgres")


def test_limits():
    with pytest.raises(EvaluationError, match="within 5 rounds"):
        Program.from_text("n(0). n(Y) :- n(X), Y = X + 1.").evaluate({}, engine="postgres", max_iterations=5)
    slow = Program.from_text("p(X, Y) :- e(X, Y). p(X, Z) :- p(X, Y), p(Y, Z). c(N) :- N = count : { p(_, _), p(_, _) }.")
    with pytest.raises(EvaluationError, match="time-out of 0.5 s"):
        slow.evaluate({"e": [(i, i + 1) for i in range(400)]}, engine="postgres", timeout=0.5)
