"""Date built-ins of the rule language, on integer epoch days (1970-01-01 = day 0).

Days are plain integers in rules and facts; these functions read the
proleptic Gregorian calendar (astronomical years: year 0 is 1 BC) without
any date type, so they are exact for every integer.  The SQL forms live in
:mod:`neurosym.logic._sql`; this module is the Python form (pyDatalog engine)
and the argument signatures the type checker uses.

* ``year(D)``, ``month(D)``, ``day_of_month(D)``: calendar fields of day ``D``;
* ``day_of_week(D)``: ISO weekday, Monday = 1 .. Sunday = 7;
* ``week_start(D)``: the epoch day of the Monday of ``D``'s week;
* ``date("YYYY-MM-DD")``: the epoch day of an ISO date;
* ``add_months(D, N)``, ``add_years(D, N)``: the same day ``N`` months or
  years later (earlier when ``N < 0``), clamped to the month's last day
  (31 January + 1 month = 28 or 29 February);
* ``years_between(D1, D2)``: whole years from ``D1`` to ``D2`` as an age is
  counted (the years whose anniversary of ``D1`` has been reached on ``D2``;
  a 29 February anniversary is reached on 1 March in common years),
  negative when ``D2`` is before ``D1``.

Examples
--------
>>> civil(19723), day_of_week(19723), parse_date("2024-01-01")
((2024, 1, 1), 1, 19723)
>>> civil(add_months(parse_date("2024-01-31"), 1)), years_between(parse_date("2000-02-29"), parse_date("2001-02-28"))
((2024, 2, 29), 0)
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["DATE_FUNCTIONS", "SIGNATURES", "add_months", "civil", "day_of_week", "days_from_civil", "parse_date",
           "week_start", "years_between"]

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def days_from_civil(year: int, month: int, day: int) -> int:
    """Epoch day of a proleptic Gregorian date (H. Hinnant's ``days_from_civil``)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil(days: int) -> tuple[int, int, int]:
    """``(year, month, day)`` of an epoch day (H. Hinnant's ``civil_from_days``)."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


def _month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse_date(text: str) -> int:
    """Epoch day of an ISO date ``YYYY-MM-DD``; ``ValueError`` for anything else."""
    match = _ISO.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an ISO date YYYY-MM-DD")
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12 or not 1 <= day <= _month_length(year, month):
        raise ValueError(f"{text!r} is not a calendar date")
    return days_from_civil(year, month, day)


def day_of_week(days: int) -> int:
    """ISO weekday: Monday = 1 .. Sunday = 7 (day 0, 1970-01-01, was a Thursday)."""
    return (days + 3) % 7 + 1


def week_start(days: int) -> int:
    """Epoch day of the Monday of the day's ISO week."""
    return days - (days + 3) % 7


def add_months(days: int, months: int) -> int:
    """The same day ``months`` later, clamped to the last day of a shorter month."""
    year, month, day = civil(days)
    y, m = divmod(year * 12 + month - 1 + months, 12)
    return days_from_civil(y, m + 1, min(day, _month_length(y, m + 1)))


def years_between(start: int, end: int) -> int:
    """Whole years from ``start`` to ``end`` as ages count them; negative when ``end`` is earlier."""
    (y1, m1, d1), (y2, m2, d2) = civil(start), civil(end)
    diff = (y2 * 10000 + m2 * 100 + d2) - (y1 * 10000 + m1 * 100 + d1)
    return diff // 10000 if diff >= 0 else -(-diff // 10000)


#: Python form of each date built-in.
DATE_FUNCTIONS: dict[str, Callable[..., int]] = {
    "year": lambda d: civil(d)[0],
    "month": lambda d: civil(d)[1],
    "day_of_month": lambda d: civil(d)[2],
    "day_of_week": day_of_week,
    "week_start": week_start,
    "date": parse_date,
    "add_months": add_months,
    "add_years": lambda d, n: add_months(d, 12 * n),
    "years_between": years_between,
}

#: Argument types of each date built-in (all return ``number``).
SIGNATURES: dict[str, tuple[str, ...]] = {
    "year": ("number",), "month": ("number",), "day_of_month": ("number",), "day_of_week": ("number",),
    "week_start": ("number",), "date": ("symbol",), "add_months": ("number", "number"),
    "add_years": ("number", "number"), "years_between": ("number", "number"),
}
