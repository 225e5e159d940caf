"""The self-hosted endpoint: verified before any skill code runs, 400/413 for everything else, never a 5xx."""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_function import lambda_handler
from recovery_coach import envelope
from recovery_coach.handlers.base import user_key
from recovery_coach.services import Services
from recovery_coach.webhook.app import SkillApp
from recovery_coach.webhook.verify import Verifier
from tests.alexa_certs import CERT_URL, PKI, make_pki, sign
from tests.conftest import NOW as INSTANT
from tests.wsgi_client import HttpReply, call

SKILL_ID = "amzn1.ask.skill.5e1f0000-0000-4000-8000-000000000000"
NOW = INSTANT  # the instant the suite runs at (tests/conftest.py)


class Spy:
    """Counts how often the skill ran: verification must stop bad requests before it."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.calls += 1
        return lambda_handler(event, context)


@pytest.fixture(scope="module")
def pki() -> PKI:
    return make_pki(NOW)


@pytest.fixture
def app(services: Services, pki: PKI) -> SkillApp:
    verifier = Verifier(skill_id=SKILL_ID, trust_roots=[pki.root], fetch=pki.fetcher())
    return SkillApp(replace(services.settings, skill_id=SKILL_ID), verifier, Spy())


def device(**kwargs: Any) -> envelope.Device:
    return envelope.Device(skill_id=SKILL_ID, **kwargs)


def checkin_event(score: str = "6", when: datetime | None = None) -> dict[str, Any]:
    slots = {"score": envelope.slot_json("score", score)}
    return envelope.request(
        {"type": "IntentRequest", "intent": {"name": "CheckInIntent", "confirmationStatus": "NONE", "slots": slots}},
        device(), envelope.Session(), now=when,
    )


def post(app: SkillApp, pki: PKI, event: Any = None, *, body: bytes | None = None, headers: dict[str, str] | None = None,
         url: str = CERT_URL) -> HttpReply:
    raw = body if body is not None else json.dumps(event if event is not None else checkin_event()).encode()
    sent = {"SignatureCertChainUrl": url, "Signature-256": sign(raw, pki.signing_key)} if headers is None else headers
    return call(app, "POST", "/", raw, sent)


def checkins(services: Services) -> tuple:
    return services.store.load(user_key(device().user_id), since=NOW.date() - timedelta(days=2)).checkins


def test_a_correctly_signed_request_gets_the_skills_answer(app: SkillApp, pki: PKI, services: Services) -> None:
    reply = post(app, pki)
    assert reply.status == 200
    assert "Saved: your pain is 6 today" in reply.json()["response"]["outputSpeech"]["ssml"]
    assert len(checkins(services)) == 1


def rejected(reply: HttpReply, app: SkillApp, services: Services, status: int = 400) -> str:
    assert reply.status == status
    assert app.handler.calls == 0, "skill code ran for a rejected request"  # type: ignore[attr-defined]
    assert checkins(services) == ()
    return reply.json()["error"]


def test_a_wrong_signature(app: SkillApp, pki: PKI, services: Services) -> None:
    body = json.dumps(checkin_event()).encode()
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature-256": sign(body + b" ", pki.signing_key)}
    assert rejected(post(app, pki, body=body, headers=headers), app, services) == "verification:signature_mismatch"


def test_a_tampered_body(app: SkillApp, pki: PKI, services: Services) -> None:
    body = json.dumps(checkin_event("2")).encode()
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature-256": sign(body, pki.signing_key)}
    tampered = body.replace(b'"value": "2"', b'"value": "9"')
    assert tampered != body
    assert rejected(post(app, pki, body=tampered, headers=headers), app, services) == "verification:signature_mismatch"


@pytest.mark.parametrize(
    "url",
    [
        "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://notamazon.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem",
        "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
    ],
    ids=["http", "other-host", "dot-dot", "wrong-port", "path-case"],
)
def test_a_bad_certificate_url(app: SkillApp, pki: PKI, services: Services, url: str) -> None:
    assert rejected(post(app, pki, url=url), app, services).startswith("verification:cert_url")


@pytest.mark.parametrize(
    "url",
    ["https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem", "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
     "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem"],
)
def test_certificate_urls_alexa_allows(services: Services, pki: PKI, url: str) -> None:
    verifier = Verifier(skill_id=SKILL_ID, trust_roots=[pki.root], fetch=lambda u, t: pki.pem())
    app = SkillApp(replace(services.settings, skill_id=SKILL_ID), verifier, Spy())
    assert post(app, pki, url=url).status == 200


@pytest.mark.parametrize("kind", ["expired", "wrong-san", "untrusted"])
def test_a_bad_certificate(services: Services, kind: str) -> None:
    if kind == "expired":
        bad = make_pki(NOW, valid_from=NOW - timedelta(days=400), valid_until=NOW - timedelta(days=1))
    elif kind == "wrong-san":
        bad = make_pki(NOW, san="echo-api.example.com")
    else:
        bad = make_pki(NOW, root_key="untrusted-root", root_name="Untrusted Root")
    trusted = make_pki(NOW)
    verifier = Verifier(skill_id=SKILL_ID, trust_roots=[trusted.root], fetch=bad.fetcher())
    app = SkillApp(replace(services.settings, skill_id=SKILL_ID), verifier, Spy())
    assert rejected(post(app, bad), app, services) == "verification:cert_chain_invalid"


@pytest.mark.parametrize("skew", [timedelta(seconds=-151), timedelta(seconds=151)], ids=["stale", "future"])
def test_a_timestamp_out_of_range(app: SkillApp, pki: PKI, services: Services, skew: timedelta) -> None:
    event = checkin_event(when=datetime.now(timezone.utc) + skew)
    assert rejected(post(app, pki, event), app, services) == "verification:timestamp_out_of_range"


def test_a_skill_event_may_be_an_hour_old(app: SkillApp, pki: PKI) -> None:
    event = envelope.request(
        {"type": "AlexaSkillEvent.SkillDisabled", "body": {"userInformationPersistenceStatus": "PERSISTED"}},
        device(), now=datetime.now(timezone.utc) - timedelta(minutes=50),
    )
    assert post(app, pki, event).status == 200


def test_a_wrong_skill_id(app: SkillApp, pki: PKI, services: Services) -> None:
    event = checkin_event()
    event["context"]["System"]["application"]["applicationId"] = "amzn1.ask.skill.someone-else"
    assert rejected(post(app, pki, event), app, services) == "verification:application_id"


@pytest.mark.parametrize("missing", ["SignatureCertChainUrl", "Signature-256"])
def test_missing_headers(app: SkillApp, pki: PKI, services: Services, missing: str) -> None:
    body = json.dumps(checkin_event()).encode()
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature-256": sign(body, pki.signing_key)}
    del headers[missing]
    assert rejected(post(app, pki, body=body, headers=headers), app, services).startswith("verification:missing")


def test_a_body_that_is_not_json(app: SkillApp, pki: PKI, services: Services) -> None:
    assert rejected(post(app, pki, body=b"<xml>hello</xml>"), app, services) == "not_json"


def test_an_oversized_body(app: SkillApp, pki: PKI, services: Services) -> None:
    body = b'{"pad": "' + b"x" * (app.settings.max_body_bytes + 1) + b'"}'
    assert rejected(post(app, pki, body=body), app, services, status=413) == "too_large"


def test_a_certificate_fetch_failure_is_a_400(services: Services, pki: PKI) -> None:
    def broken(url: str, timeout: float) -> bytes:
        raise TimeoutError("no answer")

    app = SkillApp(replace(services.settings, skill_id=SKILL_ID), Verifier(SKILL_ID, [pki.root], broken), Spy())
    assert rejected(post(app, pki), app, services) == "verification:cert_fetch_failed"


def test_health_and_unknown_routes(app: SkillApp) -> None:
    assert call(app, "GET", "/health").json() == {"status": "ok"}
    assert call(app, "GET", "/").status == 405
    assert call(app, "GET", "/nope").status == 404


def test_logs_are_json_lines_with_nothing_about_the_user(app: SkillApp, pki: PKI, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        post(app, pki)
        post(app, pki, body=b"not json")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "recovery_coach.webhook"]
    assert [line["status"] for line in lines] == [200, 400]
    for line in lines:
        assert set(line) <= {"request_id", "type", "intent", "status", "route", "latency_ms", "reason"}
    assert lines[0]["intent"] == "CheckInIntent" and lines[0]["request_id"].startswith("amzn1.echo-api.request.")
    assert device().user_id not in caplog.text and "score" not in caplog.text


def test_a_signed_request_of_a_type_the_sdk_does_not_know_gets_200_and_the_empty_response(
    app: SkillApp, pki: PKI, services: Services
) -> None:
    event = envelope.request({"type": "Alexa.Example.SomethingNew"}, device(), envelope.Session())
    reply = post(app, pki, event)
    assert reply.status == 200 and reply.json() == {"version": "1.0", "response": {}}
    assert app.handler.calls == 1  # type: ignore[attr-defined]


# --- fuzzing: signed, so they get past the signature and test everything behind it -----------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@st.composite
def envelopes(draw: st.DrawFn) -> Any:
    base = checkin_event(score=draw(st.sampled_from(["11", "-3", "?", "banana", "7.5", ""])))
    kind = draw(st.sampled_from(["random", "drop", "retype", "request_type", "huge"]))
    if kind == "random":
        return draw(JSON)
    if kind == "drop":
        path = draw(st.sampled_from([("request",), ("context",), ("request", "intent"), ("request", "timestamp"),
                                     ("context", "System"), ("session",), ("request", "intent", "slots")]))
        target = base
        for key in path[:-1]:
            target = target[key]
        target.pop(path[-1], None)
    elif kind == "retype":
        path = draw(st.sampled_from([("request",), ("request", "intent"), ("request", "intent", "slots"),
                                     ("context", "System", "user"), ("session", "attributes"), ("request", "locale")]))
        target = base
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = draw(JSON)
    elif kind == "request_type":
        base["request"]["type"] = draw(st.text(max_size=60))
    else:
        base["request"]["intent"]["slots"]["score"]["value"] = "9" * draw(st.integers(1000, 100_000))
    return base


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=envelopes())
def test_fuzzed_envelopes_never_get_a_5xx_and_store_nothing(app: SkillApp, pki: PKI, services: Services, event: Any) -> None:
    reply = post(app, pki, body=json.dumps(event).encode())
    assert reply.status in (200, 400, 413)
    assert checkins(services) == ()
