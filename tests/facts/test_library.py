"""The clinical rule library loader (neurosym/facts/_library.py)."""

import pytest

from neurosym import UnknownIdError
from neurosym.facts import RULE_TOPICS, library_files, load_rule_library, required_ancestors, rules_dir
from neurosym.logic import Program


def test_a_topic_brings_the_topics_it_needs_first():
    assert [p.stem for p in library_files("risk")] == ["common", "medications", "glycemic", "cardiometabolic", "lifelog",
                                                       "risk"]
    assert [p.stem for p in library_files(["kidney", "glycemic"])] == ["common", "kidney", "medications", "glycemic"]
    assert {p.stem for p in library_files()} == set(RULE_TOPICS)
    assert all(p.parent == rules_dir() for p in library_files())


def test_an_unknown_topic_names_the_choices():
    message = r"unknown rule topic 'kidneys'; choose from common, .* \(did you mean 'kidney'\?\)"
    with pytest.raises(UnknownIdError, match=message):
        library_files(["kidneys"])


def test_load_rule_library_parses_the_files():
    program = load_rule_library("kidney")
    assert {r.path.rsplit("/", 1)[1] for r in program.rules} == {"common.dl", "kidney.dl"}
    assert len(load_rule_library().rules) == 229


def test_required_ancestors_reads_is_a_constants_in_negations_and_aggregates():
    program = Program.from_text('''
        a(P) :- c(P, S, C), is_a(S, C, icd10cm, "E08-E13").
        b(P) :- c(P, _, _), not is_a2(P).
        is_a2(P) :- c(P, S, C), not is_a(S, C, neurosym, "Prediabetes").
        n(P, N) :- c(P, _, _), N = count : { c(P, S, C), is_a(S, C, doid, "9352") }.
    ''')
    assert required_ancestors(program) == ["doid:9352", "icd10cm:E08-E13", "neurosym:Prediabetes"]
