"""Text and JSON renderers: golden files for a prediction trace, a clinical explanation and a why-not report."""

import json
import sys
from pathlib import Path

import pytest

from neurosym.export import to_json, to_text
from neurosym.logic import Program
from neurosym.trace import validate

sys.path.insert(0, str(Path(__file__).parents[1] / "trace"))
from sample_traces import every_kind, faithful_prediction  # noqa: E402

GOLDEN = Path(__file__).parent / "golden"

RULES = """
.decl hba1c(patient: symbol, value: float, day: number)
@id("cal.year") @cite("ISO 8601") @helper
lab_year(P, D, Y) :- lab(P, "4548-4", _, D), Y = year(D).
@id("ada.a1c") @cite("ADA Standards of Care 2025, 2.1") @doc("HbA1c >= 6.5 %")
hba1c(P, V, D) :- lab(P, "4548-4", V, D), index_day(P, I), D <= I, lab_year(P, D, Y), Y >= 2020.
@id("ada.dm") @cite("ADA Standards of Care 2025, 2.1")
dm(P) :- hba1c(P, V, D), V >= 6.5, not excluded(P).
"""


@pytest.fixture
def model():
    import pandas as pd

    facts = {"lab": pd.DataFrame({"patient": ["a", "a", "b"], "loinc": ["4548-4"] * 3, "value": [7.1, 6.9, 5.2],
                                  "day": [19374, 19000, 19374], "_source": ["labs.csv row 1", "labs.csv row 2", "labs.csv row 3"]}),
             "index_day": pd.DataFrame({"patient": ["a", "b"], "day": [19723, 19723]}),
             "excluded": [("z",)]}
    return Program.from_text(RULES, "dm.dl").evaluate(facts)


def check(name: str, text: str) -> None:
    assert text == (GOLDEN / name).read_text(encoding="utf-8")


def test_prediction_trace_golden():
    check("prediction.txt", to_text(every_kind()) + "\n")


def test_prediction_with_contributions_counterfactuals_and_why_not_golden():
    check("prediction_faithful.txt", to_text(faithful_prediction()) + "\n")


def test_explanation_golden_folds_helpers_and_shows_iso_dates(model):
    proof = model.explain('dm("a")')
    check("explain_dm.txt", to_text(proof) + "\n\n" + to_text(proof, unfold_helpers=True) + "\n")
    assert proof.render_text() == to_text(proof)


def test_depth_limit_keeps_the_decisive_lab_value(model):
    text = to_text(model.explain('dm("a")'), max_depth=0)
    assert text.splitlines() == [
        "dm(a)",
        "└─ rule ada.dm — ADA Standards of Care 2025, 2.1  {D=2022-01-08, P=a, V=6.9}",
        "   ├─ hba1c(a, 6.9, 2022-01-08)  … subproof elided (rules ada.a1c, cal.year)",
        '   │  ├─ lab(a, "4548-4", 6.9, 2022-01-08)  ⟵ labs.csv row 2',
        "   │  └─ index_day(a, 2024-01-01)",
        "   ├─ 6.9 >= 6.5  ✓",
        "   └─ not excluded(a)  ✓ absent",
    ]


def test_why_not_golden(model):
    check("why_not_dm.txt", to_text(model.why_not('dm("b")')) + "\n")


def test_json_golden_and_valid(model):
    text = to_json(model.explain('dm("a")'))
    validate(json.loads(text))
    check("explain_dm.json", text + "\n")


def test_why_not_several_levels_deep():
    model = Program.from_text('@id("a") a(X) :- b(X), c(X).\n@id("b") b(X) :- d(X), X > 3.').evaluate({"c": [(1,)], "d": [(1,)]})
    assert to_text(model.why_not("a(1)", depth=2)).splitlines() == [
        "a(1) does not hold", "- rule a: no b fact matches", "    fails at: b(X)", "    closest: {X=1}",
        "    b(1) does not hold", "    - rule b: this condition fails for every binding so far", "        fails at: X > 3",
        "        closest: {X=1}"]
