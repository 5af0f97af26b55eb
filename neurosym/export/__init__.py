"""Renderers of traces for people and machines: text trees, JSON, FHIR R4 bundles and self-contained HTML reports.

>>> from neurosym.trace import Check, RuleApplication
>>> print(to_text(RuleApplication("p(1)", "r1", children=[Check("1 < 2")])))
p(1)
└─ rule r1
   └─ 1 < 2  ✓
"""

from neurosym.export._fhir import to_fhir
from neurosym.export._html import to_html, write_html
from neurosym.export._json import to_json
from neurosym.export._leaves import ResolvedRecord, resolve_leaf
from neurosym.export._text import to_text
from neurosym.export._timeline import TIMELINE_COLUMNS, patient_timeline, timeline_png

__all__ = ["TIMELINE_COLUMNS", "ResolvedRecord", "patient_timeline", "resolve_leaf", "timeline_png", "to_fhir", "to_html",
           "to_json", "to_text", "write_html"]
