"""rules/common.dl: calendar year of an epoch day, age at the index day, adulthood, death."""

from __future__ import annotations

import datetime as dt

import pytest

from neurosym.facts import RULE_TOPICS, load_rule_library, rules_dir

from rulefacts import day, make_facts, values, holds


@pytest.fixture(scope="module")
def program():
    return load_rule_library(["common"])


def test_calendar_year_matches_the_gregorian_calendar(program):
    days = list(range(-800, 800)) + [day(y, m, d) for y in (1900, 1999, 2000, 2023, 2024, 2100) for m, d in ((1, 1), (2, 28), (2, 29) if y % 4 == 0 and (y % 100 or y % 400 == 0) else (3, 1), (12, 31))]
    facts = make_facts(index_day=[(f"p{d}", d) for d in days])
    years = dict(program.evaluate(facts).query("calendar_year").values.tolist())
    for d in days:
        assert years[d] == (dt.date(1970, 1, 1) + dt.timedelta(days=d)).year, d


def test_age_adult_and_deceased(program):
    facts = make_facts(
        patient=[("adult", "female", 2006), ("minor", "male", 2007), ("dead", "male", 1950), ("alive", "male", 1950)],
        index_day=[("adult", day(2024, 1, 1)), ("minor", day(2024, 12, 31)), ("dead", 20000), ("alive", 20000)],
        death=[("dead", 19999), ("alive", 20001)])
    model = program.evaluate(facts)
    assert values(model, "age_at_index", "adult") == {18}
    assert values(model, "age_at_index", "minor") == {17}
    assert holds(model, "adult", "adult") and not holds(model, "adult", "minor")
    assert holds(model, "deceased", "dead") and not holds(model, "deceased", "alive")


def test_library_directory_and_topics():
    directory = rules_dir()
    assert {p.stem for p in directory.glob("*.dl")} == set(RULE_TOPICS)
    assert (directory / "README.md").is_file()
    names = {r.head.rel for r in load_rule_library(["risk"]).rules}
    assert {"at_risk_t2d", "glycemic_status", "bmi_class", "low_activity", "current_drug", "adult"} <= names


def test_every_rule_of_the_library_is_annotated(library):
    ids = [r.id for r in library.rules]
    assert len(ids) == len(set(ids))
    for rule in library.rules:
        assert rule.id and "." in rule.id and ":" not in rule.id, rule.id
        assert rule.cite and rule.doc, rule.id


def test_unknown_topic_is_an_error():
    from neurosym import NeurosymError

    with pytest.raises(NeurosymError, match="unknown rule topic 'kidneys'"):
        load_rule_library(["kidneys"])
