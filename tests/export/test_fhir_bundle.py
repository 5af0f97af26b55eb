"""FHIR R4 bundles: RiskAssessment + Device + Provenance, parsed and validated by fhir.resources (R4B models)."""

import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from neurosym import InputError
from neurosym.export import to_fhir
from neurosym.trace import FactLeaf, SourceRef
from real_traces import as_prediction

sys.path.insert(0, str(Path(__file__).parents[1] / "trace"))
from sample_traces import every_kind, faithful_prediction  # noqa: E402

RECORDED = datetime(2024, 1, 2, 8, 30, tzinfo=timezone.utc)


def parse(bundle: dict) -> Bundle:
    return Bundle.model_validate(json.loads(json.dumps(bundle)))


def test_faithful_prediction_bundle():
    bundle = to_fhir(faithful_prediction(), patient_id="p1", outcome=["icd10cm:E11", "snomed:44054006"], recorded=RECORDED)
    parsed = parse(bundle)
    risk, device, provenance = (e.resource for e in parsed.entry)
    assert (risk.__resource_type__, device.__resource_type__, provenance.__resource_type__) == (
        "RiskAssessment", "Device", "Provenance")
    assert risk.status == "final" and risk.subject.reference == "Patient/p1"
    assert str(risk.occurrenceDateTime) == "2024-01-01"
    pred = risk.prediction[0]
    assert pred.outcome.text == "type 2 diabetes"
    assert [(c.system, c.code) for c in pred.outcome.coding] == [("http://hl7.org/fhir/sid/icd-10-cm", "E11"),
                                                                 ("http://snomed.info/sct", "44054006")]
    assert float(pred.probabilityDecimal) == pytest.approx(0.31002551887238755)
    assert (str(pred.whenPeriod.start), str(pred.whenPeriod.end)) == ("2024-01-01", "2026-12-31")
    assert pred.rationale == ("Top contributions to the logit: prediabetes(p1) +0.8; low_activity_pattern(p1) +0.35; "
                              "is_a(icd10cm, E11.65, icd10cm, E08-E13) -0.05")
    assert [(b.identifier.system, b.identifier.value) for b in risk.basis] == [("urn:neurosym:source", "omop/measurement/row 3")]
    assert risk.mitigation == "walk 2,000 more steps a day; BMI 31.2 → 29 kg/m2 (risk 18%)"
    assert risk.note[0].text.startswith("above the high-risk threshold 25%; percentile 62")
    assert device.version[0].value == "neurosym-0.3.0"
    assert provenance.target[0].reference == bundle["entry"][0]["fullUrl"]
    assert provenance.agent[0].who.reference == bundle["entry"][1]["fullUrl"]
    assert provenance.recorded.isoformat() == "2024-01-02T08:30:00+00:00"
    assert [(e.role, e.what.identifier.value, e.what.display) for e in provenance.entity] == [
        ("derivation", "ada.prediabetes", "ADA Standards of Care 2025, 2.1"),
        ("source", "omop/measurement/row 3", "hba1c(p1, 6.1, 2023-11-02)")]


def test_same_trace_same_bundle_ids():
    one = to_fhir(faithful_prediction(), patient_id="p1", recorded=RECORDED)
    two = to_fhir(faithful_prediction(), patient_id="p1", recorded=RECORDED)
    assert one == two
    assert to_fhir(faithful_prediction(), patient_id="p2", recorded=RECORDED)["id"] != one["id"]


def test_fhir_sources_are_literal_references_and_records_are_listed_once():
    obs = SourceRef("fhir/a.json", "Observation", 7, "obs-9", 6.1, "%")
    p = as_prediction(every_kind().children[0])
    p.children[0].children.append(FactLeaf("hba1c(p1, 6.1)", "hba1c", source=obs))
    p.children[0].children.append(FactLeaf("hba1c(p1, 6.1) again", "hba1c", source=obs))
    risk = parse(to_fhir(p, patient_id="p1", recorded=RECORDED)).entry[0].resource
    assert [b.reference or b.identifier.value for b in risk.basis] == ["synthetic(seed=0)/labs/row 12", "Observation/obs-9"]


@pytest.mark.parametrize("call, message", [
    (lambda: to_fhir(every_kind().children[0], patient_id="p1"), "to_fhir needs a Prediction trace .* got a rule node"),
    (lambda: to_fhir(faithful_prediction(), patient_id="p1", recorded=datetime(2024, 1, 2)), "recorded needs a timezone"),
    (lambda: to_fhir(faithful_prediction(), patient_id="p1", outcome=["E11"]), "outcome code 'E11': write system:code"),
])
def test_bad_input_is_an_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_traces_of_real_data_give_valid_bundles(source, traces):
    """Every rule trace of the source, stated as a prediction, parses as an R4 bundle citing its source records."""
    cited = literal = 0
    for patient, trace in traces:
        bundle = to_fhir(as_prediction(trace), patient_id=patient, outcome=["icd10cm:E11"], recorded=RECORDED)
        risk, _, provenance = (e.resource for e in parse(bundle).entry)
        assert risk.subject.reference == f"Patient/{patient}"
        assert isinstance(risk.occurrenceDateTime, date)
        rules = [e for e in provenance.entity if e.role == "derivation"]
        assert rules and all(e.what.display for e in rules)  # every library rule carries a citation
        basis = risk.basis or []
        cited += len(basis)
        if source.name == "fhir":
            refs = [b.reference for b in basis if b.reference]
            assert all(ref.split("/")[0] in ("Patient", "Observation", "Condition", "MedicationRequest", "Encounter",
                                             "Procedure") for ref in refs), refs
            literal += len(refs)
    assert cited > len(traces)
    assert (literal > 0) == (source.name == "fhir")
