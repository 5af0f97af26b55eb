"""Date built-ins: every engine and the reference evaluator against Python's ``datetime`` on calendar boundaries."""

from __future__ import annotations

import calendar
import datetime

import pytest
from reference import evaluate, relations

from neurosym import EvaluationError, RuleError
from neurosym.logic import ENGINES, Program
from neurosym.logic._dates import add_months, civil, parse_date, years_between

EPOCH = datetime.date(1970, 1, 1)
DATES = ["1900-01-01", "1900-02-28", "1900-03-01", "1969-12-31", "1970-01-01", "1970-01-04", "1970-01-05",
         "1999-12-31", "2000-01-01", "2000-02-29", "2000-03-01", "2001-02-28", "2001-03-01", "2023-12-31",
         "2024-01-01", "2024-01-31", "2024-02-29", "2024-12-30", "0001-01-01", "9999-12-31"]
DAYS = [(datetime.date.fromisoformat(d) - EPOCH).days for d in DATES]
MODERN = DAYS[:-2]  # shifts of years 1 and 9999 leave datetime's range
SHIFTS = [-13, -12, -1, 0, 1, 11, 12, 25]

RULES = """
fields(D, Y, M, DM, DW, WS) :- day(D), Y = year(D), M = month(D), DM = day_of_month(D),
    DW = day_of_week(D), WS = week_start(D).
shifted(D, N, AM, AY) :- modern(D), shift(N), AM = add_months(D, N), AY = add_years(D, N).
age(A, B, Y) :- day(A), day(B), Y = years_between(A, B).
parsed(X) :- X = date("2024-02-29").
"""


def _day(n: int) -> datetime.date:
    return EPOCH + datetime.timedelta(days=n)


def _shift(n: int, months: int) -> int:
    d = _day(n)
    year, month = divmod(d.year * 12 + d.month - 1 + months, 12)
    day = min(d.day, calendar.monthrange(year, month + 1)[1])
    return (datetime.date(year, month + 1, day) - EPOCH).days


def _age(a: int, b: int) -> int:
    born, on = (_day(a), _day(b)) if b >= a else (_day(b), _day(a))
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return years if b >= a else -years


def _expected() -> dict[str, set[tuple]]:
    fields = {(n, _day(n).year, _day(n).month, _day(n).day, _day(n).isoweekday(), n - _day(n).weekday()) for n in DAYS}
    shifted = {(n, k, _shift(n, k), _shift(n, 12 * k)) for n in MODERN for k in SHIFTS}
    ages = {(a, b, _age(a, b)) for a in DAYS for b in DAYS}
    return {"fields": fields, "shifted": shifted, "age": ages, "parsed": {(19782,)}}


#: Spark and PostgreSQL run the datetime rules in test_spark.py / test_postgres.py.
IN_PROCESS = [engine for engine in ENGINES if engine not in ("spark", "postgres")]

FACTS = {"day": [(n,) for n in DAYS], "modern": [(n,) for n in MODERN], "shift": [(k,) for k in SHIFTS]}


@pytest.mark.parametrize("engine", IN_PROCESS)
def test_engines_match_datetime(engine):
    got = relations(Program.from_text(RULES).evaluate(FACTS, engine=engine))
    for rel, rows in _expected().items():
        assert got[rel] == rows, rel


def test_reference_matches_datetime():
    got = evaluate(Program.from_text(RULES), FACTS)
    for rel, rows in _expected().items():
        assert got[rel] == rows, rel


def test_leap_day_anniversaries_and_month_ends():
    leap = parse_date("2000-02-29")
    assert years_between(leap, parse_date("2001-02-28")) == 0
    assert years_between(leap, parse_date("2001-03-01")) == 1
    assert years_between(leap, parse_date("2004-02-29")) == 4
    assert years_between(parse_date("2001-03-01"), leap) == -1
    assert civil(add_months(parse_date("2024-01-31"), 1)) == (2024, 2, 29)
    assert civil(add_months(parse_date("1900-03-31"), -1)) == (1900, 2, 28)
    assert civil(add_months(parse_date("2000-02-29"), 12)) == (2001, 2, 28)


def test_python_forms_cover_every_integer_like_datetime():
    for n in range(-719_162, 2_932_897, 997):
        assert civil(n) == _day(n).timetuple()[:3]
    assert civil(-719529) == (-1, 12, 31)  # beyond datetime: astronomical year -1 (2 BC), as DuckDB counts it


def test_all_return_numbers():
    program = Program.from_text("a(Y, W) :- day(D), Y = year(D), W = years_between(D, D + 400).")
    model = program.evaluate({"day": [(0,)]})
    assert model.plan.types["a"] == ["number", "number"]
    assert model.query("a").values.tolist() == [[1970, 1]]


@pytest.mark.parametrize("text,message", [
    ('r(X) :- d(D), X = date("2024-02-30").', r"1:24: type error: date\(\): '2024-02-30' is not a calendar date"),
    ('r(X) :- d(D), X = date("1 Jan 2024").', r"1:24: type error: date\(\): '1 Jan 2024' is not an ISO date YYYY-MM-DD"),
    ("r(X) :- d(D), X = date(D).", r"1:24: type error: date\(\) takes an ISO date string \"YYYY-MM-DD\", got a number \(D\)"),
    ("r(X) :- d(D), X = year(D / 2).", r"1:26: type error: year\(\) takes integers .*got a float"),
    ('r(X) :- d(D), X = add_months(D, "one").', r"1:33: type error: add_months\(\) takes integers .*got a string"),
])
def test_type_errors_name_the_argument(text, message):
    with pytest.raises(RuleError, match=message):
        Program.from_text(text).evaluate({"d": [(1,)]})


def test_unknown_function_is_a_syntax_error_with_position():
    with pytest.raises(RuleError, match=r"fn\.dl:2:19: unknown function 'yaer'"):
        Program.from_text("d(1).\nr(X) :- d(D), X = yaer(D).", "fn.dl")
    with pytest.raises(RuleError, match=r"1:19: year takes 1 arguments, got 2"):
        Program.from_text("r(X) :- d(D), X = year(D, 1).")


@pytest.mark.parametrize("engine", IN_PROCESS)
def test_date_of_a_symbol_column(engine):
    program = Program.from_text("d(S, X) :- s(S), X = date(S).")
    got = program.evaluate({"s": [("2024-01-01",), ("1969-12-31",)]}, engine=engine).query("d").values.tolist()
    assert got == [["1969-12-31", -1], ["2024-01-01", 19723]]


@pytest.mark.parametrize("engine", IN_PROCESS)
def test_date_of_a_bad_symbol_is_an_error(engine):
    program = Program.from_text("d(S, X) :- s(S), X = date(S).")
    with pytest.raises(EvaluationError, match="2024-13-01"):
        program.evaluate({"s": [("2024-13-01",)]}, engine=engine)
