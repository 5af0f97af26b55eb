"""A prediction trace as a FHIR R4 Bundle: a ``RiskAssessment`` and the ``Provenance`` that says how it was made.

The RiskAssessment states the risk (``prediction[0]``: outcome, ``probabilityDecimal``, ``whenPeriod`` from the
landmark over the horizon, a ``rationale`` naming the top contributions), the threshold and calibration context
(``note``), what would lower it (``mitigation``, from the counterfactuals) and its ``basis``: the source records the
trace cites.  A record loaded from FHIR is referenced literally (``Observation/<id>``); any other record by an
identifier naming its dataset, table and row (system ``urn:neurosym:source``, value
``omop_synthea27nj/measurement/row 17``).  The Provenance targets the RiskAssessment; its agent is the model (a
``Device`` with its version) and its entities are the rules applied (id and citation) and the source records.
Resource ids are derived from the content, so one trace gives one bundle.

Examples
--------
>>> from datetime import date, datetime, timezone
>>> from neurosym.trace import FactLeaf, Prediction, SourceRef
>>> a1c = FactLeaf("hba1c(p1, 6.1)", "hba1c", contribution=0.8, source=SourceRef("fhir/b.json", "Observation", 4, "obs-1"))
>>> p = Prediction("type 2 diabetes", 0.31, 1095, date(2024, 1, 1), "0.3.0", [a1c])
>>> bundle = to_fhir(p, patient_id="p1", outcome=["icd10cm:E11"], recorded=datetime(2024, 1, 2, tzinfo=timezone.utc))
>>> risk = bundle["entry"][0]["resource"]
>>> risk["prediction"][0]["probabilityDecimal"], risk["prediction"][0]["whenPeriod"], risk["basis"]
(0.31, {'start': '2024-01-01', 'end': '2026-12-31'}, [{'reference': 'Observation/obs-1', 'display': 'hba1c(p1, 6.1)'}])
>>> [e["resource"]["resourceType"] for e in bundle["entry"]]
['RiskAssessment', 'Device', 'Provenance']
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from neurosym._errors import InputError
from neurosym.export._summary import calibration_text, change_text, fmt, top_contributions
from neurosym.trace import FactLeaf, Node, Prediction, RuleApplication, SourceRef

__all__ = ["CODE_SYSTEM_URIS", "to_fhir"]

#: FHIR code system URIs of the code systems outcomes are written in.
CODE_SYSTEM_URIS = {"icd10cm": "http://hl7.org/fhir/sid/icd-10-cm", "snomed": "http://snomed.info/sct",
                    "loinc": "http://loinc.org", "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "doid": "http://purl.obolibrary.org/obo/doid.owl", "omop": "https://athena.ohdsi.org/search-terms/terms"}

_NAMESPACE = uuid.UUID("6f1c1d5e-2b1a-4c57-9a43-1e0f5a3b7c11")


def to_fhir(trace: Prediction, *, patient_id: str, outcome: Sequence[str] = (), recorded: datetime | None = None,
            top: int = 5) -> dict[str, Any]:
    """A ``collection`` Bundle holding the RiskAssessment, the model's Device and the Provenance, as a JSON-ready dict.

    Parameters
    ----------
    trace : Prediction
        The prediction to state (e.g. from ``NeuroSymbolicModel.explain``).
    patient_id : str
        The subject, written ``Patient/<patient_id>``.
    outcome : sequence of str
        CURIEs of the predicted outcome (``icd10cm:E11``, ``snomed:44054006``), its codings; the text is the target.
    recorded : datetime, optional
        When the Provenance was recorded (timezone-aware); default now, in UTC.
    top : int
        How many reasons the rationale names.

    Raises
    ------
    InputError
        The trace is not a prediction, ``recorded`` has no timezone or an outcome code has no known system.
    """
    if not isinstance(trace, Prediction):
        raise InputError(f"to_fhir needs a Prediction trace (a risk to state), got a {trace.kind} node")
    recorded = recorded or datetime.now(timezone.utc)
    if recorded.tzinfo is None:
        raise InputError(f"recorded needs a timezone (FHIR instants do), got {recorded.isoformat()}")
    risk_id = _uuid("RiskAssessment", patient_id, trace.target, fmt(trace.landmark), trace.model_version or "", fmt(trace.risk))
    device_id = _uuid("Device", trace.model_version or "")
    records = _records(trace)
    risk = {"id": risk_id, **_risk_assessment(trace, patient_id, outcome, [_reference(ref, text) for ref, text in records], top)}
    device = {"resourceType": "Device", "id": device_id, "status": "active",
              "deviceName": [{"name": "neurosym", "type": "model-name"}],
              **({"version": [{"value": trace.model_version}]} if trace.model_version else {})}
    provenance = {
        "resourceType": "Provenance", "id": _uuid("Provenance", risk_id),
        "target": [{"reference": f"urn:uuid:{risk_id}"}],
        "recorded": recorded.isoformat(),
        "agent": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                                        "code": "assembler", "display": "Assembler"}]},
                   "who": {"reference": f"urn:uuid:{device_id}", "display": f"neurosym model {trace.model_version or ''}".strip()}}],
        "entity": [{"role": "derivation", "what": rule} for rule in _rules(trace)]
        + [{"role": "source", "what": _reference(ref, text)} for ref, text in records],
    }
    resources = [(risk_id, risk), (device_id, device), (provenance["id"], provenance)]
    return {"resourceType": "Bundle", "id": _uuid("Bundle", risk_id), "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{rid}", "resource": resource} for rid, resource in resources]}


def _risk_assessment(trace: Prediction, patient_id: str, outcome: Sequence[str], basis: list[dict[str, Any]],
                     top: int) -> dict[str, Any]:
    prediction: dict[str, Any] = {"outcome": {"text": trace.target, **({"coding": [_coding(c) for c in outcome]} if outcome else {})},
                                  "probabilityDecimal": float(trace.risk), "rationale": _rationale(trace, top)}
    if trace.landmark is not None and trace.horizon_days is not None:
        end = trace.landmark + timedelta(days=trace.horizon_days)
        prediction["whenPeriod"] = {"start": trace.landmark.isoformat(), "end": end.isoformat()}
    out: dict[str, Any] = {"resourceType": "RiskAssessment", "status": "final",
                           "subject": {"reference": f"Patient/{patient_id}"},
                           "method": {"text": f"neurosym model {trace.model_version or ''}".strip()}}
    if trace.landmark is not None:
        out["occurrenceDateTime"] = trace.landmark.isoformat()
    if basis:
        out["basis"] = basis
    out["prediction"] = [prediction]
    if trace.counterfactuals:
        out["mitigation"] = " or ".join(f"{'; '.join(map(change_text, cf.changes))} (risk {cf.risk:.0%})" for cf in trace.counterfactuals)
    context = calibration_text(trace)
    if context:
        out["note"] = [{"text": context}]
    return out


def _rationale(trace: Prediction, top: int) -> str:
    reasons = top_contributions(trace, top)
    if reasons:
        return "Top contributions to the logit: " + "; ".join(f"{atom} {c:+.3g}" for atom, c in reasons)
    return "Reasons: " + "; ".join(getattr(child, "atom", child.kind) for child in trace.children[:top])


def _records(trace: Node) -> list[tuple[SourceRef, str]]:
    """The structured source pointers of the trace's fact leaves, each record once, in trace order."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for leaf in trace.leaves():
        s = leaf.source if isinstance(leaf, FactLeaf) else None
        if s is None or not (s.table and (s.row is not None or s.id)):
            continue
        key = (s.dataset, s.table, s.row, s.id)
        if key not in seen:
            seen.add(key)
            out.append((s, leaf.atom))
    return out


def _reference(ref: SourceRef, display: str) -> dict[str, Any]:
    if ref.id and _is_fhir_type(ref.table):
        return {"reference": f"{ref.table}/{ref.id}", "display": display}
    where = f"row {ref.row}" if ref.row is not None else f"id {ref.id}"
    return {"identifier": {"system": "urn:neurosym:source", "value": f"{ref.dataset or 'unknown'}/{ref.table}/{where}"},
            "display": display}


def _is_fhir_type(table: str | None) -> bool:
    from fhir.resources.R4B import get_fhir_model_class

    try:
        get_fhir_model_class(table or "")
    except ValueError:
        return False
    return True


def _rules(trace: Node) -> list[dict[str, Any]]:
    """One reference per rule applied (identifier: the rule id; display: its citation)."""
    rules: dict[str, str | None] = {}
    for node in trace.walk():
        if isinstance(node, RuleApplication):
            rules.setdefault(node.rule_id, node.cite)
    return [{"identifier": {"system": "urn:neurosym:rule", "value": rule_id}, **({"display": cite} if cite else {})}
            for rule_id, cite in rules.items()]


def _coding(curie: str) -> dict[str, str]:
    system, _, code = curie.partition(":")
    if system not in CODE_SYSTEM_URIS or not code:
        raise InputError(f"outcome code {curie!r}: write system:code with a system among {', '.join(CODE_SYSTEM_URIS)}")
    return {"system": CODE_SYSTEM_URIS[system], "code": code}


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))
