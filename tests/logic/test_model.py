"""Model: query, explain (proof trees with rules, citations, bindings, sources), why_not."""

import json
from pathlib import Path

import pandas as pd
import pytest

from neurosym import EvaluationError
from neurosym.logic import Program

GOLDEN = Path(__file__).parent / "golden"

RULES = """
@id("ada.a1c") @cite("ADA Standards of Care 2025, 2.1") @doc("HbA1c >= 6.5 % is diagnostic")
dm(P) :- lab(P, "4548-4", V, _), V >= 6.5.
@id("ada.dx") @cite("ADA Standards of Care 2025, 2.1")
dm(P) :- condition(P, icd10cm, C, _), is_a(icd10cm, C, icd10cm, "E08-E13").
@id("risk.nodm") @cite("local")
no_dm(P) :- patient(P), not dm(P).
"""


@pytest.fixture
def model():
    facts = {
        "lab": pd.DataFrame({"p": ["a", "b"], "l": ["4548-4", "4548-4"], "v": [7.1, 5.2], "d": [19000, 19010],
                             "_source": ["labs.csv row 1", "labs.csv row 2"]}),
        "condition": [("c", "icd10cm", "E11.65", 18000)],
        "is_a": pd.DataFrame({"s": ["icd10cm"], "c": ["E11.65"], "as": ["icd10cm"], "ac": ["E08-E13"],
                              "_source": ["icd10cm:E11.65 -> icd10cm:E11 -> icd10cm:E08-E13"]}),
        "patient": [("a",), ("b",), ("c",)],
    }
    return Program.from_text(RULES, "dm.dl").evaluate(facts)


def test_query_and_provenance_columns(model):
    frame = model.query("dm", provenance=True)
    assert frame.to_dict("list") == {"P": ["a", "c"], "_rule": ["ada.a1c", "ada.dx"], "_height": [1, 1]}
    assert model.query("lab").columns.tolist() == ["p", "l", "v", "d"]
    assert 'dm("a")' in model and 'dm("b")' not in model


def test_explain_golden_text(model):
    text = model.explain('dm("a")').render_text() + "\n\n" + model.explain("dm(c)").render_text() + "\n"
    golden = GOLDEN / "explain_dm.txt"
    assert text == golden.read_text(encoding="utf-8")


def test_explain_json_has_rule_citation_bindings_and_sources(model):
    from neurosym.trace import validate

    doc = json.loads(model.explain("dm(c)").to_json())
    validate(doc)
    nodes = {n["id"]: n for n in doc["nodes"]}
    root = nodes[doc["root"]]
    assert root["rule_id"] == "ada.dx" and root["cite"] == "ADA Standards of Care 2025, 2.1"
    assert root["bindings"] == {"C": "E11.65", "P": "c"}
    leaf = nodes[root["children"][1]]
    assert leaf["kind"] == "fact" and leaf["source"] == {"text": "icd10cm:E11.65 -> icd10cm:E11 -> icd10cm:E08-E13"}
    assert leaf["values"] == ["icd10cm", "E11.65", "icd10cm", "E08-E13"]


def test_explain_negation_and_variables_in_the_atom(model):
    proof = model.explain("no_dm(X)")
    assert proof.atom == "no_dm(b)" and [c.kind for c in proof.children] == ["fact", "negation"]
    assert proof.children[1].atom == "dm(b)"


def test_explain_unknown_fact_points_to_why_not(model):
    with pytest.raises(EvaluationError, match="why_not"):
        model.explain('dm("b")')


def test_why_not_names_the_failing_literal(model):
    why = model.why_not('dm("b")')
    assert not why.holds
    a1c = next(a for a in why.attempts if a.rule_id == "ada.a1c")
    assert a1c.failed_literal == "V >= 6.5" and a1c.partial_bindings == [{"P": "b", "V": 5.2}]
    dx = next(a for a in why.attempts if a.rule_id == "ada.dx")
    assert dx.failed_literal == "condition(P, icd10cm, C, _)"
    assert "fails at: V >= 6.5" in why.render_text()
    assert model.why_not('dm("a")').holds
    assert "input relation" in model.why_not('lab("z", "x", 1.0, 1)').note


def test_explain_depth_limit_elides_structure_but_keeps_every_leaf():
    model = Program.from_text("p(X, Y) :- e(X, Y). p(X, Z) :- p(X, Y), e(Y, Z).").evaluate(
        {"e": [(i, i + 1) for i in range(10)]})
    proof = model.explain("p(0, 10)", max_depth=3)
    kinds = [n.kind for n in proof.walk()]
    assert kinds.count("elided") == 1 and kinds.count("rule") == 4  # the root and 3 levels below it
    full = model.explain("p(0, 10)", max_depth=None)
    assert [leaf.atom for leaf in full.leaves()] == [f"e({i}, {i + 1})" for i in range(10)]
    assert sorted(leaf.atom for leaf in proof.leaves()) == sorted(leaf.atom for leaf in full.leaves())


def test_explain_uses_cohort_source_pointers_and_iso_dates():
    from datetime import date

    from neurosym.data import synthetic_cohort

    facts = synthetic_cohort(30, seed=3).to_facts()
    model = Program.from_text('high(P, V, D) :- lab(P, "4548-4", V, D), V >= 5.0.').evaluate(facts)
    patient = model.query("high").iloc[0, 0]
    proof = model.explain(f'high("{patient}", V, D)')
    leaf = proof.children[0]
    assert leaf.source.dataset == "synthetic(seed=3)" and leaf.source.table == "labs"
    assert isinstance(leaf.source.row, int) and leaf.source.value == leaf.values[2] and leaf.source.unit == "%"
    assert isinstance(leaf.values[3], date) and isinstance(proof.bindings["D"], date)
    assert proof.atom.endswith(f", {leaf.values[3].isoformat()})") and leaf.values[3].isoformat() in proof.render_text()


def test_explain_is_deterministic_and_shares_subproofs():
    rules = "p(X) :- e(X, Y), q(Y). r(X) :- p(X), s(X). s(X) :- p(X). q(Y) :- f(Y)."
    facts = {"e": [(1, 3), (1, 2), (1, 4)], "f": [(4,), (3,), (2,)]}
    texts = {Program.from_text(rules).evaluate(facts).explain("r(1)").render_text() for _ in range(3)}
    assert texts == {"r(1)\n└─ rule <text>:1:24  {X=1}\n   ├─ p(1)\n   │  └─ rule <text>:1:1  {X=1, Y=2}\n"
                     "   │     ├─ e(1, 2)\n   │     └─ q(2)\n   │        └─ rule <text>:1:58  {Y=2}\n   │           └─ f(2)\n"
                     "   └─ s(1)\n      └─ rule <text>:1:44  {X=1}\n         └─ p(1)  (shown above)"}
    proof = Program.from_text(rules).evaluate(facts).explain("r(1)")
    p_node = proof.children[0]
    assert proof.children[1].children[0] is p_node and [n.atom for n in proof.walk()].count("p(1)") == 1


def test_why_not_is_a_trace_node(model):
    from neurosym.trace import validate

    doc = json.loads(model.why_not('dm("b")').to_json())
    validate(doc)
    assert [n["kind"] for n in doc["nodes"]] == ["why_not", "attempt", "attempt"]


def test_write_csv_dir(tmp_path, model):
    model.write_csv_dir(tmp_path)
    assert (tmp_path / "dm.csv").read_text() == "a\nc\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dm.csv", "no_dm.csv"]


def test_helper_annotation_folds_in_traces():
    from neurosym import RuleSyntaxError
    from neurosym.logic import parse

    module = parse('@helper @id("h") h(X) :- q(X). @id("p") p(X) :- h(X).')
    assert [r.helper for r in module.rules] == [True, False]
    with pytest.raises(RuleSyntaxError, match=r"x.dl:1:9: @helper given twice"):
        parse("@helper @helper h(X) :- q(X).", "x.dl")
    proof = Program.from_text('@helper @id("h") h(X) :- q(X), X > 0. @id("p") p(X) :- h(X).').evaluate({"q": [(1,)]}).explain("p(1)")
    assert proof.render_text() == "p(1)\n└─ rule p  {X=1}\n   └─ q(1)"
    assert proof.render_text(unfold_helpers=True) == "p(1)\n└─ rule p  {X=1}\n   └─ h(1)\n      └─ rule h  {X=1}\n         ├─ q(1)\n         └─ 1 > 0  ✓"
