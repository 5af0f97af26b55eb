"""rules/lifelog.dl: wear time, WHO 2020 activity, AASM/SRS 2015 sleep, patient-level activity."""

from __future__ import annotations

import pytest

from neurosym.facts import load_rule_library

from rulefacts import INDEX, holds, make_facts, values

IW = (INDEX + 3) // 7  # the index week


def monday(week: int) -> int:
    """First (Monday) epoch day of a week."""
    return 7 * week - 3


def week_days(pid, week, worn, active, start=0):
    """One activity row per (worn, active) pair on consecutive days of ``week``."""
    return [(pid, monday(week) + start + k, 5000, a, w) for k, (w, a) in enumerate(zip(worn, active))]


@pytest.fixture(scope="module")
def program():
    return load_rule_library(["lifelog"])


@pytest.fixture(scope="module")
def model(program):
    w = IW - 2
    act, slp, pats = [], [], []

    def add(pid, worn, active, nights=(), week=w):
        pats.append((pid, "female", 1970))
        act.extend(week_days(pid, week, worn, active))
        slp.extend((pid, monday(week) + k, m) for k, m in enumerate(nights))

    add("wear_599", [600, 700, 800, 599], [60, 60, 60, 60])
    add("wear_600", [600, 700, 800, 600], [60, 60, 60, 60])
    add("days_3", [900, 900, 900], [100, 100, 100])
    add("days_4", [900, 900, 900, 900], [10, 10, 10, 10])
    add("act_149", [900] * 7, [21] * 6 + [23])
    add("act_150", [900] * 7, [21] * 6 + [24])
    # issue 19 item 7: a partial week is scaled to 7 days: 86 min on 4 worn days -> 150.5, 85 -> 148.75
    add("part_86", [900] * 4, [22, 22, 21, 21])
    add("part_85", [900] * 4, [22, 21, 21, 21])
    add("act_partial_day", [900, 900, 900, 900, 300], [30, 30, 30, 30, 30])  # minutes of a short-wear day count
    add("act_no_wear", [900, 900, 900, 300, 300], [300, 300, 300, 300, 300])
    add("sleep_419", [900] * 4, [0] * 4, nights=(418, 420, 419, 419))
    add("sleep_420", [900] * 4, [0] * 4, nights=(420, 421, 419, 420))
    add("sleep_3_nights", [900] * 4, [0] * 4, nights=(300, 300, 300))
    add("sleep_no_wear", [900] * 3, [0] * 3, nights=(300, 300, 300, 300))
    # sleep counts nights: two records of one night are summed (200 + 220 = 420), not two nights
    add("sleep_split", [900] * 4, [0] * 4, nights=(200, 430, 430, 430))
    slp.append(("sleep_split", monday(w), 220))
    add("sleep_split_3", [900] * 4, [0] * 4, nights=(200, 430, 430))
    slp.append(("sleep_split_3", monday(w), 220))
    # calendar: Sunday 1970-01-04 (day 3) and Monday 1970-01-05 (day 4) fall in different weeks
    pats.append(("cal", "male", 1970))
    act += [("cal", d, 1, 1, 600) for d in (-4, -3, 0, 3, 4)]  # valid wear days, 3 of them in one week at most
    # patient level: 13 complete weeks before the index week
    pats += [("low", "male", 1970), ("active", "male", 1970), ("one_week", "male", 1970), ("outside", "male", 1970)]
    for k, minutes in zip((IW - 1, IW - 5, IW - 13), (200, 40, 40)):  # scaled: 350, 70, 70
        act.extend(week_days("low", k, [900] * 4, [minutes // 4] * 4))
    for k, minutes in zip((IW - 1, IW - 2), (200, 40)):
        act.extend(week_days("active", k, [900] * 4, [minutes // 4] * 4))
    act.extend(week_days("one_week", IW - 3, [900] * 4, [0] * 4))
    for k in (IW, IW - 14, IW - 15):  # the index week and weeks before the 13 do not count
        act.extend(week_days("outside", k, [900] * 4, [0] * 4))
    return program.evaluate(make_facts(pats, activity=act, sleep=slp))


def test_iso_weeks(model):
    weeks = {d: wk for p, d, wk in model.query("valid_wear_day").values.tolist() if p == "cal"}
    assert weeks == {-4: -1, -3: 0, 0: 0, 3: 0, 4: 1}


@pytest.mark.parametrize("pid, sufficient", [("wear_599", False), ("wear_600", True), ("days_3", False), ("days_4", True)])
def test_sufficient_wear(model, pid, sufficient):
    assert values(model, "sufficient_wear", pid) == ({IW - 2} if sufficient else set())


@pytest.mark.parametrize("pid, meets, insufficient", [
    ("act_149", set(), {IW - 2}), ("act_150", {IW - 2}, set()), ("act_partial_day", {IW - 2}, set()),
    ("part_86", {IW - 2}, set()), ("part_85", set(), {IW - 2}),
    ("act_no_wear", set(), set()), ("wear_599", set(), set()), ("days_4", set(), {IW - 2})])
def test_activity_guideline(model, pid, meets, insufficient):
    assert values(model, "meets_activity_guideline", pid) == meets
    assert values(model, "insufficient_activity_week", pid) == insufficient


@pytest.mark.parametrize("pid, short, adequate", [
    ("sleep_419", {IW - 2}, set()), ("sleep_420", set(), {IW - 2}),
    ("sleep_3_nights", set(), set()), ("sleep_no_wear", set(), set()),
    ("sleep_split", set(), {IW - 2}), ("sleep_split_3", set(), set())])
def test_short_sleep(model, pid, short, adequate):
    assert values(model, "short_sleep", pid) == short
    assert values(model, "adequate_sleep", pid) == adequate


def test_no_conclusion_without_sufficient_wear(model):
    for rel in ("meets_activity_guideline", "insufficient_activity_week", "short_sleep", "adequate_sleep"):
        assert values(model, rel, "act_no_wear") == set()
        assert values(model, rel, "sleep_no_wear") == set()


@pytest.mark.parametrize("pid, low, active", [("low", True, False), ("active", False, True),
                                              ("one_week", False, False), ("outside", False, False)])
def test_patient_level_activity(model, pid, low, active):
    assert holds(model, "low_activity", pid) is low
    assert holds(model, "sufficiently_active", pid) is active


def test_activity_proof_cites_who(model):
    proof = model.explain(f'meets_activity_guideline("act_150", {IW - 2})')
    rules = [n for n in proof.walk() if n.kind == "rule"]
    assert rules[0].rule_id == "who.pa.meets_guideline" and "WHO" in rules[0].cite
    assert all(n.cite for n in rules)


def test_partial_week_is_scaled_to_seven_days(model):
    rows = {r[0]: r[2] for r in model.query("week_active_minutes_scaled").values.tolist()}
    assert rows["part_86"] == pytest.approx(150.5) and rows["part_85"] == pytest.approx(148.75)
    assert rows["act_partial_day"] == pytest.approx(150 * 7 / 5)  # 5 worn days, one of them short


def test_sleep_counts_nights(model):
    rows = {r[0]: r[2:] for r in model.query("week_sleep").values.tolist()}
    assert rows["sleep_split"] == [427.5, 4]
    assert "sleep_split_3" not in rows  # 4 records but only 3 nights
