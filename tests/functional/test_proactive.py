"""Caregiver alerts' client against the 127.0.0.1 stub of Login with Amazon and the Proactive Events API."""
from __future__ import annotations

import json
import logging
import re
import urllib.parse
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from recovery_coach import alexa_api
from recovery_coach.config import Settings
from recovery_coach.proactive import Proactive
from recovery_coach.services import Services
from recovery_coach.store.sqlite import SqliteStore
from tests.alexa_api_server import FakeAlexaApi, refused_endpoint

NOW = datetime(2025, 3, 9, 15, 0, 0, tzinfo=timezone.utc)
USER = "amzn1.ask.account.AEXAMPLEUSER-SECRET-USER-0123456789"
LABEL = "your check-in"
DEV_PATH = "/v1/proactiveEvents/stages/development"
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


class FixedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def settings_for(api: FakeAlexaApi, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "lwa_client_id": api.lwa_client_id,
        "lwa_client_secret": api.lwa_client_secret,
        "lwa_token_url": api.endpoint + "/auth/o2/token",
        "proactive_endpoint": api.endpoint,
    }
    return Settings(**{**values, **overrides})


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


class Sleeps(list):
    """Records each backoff instead of waiting it (the stub answers at once)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def proactive(alexa_api: FakeAlexaApi, clock: FixedClock, sleeps: Sleeps) -> Proactive:
    return Proactive(settings_for(alexa_api), clock, sleeps)


def send(p: Proactive, *, urgent: bool = False, endpoint: str | None = None, timeout: float = 2.0) -> bool:
    return p.send(USER, LABEL, urgent, endpoint, timeout)


def posts_to(api: FakeAlexaApi, prefix: str) -> list[Any]:
    return [r for r in api.requests if r.path.startswith(prefix)]


# --- the event -------------------------------------------------------------------


def test_the_exact_body_sent(alexa_api: FakeAlexaApi, proactive: Proactive) -> None:
    assert send(proactive) is True
    [(stage, body)] = alexa_api.proactive_events
    assert stage == "development"
    assert UUID4.fullmatch(body.pop("referenceId"))
    assert body == {
        "timestamp": "2025-03-09T15:00:00.000Z",
        "expiryTime": "2025-03-10T15:00:00.000Z",
        "event": {
            "name": "AMAZON.MessageAlert.Activated",
            "payload": {
                "state": {"status": "UNREAD", "freshness": "NEW"},
                "messageGroup": {"creator": {"name": LABEL}, "count": 1},
            },
        },
        "localizedAttributes": [],
        "relevantAudience": {"type": "Unicast", "payload": {"user": USER}},
    }
    [request] = posts_to(alexa_api, "/v1/proactiveEvents")
    assert request.method == "POST" and request.path == DEV_PATH
    assert request.header("Authorization") == f"Bearer {alexa_api.lwa_tokens[0]}"
    assert request.header("Content-Type") == "application/json"


def test_urgent_adds_only_the_urgency(proactive: Proactive) -> None:
    calm = proactive.event(USER, LABEL, False, NOW)
    urgent = proactive.event(USER, LABEL, True, NOW)
    assert urgent["event"]["payload"]["messageGroup"] == {"creator": {"name": LABEL}, "count": 1, "urgency": "URGENT"}
    assert "urgency" not in calm["event"]["payload"]["messageGroup"]
    for body in (calm, urgent):
        body.pop("referenceId")
    urgent["event"]["payload"]["messageGroup"].pop("urgency")
    assert calm == urgent


def test_nothing_but_the_label_describes_the_patient(proactive: Proactive) -> None:
    body = proactive.event(USER, "Mum's back", True, NOW)
    strings = re.findall(r'"([^"]*)"', json.dumps(body))
    allowed = {
        "timestamp", "referenceId", "expiryTime", "event", "name", "payload", "state", "status", "freshness",
        "messageGroup", "creator", "count", "urgency", "localizedAttributes", "relevantAudience", "type", "user",
        "AMAZON.MessageAlert.Activated", "UNREAD", "NEW", "URGENT", "Unicast", "Mum's back", USER,
        body["timestamp"], body["expiryTime"], body["referenceId"],
    }
    assert set(strings) <= allowed


def test_each_event_has_its_own_reference_id_and_the_expiry_follows_the_setting(alexa_api: FakeAlexaApi) -> None:
    p = Proactive(settings_for(alexa_api, alert_expiry_hours=6), FixedClock())
    a, b = p.event(USER, LABEL, False, NOW), p.event(USER, LABEL, False, NOW)
    assert a["referenceId"] != b["referenceId"]
    assert a["expiryTime"] == "2025-03-09T21:00:00.000Z"
    naive = p.event(USER, LABEL, False, datetime(2025, 3, 9, 15, 0, 0, 123456))
    assert naive["timestamp"] == "2025-03-09T15:00:00.123Z"
    assert p.event(USER, LABEL, False, NOW, "missed-2025-03-09")["referenceId"] == "missed-2025-03-09"


def test_live_stage_posts_to_the_live_path(alexa_api: FakeAlexaApi, clock: FixedClock) -> None:
    p = Proactive(settings_for(alexa_api, proactive_stage="live"), clock)
    assert send(p) is True
    assert [stage for stage, _ in alexa_api.proactive_events] == ["live"]
    assert [r.path for r in posts_to(alexa_api, "/v1/proactiveEvents")] == ["/v1/proactiveEvents"]


def test_the_users_region_endpoint_wins(alexa_api: FakeAlexaApi, clock: FixedClock) -> None:
    with refused_endpoint() as nowhere:
        p = Proactive(settings_for(alexa_api, proactive_endpoint=nowhere), clock)
        assert send(p, endpoint=alexa_api.endpoint) is True
        assert send(p) is False  # the configured default is used when none is given


# --- the token -------------------------------------------------------------------


def test_the_token_request_is_exactly_the_documented_form(alexa_api: FakeAlexaApi, proactive: Proactive) -> None:
    assert send(proactive)
    [request] = posts_to(alexa_api, "/auth/o2/token")
    assert request.method == "POST"
    assert request.header("Content-Type") == "application/x-www-form-urlencoded;charset=UTF-8"
    assert request.header("Authorization") is None
    assert urllib.parse.parse_qsl(request.raw_body.decode("ascii"), strict_parsing=True) == [
        ("grant_type", "client_credentials"),
        ("client_id", alexa_api.lwa_client_id),
        ("client_secret", alexa_api.lwa_client_secret),
        ("scope", "alexa::proactive_events"),
    ]


def test_the_token_is_fetched_once_and_cached(alexa_api: FakeAlexaApi, proactive: Proactive, clock: FixedClock) -> None:
    assert send(proactive) and send(proactive, urgent=True)
    assert alexa_api.lwa_tokens == ["lwa-token-1"]
    assert len(posts_to(alexa_api, "/auth/o2/token")) == 1
    events = posts_to(alexa_api, "/v1/proactiveEvents")
    assert [r.header("Authorization") for r in events] == ["Bearer lwa-token-1"] * 2
    clock.now += timedelta(seconds=3600 - 61)  # still inside expires_in, less the refresh margin
    assert send(proactive)
    assert alexa_api.lwa_tokens == ["lwa-token-1"]


def test_the_token_is_refreshed_shortly_before_it_expires(alexa_api: FakeAlexaApi, proactive: Proactive, clock: FixedClock) -> None:
    assert send(proactive)
    clock.now += timedelta(seconds=3600 - 60)
    assert send(proactive)
    assert alexa_api.lwa_tokens == ["lwa-token-1", "lwa-token-2"]
    assert posts_to(alexa_api, "/v1/proactiveEvents")[-1].header("Authorization") == "Bearer lwa-token-2"


def test_a_401_drops_the_token_and_retries_once_with_a_fresh_one(alexa_api: FakeAlexaApi, proactive: Proactive) -> None:
    assert send(proactive)
    alexa_api.revoked.add("lwa-token-1")
    assert send(proactive) is True
    assert alexa_api.lwa_tokens == ["lwa-token-1", "lwa-token-2"]
    assert [r.header("Authorization") for r in posts_to(alexa_api, "/v1/proactiveEvents")] == [
        "Bearer lwa-token-1", "Bearer lwa-token-1", "Bearer lwa-token-2",
    ]
    # Same event on the retry: one referenceId, so Alexa can't deliver it twice.
    first, retried = (r.body for r in posts_to(alexa_api, "/v1/proactiveEvents")[1:])
    assert first == retried


def test_a_401_twice_is_false_after_one_retry(alexa_api: FakeAlexaApi, proactive: Proactive, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="recovery_coach")
    alexa_api.status_for[("POST", "/v1/proactiveEvents")] = 401
    assert send(proactive) is False
    assert len(posts_to(alexa_api, "/v1/proactiveEvents")) == 2
    assert alexa_api.lwa_tokens == ["lwa-token-1", "lwa-token-2"]
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "recovery_coach"]
    assert [(x["op"], x["status"], x["kind"]) for x in lines] == [("proactive_event", 401, "http_status")]
    alexa_api.status_for.clear()
    assert send(proactive) is True
    assert alexa_api.lwa_tokens == ["lwa-token-1", "lwa-token-2", "lwa-token-3"]  # the 401 dropped token 2


@pytest.mark.parametrize("status", [400, 403, 409])
def test_refusals_are_false_without_a_retry(alexa_api: FakeAlexaApi, proactive: Proactive, sleeps: Sleeps, status: int) -> None:
    alexa_api.status_for[("POST", "/v1/proactiveEvents")] = status
    assert send(proactive) is False
    assert len(posts_to(alexa_api, "/v1/proactiveEvents")) == 1 and sleeps == []
    alexa_api.status_for.clear()
    assert send(proactive) is True
    # A 403 drops the token (it may have lost its scope); the others keep it.
    assert len(alexa_api.lwa_tokens) == (2 if status == 403 else 1)


def test_busy_or_failing_servers_are_tried_again_with_growing_backoff(
    alexa_api: FakeAlexaApi, proactive: Proactive, sleeps: Sleeps
) -> None:
    alexa_api.next_statuses[("POST", "/v1/proactiveEvents")] = [503, 429, 500]
    assert send(proactive, timeout=10.0) is True
    bodies = [r.body for r in posts_to(alexa_api, "/v1/proactiveEvents")]
    assert len(bodies) == 4 and all(b == bodies[0] for b in bodies)  # one event, one referenceId
    assert len(alexa_api.proactive_events) == 1
    assert len(sleeps) == 3 and 0.125 <= sleeps[0] <= 0.25 and 0.25 <= sleeps[1] <= 0.5 and 0.5 <= sleeps[2] <= 1.0
    assert alexa_api.lwa_tokens == ["lwa-token-1"]  # a busy server is no reason for a new token


def test_a_retry_after_is_honoured(alexa_api: FakeAlexaApi, proactive: Proactive, sleeps: Sleeps) -> None:
    alexa_api.next_statuses[("POST", "/v1/proactiveEvents")] = [429]
    alexa_api.retry_after = "2"
    assert send(proactive, timeout=10.0) is True
    assert sleeps == [2.0]


def test_retries_stop_at_the_attempt_limit_and_inside_the_time_budget(
    alexa_api: FakeAlexaApi, proactive: Proactive, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="recovery_coach")
    alexa_api.status_for[("POST", "/v1/proactiveEvents")] = 503
    assert send(proactive, timeout=10.0) is False
    assert len(posts_to(alexa_api, "/v1/proactiveEvents")) == 4 and len(sleeps) == 3
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "recovery_coach"]
    assert [(x["op"], x["status"]) for x in lines] == [("proactive_event", 503)]
    # A Retry-After longer than what is left of the budget: no wait, no second try.
    alexa_api.requests.clear()
    sleeps.clear()
    alexa_api.status_for.clear()
    alexa_api.next_statuses[("POST", "/v1/proactiveEvents")] = [503]
    alexa_api.retry_after = "30"
    assert send(proactive, timeout=2.0) is False
    assert len(posts_to(alexa_api, "/v1/proactiveEvents")) == 1 and sleeps == []


def test_a_failing_token_endpoint_is_tried_again_too(alexa_api: FakeAlexaApi, proactive: Proactive, sleeps: Sleeps) -> None:
    alexa_api.next_statuses[("POST", "/auth/o2/token")] = [500]
    assert send(proactive, timeout=10.0) is True
    assert len(posts_to(alexa_api, "/auth/o2/token")) == 2 and len(sleeps) == 1


def test_a_200_is_not_taken_for_an_acceptance(alexa_api: FakeAlexaApi, proactive: Proactive) -> None:
    alexa_api.status_for[("POST", "/v1/proactiveEvents")] = 200
    assert send(proactive) is False


@pytest.mark.parametrize(
    "change",
    [
        {"lwa_client_secret": "wrong-secret"},
        {"lwa_client_id": "amzn1.application-oa2-client.someone-else"},
    ],
)
def test_rejected_credentials_are_false_and_send_no_event(alexa_api: FakeAlexaApi, clock: FixedClock, change: dict[str, str]) -> None:
    assert send(Proactive(settings_for(alexa_api, **change), clock, Sleeps())) is False
    assert alexa_api.lwa_tokens == [] and posts_to(alexa_api, "/v1/proactiveEvents") == []


@pytest.mark.parametrize(
    "answer",
    [
        b"not json",
        {"access_token": "", "expires_in": 3600, "token_type": "bearer"},
        {"access_token": "t", "expires_in": "3600", "token_type": "bearer"},
        {"access_token": "t", "expires_in": 0, "token_type": "bearer"},
        {"access_token": "t", "expires_in": True, "token_type": "bearer"},
        {"access_token": "t u", "expires_in": 3600, "token_type": "bearer"},
        {"access_token": "t", "expires_in": 3600, "token_type": "mac"},
        ["access_token"],
    ],
)
def test_a_token_answer_lwa_would_not_give_is_false(alexa_api: FakeAlexaApi, proactive: Proactive, answer: Any) -> None:
    alexa_api.body_for[("POST", "/auth/o2/token")] = answer
    assert send(proactive) is False
    assert posts_to(alexa_api, "/v1/proactiveEvents") == []


def test_a_short_lived_token_is_refreshed_within_its_life(alexa_api: FakeAlexaApi, proactive: Proactive, clock: FixedClock) -> None:
    alexa_api.lwa_expires_in = 100
    assert send(proactive)
    clock.now += timedelta(seconds=89)
    assert send(proactive) and len(alexa_api.lwa_tokens) == 1
    clock.now += timedelta(seconds=1)
    assert send(proactive) and len(alexa_api.lwa_tokens) == 2


# --- off, bad input, slow or absent servers --------------------------------------


@pytest.mark.parametrize("change", [{"lwa_client_id": None}, {"lwa_client_secret": ""}])
def test_disabled_is_false_and_sends_nothing(alexa_api: FakeAlexaApi, clock: FixedClock, change: dict[str, Any]) -> None:
    p = Proactive(settings_for(alexa_api, **change), clock)
    assert p.enabled is False
    assert send(p) is False
    assert alexa_api.requests == []


def test_enabled_needs_both_id_and_secret(alexa_api: FakeAlexaApi, clock: FixedClock) -> None:
    assert Proactive(settings_for(alexa_api), clock).enabled is True
    assert Proactive(Settings(), clock).enabled is False


@pytest.mark.parametrize(
    "args",
    [("", LABEL), (USER, ""), (USER, "  "), (None, LABEL), (USER, 7)],
)
def test_bad_input_is_false_and_sends_nothing(alexa_api: FakeAlexaApi, proactive: Proactive, args: tuple[Any, ...]) -> None:
    user, label = args
    assert proactive.send(user, label, False, None, 1.0) is False
    assert alexa_api.requests == []


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), True, "1"])
def test_a_bad_timeout_is_false_and_sends_nothing(alexa_api: FakeAlexaApi, proactive: Proactive, timeout: Any) -> None:
    assert proactive.send(USER, LABEL, False, None, timeout) is False
    assert alexa_api.requests == []


def test_endpoints_that_would_leak_credentials_are_refused_without_a_request(alexa_api: FakeAlexaApi, clock: FixedClock) -> None:
    leaky = Proactive(settings_for(alexa_api, lwa_token_url="http://api.amazon.com/auth/o2/token"), clock)
    assert send(leaky) is False
    assert send(Proactive(settings_for(alexa_api), clock), endpoint="http://api.amazonalexa.com") is False
    assert posts_to(alexa_api, "/v1/proactiveEvents") == []


def test_redirects_are_not_followed(alexa_api: FakeAlexaApi, proactive: Proactive) -> None:
    alexa_api.status_for[("POST", "/auth/o2/token")] = 302
    assert send(proactive) is False
    assert len(alexa_api.requests) == 1


def test_the_timeout_is_for_the_whole_send(alexa_api: FakeAlexaApi, proactive: Proactive) -> None:
    import time

    alexa_api.delay = 5.0
    started = time.monotonic()
    assert send(proactive, timeout=0.6) is False
    assert time.monotonic() - started < 1.5
    alexa_api.delay = 0.0


def test_an_unreachable_server_is_false(clock: FixedClock) -> None:
    with refused_endpoint() as nowhere:
        p = Proactive(Settings(lwa_client_id="id", lwa_client_secret="s" * 40, lwa_token_url=nowhere + "/auth/o2/token",
                               proactive_endpoint=nowhere), clock)
        assert send(p, timeout=0.5) is False  # refused at once; retried while the half second lasts


def test_never_raises_on_garbage(alexa_api: FakeAlexaApi, proactive: Proactive) -> None:
    for args in [(object(), object(), object(), object(), object(), object()), (USER, LABEL, False, 42, 1.0)]:
        assert proactive.send(*args) is False  # type: ignore[arg-type]


# --- logs ------------------------------------------------------------------------


def test_logs_never_hold_the_token_the_secret_or_the_user(alexa_api: FakeAlexaApi, clock: FixedClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    p = Proactive(settings_for(alexa_api), clock, Sleeps())
    assert send(p)  # success: a token issued and used
    alexa_api.revoked.add("lwa-token-1")
    assert send(p)  # 401, then a fresh token
    for status in (403, 429, 500):
        alexa_api.status_for[("POST", "/v1/proactiveEvents")] = status
        assert not send(p)
    alexa_api.status_for.clear()
    secretive = alexa_api.lwa_client_secret
    alexa_api.body_for[("POST", "/auth/o2/token")] = {"error": "invalid_client", "echo": secretive}
    alexa_api.status_for[("POST", "/auth/o2/token")] = 401
    assert not send(Proactive(settings_for(alexa_api), clock, Sleeps()))
    alexa_api.status_for.clear()
    alexa_api.body_for.clear()
    assert not send(Proactive(settings_for(alexa_api, lwa_client_secret="wrong-SECRET-value"), clock, Sleeps()))
    assert alexa_api.lwa_client_secret not in repr(settings_for(alexa_api)) + repr(p)

    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    for secret in [*alexa_api.lwa_tokens, alexa_api.lwa_client_secret, "wrong-SECRET-value", USER, "SECRET-USER", LABEL]:
        assert secret not in text, secret
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "recovery_coach"]
    assert [(x["op"], x["status"], x["kind"]) for x in lines] == [
        ("proactive_event", 403, "http_status"),
        ("proactive_event", 429, "http_status"),
        ("proactive_event", 500, "http_status"),
        ("lwa_token", 401, "http_status"),
        ("lwa_token", 401, "http_status"),
    ]
    assert all(set(x) == {"event", "op", "status", "kind", "elapsed_ms"} for x in lines)


# --- configuration and wiring ----------------------------------------------------


def test_settings_from_the_environment() -> None:
    s = Settings.from_env({
        "LWA_CLIENT_ID": " amzn1.application-oa2-client.abc ",
        "LWA_CLIENT_SECRET": "amzn1.oa2-cs.v1.xyz",
        "LWA_TOKEN_URL": "https://api.amazon.com/auth/o2/token",
        "PROACTIVE_ENDPOINT": "https://api.eu.amazonalexa.com/",
        "PROACTIVE_STAGE": "LIVE",
        "ALERT_EXPIRY_HOURS": "12",
    })
    assert (s.lwa_client_id, s.lwa_client_secret, s.proactive_endpoint, s.proactive_stage, s.alert_expiry_hours) == (
        "amzn1.application-oa2-client.abc", "amzn1.oa2-cs.v1.xyz", "https://api.eu.amazonalexa.com", "live", 12,
    )
    d = Settings.from_env({})
    assert (d.lwa_client_id, d.lwa_client_secret, d.lwa_token_url, d.proactive_endpoint, d.proactive_stage,
            d.alert_expiry_hours) == (None, "", "https://api.amazon.com/auth/o2/token", "https://api.amazonalexa.com",
                                      "development", 24)
    assert "amzn1.oa2-cs" not in repr(s)


@pytest.mark.parametrize("env", [{"PROACTIVE_STAGE": "prod"}, {"ALERT_EXPIRY_HOURS": "25"}, {"ALERT_EXPIRY_HOURS": "0"}])
def test_bad_proactive_settings_fail_at_start_up(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        Settings.from_env(env)


def test_an_unreadable_lwa_secret_leaves_alerts_off(caplog: pytest.LogCaptureFixture) -> None:
    with refused_endpoint() as nowhere:
        port = nowhere.rsplit(":", 1)[1]
        s = Settings.from_env({"LWA_CLIENT_ID": "id", "LWA_SECRET_ID": "arn:aws:secretsmanager:x",
                               "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": port})
    assert s.lwa_client_secret == ""
    assert Proactive(s, FixedClock()).enabled is False
    assert "lwa_secret_unavailable" in caplog.text


def test_services_build_one_proactive_from_their_settings_and_clock(tmp_path: Any, alexa_api: FakeAlexaApi) -> None:
    clock = FixedClock()
    svc = Services(settings_for(alexa_api), SqliteStore(tmp_path / "x.sqlite3"), clock)
    assert svc.proactive() is svc.proactive() and svc.proactive().enabled  # one per container: its token is kept
    assert svc.proactive().send(USER, LABEL, False, None, 2.0)
    assert alexa_api.proactive_events[0][1]["timestamp"] == "2025-03-09T15:00:00.000Z"  # the services' clock


def test_post_form_refuses_what_it_must_not_send() -> None:
    assert alexa_api.post_form(None, {"a": "b"}, 1.0).error == alexa_api.MISSING_INPUT
    assert alexa_api.post_form("https://x.example/t", {}, 1.0).error == alexa_api.MISSING_INPUT
    for url, fields, timeout in [
        ("http://x.example/t", {"a": "b"}, 1.0),
        ("https://x.example/t", {"a": "b\r\nX: y"}, 1.0),
        ("https://x.example/t", {"a": 1}, 1.0),
        ("https://x.example/t", {"a": "b"}, 0),
        ("https://user@x.example/t", {"a": "b"}, 1.0),
    ]:
        assert alexa_api.post_form(url, fields, timeout).error == alexa_api.INVALID_INPUT  # type: ignore[arg-type]
