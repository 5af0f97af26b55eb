"""The result store: a Model of Arrow tables pickles, saves, loads and works in another process."""

from __future__ import annotations

import json
import multiprocessing
import pickle

import pandas as pd
import pyarrow as pa
import pytest
from reference import Godel

from neurosym import EvaluationError
from neurosym.logic import AddMult, Model, Program, ResultStore

RULES = """
@id("tc.base") path(X, Y) :- edge(X, Y).
@id("tc.step") path(X, Z) :- path(X, Y), edge(Y, Z).
@id("tc.far") far(X) :- path(X, Y), Y >= 3, not edge(X, Y).
"""


@pytest.fixture
def model():
    edges = pd.DataFrame({"src": [1, 2, 3], "dst": [2, 3, 4], "_source": ["e.csv row 1", "e.csv row 2", "e.csv row 3"]})
    return Program.from_text(RULES, "tc.dl").evaluate({"edge": edges})


def _summary(model: Model) -> dict:
    return {"path": model.query("path").values.tolist(), "far": model.query("far", provenance=True).to_dict("list"),
            "count": model.count("path"), "columns": model.columns("edge"), "in": "far(1)" in model,
            "proof": model.explain("far(1)").render_text()}


def _summary_in_child(model: Model) -> dict:
    return _summary(model)


def test_store_holds_arrow_tables_with_provenance_columns(model):
    table = model.store.tables["path"]
    assert isinstance(model.store, ResultStore) and isinstance(table, pa.Table)
    assert table.schema.names == ["c0", "c1", "_h", "_r", "_p", "_s"]
    assert str(table.schema.field("_h").type) == "int32" and str(model.store.tables["edge"].schema.field("_s").type) == "string"
    assert sorted(model.store.tables["edge"].column("_s").to_pylist()) == ["e.csv row 1", "e.csv row 2", "e.csv row 3"]
    assert model.store.types["path"] == ["number", "number"]


def test_pickle_round_trip_without_connection_or_facts(model):
    expected = _summary(model)
    blob = pickle.dumps(model)
    assert b"DuckDB" not in blob
    back = pickle.loads(blob)
    assert back.facts is None and back.store._con is None
    assert _summary(back) == expected
    assert back.connect() is back.connect()  # cached per process
    assert back.connect() is not model.connect()


def test_model_works_in_a_spawned_process(model):
    expected = _summary(model)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(_summary_in_child, (model,)) == expected


def test_save_and_load(tmp_path, model):
    expected = _summary(model)
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m" / "tables").iterdir()) == ["edge.arrow", "far.arrow", "path.arrow"]
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["sources"] == ["tc.dl"] and meta["rule_ids"] == ["tc.base", "tc.step", "tc.far"]
    assert meta["semiring"] == {"class": "neurosym.logic._semiring:MaxProduct", "params": {"zero": 0.0, "one": 1.0}}
    loaded = Model.load(tmp_path / "m")
    assert _summary(loaded) == expected
    assert loaded.program.rule("tc.far").path == "tc.dl"


def test_save_and_load_keep_probabilities_and_the_semiring(tmp_path):
    program = Program.from_text("p(X) :- a(X). p(X) :- b(X).", "p.dl")
    half = pd.DataFrame({"x": [1], "_prob": [0.5]})
    for semiring, value in ((AddMult(), 0.75), (Godel(), 0.5)):
        model = program.evaluate({"a": half, "b": half}, semiring=semiring)
        loaded = Model.load(model.save(tmp_path / type(semiring).__name__))
        assert loaded.semiring == semiring
        assert loaded.query("p")["probability"].tolist() == pytest.approx([value])


def test_programs_from_several_files_save_in_order(tmp_path):
    (tmp_path / "a.dl").write_text('@id("a") p(X) :- q(X).\n')
    (tmp_path / "b.dl").write_text('@id("b") r(X) :- p(X), X > 1.\n')
    model = Program.from_files([tmp_path / "a.dl", tmp_path / "b.dl"]).evaluate({"q": [(1,), (2,)]})
    loaded = Model.load(model.save(tmp_path / "saved"))
    assert [r.id for r in loaded.plan.rules] == ["a", "b"] and loaded.query("r").values.tolist() == [[2]]


def test_save_refuses_rules_it_could_not_reload(tmp_path):
    model = (Program.from_text("p(X) :- q(X).") + Program.from_text("\nr(X) :- p(X).")).evaluate({"q": [(1,)]})
    with pytest.raises(EvaluationError, match="distinct rule texts"):
        model.save(tmp_path / "m")


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(EvaluationError, match="holds no saved model"):
        Model.load(tmp_path)
    model = Program.from_text("p(X) :- q(X).", "p.dl").evaluate({"q": [(1,)]})
    model.save(tmp_path / "m")
    (tmp_path / "m" / "tables" / "p.arrow").unlink()
    with pytest.raises(EvaluationError, match="no table for relation 'p'"):
        Model.load(tmp_path / "m")


def test_write_csv_dir_through_the_database(tmp_path):
    program = Program.from_text('r(X, Y, S) :- e(X, Y, S). z :- e(_, _, _). none :- e(_, _, "absent").')
    model = program.evaluate({"e": [(0.1, 7.0, 'a"b c'), (1e20, -0.5, "tab\there"), (0.1, 7.0, 'a"b c')]})
    model.write_csv_dir(tmp_path)
    assert (tmp_path / "r.csv").read_text() == '0.1\t7\ta"b c\n1e+20\t-0.5\ttab\there\n'
    assert (tmp_path / "z.csv").read_text() == "()\n" and (tmp_path / "none.csv").read_text() == ""


def test_lookups_sort_large_relations_once(model):
    assert model.prepare_lookups(min_rows=1) > 0
    assert model.prepare_lookups(min_rows=1) == 0.0
    assert model.query("path").values.tolist() == _summary(model)["path"]


def test_tables_export_after_an_unfinished_fetch(model):
    assert "far(1)" in model  # leaves a fetchone() result open on the connection
    assert sorted(model.store.tables["far"].column("c0").to_pylist()) == [1, 2]
