"""Renderers of traces for people and machines: text trees and JSON (HTML and FHIR to come).

>>> from neurosym.trace import Check, RuleApplication
>>> print(to_text(RuleApplication("p(1)", "r1", children=[Check("1 < 2")])))
p(1)
└─ rule r1
   └─ 1 < 2  ✓
"""

from neurosym.export._json import to_json
from neurosym.export._text import to_text

__all__ = ["to_json", "to_text"]
