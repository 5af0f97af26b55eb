"""The Trace model: node kinds, DAG walking, the JSON document and its schema."""

import json
from datetime import date

import jsonschema
import pytest

from neurosym import InputError
from neurosym.logic import Program
from neurosym.trace import (Check, Elided, FactLeaf, NeuralLeaf, RuleApplication, RuleAttempt, SourceRef, WhyNot, fold, schema,
                            to_dict, validate)
from sample_traces import every_kind


def test_walk_visits_a_shared_node_once():
    root = every_kind()
    kinds = [n.kind for n in root.walk()]
    assert kinds == ["prediction", "rule", "rule", "fact", "comparison", "ontology", "neural", "negation", "aggregate", "elided"]
    assert [leaf.kind for leaf in root.leaves()] == ["fact", "ontology", "neural"]


def test_document_lists_each_node_once_and_references_shared_ones():
    doc = to_dict(every_kind())
    validate(doc)
    nodes = {n["id"]: n for n in doc["nodes"]}
    risk = nodes[nodes["n0"]["children"][0]]
    assert risk["children"][0] == risk["children"][3] == "n2"
    assert nodes["n2"]["bindings"] == {"P": "p1", "V": 7.1, "D": "2023-01-17"}
    assert nodes["n3"]["source"] == {"dataset": "synthetic(seed=0)", "table": "labs", "row": 12, "value": 7.1, "unit": "%"}
    assert nodes["n5"]["path"][1] == {"system": "doid", "code": "9352", "edge": "xref"}
    assert nodes["n6"] == {"id": "n6", "kind": "neural", "atom": "rising_glycemic_trajectory(p1)", "model": "TrajectoryEncoder@v3",
                           "probability": 0.82, "window_start": "2022-01-01", "window_end": "2023-01-01",
                           "attributions": {"hba1c_slope": 0.4, "fpg_last": -0.1}}
    assert nodes["n0"] == {"id": "n0", "kind": "prediction", "target": "type 2 diabetes", "risk": 0.23, "horizon_days": 1095,
                           "landmark": "2024-01-01", "model_version": "0.3.0", "children": ["n1"]}


def test_neural_leaf_serialises_alone():
    doc = json.loads(NeuralLeaf("low_activity_pattern(p1)", "LifelogEncoder", 0.4).to_json())
    validate(doc)
    assert doc["nodes"] == [{"id": "n0", "kind": "neural", "atom": "low_activity_pattern(p1)", "model": "LifelogEncoder",
                             "probability": 0.4}]


def test_why_not_document():
    report = WhyNot("dm(b)", False, [RuleAttempt("ada.a1c", "dm(P) :- lab(P, V), V >= 6.5.", "V >= 6.5", "fails",
                                                 [{"P": "b", "V": 5.2, "D": date(2023, 1, 1)}])])
    doc = to_dict(report)
    validate(doc)
    assert doc["nodes"][1]["partial_bindings"] == [{"P": "b", "V": 5.2, "D": "2023-01-01"}]


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["nodes"][0].update(kind="guess"), "'kind': 'guess'.* is not valid under any of the given schemas"),
    (lambda d: d["nodes"][1].update(probability=1.5), "'probability': 1.5.* is not valid under any"),
    (lambda d: d["nodes"][1].pop("rule_id"), "'atom': 'risk\\(p1\\)', 'helper'.* is not valid under any"),
    (lambda d: d["nodes"][3].update(source={"row": "twelve"}), "'twelve' is not of type 'integer'"),
    (lambda d: d["nodes"][0].update(landmark="01/01/2024"), "'landmark': '01/01/2024'.* is not valid under any"),
    (lambda d: d.update(trace_version="0"), "'1' was expected"),
])
def test_schema_rejects_malformed_documents(mutate, message):
    doc = to_dict(every_kind())
    mutate(doc)
    with pytest.raises(jsonschema.ValidationError, match=message):
        validate(doc)


def test_unknown_child_id_is_an_input_error():
    doc = to_dict(every_kind())
    doc["nodes"][1]["children"].append("n99")
    with pytest.raises(InputError, match=r"node n1 names unknown children \['n99'\]"):
        validate(doc)


def test_schema_is_package_data_and_names_every_kind():
    kinds = {ref["$ref"].rsplit("/", 1)[1] for ref in schema()["$defs"]["node"]["oneOf"]}
    assert kinds == {"rule", "fact", "ontology", "neural", "comparison", "negation", "aggregate", "elided", "prediction",
                     "why_not", "attempt", "counterfactual"}


def test_source_ref_from_a_facts_description():
    ref = SourceRef.from_description({"source_dataset": "omop", "source_table": "measurement", "source_row": 3,
                                      "source_id": None, "value": 48.0, "unit": "mmol/mol"})
    assert ref == SourceRef(dataset="omop", table="measurement", row=3, value=48.0, unit="mmol/mol")


def test_fold_lifts_helper_evidence_and_keeps_leaves_under_depth_limits():
    day = FactLeaf("index_day(p1, 2024-01-01)", "index_day")
    helper = RuleApplication("calendar_year(2024-01-01, 2024)", "cal", helper=True, children=[day, Check("Y = 2024")])
    age = RuleApplication("age(p1, 49)", "age", children=[FactLeaf("patient(p1, 1975)", "patient"), day, helper, Check("A = 49")])
    folded = fold(age)
    assert [n.atom for n in folded.children] == ["patient(p1, 1975)", "index_day(p1, 2024-01-01)", "A = 49"]
    assert [n.atom for n in fold(age, helpers=False).children][2] == "calendar_year(2024-01-01, 2024)"
    assert age.children[2] is helper  # the input is unchanged
    elided = fold(RuleApplication("adult(p1)", "adult", children=[age]), max_depth=0).children[0]
    assert isinstance(elided, Elided) and elided.rule_ids == ["age", "cal"]
    assert [n.atom for n in elided.children] == ["patient(p1, 1975)", "index_day(p1, 2024-01-01)"]


def test_many_explained_traces_validate():
    rules = """
    @id("r.reach") reach(X, Y) :- edge(X, Y).
    @id("r.step") reach(X, Z) :- reach(X, Y), edge(Y, Z), not blocked(Z).
    @id("r.count") fanout(X, N) :- edge(X, _), N = count : edge(X, _).
    @id("r.far") far(X) :- reach(X, Y), Y - X >= 3.
    """
    facts = {"edge": [(i, j) for i in range(8) for j in (i + 1, i + 2) if j < 9], "blocked": [(5,)]}
    model = Program.from_text(rules).evaluate(facts)
    checked = 0
    for rel in ("reach", "fanout", "far"):
        for row in model.query(rel).itertuples(index=False):
            validate(to_dict(model.explain(f"{rel}({', '.join(map(str, row))})")))
            checked += 1
    for atom in ("reach(8, 0)", "far(8)", "edge(0, 5)"):
        validate(to_dict(model.why_not(atom)))
    assert checked == model.count("reach") + model.count("fanout") + model.count("far") == 47
