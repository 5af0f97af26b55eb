"""The JSON document read back: round trips of every node kind, the reasoner's fields and the schema's checks on them."""

import json

import jsonschema
import pytest

from neurosym import InputError
from neurosym.export import to_json
from neurosym.trace import Change, Counterfactual, Prediction, RuleAttempt, TraceError, WhyNot, from_dict, to_dict, validate
from sample_traces import every_kind, faithful_prediction


@pytest.mark.parametrize("make", [every_kind, faithful_prediction])
def test_round_trip_is_exact_and_keeps_shared_nodes_shared(make):
    doc = to_dict(make())
    validate(doc)
    back = from_dict(json.loads(json.dumps(doc)))
    assert to_dict(back) == doc
    assert [type(n).__name__ for n in back.walk()] == [type(n).__name__ for n in make().walk()]


def test_a_required_field_that_was_none_reads_back_as_none():
    report = WhyNot("dm(b)", False, [RuleAttempt("ada.a1c", "dm(P) :- lab(P, V).", None, "no rule head matches")])
    doc = to_dict(report)
    assert "failed_literal" not in doc["nodes"][1]
    assert from_dict(doc).attempts[0].failed_literal is None and to_dict(from_dict(doc)) == doc


def test_shared_subproof_is_one_object_after_reading():
    risk = from_dict(to_dict(every_kind())).children[0]
    assert risk.children[0] is risk.children[3]


def test_reasoner_fields_in_the_document():
    doc = to_dict(faithful_prediction())
    nodes = {n["id"]: n for n in doc["nodes"]}
    root = nodes["n0"]
    assert {k: root[k] for k in ("logit", "bias", "residual", "threshold", "calibration", "counterfactuals", "why_not")} == {
        "logit": -0.8, "bias": -2.0, "residual": 0.1, "threshold": 0.25,
        "calibration": {"percentile": 62.0, "bin_low": 0.2, "bin_high": 0.3, "observed_rate": 0.27, "n": 412},
        "counterfactuals": ["n6"], "why_not": ["n7"]}
    assert [nodes[c]["contribution"] for c in root["children"]] == [0.8, 0.35, -0.05]
    assert nodes["n6"] == {"id": "n6", "kind": "counterfactual", "risk": 0.18, "below_threshold": True, "changes": [
        {"fact": "steps", "before": 4100.0, "after": 6100.0, "unit": "steps/day", "text": "walk 2,000 more steps a day"},
        {"fact": "bmi", "before": 31.2, "after": 29.0, "unit": "kg/m2"}]}
    assert nodes["n7"]["kind"] == "why_not" and nodes["n8"]["kind"] == "attempt"
    assert json.loads(to_json(faithful_prediction())) == doc


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["nodes"][6]["changes"][0].update(fact="age"), "'age' is not one of \\['hba1c'"),
    (lambda d: d["nodes"][6].update(changes=[]), "\\[\\] should be non-empty"),
    (lambda d: d["nodes"][6].pop("below_threshold"), "'risk': 0.18} is not valid under any"),
    (lambda d: d["nodes"][0].update(threshold=2.0), "'threshold': 2.0.* is not valid under any"),
    (lambda d: d["nodes"][0].update(calibration={"n": "many"}), "'many' is not of type 'number'"),
    (lambda d: d["nodes"][1].update(contribution="high"), "'contribution': 'high'.* is not valid under any"),
])
def test_schema_rejects_malformed_reasoner_fields(mutate, message):
    doc = to_dict(faithful_prediction())
    mutate(doc)
    with pytest.raises(jsonschema.ValidationError, match=message):
        validate(doc)


def test_reading_unknown_kinds_and_ids_is_an_input_error():
    doc = to_dict(faithful_prediction())
    doc["nodes"][0]["counterfactuals"] = ["n42"]
    with pytest.raises(InputError, match=r"node n0 names unknown counterfactuals \['n42'\]"):
        from_dict(doc)
    doc["nodes"][1]["kind"] = "hunch"
    with pytest.raises(InputError, match="node n1 has unknown kind 'hunch'; known: aggregate, attempt, comparison, counterfactual"):
        from_dict(doc)


def test_only_modifiable_facts_change():
    from neurosym.data import MODIFIABLE_FACTS as EDITABLE
    from neurosym.trace import MODIFIABLE_FACTS

    assert sorted(MODIFIABLE_FACTS) == sorted(EDITABLE)  # a counterfactual changes what the what-if edits can change
    with pytest.raises(TraceError, match="a counterfactual cannot change 'age'; modifiable facts: hba1c, bmi, weight, steps"):
        Change("age", 50, 45)
    cf = Counterfactual([Change("smoking", "current", "never", text="stop smoking")], 0.1, True)
    assert Prediction("t2d", 0.3, counterfactuals=[cf]).leaves() == []
