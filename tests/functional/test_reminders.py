"""The daily check-in reminder, against a Reminders API served on 127.0.0.1 (the envelope's apiEndpoint)."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from recovery_coach import envelope
from recovery_coach.handlers.base import user_key
from recovery_coach.services import Services
from tests.conftest import NOW
from tests.support import Alexa

GRANTED = {"consentToken": "consent", "scopes": {"alexa::alerts:reminders:skill:readwrite": {"status": "GRANTED"}}}


@pytest.fixture
def patient(services: Services, alexa_api) -> Alexa:
    alexa_api.timezone = "America/Denver"
    alexa = Alexa(api_endpoint=alexa_api.endpoint, api_access_token=alexa_api.token, permissions=GRANTED)
    alexa.say("what is kyphoplasty")  # the first-use disclaimer, out of the way
    return alexa


def reminder_calls(alexa_api) -> list:
    return [r for r in alexa_api.requests if r.path.startswith("/v1/alerts/reminders")]


def profile(services: Services, alexa: Alexa):
    return services.store.load(user_key(alexa.device.user_id)).profile


@pytest.mark.parametrize("said, heard", [("can you remind me every morning at 9", "9 AM"),
                                         ("remind me each evening at 8", "8 PM")])
def test_a_time_said_with_the_part_of_day_is_never_asked_again(patient: Alexa, said: str, heard: str) -> None:
    ask = patient.say(said)
    assert ask.speech.endswith(f"I'll remind you to check in every day at {heard}. Is that okay?"), ask.speech


def test_consent_first_then_the_exact_request(patient: Alexa, alexa_api, services: Services) -> None:
    ask = patient.say("remind me to check in every day at 9 am")
    assert ask.speech.endswith("I'll remind you to check in every day at 9 AM. Is that okay?")
    assert reminder_calls(alexa_api) == []  # nothing before consent
    done = patient.say("yes")
    assert "I'll remind you every day at 9 AM" in done
    (call,) = reminder_calls(alexa_api)
    assert call.method == "POST" and call.path == "/v1/alerts/reminders"
    assert call.header("Authorization") == f"Bearer {alexa_api.token}"
    # The first reminder is the next 9 am in Denver (the device's zone): today if it's still ahead.
    local = NOW.astimezone(ZoneInfo("America/Denver"))
    nine = datetime.combine(local.date(), time(9), ZoneInfo("America/Denver"))
    first = nine if nine > local else datetime.combine(local.date() + timedelta(days=1), time(9))
    assert call.body == {
        "requestTime": local.strftime("%Y-%m-%dT%H:%M:%S.000"),
        "trigger": {
            "type": "SCHEDULED_ABSOLUTE",
            "scheduledTime": first.strftime("%Y-%m-%dT%H:%M:%S.000"),
            "timeZoneId": "America/Denver",
            "recurrence": {
                "startDateTime": first.strftime("%Y-%m-%dT%H:%M:%S.000"),
                "recurrenceRules": ["FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0;INTERVAL=1;"],
            },
        },
        "alertInfo": {"spokenInfo": {"content": [{
            "locale": "en-US",
            "text": "Time for your Spine Recovery pain check-in. Say: Alexa, open spine recovery.",
        }]}},
        "pushNotification": {"status": "ENABLED"},
    }
    saved = profile(services, patient)
    assert saved.reminder_id == "reminder-1" and saved.reminder_time == "09:00"


def test_no_means_no_reminder(patient: Alexa, alexa_api) -> None:
    patient.say("remind me to check in every day at 9 am")
    assert "no reminder" in patient.say("no")
    assert reminder_calls(alexa_api) == []


@pytest.mark.dates  # works through dated records
def test_change_updates_the_same_reminder(patient: Alexa, alexa_api, services: Services) -> None:
    patient.say("remind me to check in every day at 9 am")
    patient.say("yes")
    reply = patient.say("change my reminder to 8 pm")
    assert "now at 8 PM" in reply
    put = reminder_calls(alexa_api)[-1]
    assert put.method == "PUT" and put.path == "/v1/alerts/reminders/reminder-1"
    assert put.body["trigger"]["recurrence"]["recurrenceRules"] == ["FREQ=DAILY;BYHOUR=20;BYMINUTE=0;BYSECOND=0;INTERVAL=1;"]
    assert list(alexa_api.reminders) == ["reminder-1"]  # one reminder, moved: no duplicate
    assert "every day at 8 PM" in patient.say("do I have a reminder")


@pytest.mark.dates  # works through dated records
def test_a_reminder_deleted_in_the_app_is_recreated_not_orphaned(patient: Alexa, alexa_api, services: Services) -> None:
    patient.say("remind me to check in every day at 9 am")
    patient.say("yes")
    alexa_api.reminders.clear()  # the user deleted it in the Alexa app
    assert "now at 7 AM" in patient.say("change my reminder to 7 am")
    assert len(alexa_api.reminders) == 1
    assert profile(services, patient).reminder_id in alexa_api.reminders


@pytest.mark.dates  # works through dated records
def test_cancel_deletes_it_and_forgets_it(patient: Alexa, alexa_api, services: Services) -> None:
    patient.say("remind me to check in every day at 9 am")
    patient.say("yes")
    assert "cancelled" in patient.say("cancel my check-in reminder")
    assert reminder_calls(alexa_api)[-1].method == "DELETE" and alexa_api.reminders == {}
    assert profile(services, patient).reminder_id is None
    assert "don't have a check-in reminder" in patient.say("do I have a reminder")


@pytest.mark.dates  # works through dated records
def test_without_permission_alexa_asks_for_it(services: Services, alexa_api) -> None:
    alexa = Alexa(api_endpoint=alexa_api.endpoint, api_access_token=alexa_api.token)  # no permissions
    alexa.say("remind me to check in every day at 9 am")
    reply = alexa.say("yes")
    (directive,) = reply.response["directives"]
    assert directive["type"] == "Connections.SendRequest" and directive["name"] == "AskFor"
    assert directive["payload"]["permissionScopes"] == [
        {"permissionScope": "alexa::alerts:reminders:skill:readwrite", "consentLevel": "ACCOUNT"}]
    assert "after you say yes, I'll set the reminder" in reply and "reprompt" not in reply.response
    assert reminder_calls(alexa_api) == []
    # Alexa comes back with the user's answer, in a new session, with our token.
    answer = {"type": "Connections.Response", "name": "AskFor", "status": {"code": "200", "message": "OK"},
              "payload": {"status": "ACCEPTED", "permissionScope": "alexa::alerts:reminders:skill:readwrite"},
              "token": directive["token"]}
    alexa.device.permissions = GRANTED
    done = alexa.send(envelope.request(answer, alexa.device, envelope.Session()))
    assert "I'll remind you every day at 9 AM" in done
    assert len(alexa_api.reminders) == 1


def test_a_denied_permission_is_explained(services: Services, alexa_api) -> None:
    alexa = Alexa(api_endpoint=alexa_api.endpoint, api_access_token=alexa_api.token)
    answer = {"type": "Connections.Response", "name": "AskFor", "status": {"code": "200", "message": "OK"},
              "payload": {"status": "DENIED"}, "token": "09:00"}
    reply = alexa.send(envelope.request(answer, alexa.device, envelope.Session()))
    assert "can't set a reminder" in reply and "Alexa app" in reply
    assert reminder_calls(alexa_api) == []


@pytest.mark.parametrize("status,says", [
    (401, "isn't allowed to"), (403, "isn't allowed to"), (429, "busy right now"),
    (500, "isn't answering"), (503, "isn't answering"),
])
def test_api_failures_get_an_honest_reply(patient: Alexa, alexa_api, services: Services, status: int, says: str) -> None:
    alexa_api.status_for[("POST", "/v1/alerts/reminders")] = status
    patient.say("remind me to check in every day at 9 am")
    reply = patient.say("yes")
    assert says in reply and "Nothing was changed" in reply and not reply.ended
    assert profile(services, patient).reminder_id is None


def test_an_api_that_never_answers(patient: Alexa, alexa_api, services: Services) -> None:
    alexa_api.delay = 5.0
    patient.say("remind me to check in every day at 9 am")
    reply = patient.say("yes")
    assert "isn't answering" in reply and profile(services, patient).reminder_id is None


def test_a_vague_time_gets_a_question(patient: Alexa) -> None:
    ask = patient.intent("SetReminderIntent", time="EV")
    assert ask.speech.endswith("What time each day? For example, 9 AM.")
    assert "every day at 7 PM. Is that okay?" in patient.say("7 pm")


@pytest.mark.dates  # works through dated records
def test_deleting_my_data_deletes_the_reminder_too(patient: Alexa, alexa_api) -> None:
    patient.say("remind me to check in every day at 9 am")
    patient.say("yes")
    patient.say("delete my data")
    assert "deleted" in patient.say("yes")
    assert alexa_api.reminders == {}
