"""Daily pain check-ins, heard and stored the way a patient would notice."""
from __future__ import annotations

import json
import logging
from datetime import date, timedelta

import pytest
from zoneinfo import ZoneInfo

from recovery_coach import envelope
from recovery_coach.handlers.base import user_key
from recovery_coach.services import Services
from tests.conftest import NOW, TODAY, Clock, day_at, install
from tests.support import Alexa

PHONE = "405-759-8407"


def stored(svc: Services, alexa: Alexa, since: date = TODAY - timedelta(days=30)):
    return svc.store.load(user_key(alexa.device.user_id), since=since)


def next_one(day: date) -> date:
    """How Alexa resolves a month and day said without a year: the next one to come."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day


def log_on(alexa: Alexa, clock: Clock, day: date, score: int) -> None:
    """Check in on an earlier day, the way the patient did then."""
    saved = clock.now
    clock.now = NOW if day == TODAY else day_at(day, 12)  # noon: the same local day, whatever DST does
    alexa.new_session()
    alexa.intent("CheckInIntent", score=str(score))
    alexa.intent("AMAZON.StopIntent")
    clock.now = saved


# --- the happy path, on both stores ------------------------------------------------------

def test_log_my_pain_saves_and_asks_one_optional_question(any_services: Services) -> None:
    alexa = Alexa()
    reply = alexa.say("log my pain as six")
    assert reply.speech.startswith("Saved: your pain is 6 today, your first check-in.")
    assert reply.speech.endswith("Did you take pain medicine today?") and not reply.ended
    answer = alexa.say("no")
    assert "no pain medicine today" in answer
    (checkin,) = stored(any_services, alexa).checkins
    assert (checkin.day, checkin.score, checkin.took_meds) == (TODAY, 6, False)


@pytest.mark.parametrize("words", ["my pain is a four today", "log my pain as 4", "I'm at a four",
                                   "um a four I reckon", "four's about it today", "he's 4/10 this morning",
                                   "uh four, bit achy"])
def test_ways_of_saying_a_score(services: Services, words: str) -> None:
    alexa = Alexa()
    assert "your pain is 4 today" in alexa.say(words)
    (checkin,) = stored(services, alexa).checkins
    assert checkin.score == 4


def test_nought_is_zero(services: Services) -> None:
    alexa = Alexa()
    assert "your pain is 0 today" in alexa.say("she's at nought today")


def test_check_in_asks_for_the_score(services: Services) -> None:
    alexa = Alexa()
    ask = alexa.say("check in")
    assert "from 0 to 10" in ask and not ask.ended
    assert "your pain is 3 today" in alexa.say("three")


def test_comparison_with_the_last_check_in(any_services: Services, clock: Clock) -> None:
    alexa = Alexa()
    log_on(alexa, clock, TODAY - timedelta(days=1), 6)
    alexa.new_session()
    assert "down 2 points from yesterday" in alexa.say("log my pain as four")


def test_comparison_names_the_weekday_for_older_check_ins(services: Services, clock: Clock) -> None:
    alexa = Alexa()
    three_ago = TODAY - timedelta(days=3)
    log_on(alexa, clock, three_ago, 3)
    alexa.new_session()
    assert f"up one point from {three_ago:%A}" in alexa.say("log my pain as four")


# --- warnings ----------------------------------------------------------------------------

def test_a_high_score_warns_and_gives_the_number(services: Services) -> None:
    reply = Alexa().say("log my pain as seven")
    assert "A score of 7 is high" in reply and PHONE in reply.speech
    assert reply.speech.index("Saved") < reply.speech.index("high")  # said right after saving


def test_a_rise_of_two_warns(services: Services, clock: Clock) -> None:
    alexa = Alexa()
    log_on(alexa, clock, TODAY - timedelta(days=1), 3)
    alexa.new_session()
    reply = alexa.say("log my pain as five")
    assert "jump of 2 points since yesterday" in reply and PHONE in reply.speech


def test_pain_not_easing_after_day_two_warns(services: Services, clock: Clock) -> None:
    alexa = Alexa()
    alexa.intent("ProcedureDateIntent", date=(TODAY - timedelta(days=4)).isoformat())
    log_on(alexa, clock, TODAY - timedelta(days=3), 5)
    alexa.new_session()
    reply = alexa.say("log my pain as five")  # day 4, no better than day 1
    assert "isn't easing" in reply and PHONE in reply.speech


def test_easing_pain_and_a_small_change_do_not_warn(services: Services, clock: Clock) -> None:
    alexa = Alexa()
    alexa.intent("ProcedureDateIntent", date=(TODAY - timedelta(days=4)).isoformat())
    log_on(alexa, clock, TODAY - timedelta(days=3), 5)
    alexa.new_session()
    reply = alexa.say("log my pain as three")
    assert PHONE not in reply.speech


def test_thresholds_come_from_configuration(tmp_path, clock: Clock) -> None:
    from recovery_coach import skill
    from recovery_coach.store.sqlite import SqliteStore

    install(SqliteStore(tmp_path / "db.sqlite3"), clock, warn_score=9)
    try:
        assert "high" not in Alexa().say("log my pain as eight")
        assert "A score of 9 is high" in Alexa(user="other").say("log my pain as nine")
    finally:
        skill._skill = None


# --- one check-in per local day ----------------------------------------------------------

@pytest.mark.dates  # works through dated records
def test_a_second_check_in_asks_before_replacing_and_keeps_history(any_services: Services) -> None:
    alexa = Alexa()
    alexa.say("log my pain as five")
    alexa.say("yes")
    alexa.new_session()
    ask = alexa.say("log my pain as seven")
    assert ask.speech.endswith("You logged 5 today. Replace it with 7?")
    assert "your pain is 7 today" in alexa.say("yes")
    (checkin,) = stored(any_services, alexa).checkins
    assert checkin.score == 7 and [h["score"] for h in checkin.history] == [5]


@pytest.mark.dates  # works through dated records
def test_no_keeps_the_first_score(services: Services) -> None:
    alexa = Alexa()
    alexa.say("log my pain as five")
    alexa.new_session()
    alexa.say("log my pain as seven")
    assert "kept your 5" in alexa.say("no")
    assert stored(services, alexa).checkins[0].score == 5


def test_today_is_the_devices_local_date_from_the_settings_api(services: Services, clock: Clock, alexa_api) -> None:
    alexa_api.timezone = "Pacific/Kiritimati"  # UTC+14: a day ahead of Chicago for most of the day
    alexa = Alexa(api_endpoint=alexa_api.endpoint, api_access_token=alexa_api.token)
    alexa.say("log my pain as four")
    there = NOW.astimezone(ZoneInfo("Pacific/Kiritimati")).date()
    assert [c.day for c in stored(services, alexa, since=there - timedelta(days=3)).checkins] == [there]
    assert any("/settings/System.timeZone" in r.path for r in alexa_api.requests)


@pytest.mark.parametrize("fault", ["slow", "500", "401"])
def test_a_failing_settings_api_falls_back_to_the_default_zone_and_still_saves(
    services: Services, alexa_api, fault: str
) -> None:
    if fault == "slow":
        alexa_api.delay = 3.0
    else:
        alexa_api.status_for[("GET", "/v2/devices")] = int(fault)
    alexa = Alexa(api_endpoint=alexa_api.endpoint, api_access_token=alexa_api.token)
    assert "Saved" in alexa.say("log my pain as four")
    assert [c.day for c in stored(services, alexa).checkins] == [TODAY]


# --- procedure date, launch, review ----------------------------------------------------------

def test_procedure_date_is_stored_and_spoken_as_a_day_count(services: Services) -> None:
    alexa = Alexa()
    day = TODAY - timedelta(days=4)
    reply = alexa.intent("ProcedureDateIntent", date=next_one(day).isoformat())  # Alexa's "next November 20"
    assert f"Your procedure was on {day:%B} {day.day}. Today is day 4 after it." in reply
    alexa.new_session()
    assert "day 4 after your procedure" in alexa.launch()
    assert stored(services, alexa).profile.procedure_date == day


@pytest.mark.dates  # works through dated records
def test_a_future_procedure_date_is_refused(services: Services) -> None:
    reply = Alexa().intent("ProcedureDateIntent", date="banana")
    assert "a date in the past year" in reply and not reply.ended


@pytest.mark.dates  # works through dated records
def test_launch_offers_the_check_in_until_it_is_done(services: Services) -> None:
    alexa = Alexa()
    launch = alexa.launch()
    assert "You haven't checked in today." in launch and launch.speech.endswith("Would you like to log your pain now?")
    assert "from 0 to 10" in alexa.say("yes")
    alexa.say("five")
    alexa.say("yes")
    alexa.new_session()
    again = alexa.launch()
    assert again.speech.startswith("Welcome back") and "haven't checked in" not in again


def test_the_week_in_review(any_services: Services, clock: Clock) -> None:
    alexa = Alexa()
    for ago, score in [(6, 7), (5, 6), (4, 6), (2, 4), (0, 3)]:
        log_on(alexa, clock, TODAY - timedelta(days=ago), score)
    alexa.new_session()
    reply = alexa.say("how has my pain been this week")
    assert "You last logged 3 today." in reply
    assert "average this week is 5.2" in reply  # 7 + 6 + 6 + 4 + 3 over 5
    assert f"best day was today, at 3, and your worst was {TODAY - timedelta(days=6):%A}, at 7" in reply
    assert "easing" in reply
    assert f"You missed 2 days: {TODAY - timedelta(days=3):%A} and yesterday." in reply
    assert "One score was worrying" in reply and PHONE in reply.speech  # the 7


@pytest.mark.dates  # works through dated records
def test_the_week_with_nothing_logged_offers_a_check_in(services: Services) -> None:
    alexa = Alexa()
    reply = alexa.say("how has my pain been this week")
    assert "haven't logged any pain" in reply
    assert "from 0 to 10" in alexa.say("yes")


def test_what_did_i_log_yesterday(services: Services, clock: Clock) -> None:
    alexa = Alexa()
    log_on(alexa, clock, TODAY - timedelta(days=1), 6)
    alexa.new_session()
    reply = alexa.intent("ReviewDayIntent", day=(TODAY - timedelta(days=1)).isoformat())
    assert reply.speech.startswith("Yesterday, you logged 6")
    none = alexa.intent("ReviewDayIntent", day=(TODAY - timedelta(days=2)).isoformat())
    assert f"You didn't check in on {TODAY - timedelta(days=2):%A}" in none


# --- delete --------------------------------------------------------------------------------

def test_delete_asks_first_then_deletes_everything(any_services: Services) -> None:
    alexa = Alexa()
    alexa.say("log my pain as five")
    alexa.say("no")
    ask = alexa.say("delete my check-ins")
    assert ask.speech.endswith("Are you sure?")
    done = alexa.say("yes")
    assert "deleted" in done and done.ended
    record = stored(any_services, alexa)
    assert record.checkins == () and record.profile.disclaimer_heard is False


def test_no_to_delete_keeps_everything(services: Services) -> None:
    alexa = Alexa()
    alexa.say("log my pain as five")
    alexa.say("delete my data")
    assert "didn't delete anything" in alexa.say("no")
    assert len(stored(services, alexa).checkins) == 1


@pytest.mark.parametrize("status,deleted", [("NOT_PERSISTED", True), ("PERSISTED", False)])
def test_disabling_the_skill_deletes_data_only_if_asked(any_services: Services, status: str, deleted: bool) -> None:
    alexa = Alexa()
    alexa.say("log my pain as five")
    event = envelope.request(
        {
            "type": "AlexaSkillEvent.SkillDisabled",
            "eventCreationTime": f"{NOW:%Y-%m-%dT%H:%M:%SZ}",
            "eventPublishingTime": f"{NOW + timedelta(seconds=1):%Y-%m-%dT%H:%M:%SZ}",
            "body": {"userInformationPersistenceStatus": status},
        },
        alexa.device,
    )
    raw = alexa.send(event).raw
    assert "outputSpeech" not in raw.get("response", {})
    assert (stored(any_services, alexa).checkins == ()) is deleted


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("words", ["log my pain as eleven", "log my pain as minus two", "log my pain as banana",
                                   "my pain is seven and a half", "it's a hundred out of ten", "mark her down as minus four",
                                   "put two hundred", "honestly about a million today"])
def test_bad_scores_get_the_range_and_store_nothing(services: Services, words: str) -> None:
    alexa = Alexa()
    reply = alexa.say(words)
    assert "whole number from 0 to 10" in reply and "Nothing was saved" in reply
    assert not reply.ended and reply.reprompt
    assert stored(services, alexa).checkins == ()


def test_an_unclear_answer_to_the_score_question_gets_the_range(services: Services) -> None:
    alexa = Alexa()
    alexa.say("check in")
    reply = alexa.say("banana")
    assert "whole number from 0 to 10" in reply and not reply.ended
    assert stored(services, alexa).checkins == ()


def test_an_entity_resolution_no_match_is_not_a_score(services: Services) -> None:
    alexa = Alexa()
    slot = envelope.slot_json("score", "6", None, "PAIN_SCORE")  # resolutions: ER_SUCCESS_NO_MATCH
    reply = alexa.send(envelope.intent("CheckInIntent", alexa.device, alexa.session, {"score": slot}))
    assert "whole number from 0 to 10" in reply
    assert stored(services, alexa).checkins == ()


def test_a_red_flag_during_a_check_in_gets_the_urgent_message(services: Services) -> None:
    alexa = Alexa()
    alexa.say("log my pain as six")
    reply = alexa.say("my legs are numb")
    assert reply.speech.startswith("Call 911 now if this is an emergency")


def test_logs_of_a_check_in_carry_no_score_and_no_user_id(services: Services, caplog: pytest.LogCaptureFixture) -> None:
    alexa = Alexa()
    with caplog.at_level(logging.DEBUG, logger="recovery_coach"):
        alexa.say("log my pain as nine")
        alexa.say("yes")
        alexa.say("how has my pain been this week")
    lines = [r.getMessage() for r in caplog.records if r.name == "recovery_coach"]
    assert lines
    for line in lines:
        fields = json.loads(line)
        assert set(fields) <= {"request_id", "type", "intent", "latency_ms", "event", "reason", "error", "op", "status", "kind", "elapsed_ms"}
        assert "9" not in str(fields.get("intent")) and "nine" not in line
    assert alexa.device.user_id not in caplog.text and user_key(alexa.device.user_id) not in caplog.text


def test_not_easing_is_judged_against_the_first_check_in_even_weeks_later(any_services: Services, clock: Clock) -> None:
    alexa = Alexa()
    alexa.intent("ProcedureDateIntent", date=(TODAY - timedelta(days=20)).isoformat())
    log_on(alexa, clock, TODAY - timedelta(days=19), 5)  # day 1: the baseline, outside the two-week window
    for ago in range(13, 0, -1):
        log_on(alexa, clock, TODAY - timedelta(days=ago), 9)
    alexa.new_session()
    reply = alexa.say("log my pain as six")  # down from yesterday's 9, but no better than day 1's 5
    assert "isn't easing" in reply and PHONE in reply.speech
