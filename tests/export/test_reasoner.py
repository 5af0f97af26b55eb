"""A NeuroSymbolicModel prediction rendered in all four formats; every record and ontology leaf resolves."""

import json
import re
from datetime import datetime, timezone
from html import escape

import numpy as np
import pandas as pd
import pytest
from fhir.resources.R4B.bundle import Bundle

from neurosym.data import synthetic_cohort
from neurosym.export import patient_timeline, resolve_leaf, to_fhir, to_json, to_text, write_html
from neurosym.reasoning import NeuroSymbolicModel
from neurosym.tasks import ground_truth_labels
from neurosym.trace import FactLeaf, NeuralLeaf, OntologyLeaf, Prediction, check_faithful, from_dict, to_dict, validate
from browser import render

from tests.reasoning.conftest import EARLY, SMALL


@pytest.fixture(scope="module")
def fitted():
    cohort = synthetic_cohort(200, seed=0, lifelog_days=400)
    labels = ground_truth_labels(cohort).assign(landmark=pd.Timestamp(EARLY))
    model = NeuroSymbolicModel(**SMALL).fit(cohort, labels)
    risk = model.predict_proba(cohort, labels).sort_values(["risk", "patient_id"])
    return cohort, model, str(risk.iloc[-1]["patient_id"])


@pytest.fixture(scope="module")
def trace(fitted) -> Prediction:
    cohort, model, patient = fitted
    return model.explain(cohort, patient, EARLY, counterfactuals=True, why_not=[f'glycemic_status("{patient}", diabetes)'])


def test_trace_is_faithful_and_every_leaf_resolves(fitted, trace):
    cohort, _, patient = fitted
    assert check_faithful(trace) <= 1e-9
    kinds = {"fact": 0, "ontology": 0, "neural": 0}
    for leaf in trace.leaves():
        kinds[leaf.kind] += 1
        found = resolve_leaf(leaf, cohort, landmark=trace.landmark)
        if isinstance(leaf, NeuralLeaf):
            assert leaf.window_start < leaf.window_end < trace.landmark and leaf.attributions
            assert found.record["measurements"] + found.record["worn_days"] > 0
        if isinstance(leaf, FactLeaf) and found.table in ("patients", "events", "daily"):
            assert str(found.record["patient_id"]) == patient
    assert kinds["fact"] > 0 and kinds["neural"] > 0, kinds


def test_text_and_json(trace):
    text = to_text(trace, max_depth=3)
    assert text.splitlines()[0].startswith("risk of type 2 diabetes within 1096 days of 2023-01-01: ")
    assert re.search(r"^logit -?[\d.]+ = bias -?[\d.]+ \+ residual [+-][\d.]+ \+ reasons [+-][\d.]+ \(residual share \d+%\)$",
                     text, re.M)
    reasons = [line for line in text.splitlines() if line[:3] in ("├─ ", "└─ ")]
    assert len(reasons) == len(trace.children)
    assert all(line.endswith(f"Δlogit {c.contribution:+.3g}") for line, c in zip(reasons, trace.children)), reasons
    assert f"Why not: {trace.why_not[0].atom} does not hold" in text
    doc = json.loads(to_json(trace))
    validate(doc)
    assert to_dict(from_dict(doc)) == doc


def test_fhir_bundle(fitted, trace):
    _, model, patient = fitted
    bundle = Bundle.model_validate(to_fhir(trace, patient_id=patient, outcome=["icd10cm:E11", "snomed:44054006"],
                                           recorded=datetime(2023, 1, 2, tzinfo=timezone.utc)))
    risk, device, provenance = (e.resource for e in bundle.entry)
    assert float(risk.prediction[0].probabilityDecimal) == pytest.approx(trace.risk)
    assert risk.prediction[0].rationale.startswith(f"Top contributions to the logit: {trace.children[0].atom}")
    assert device.version[0].value == model.model_version_
    sources = {(leaf.source.table, leaf.source.row) for leaf in trace.leaves()
               if isinstance(leaf, FactLeaf) and leaf.source and leaf.source.table}
    assert len(risk.basis) == len(sources) > 0
    assert sum(e.role == "source" for e in provenance.entity) == len(sources)
    assert {e.what.identifier.value for e in provenance.entity if e.role == "derivation"} >= {
        c.rule_id for c in trace.children if hasattr(c, "rule_id")}
    if trace.counterfactuals:
        assert risk.mitigation


def test_html_report_in_chromium(fitted, trace, tmp_path):
    cohort, _, patient = fitted
    path = write_html(trace, tmp_path / "report.html", timeline=patient_timeline(cohort, patient, trace.landmark),
                      title=f"Patient {patient}", max_depth=4)
    dom, image = render(path, tmp_path)
    assert f"Patient {patient}" in dom and f"{100 * trace.risk:.1f}%" in dom and '<body data-ready="1">' in dom
    assert all(escape(c.atom, quote=False) in dom for c in trace.children)  # the DOM serialiser leaves quotes in text
    if trace.counterfactuals:
        assert 'id="counterfactuals"' in dom
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 50
