"""Days, weeks, weekends and months, as a patient says them, answered for the right days at any hour."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from recovery_coach import cli, skill
from recovery_coach.handlers.base import user_key
from recovery_coach.services import Services
from recovery_coach.store.sqlite import SqliteStore
from tests.conftest import NOW, TODAY, Clock, install
from tests.functional.test_checkins import log_on, stored
from tests.support import Alexa

pytestmark = pytest.mark.dates  # the whole module is about dates


def ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def spoken(day: date) -> str:
    return f"{day:%B} {day.day}"


@pytest.mark.parametrize("said", ["what did I log on {weekday}", "what did I log {weekday}", "how was my pain on {weekday}",
                                  "what did I log on {month} {day}"])
def test_a_named_day_is_that_day_not_today(services: Services, clock: Clock, said: str) -> None:
    alexa = Alexa()
    day = ago(3)
    log_on(alexa, clock, day, 6)
    log_on(alexa, clock, TODAY, 2)
    alexa.new_session()
    words = said.format(weekday=f"{day:%A}".lower(), month=f"{day:%B}".lower(), day=day.day)
    reply = alexa.say(words)
    assert "you logged 6" in reply and "logged 2" not in reply


def test_today_and_now_are_today(services: Services, clock: Clock) -> None:
    alexa = Alexa()
    alexa.say("log my pain as four")
    assert alexa.say("what did I log today").speech.startswith("Today, you logged 4")
    assert alexa.intent("ReviewDayIntent", day="PRESENT_REF").speech.startswith("Today, you logged 4")


def test_last_week_is_a_summary_of_those_days(services: Services, clock: Clock) -> None:
    alexa = Alexa()
    monday = TODAY - timedelta(days=TODAY.weekday() + 7)  # last week's Monday
    for n, score in [(0, 6), (2, 4), (6, 2)]:
        log_on(alexa, clock, monday + timedelta(days=n), score)
    log_on(alexa, clock, TODAY, 9)  # this week: not part of it
    alexa.new_session()
    reply = alexa.say("how was my pain last week")
    assert reply.speech.startswith(f"From {spoken(monday)} to {spoken(monday + timedelta(days=6))}, you checked in on 3 days.")
    assert "Your average was 4." in reply and "at 9" not in reply.speech  # (6 + 4 + 2) / 3; not this week's 9
    assert "You missed 4 days." in reply  # Tuesday, Thursday, Friday, Saturday


def test_last_weekend_is_its_two_days(services: Services, clock: Clock) -> None:
    alexa = Alexa()
    saturday = TODAY - timedelta(days=TODAY.weekday() + 2)
    log_on(alexa, clock, saturday, 5)
    alexa.new_session()
    reply = alexa.say("what did I log last weekend")
    assert reply.speech.startswith(f"From {spoken(saturday)} to {spoken(saturday + timedelta(days=1))}, you checked in on 1 day.")
    assert "average" not in reply  # one score: no average, no best and worst


def test_a_month_is_that_month(services: Services, clock: Clock) -> None:
    alexa = Alexa()
    first = TODAY.replace(day=1)
    last_month_end = first - timedelta(days=1)
    log_on(alexa, clock, last_month_end, 7)
    log_on(alexa, clock, TODAY, 1)
    alexa.new_session()
    month = f"{last_month_end:%B}".lower()
    reply = alexa.say(f"how was my pain in {month}")
    heard = f"in {last_month_end:%B}" if last_month_end.year == TODAY.year else f"in {last_month_end:%B} {last_month_end.year}"
    assert reply.speech.startswith(f"{heard[0].upper()}{heard[1:]}, you checked in on 1 day.")
    assert "One score was worrying" in reply  # the 7; and one score is "one", never "some"


def test_a_date_it_cannot_read_is_asked_again(services: Services) -> None:
    alexa = Alexa()
    alexa.say("log my pain as four")
    reply = alexa.intent("ReviewDayIntent", day="XXXX-XX-XX")
    assert "didn't catch which day" in reply and "logged 4" not in reply and not reply.ended
    assert "Which day" in reply.reprompt
    assert alexa.say("today").speech.startswith("Today, you logged 4")  # the answer to that question


def test_a_decade_is_refused_with_what_works(services: Services) -> None:
    reply = Alexa().intent("ReviewDayIntent", day="201X")
    assert "one day, a week, or a month" in reply and not reply.ended


def test_next_week_has_not_happened(services: Services) -> None:
    assert "hasn't happened yet" in Alexa().say("what did I log next week")


def test_missed_days_start_after_the_first_check_in(services: Services, clock: Clock) -> None:
    alexa = Alexa()
    alexa.intent("ProcedureDateIntent", date=ago(6).isoformat())
    log_on(alexa, clock, ago(2), 5)
    log_on(alexa, clock, TODAY, 4)
    alexa.new_session()
    reply = alexa.say("how has my pain been this week")
    assert "You missed one day: yesterday." in reply  # not the four days between the procedure and the first check-in


def test_a_typed_minus_two_is_refused(services: Services) -> None:
    alexa = Alexa()
    reply = alexa.say("log my pain as -2")
    assert "whole number from 0 to 10" in reply
    assert stored(services, alexa).checkins == ()


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
@pytest.mark.parametrize("hour", [0, 5, 11, 13, 19, 23])
def test_yesterday_and_today_in_far_time_zones_at_any_hour(tmp_path: Path, zone: str, hour: int) -> None:
    """The CLI's resolver and the skill agree on "today": the device's, not the machine's."""
    clock = Clock(datetime.combine(NOW.date(), datetime.min.time(), timezone.utc) + timedelta(hours=hour))
    install(SqliteStore(tmp_path / "db.sqlite3"), clock, default_timezone=zone)
    try:
        def ask(words: str) -> str:
            out = __import__("io").StringIO()
            cli.main(["ask", words], out=out)
            return out.getvalue()

        assert "Today is day 1 after it." in ask("my procedure was yesterday")
        local = clock.now.astimezone(ZoneInfo(zone)).date()
        assert skill.default_services().store.load(user_key("amzn1.ask.account.LOCAL-PATIENT")).profile.procedure_date \
            == local - timedelta(days=1)
        assert "your pain is 4 today" in ask("log my pain as four")
        assert ask("what did I log today").startswith("Today, you logged 4")
    finally:
        skill._skill = None
