"""When a patient's silence becomes a missed-days alert (alerts.quiet_since): pure dates."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from recovery_coach.alerts import quiet_since

MON = date(2026, 11, 30)


def days(*offsets: int) -> list[date]:
    return [MON + timedelta(days=n) for n in offsets]


@pytest.mark.parametrize(("checkins", "today", "expected"), [
    (days(0), MON + timedelta(days=1), None),  # one day quiet so far
    (days(0), MON + timedelta(days=2), None),  # Tuesday missed; Wednesday still going
    (days(0), MON + timedelta(days=3), MON + timedelta(days=3)),  # Tuesday and Wednesday missed
    (days(0), MON + timedelta(days=4), MON + timedelta(days=3)),  # the same silence: the same key
    (days(0), MON + timedelta(days=5), MON + timedelta(days=3)),
    (days(0), MON + timedelta(days=6), None),  # long past: alerted then, not again and again
    (days(0, 3), MON + timedelta(days=3), None),  # checked in today
    ([], MON, None),  # nothing to miss
])
def test_a_silence_of_two_days_is_alerted_once_with_one_key(checkins: list[date], today: date, expected: date | None) -> None:
    assert quiet_since(checkins, today, 2) == expected


def test_the_clinic_sets_how_many_days() -> None:
    assert quiet_since(days(0), MON + timedelta(days=2), 1) == MON + timedelta(days=2)
    assert quiet_since(days(0), MON + timedelta(days=4), 3) == MON + timedelta(days=4)
