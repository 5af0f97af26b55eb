"""One trace in the format ``neurosym explain --format`` asks for."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from neurosym.data import Cohort
    from neurosym.trace import Prediction

__all__ = ["render_trace"]


def render_trace(trace: "Prediction", fmt: str, *, cohort: "Cohort", patient_id: str, landmark: str,
                 outcome: tuple[str, ...] = ()) -> str:
    """``trace`` as terminal text, a self-contained HTML report, trace JSON or a FHIR R4 bundle (JSON)."""
    from neurosym import export

    if fmt == "text":
        return export.to_text(trace)
    if fmt == "json":
        return export.to_json(trace)
    if fmt == "fhir":
        return json.dumps(export.to_fhir(trace, patient_id=patient_id, outcome=outcome), indent=2)
    timeline = export.patient_timeline(cohort, patient_id, landmark)
    return export.to_html(trace, timeline=timeline)
