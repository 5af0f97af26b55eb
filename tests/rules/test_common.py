"""rules/common.dl: exact age at the index day, adulthood, death, pregnancy."""

from __future__ import annotations

import datetime as dt

import pytest

from neurosym.facts import RULE_TOPICS, load_rule_library, rules_dir

from rulefacts import day, make_facts, values, holds


@pytest.fixture(scope="module")
def program():
    return load_rule_library(["common"])


def test_exact_age_at_the_index_day(program):
    """Issue 19 item 8: age is exact (completed years at the index day), not calendar year - birth year."""
    index = day(2024, 1, 1)
    births = {"born_jan1": day(1989, 1, 1), "born_jan2": day(1989, 1, 2), "born_dec31": day(1988, 12, 31),
              "leap": day(2000, 2, 29)}
    facts = make_facts(patient=[(p, "female", dt.date(1970, 1, 1).year + b // 365) for p, b in births.items()],
                       birth=list(births.items()), index_day=[(p, index) for p in births])
    facts["index_day"].loc[facts["index_day"]["patient"] == "leap", "day"] = day(2001, 2, 28)
    ages = dict(program.evaluate(facts).query("age_at_index").values.tolist())
    assert ages == {"born_jan1": 35, "born_jan2": 34, "born_dec31": 35, "leap": 0}


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
    assert holds(model, "alive", "alive") and not holds(model, "alive", "dead")


def test_pregnancy_at_the_index_day(program, is_a_rows):
    conds = [("z34", "icd10cm", "Z34.00", 20000 - 100), ("o24", "icd10cm", "O24.410", 20000 - 280),
             ("old", "icd10cm", "Z34.00", 20000 - 281), ("z3a", "icd10cm", "Z3A.20", 20000 - 5),
             ("other", "icd10cm", "E11.9", 20000 - 5)]
    facts = make_facts([(p, "female", 1990) for p, *_ in conds], condition=conds,
                       is_a=is_a_rows([f"{s}:{c}" for _, s, c, _ in conds]))
    assert set(program.evaluate(facts).query("pregnant")["patient"]) == {"z34", "o24", "z3a"}


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
