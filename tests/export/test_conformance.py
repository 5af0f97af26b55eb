"""check_exporter: every renderer is deterministic, states the risk and names every reason of a prediction."""

import json
import sys
from datetime import datetime, timezone
from html import escape
from pathlib import Path

import pytest

from neurosym.export import to_fhir, to_html, to_json, to_text
from neurosym.trace import Prediction
from real_traces import as_prediction

sys.path.insert(0, str(Path(__file__).parents[1] / "trace"))
from sample_traces import every_kind, faithful_prediction  # noqa: E402

#: Renderer name -> (render a prediction to text, how that text writes a piece of trace text, how it writes the risk).
EXPORTERS = {
    "text": (to_text, str, lambda p: f"{p.risk:.3g}"),
    "json": (to_json, lambda s: json.dumps(s, ensure_ascii=False)[1:-1], lambda p: json.dumps(p.risk)),
    "html": (to_html, escape, lambda p: f"{100 * p.risk:.1f}%"),
    "fhir": (lambda p: json.dumps(to_fhir(p, patient_id="p1", recorded=datetime(2024, 1, 2, tzinfo=timezone.utc))),
             lambda s: json.dumps(s)[1:-1], lambda p: json.dumps(p.risk)),
}


def check_exporter(name: str, prediction: Prediction) -> None:
    render, quote, risk = EXPORTERS[name]
    out = render(prediction)
    assert out == render(prediction), f"{name}: output differs between two calls"
    assert risk(prediction) in out, f"{name}: risk {prediction.risk} not stated"
    for child in prediction.children:
        assert quote(child.atom) in out, f"{name}: reason {child.atom} not named"


@pytest.mark.parametrize("name", sorted(EXPORTERS))
@pytest.mark.parametrize("make", [every_kind, faithful_prediction])
def test_every_exporter_conforms(name, make):
    check_exporter(name, make())


def test_every_exporter_conforms_on_real_data(source, traces):
    for _, trace in traces[:4]:
        prediction = as_prediction(trace)
        for name in EXPORTERS:
            check_exporter(name, prediction)
