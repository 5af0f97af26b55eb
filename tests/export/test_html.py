"""The clinician HTML report: self-contained, escaped, every section present; rendered in headless Chromium."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from neurosym.data import synthetic_cohort
from neurosym.export import patient_timeline, to_html, write_html
from neurosym.trace import Check, FactLeaf, Prediction, RuleApplication, SourceRef
from browser import chromium, console_messages, render
from real_traces import as_prediction

sys.path.insert(0, str(Path(__file__).parents[1] / "trace"))
from sample_traces import every_kind, faithful_prediction  # noqa: E402

HOSTILE = '<img src=x onerror="console.error(1)"><script>console.error(2)</script>'


@pytest.fixture(scope="module")
def timeline():
    return patient_timeline(synthetic_cohort(5, seed=0), "S000001", "2024-01-01")


def hostile_prediction() -> Prediction:
    """The sample prediction with markup in a rule's doc, a fact's atom and a source text."""
    p = faithful_prediction()
    p.children[0].doc = HOSTILE
    p.children[0].children.append(FactLeaf(f"note(p1, {HOSTILE})", "note", ["p1"], source=SourceRef(text=HOSTILE)))
    return p


def test_report_has_every_section_and_no_network(timeline):
    page = to_html(faithful_prediction(), timeline=timeline)
    assert page.startswith("<!DOCTYPE html>") and page.count("<script>") == 1
    assert not re.search(r"(src|href)=\"(?!data:)", page) and "http" not in page
    for text in ("Risk of type 2 diabetes", '<div class="risk high" id="risk">31.0%</div>', "within 1095 days of 2024-01-01",
                 "above the high-risk threshold 25%; percentile 62 of predicted risk",
                 "logit -0.8 = bias -2 + residual +0.1 + reasons +1.1 (residual share 8%)",
                 '<td class="atom">prediabetes(p1)</td><td class="num pos">+0.800</td>',
                 '<span class="tag">rule ada.prediabetes</span>', "ADA Standards of Care 2025, 2.1",
                 "omop/measurement row 3 id m-17: 43 mmol/mol", "ontology path icd10cm:E11.65 -&gt; icd10cm:E11",
                 "model LifelogEncoder@1 window 2023-07-01 to 2023-12-31", "<td>steps 2023-W40</td>",
                 'src="data:image/png;base64,', "walk 2,000 more steps a day; BMI 31.2 → 29 kg/m2</td><td class=\"num\">18.0%",
                 "Why not dm(p1)?", "fails at <code>V &gt;= 6.5</code>"):
        assert text in page, text


def test_all_text_is_escaped():
    page = to_html(hostile_prediction(), title="<b>title</b>")
    assert "<img src=x" not in page and "<script>console" not in page and "<b>title" not in page
    assert page.count("&lt;img src=x onerror=&quot;console.error(1)&quot;&gt;") == 3


def test_proof_trees_fold_and_mark_shared_subproofs():
    page = to_html(every_kind(), max_depth=1)
    assert "(shown above)" not in page  # fold keeps each sibling once
    assert "subproof elided (rules bmi.latest)" in page
    tree = RuleApplication("p(1)", "r", children=[Check("1 < 2")])
    shared = RuleApplication("q(1)", "s", children=[tree])
    page = to_html(RuleApplication("top(1)", "t", children=[shared, RuleApplication("u(1)", "v", children=[shared])]))
    assert page.count("(shown above)") == 1 and page.startswith("<!DOCTYPE html>")


def test_write_html(tmp_path):
    path = write_html(faithful_prediction(), tmp_path / "report.html", title="Report")
    assert path.read_text(encoding="utf-8") == to_html(faithful_prediction(), title="Report")


def test_reports_of_real_data(source, traces):
    for patient, trace in traces[:3]:
        prediction = as_prediction(trace)
        timeline = patient_timeline(source.cohort, patient, prediction.landmark)
        assert timeline["date"].max() < np.datetime64(prediction.landmark)
        page = to_html(prediction, timeline=timeline, max_depth=4)
        assert trace.atom.replace('"', "&quot;") in page and page.count("<script>") == 1


# ---------------------------------------------------------------- a real browser
def test_the_console_check_sees_errors(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>console.error('seen'); undefinedFunction();</script></body></html>")
    messages = console_messages(chromium(tmp_path, "--dump-dom", page.as_uri()))
    assert any('"seen"' in m for m in messages) and any("undefinedFunction is not defined" in m for m in messages)


def test_report_in_headless_chromium(tmp_path, timeline):
    path = write_html(hostile_prediction(), tmp_path / "report.html", timeline=timeline)
    dom, image = render(path, tmp_path)
    assert '<body data-ready="1">' in dom  # the inline script ran to its end
    assert len(re.findall(r"<script\b", dom)) == 1 and len(re.findall(r"<img\b", dom)) == 1  # no injected elements
    for text in ("Risk of type 2 diabetes", "31.0%", "prediabetes(p1)", "walk 2,000 more steps a day", "Why not dm(p1)?",
                 "&lt;script&gt;console.error(2)&lt;/script&gt;"):
        assert text in dom, text
    assert image.shape == (1600, 1200, 3)
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 50  # text, bars and the timeline, not a blank page


def test_why_not_several_levels_deep_nests_lists():
    from neurosym.logic import Program

    model = Program.from_text('@id("a") a(X) :- b(X), c(X).\n@id("b") b(X) :- d(X), X > 3.').evaluate({"c": [(1,)], "d": [(1,)]})
    page = to_html(model.why_not("a(1)", depth=2))
    assert ('<li><code>b(1)</code> does not hold:<ul class="why-not"><li>rule <code>b</code>: this condition fails for every '
            'binding so far<ul><li>fails at <code>X &gt; 3</code></li>') in page
