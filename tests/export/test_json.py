"""JSON documents of traces from real data validate against the published schema and read back exactly."""

import json

from neurosym.export import to_json
from neurosym.trace import check_faithful, from_dict, to_dict, validate
from real_traces import as_prediction


def test_traces_of_real_data_validate_and_round_trip(source, traces):
    kinds = set()
    for _, trace in traces:
        doc = json.loads(to_json(trace))
        validate(doc)
        assert to_dict(from_dict(doc)) == doc
        kinds |= {n["kind"] for n in doc["nodes"]}
        prediction = as_prediction(trace)
        check_faithful(prediction)
        validate(json.loads(to_json(prediction)))
    assert {"rule", "fact", "comparison"} <= kinds


def test_why_not_reports_of_real_data_validate(source):
    patient = source.cohort.patient_ids[0]
    for atom in (f'at_risk_t2d("{patient}")', f'glycemic_status("{patient}", diabetes)'):
        report = source.model.why_not(atom)
        validate(json.loads(to_json(report)))
