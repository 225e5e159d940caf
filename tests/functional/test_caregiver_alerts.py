"""Caregiver alerts (issue 33): a worrying score or a warning sign from the patient reaches each
linked caregiver who wants alerts, once, as one Proactive Events call at the 127.0.0.1 stub of
Alexa's API, after the patient's turn. Every turn goes through lambda_handler with real envelopes,
on both stores; the AWS path reads DynamoDB Local's own stream."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from recovery_coach import alerts, envelope, skill
from recovery_coach.handlers.base import user_key
from recovery_coach.services import Services
from recovery_coach.store import Store, StoreUnavailable
from recovery_coach.store.sqlite import SqliteStore
from tests.alexa_api_server import FakeAlexaApi
from tests.conftest import TODAY, Clock, dynamo_store, install
from tests.dynamo_local import _FAKE_CREDENTIALS, _session
from tests.support import Alexa

URGENT_START = "Call 911 now"


def alert_settings(api: FakeAlexaApi) -> dict[str, Any]:
    return {"lwa_client_id": api.lwa_client_id, "lwa_client_secret": api.lwa_client_secret,
            "lwa_token_url": api.endpoint + "/auth/o2/token", "proactive_endpoint": api.endpoint}


STORES = ["sqlite", pytest.param("dynamodb", marks=pytest.mark.dynamodb)]


def store_for(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """The store a fixture parametrised over STORES asks for."""
    return (SqliteStore(tmp_path / "recovery.sqlite3") if request.param == "sqlite"
            else dynamo_store(request.getfixturevalue("dynamodb_table")))


@pytest.fixture(params=STORES)
def alerting(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock, alexa_api: FakeAlexaApi) -> Iterator[Services]:
    """The skill with alerts configured, on each store, sending to the stub."""
    yield install(store_for(request, tmp_path), clock, **alert_settings(alexa_api))
    skill._skill = None


def share(patient: Alexa, label: str) -> str:
    patient.say("share my check-ins with my caregiver")
    reply = patient.say(f"call me {label}")
    digits = re.search(r"code is ([\d, ]+)\.", reply.speech)
    assert digits, reply.speech
    patient.new_session()
    return digits.group(1).replace(", ", "")


def linked(code: str, user: str) -> Alexa:
    caregiver = Alexa(user=user)
    assert "You're linked" in caregiver.say(f"link to my patient with code {' '.join(code)}")
    caregiver.new_session()
    return caregiver


def wants_alerts(services: Services, caregiver: Alexa) -> None:
    """The caregiver asks for alerts by voice, hears what they are, and agrees."""
    assert "Shall I turn alerts on?" in caregiver.say("send me alerts please")
    assert "Alerts are on" in caregiver.say("yes")
    caregiver.new_session()


def linda_and_her_alerted_daughter(services: Services) -> tuple[Alexa, Alexa]:
    """Linda shares as "Linda"; her daughter links and wants alerts."""
    linda = Alexa(user="linda")
    daughter = linked(share(linda, "Linda"), "daughter")
    wants_alerts(services, daughter)
    return linda, daughter


def events(api: FakeAlexaApi) -> list[dict[str, Any]]:
    return [body for _, body in api.proactive_events]


def test_a_worrying_score_alerts_each_consenting_caregiver_once(alerting: Services, alexa_api: FakeAlexaApi) -> None:
    linda = Alexa(user="linda")
    code = share(linda, "Linda")
    daughter = linked(code, "daughter")
    son = linked(share(linda, "Linda"), "son")
    wants_alerts(alerting, daughter)  # the son never asked for alerts

    assert "pain medicine" in linda.say("log my pain as eight")
    assert alexa_api.proactive_events == []  # nothing is sent during the patient's turn
    skill.after_response()
    [(stage, body)] = alexa_api.proactive_events
    assert stage == "development"
    assert body["event"] == {"name": "AMAZON.MessageAlert.Activated", "payload": {
        "state": {"status": "UNREAD", "freshness": "NEW"}, "messageGroup": {"creator": {"name": "Linda"}, "count": 1}}}
    assert body["relevantAudience"] == {"type": "Unicast", "payload": {"user": daughter.device.user_id}}
    assert body["localizedAttributes"] == []
    said = {k: v for k, v in body.items() if k not in ("timestamp", "expiryTime", "referenceId")}
    assert "8" not in str(said) and "eight" not in str(said) and "pain" not in str(said)

    linda.new_session()
    linda.say("log my pain as nine")  # the same day again: no second alert
    linda.say("yes")
    skill.after_response()
    assert len(alexa_api.proactive_events) == 1

    launch = daughter.launch()  # the detail is spoken at her next launch
    assert "Linda" in launch and re.search(r"\b9\b", launch.speech), launch.speech
    assert son.launch().speech  # the son still follows Linda; he just gets no notifications


def test_a_calm_score_alerts_nobody(alerting: Services, alexa_api: FakeAlexaApi) -> None:
    linda, _ = linda_and_her_alerted_daughter(alerting)
    linda.say("log my pain as three")
    skill.after_response()
    assert alexa_api.proactive_events == []


def test_a_revoked_or_unlinked_caregiver_gets_nothing(alerting: Services, alexa_api: FakeAlexaApi) -> None:
    linda, _ = linda_and_her_alerted_daughter(alerting)
    linda.say("stop sharing my check-ins")
    linda.say("yes")
    linda.new_session()
    assert alerting.store.links_of_patient(user_key(linda.device.user_id)) == []
    linda.say("log my pain as nine")
    skill.after_response()
    assert alexa_api.proactive_events == []


def test_a_warning_sign_sends_one_urgent_alert_after_the_same_urgent_reply(
    alerting: Services, alexa_api: FakeAlexaApi
) -> None:
    linda, daughter = linda_and_her_alerted_daughter(alerting)
    reply = linda.say("I can't feel my legs")
    assert reply.speech.startswith(URGENT_START), reply.speech
    assert reply.response["shouldEndSession"] is True
    skill.after_response()
    [body] = events(alexa_api)
    assert body["event"]["payload"]["messageGroup"] == {"creator": {"name": "Linda"}, "count": 1, "urgency": "URGENT"}
    linda.new_session()
    linda.say("my chest hurts and I can't breathe")  # the same day: one alert a day of each kind
    skill.after_response()
    assert len(events(alexa_api)) == 1
    launch = daughter.launch().speech  # the detail comes first at her next launch, with the office
    news = launch.split("You're following Linda's recovery. ", 1)[1]
    assert news.startswith("Linda told me about a symptom that can be serious, today"), launch
    assert "Please check on Linda" in launch and "405-759-8407" in launch


@pytest.mark.parametrize("said", ["I can't feel my legs", "log my pain as eight"])
def test_where_the_answer_goes_first_the_alert_is_written_only_once_it_is_out(
    alerting: Services, alexa_api: FakeAlexaApi, said: str
) -> None:
    """Lambda with its post-response extension, the webhook and the CLI answer first: the patient's
    reply is built and returned without the alert's write, which is made once the answer is out."""
    linda, _ = linda_and_her_alerted_daughter(alerting)
    other = Alexa(user="someone-else")
    other.say("when can I drive")  # the first-use disclaimer, heard as Linda heard it
    other.new_session()
    inline = other.say(said).speech  # no entry point answers first: written in the turn
    writes: list[str] = []
    write = alerting.store.queue_alert

    def recorded(patient: str, kind: str, *args: Any) -> bool:
        writes.append(kind)
        return write(patient, kind, *args)

    alerting.store.queue_alert = recorded  # type: ignore[method-assign,assignment]
    skill.answer_first()
    assert linda.say(said).speech == inline
    assert writes == [] and alexa_api.proactive_events == []
    skill.after_response()
    assert writes == ["flag" if "legs" in said else "score"]
    assert [b["event"]["payload"]["messageGroup"]["creator"]["name"] for b in events(alexa_api)] == ["Linda"]
    skill.after_response()  # each later write is made once
    assert len(writes) == 1 and len(events(alexa_api)) == 1


@pytest.fixture(params=STORES)
def no_alerts(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[Services]:
    """The skill with caregiver alerts not configured, on each store."""
    yield install(store_for(request, tmp_path), clock)
    skill._skill = None


def test_where_alerts_are_off_a_warning_sign_is_kept_for_the_caregivers_next_launch(no_alerts: Services) -> None:
    """No notification, but the caregiver still hears it first when she next opens the skill: kept
    once the patient's answer is out (as Lambda's extension, the webhook and the CLI make it)."""
    linda = Alexa(user="linda")
    daughter = linked(share(linda, "Linda"), "daughter")
    loner = Alexa(user="loner")  # nobody follows him: nothing is kept about him
    skill.answer_first()
    assert linda.say("I can't feel my legs").speech.startswith(URGENT_START)
    assert loner.say("I can't feel my legs").speech.startswith(URGENT_START)
    since = TODAY - timedelta(days=2)
    assert no_alerts.store.patient_alerts(user_key(linda.device.user_id), since) == []  # nothing before the answer
    skill.after_response()
    assert [a.kind for a in no_alerts.store.patient_alerts(user_key(linda.device.user_id), since)] == ["flag"]
    assert no_alerts.store.patient_alerts(user_key(loner.device.user_id), since) == []
    news = daughter.launch().speech.split("You're following Linda's recovery. ", 1)[1]
    assert news.startswith("Linda told me about a symptom that can be serious, today"), news


def test_where_nothing_answers_first_the_urgent_reply_keeps_nothing_when_alerts_are_off(no_alerts: Services) -> None:
    """A plain call of lambda_handler: the warning sign would have to be written before the urgent
    reply is returned, so it is not kept at all (the reply never waits on the store)."""
    linda = Alexa(user="linda")
    daughter = linked(share(linda, "Linda"), "daughter")
    assert linda.say("I can't feel my legs").speech.startswith(URGENT_START)
    skill.after_response()
    assert no_alerts.store.patient_alerts(user_key(linda.device.user_id), TODAY - timedelta(days=2)) == []
    assert "symptom that can be serious" not in daughter.launch().speech


def test_the_urgent_reply_is_the_same_when_the_queue_cannot_be_written(
    alerting: Services, alexa_api: FakeAlexaApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    linda, _ = linda_and_her_alerted_daughter(alerting)
    calm = Alexa(user="someone-else").say("I can't feel my legs").speech

    def down(*args: object) -> bool:
        raise StoreUnavailable("down")

    monkeypatch.setattr(alerting.store, "queue_alert", down)  # a fault a real store can't give on demand
    assert linda.say("I can't feel my legs").speech == calm
    skill.after_response()
    assert alexa_api.proactive_events == []


def test_a_failed_send_never_touches_the_patients_turn_and_is_sent_later(
    alerting: Services, alexa_api: FakeAlexaApi
) -> None:
    linda, _ = linda_and_her_alerted_daughter(alerting)
    alexa_api.status_for[("POST", "/v1/proactiveEvents")] = 400  # refused: no retry this time
    assert "pain medicine" in linda.say("log my pain as eight")
    skill.after_response()
    assert alexa_api.proactive_events == []
    alexa_api.status_for.clear()
    assert alerts.drain(alerting) == 1  # the daily run (or the next drain) sends it
    assert alerts.drain(alerting) == 0
    assert len(alexa_api.proactive_events) == 1


@pytest.mark.dynamodb
def test_the_tables_stream_hands_each_queued_alert_to_the_alerts_function_once(
    dynamodb_table: Any, clock: Clock, alexa_api: FakeAlexaApi
) -> None:
    """The AWS path: DynamoDB Local's own stream records, in the event Lambda builds from them."""
    services = install(dynamo_store(dynamodb_table), clock, **alert_settings(alexa_api))
    try:
        linda = Alexa(user="linda")
        wants_alerts(services, linked(share(linda, "Linda"), "daughter"))
        linda.say("log my pain as nine")
        linda.say("I can't feel my legs")
        records = stream_records(dynamodb_table)
        queued = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == "ALERTQ"]
        assert [r["eventName"] for r in queued] == ["INSERT", "INSERT"]
        event = {"Records": records}  # unfiltered: the function skips what isn't a new alert itself
        assert alerts.handle_event(event, services) == {"sent": 2}
        assert alerts.handle_event(event, services) == {"sent": 0}  # Lambda retried the batch
        urgent = [b["event"]["payload"]["messageGroup"].get("urgency") for b in events(alexa_api)]
        assert urgent == [None, "URGENT"]  # the score's alert, then the warning sign's
    finally:
        skill._skill = None


def stream_records(table: Any) -> list[dict[str, Any]]:
    """Every record on the table's stream so far, as Lambda passes them (bounded reads)."""
    streams = _session().client("dynamodbstreams", endpoint_url=table.endpoint, region_name=table.region,
                                **_FAKE_CREDENTIALS)
    arn = table.client.describe_table(TableName=table.name)["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for _ in range(20):  # bounded: DynamoDB Local returns what there is, then empty pages
            page = streams.get_records(ShardIterator=iterator, Limit=100)
            records += page["Records"]
            iterator = page.get("NextShardIterator")
            if not page["Records"] or not iterator:
                break
    return records


# --- consent by voice ------------------------------------------------------------------------


def test_the_caregiver_hears_what_an_alert_is_before_agreeing_and_gets_the_permission_card(
    alerting: Services, alexa_api: FakeAlexaApi
) -> None:
    linda = Alexa(user="linda")
    daughter = linked(share(linda, "Linda"), "daughter")
    asked = daughter.say("can you send me notifications")
    assert "when Linda logs a worrying pain score, reports a warning sign, or misses 2 days" in asked
    assert "It only says it's from Linda" in asked and asked.speech.endswith("Shall I turn alerts on?")
    on = daughter.say("yes")
    assert "Alerts are on for Linda" in on and "Alexa app" in on
    assert on.response["card"] == {"type": "AskForPermissionsConsent",
                                   "permissions": ["alexa::devices:all:notifications:write"]}
    assert "already on" in daughter.say("turn on alerts")
    [link] = alerting.store.links_of_patient(user_key(linda.device.user_id))
    assert link.alert_to == daughter.device.user_id


def test_no_means_no_alerts(alerting: Services, alexa_api: FakeAlexaApi) -> None:
    linda = Alexa(user="linda")
    daughter = linked(share(linda, "Linda"), "daughter")
    daughter.say("send me alerts")
    daughter.say("no")
    linda.say("log my pain as nine")
    skill.after_response()
    assert alexa_api.proactive_events == []
    assert [link.alert_to for link in alerting.store.links_of_patient(user_key(linda.device.user_id))] == [None]


def test_stopping_alerts_by_voice_stops_them_at_once(alerting: Services, alexa_api: FakeAlexaApi) -> None:
    linda, daughter = linda_and_her_alerted_daughter(alerting)
    assert "Your alerts are off" in daughter.say("stop my alerts")
    assert "don't have alerts on" in daughter.say("turn off the notifications")
    linda.say("log my pain as nine")
    skill.after_response()
    assert alexa_api.proactive_events == []


def test_alerts_are_for_caregivers_and_only_where_they_are_set_up(
    alerting: Services, tmp_path: Path, clock: Clock
) -> None:
    assert "Alerts are for caregivers" in Alexa(user="loner").say("send me alerts")
    install(SqliteStore(tmp_path / "plain.sqlite3"), clock)  # no Login with Amazon client configured
    linda = Alexa(user="linda")
    daughter = linked(share(linda, "Linda"), "daughter")
    assert "aren't set up" in daughter.say("send me alerts")


def test_turning_notifications_off_in_the_alexa_app_stops_alerts(alerting: Services, alexa_api: FakeAlexaApi) -> None:
    linda, daughter = linda_and_her_alerted_daughter(alerting)
    changed = {"type": "AlexaSkillEvent.ProactiveSubscriptionChanged", "body": {}}  # no subscriptions left
    daughter.send(envelope.request(changed, daughter.device))
    assert [link.alert_to for link in alerting.store.links_of_patient(user_key(linda.device.user_id))] == [None]
    linda.say("log my pain as nine")
    skill.after_response()
    assert alexa_api.proactive_events == []


def test_a_caregiver_with_alerts_gets_them_about_a_patient_linked_later(
    alerting: Services, alexa_api: FakeAlexaApi
) -> None:
    linda, daughter = linda_and_her_alerted_daughter(alerting)
    dad = Alexa(user="dad")
    reply = daughter.say(f"link to my patient with code {' '.join(share(dad, 'Dad'))}")
    assert "You'll get alerts about Dad too" in reply
    dad.say("log my pain as nine")
    skill.after_response()
    assert [b["event"]["payload"]["messageGroup"]["creator"]["name"] for b in events(alexa_api)] == ["Dad"]


# --- missed days: the daily check --------------------------------------------------------------


@pytest.mark.dates  # days of silence
def test_a_patient_gone_quiet_alerts_each_consenting_caregiver_once_however_often_the_check_runs(
    alerting: Services, alexa_api: FakeAlexaApi, clock: Clock
) -> None:
    linda, daughter = linda_and_her_alerted_daughter(alerting)
    linda.say("log my pain as three")  # today; then two whole days without a check-in
    skill.after_response()
    for _ in range(2):
        clock.now += timedelta(days=1)
        assert alerts.handle_event({}, alerting) == {"queued": 0, "sent": 0}
    clock.now += timedelta(days=1)  # the third day: two whole days missed
    assert alerts.handle_event({}, alerting) == {"queued": 1, "sent": 1}
    assert alerts.handle_event({}, alerting) == {"queued": 0, "sent": 0}  # the same day again
    clock.now += timedelta(days=1)
    assert alerts.handle_event({}, alerting) == {"queued": 0, "sent": 0}  # the same silence, a day on
    [body] = events(alexa_api)
    assert body["event"]["payload"]["messageGroup"] == {"creator": {"name": "Linda"}, "count": 1}
    assert body["relevantAudience"]["payload"]["user"] == daughter.device.user_id
    assert "missed" in daughter.launch()  # the detail, at her next launch


@pytest.mark.dates
def test_a_patient_who_checks_in_or_whose_caregivers_want_no_alerts_raises_none(
    alerting: Services, alexa_api: FakeAlexaApi, clock: Clock
) -> None:
    linda, _ = linda_and_her_alerted_daughter(alerting)
    dad = Alexa(user="dad")
    linked(share(dad, "Dad"), "son")  # the son wants no alerts
    linda.say("log my pain as three")
    dad.say("log my pain as three")
    clock.now += timedelta(days=3)
    linda.new_session()
    linda.say("log my pain as two")  # Linda checked in today
    assert alerts.handle_event({}, alerting) == {"queued": 0, "sent": 0}
    assert alexa_api.proactive_events == []


def test_no_log_line_holds_the_caregivers_id_the_label_or_what_was_said(
    alerting: Services, alexa_api: FakeAlexaApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    linda, daughter = linda_and_her_alerted_daughter(alerting)
    linda.say("log my pain as nine")
    skill.after_response()  # sent
    alexa_api.status_for[("POST", "/v1/proactiveEvents")] = 400
    linda.new_session()
    linda.say("I can't feel my legs")
    skill.after_response()  # refused, and logged
    alexa_api.status_for.clear()
    assert alerts.drain(alerting) == 1  # sent later
    assert len(alexa_api.proactive_events) == 2
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    for secret in (daughter.device.user_id, linda.device.user_id, "Linda", "legs", "nine", *alexa_api.lwa_tokens,
                   alexa_api.lwa_client_secret):
        assert secret not in text, secret


def test_a_caregiver_who_disables_the_skill_takes_their_alert_address_with_them(
    alerting: Services, alexa_api: FakeAlexaApi
) -> None:
    linda, daughter = linda_and_her_alerted_daughter(alerting)
    daughter.send(envelope.request({"type": "AlexaSkillEvent.SkillDisabled",
                                    "body": {"userInformationPersistenceStatus": "NOT_PERSISTED"}}, daughter.device))
    assert alerting.store.links_of_patient(user_key(linda.device.user_id)) == []
    assert alerting.store.alerting_patients() == []
    linda.say("log my pain as nine")
    skill.after_response()
    assert alexa_api.proactive_events == []


@pytest.mark.parametrize(("said_from", "kept"), [
    ("https://api.eu.amazonalexa.com", "https://api.eu.amazonalexa.com"),  # an en-GB caregiver's Echo
    ("https://api.fe.amazonalexa.com/", "https://api.fe.amazonalexa.com"),
    ("http://api.eu.amazonalexa.com", None),  # not https: the configured one
    ("https://api.eu.amazonalexa.com.evil.example", None),
    ("https://127.0.0.1:8443", None),
])
def test_alerts_go_to_the_caregivers_own_region(alerting: Services, said_from: str, kept: str | None) -> None:
    linda = Alexa(user="linda")
    daughter = linked(share(linda, "Linda"), "daughter")
    daughter.device.api_endpoint = said_from
    daughter.say("send me alerts")
    daughter.say("yes")
    assert [link.alert_endpoint for link in alerting.store.links_of_patient(user_key(linda.device.user_id))] == [kept]


def test_an_alert_is_sent_to_the_region_kept_with_the_link(
    tmp_path: Path, clock: Clock, alexa_api: FakeAlexaApi
) -> None:
    """Nothing answers at the configured endpoint: the alert arrives only because it went to the
    caregiver's own (here, the stub)."""
    from tests.alexa_api_server import refused_endpoint

    with refused_endpoint() as nowhere:
        services = install(SqliteStore(tmp_path / "r.sqlite3"), clock, **{**alert_settings(alexa_api),
                                                                            "proactive_endpoint": nowhere})
        try:
            linda = Alexa(user="linda")
            daughter = linked(share(linda, "Linda"), "daughter")
            services.store.set_alerts(user_key(daughter.device.user_id), daughter.device.user_id, alexa_api.endpoint)
            linda.say("log my pain as nine")
            skill.after_response()
            assert len(alexa_api.proactive_events) == 1
        finally:
            skill._skill = None


def test_the_self_hosted_endpoint_sends_the_alerts_once_its_answer_is_out(
    alerting: Services, alexa_api: FakeAlexaApi
) -> None:
    """recovery-coach serve: the WSGI body is the patient's answer; the queued alert goes out when the
    server closes the response (PEP 3333), not before the answer."""
    import json as json_module

    from recovery_coach.webhook.app import SkillApp
    from tests.wsgi_client import call

    linda, _ = linda_and_her_alerted_daughter(alerting)
    app = SkillApp(alerting.settings, None, skill.handle_event)  # verification: the webhook tests' business
    event = envelope.intent("CheckInIntent", linda.device, envelope.Session(),
                            {"score": envelope.slot_json("score", "9")})
    reply = call(app, "POST", alerting.settings.alexa_route, json_module.dumps(event).encode())
    assert reply.status == 200 and "Saved: your pain is 9" in reply.json()["response"]["outputSpeech"]["ssml"]
    assert [b["event"]["payload"]["messageGroup"]["creator"]["name"] for b in events(alexa_api)] == ["Linda"]
