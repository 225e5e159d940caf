"""What an AMAZON.DATE value means, as plain dates. No Alexa types, no clock: `today` is handed in.

Alexa fills AMAZON.DATE with more than days: "2026-11-24", a week "2026-W48", a weekend
"2026-W48-WE", a month "2026-11", a year "2026", a season "2026-WI", a decade "202X", or
"PRESENT_REF" for "now". Said without a year, a date is the next one to come (Alexa's habit), so
a look back ("what did I log on Monday") takes the last one instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

DAY, WEEK, WEEKEND, MONTH, YEAR, SEASON, DECADE = "day", "week", "weekend", "month", "year", "season", "decade"
# Meteorological seasons, northern hemisphere (Alexa's own reading): the month each starts in.
SEASON_START = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}


@dataclass(frozen=True)
class Period:
    """A stretch of local days, both ends included."""

    kind: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def read(value: str | None, today: date) -> Period | None:
    """The period an AMAZON.DATE value names, or None when it isn't one Alexa sends."""
    value = (value or "").strip().upper()
    try:
        if value == "PRESENT_REF":
            return Period(DAY, today, today)
        if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value):
            day = date(int(m[1]), int(m[2]), int(m[3]))
            return Period(DAY, day, day)
        if m := re.fullmatch(r"(\d{4})-W(\d{2})(-WE)?", value):
            monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            if m[3]:
                return Period(WEEKEND, monday + timedelta(days=5), monday + timedelta(days=6))
            return Period(WEEK, monday, monday + timedelta(days=6))
        if m := re.fullmatch(r"(\d{4})-(\d{2})", value):
            year, month = int(m[1]), int(m[2])
            return Period(MONTH, date(year, month, 1), _month_end(year, month))
        if m := re.fullmatch(r"(\d{4})-(SP|SU|FA|WI)", value):
            year, first = int(m[1]), SEASON_START[m[2]]
            start = date(year, first, 1)
            last = first + 2
            end = _month_end(year + (last - 1) // 12, (last - 1) % 12 + 1)
            return Period(SEASON, start, end)
        if m := re.fullmatch(r"(\d{4})", value):
            year = int(m[1])
            return Period(YEAR, date(year, 1, 1), date(year, 12, 31))
        if m := re.fullmatch(r"(\d{3})X", value):
            decade = int(m[1]) * 10
            return Period(DECADE, date(decade, 1, 1), date(decade + 9, 12, 31))
    except ValueError:  # 2026-02-30, week 54, month 13
        return None
    return None


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day - timedelta(days=365)


def looking_back(period: Period, today: date) -> Period:
    """The period a person means when they look back: Alexa's next Monday is last Monday, and its
    next November 30 (or next November) is last year's, and a weekend still ahead is the one just past.
    Weeks stay as said ("next week" is ahead)."""
    if period.start <= today:
        return period
    if period.kind == DAY:
        if (period.start - today).days <= 7:
            day = period.start - timedelta(days=7)
        else:
            day = _year_earlier(period.start)
        return Period(DAY, day, day)
    if period.kind == WEEKEND:  # "over the weekend", said on a weekday: the one just past
        return Period(WEEKEND, period.start - timedelta(days=7), period.end - timedelta(days=7))
    if period.kind in (MONTH, SEASON):
        return Period(period.kind, _year_earlier(period.start), _year_earlier(period.end + timedelta(days=1)) - timedelta(days=1))
    return period


def past_day(value: str | None, today: date, within_days: int = 366) -> date | None:
    """A single past day (a procedure date): today or earlier, at most `within_days` back."""
    period = read(value, today)
    if period is None or period.kind != DAY:
        return None
    day = looking_back(period, today).start
    if day > today or (today - day).days > within_days:
        return None
    return day
