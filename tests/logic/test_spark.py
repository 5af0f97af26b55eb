"""The Spark engine in ``local[2]``: the conformance corpora give DuckDB's relations exactly.

One SparkSession for the module (2 shuffle partitions, no UI, no code
generation: the data are tiny and the machine's cores are shared); the tests
skip with the reason when pyspark or Java is missing.  Spark runs one job per
statement, so each corpus is sampled: the program corpus, the datetime rules,
a few Soufflé cases, random stratified programs and the common topic of the
rule library on the shared OMOP set.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from corpus import CORPUS
from hypothesis import HealthCheck, given, settings
from reference import relations
from test_builtins import FACTS as DATE_FACTS
from test_builtins import RULES as DATE_RULES
from test_builtins import _expected as date_expected
from test_differential import _declarations, programs

from neurosym import EvaluationError
from neurosym.logic import AddMult, Program

sys.path.insert(0, str(Path(__file__).parent / "souffle"))
from runner import CASES as SOUFFLE, run_case  # noqa: E402

#: Corpus programs run on Spark (recursion, negation, aggregates, floats, strings).
PROGRAMS = ["transitive_closure_nonlinear", "negation_stratified", "aggregate_correlated_comparison", "float_arithmetic",
            "strings_quotes_unicode"]
#: Soufflé cases (one rule each: Spark's statements are slow on tiny data): aggregates, negation.
SOUFFLE_CASES = ["evaluation/aggregates_complex", "evaluation/inline_negation2"]


@pytest.fixture(scope="module", autouse=True)
def spark():
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'neurosym[spark]')")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: Spark needs a JVM (Java 17)")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("neurosym-tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.adaptive.enabled", "false").config("spark.sql.codegen.wholeStage", "false")
               .config("spark.sql.codegen.factoryMode", "NO_CODEGEN").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.parametrize("name", PROGRAMS)
def test_corpus(name):
    text, facts, expected = CORPUS[name]
    program = Program.from_text(text)
    got = relations(program.evaluate(facts, engine="spark"))
    for rel, rows in expected.items():
        assert got[rel] == rows, rel
    assert got == relations(program.evaluate(facts))


def test_dates():
    got = relations(Program.from_text(DATE_RULES).evaluate(DATE_FACTS, engine="spark"))
    for rel, rows in date_expected().items():
        assert got[rel] == rows, rel


@pytest.mark.parametrize("name", SOUFFLE_CASES)
def test_souffle_case(name):
    outcome = run_case(SOUFFLE / name, engine="spark")
    assert outcome.status == "pass", outcome.detail


@settings(max_examples=2, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(programs())
def test_random_programs_match_duckdb(case):
    text, facts = case
    program = Program.from_text(_declarations() + text)
    assert relations(program.evaluate(facts, engine="spark")) == relations(program.evaluate(facts)), text


def test_provenance_and_probabilities_match_duckdb():
    program = Program.from_text("path(X, Y) :- edge(X, Y). path(X, Z) :- path(X, Y), path(Y, Z). far(X) :- path(X, 4), not edge(X, 4).")
    facts = {"edge": pd.DataFrame({"a": [1, 2, 3, 3], "b": [2, 3, 1, 4], "_prob": [0.5, 0.8, 0.9, 0.25]})}
    ours, native = program.evaluate(facts, engine="spark"), program.evaluate(facts)
    for rel in ("path", "far", "edge"):
        order = [(f"c{i}", "ascending") for i in range(len(ours.plan.types[rel]))]
        left, right = ours.store.tables[rel].sort_by(order), native.store.tables[rel].sort_by(order)
        assert left.drop_columns("_p").equals(right.drop_columns("_p")), rel
        assert left.column("_p").to_pylist() == pytest.approx(right.column("_p").to_pylist(), abs=1e-12)
    assert [n.kind for n in ours.explain("far(1)").walk()] == [n.kind for n in native.explain("far(1)").walk()]
    noisy = Program.from_text("p(X) :- a(X). p(X) :- b(X). q(X) :- a(X), not p(X).")
    half = pd.DataFrame({"x": [1, 2], "_prob": [0.5, 0.5]})
    got = noisy.evaluate({"a": half, "b": half.iloc[:1]}, engine="spark", semiring=AddMult()).query("p")
    assert got["probability"].tolist() == [0.75, 0.5]


def test_dataframes_and_parquet_read_in_place(spark, tmp_path):
    from neurosym.logic import spark_facts

    edges = spark.createDataFrame(pd.DataFrame({"src": [1, 2, 3], "dst": [2, 3, 4]}))
    edges.write.parquet(str(tmp_path / "edges"))
    reach = Program.from_text("path(X, Y) :- edge(X, Y). path(X, Z) :- path(X, Y), edge(Y, Z).")
    assert len(reach.evaluate(spark_facts({"edge": edges}), engine="spark").query("path")) == 6
    count = Program.from_text("n(C) :- C = count : { edge(_, _) }.")
    assert count.evaluate(spark_facts({"edge": str(tmp_path / "edges")}), engine="spark").query("n").values.tolist() == [[3]]
    with pytest.raises(EvaluationError, match="relation edge is a Spark DataFrame: evaluate with engine='spark'"):
        reach.evaluate(spark_facts({"edge": edges}))
    with pytest.raises(EvaluationError, match="relation edge: cannot read Parquet '.*nowhere'"):
        spark_facts({"edge": str(tmp_path / "nowhere")})


def test_recursion_keeps_plans_flat():
    """Every round's tables are checkpoints: round 12 plans on scans, not on 12 rounds of lineage."""
    program = Program.from_text("n(0). n(Y) :- n(X), Y = X + 1, Y < 12.")
    assert len(program.evaluate({}, engine="spark").query("n")) == 12
    with pytest.raises(EvaluationError, match="within 3 rounds"):
        program.evaluate({}, engine="spark", max_iterations=3)


@pytest.mark.shared_data
def test_library_common_topic_on_shared_omop(shared_data):
    """The library's common topic (ages, alive, index windows) on the shared OMOP set: Spark's relations are DuckDB's."""
    from neurosym.data import load_omop
    from neurosym.facts import clinical_facts, load_rule_library
    from neurosym.ontology import Ontology

    folder = shared_data / "omop_synthea27nj"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    common = load_rule_library(["common"])
    facts = clinical_facts(load_omop(folder), Ontology([]), program=common)
    expected = relations(common.evaluate(facts))
    assert _rounded(relations(common.evaluate(facts, engine="spark"))) == _rounded(expected)
    assert sum(len(rows) for rel, rows in expected.items() if rel not in facts) > 50


def _rounded(rels: dict[str, set[tuple]]) -> dict[str, set[tuple]]:
    """Floats to 12 significant digits: eGFR's powers and logarithms come from Java's math library, last bits apart."""
    return {rel: {tuple(float(f"{v:.12g}") if isinstance(v, float) else v for v in row) for row in rows} for rel, rows in rels.items()}
