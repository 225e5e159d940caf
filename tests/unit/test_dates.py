"""AMAZON.DATE values as periods, looking back, and the one-clock rule."""
from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from recovery_coach import dates
from recovery_coach.resolver import normalize, spoken_date, spoken_number

PACKAGE = Path(__file__).resolve().parents[2] / "lambda" / "recovery_coach"
TUESDAY = date(2026, 12, 1)

pytestmark = pytest.mark.dates  # the whole module is about dates


@pytest.mark.parametrize("value,kind,start,end", [
    ("2026-11-24", "day", date(2026, 11, 24), date(2026, 11, 24)),
    ("2026-W48", "week", date(2026, 11, 23), date(2026, 11, 29)),
    ("2026-W48-WE", "weekend", date(2026, 11, 28), date(2026, 11, 29)),
    ("2026-11", "month", date(2026, 11, 1), date(2026, 11, 30)),
    ("2028-02", "month", date(2028, 2, 1), date(2028, 2, 29)),
    ("2026-12", "month", date(2026, 12, 1), date(2026, 12, 31)),
    ("2026", "year", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-WI", "season", date(2026, 12, 1), date(2027, 2, 28)),
    ("2026-SU", "season", date(2026, 6, 1), date(2026, 8, 31)),
    ("202X", "decade", date(2020, 1, 1), date(2029, 12, 31)),
    ("PRESENT_REF", "day", TUESDAY, TUESDAY),
])
def test_every_format_alexa_sends(value: str, kind: str, start: date, end: date) -> None:
    assert dates.read(value, TUESDAY) == dates.Period(kind, start, end)


@pytest.mark.parametrize("value", ["", "banana", "on monday", "2026-02-30", "2026-W54", "2026-13", "XXXX-11-24"])
def test_what_is_not_a_date_is_none(value: str) -> None:
    assert dates.read(value, TUESDAY) is None


def test_looking_back_takes_the_last_one_where_alexa_took_the_next() -> None:
    monday_ahead = dates.read("2026-12-07", TUESDAY)  # "monday", as Alexa resolves it
    assert monday_ahead is not None
    assert dates.looking_back(monday_ahead, TUESDAY).start == date(2026, 11, 30)
    nov_30_ahead = dates.read("2027-11-30", TUESDAY)  # "November thirtieth"
    assert nov_30_ahead is not None
    assert dates.looking_back(nov_30_ahead, TUESDAY).start == date(2026, 11, 30)
    november_ahead = dates.read("2027-11", TUESDAY)
    assert november_ahead is not None
    assert dates.looking_back(november_ahead, TUESDAY) == dates.Period("month", date(2026, 11, 1), date(2026, 11, 30))
    next_week = dates.read("2026-W50", TUESDAY)
    assert next_week is not None
    assert dates.looking_back(next_week, TUESDAY) == next_week  # said ahead, stays ahead
    weekend_ahead = dates.read("2026-W49-WE", TUESDAY)  # "over the weekend", said on Tuesday 1 December
    assert weekend_ahead is not None
    assert dates.looking_back(weekend_ahead, TUESDAY) == dates.Period("weekend", date(2026, 11, 28), date(2026, 11, 29))
    last_weekend = dates.read("2026-W48-WE", TUESDAY)
    assert last_weekend is not None and dates.looking_back(last_weekend, TUESDAY) == last_weekend


def test_a_past_day_for_a_procedure() -> None:
    assert dates.past_day("2027-02-27", date(2028, 2, 29)) is None  # more than a year back
    assert dates.past_day("2028-02-29", date(2028, 3, 1)) == date(2028, 2, 29)
    assert dates.past_day("2026-W48", TUESDAY) is None  # a week is not a day


@pytest.mark.parametrize("words,value", [
    ("today", "2026-12-01"), ("yesterday", "2026-11-30"), ("on monday", "2026-12-07"), ("last monday", "2026-11-30"),
    ("this week", "2026-W49"), ("last week", "2026-W48"), ("last weekend", "2026-W48-WE"),
    ("in november", "2027-11"), ("this month", "2026-12"), ("now", "PRESENT_REF"), ("three days ago", "2026-11-28"),
    ("november thirtieth", "2027-11-30"), ("the thirtieth of november twenty twenty five", "2025-11-30"),
    ("this winter", "2026-WI"), ("the eighties", "198X"), ("banana", None),
])
def test_the_resolver_fills_amazon_date_as_alexa_does(words: str, value: str | None) -> None:
    assert spoken_date(words, TUESDAY) == value


def test_the_first_week_of_a_year_and_new_years_eve() -> None:
    assert spoken_date("this week", date(2027, 1, 1)) == "2026-W53"  # ISO weeks: Jan 1 2027 is in 2026's week 53
    assert spoken_date("tomorrow", date(2027, 12, 31)) == "2028-01-01"


def test_a_typed_minus_sign_is_a_negative_number() -> None:
    assert spoken_number(normalize("log my pain as -2").split()[-1]) == "-2"
    # Whole numbers as Alexa's AMAZON.NUMBER hears them; fractions are not whole numbers.
    assert [spoken_number(w) for w in ("a hundred", "nine hundred", "minus five", "a one", "two thousand and five",
                                       "seven and a half", "four point five", "banana", "a billion")] == [
        "100", "900", "-5", "1", "2005", "?", "?", "?", "1000000000"]
    assert normalize("check-in") == "check in"


FORBIDDEN = {("time", "time"), ("time", "time_ns"), ("date", "today"), ("datetime", "now"), ("datetime", "utcnow"),
             ("datetime", "today"), ("time", "localtime"), ("time", "gmtime")}


def test_skill_code_reads_the_wall_clock_only_through_the_injected_clock() -> None:
    """One clock: recovery_coach/clock.py is the only place that reads it; everything else is handed it."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "clock.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if (node.value.id, node.attr) in FORBIDDEN:
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value.id}.{node.attr}")
    assert found == []
