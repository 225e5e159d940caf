"""Alexa web-service request verification (recovery_coach.webhook.verify).

The real chain lives at https://s3.amazonaws.com/echo.api/..., which an offline test run can't
reach, so every Verifier here gets an injected ``fetch`` that maps that URL to a chain made by
tests/alexa_certs.py and trusts only that test root. http_fetch itself is tested against a real
http.server on 127.0.0.1.
"""
from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from recovery_coach.webhook.verify import VerificationError, Verifier, check_cert_url, http_fetch
from tests.alexa_certs import CERT_URL, PKI, make_pki, sign

NOW = datetime(2026, 11, 24, 15, 2, 11, tzinfo=timezone.utc)
SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000001"
OTHER_SKILL = "amzn1.ask.skill.99999999-9999-9999-9999-999999999999"


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def envelope(
    timestamp: object = "2026-11-24T15:02:11Z",
    kind: str = "IntentRequest",
    context_app: str = SKILL_ID,
    session_app: str | None = SKILL_ID,
) -> dict[str, Any]:
    env: dict[str, Any] = {
        "version": "1.0",
        "context": {"System": {"application": {"applicationId": context_app}}},
        "request": {"type": kind, "requestId": "amzn1.echo-api.request.1", "timestamp": timestamp, "locale": "en-US"},
    }
    if session_app is not None:
        env["session"] = {"new": True, "sessionId": "s1", "application": {"applicationId": session_app}}
    return env


def body_of(env: dict[str, Any]) -> bytes:
    return json.dumps(env).encode()


@pytest.fixture
def pki() -> PKI:
    return make_pki(NOW)


def verifier(pki: PKI, clock: Clock | None = None, **kwargs: Any) -> Verifier:
    kwargs.setdefault("fetch", pki.fetcher())
    return Verifier(SKILL_ID, trust_roots=[pki.root], now=clock or Clock(), **kwargs)


def check(pki: PKI, env: dict[str, Any] | None = None, v: Verifier | None = None, url: str | None = None) -> None:
    env = env if env is not None else envelope()
    body = body_of(env)
    (v or verifier(pki)).verify(pki.headers(body, url), body, env)


def rejects(pki: PKI, reason: str, **kwargs: Any) -> None:
    with pytest.raises(VerificationError) as e:
        check(pki, **kwargs)
    assert str(e.value) == reason


# --- signature and body ---------------------------------------------------------------------


def test_a_correctly_signed_request_passes(pki: PKI) -> None:
    check(pki)
    assert pki.fetched == [CERT_URL]


def test_a_wrong_signature_is_rejected(pki: PKI) -> None:
    env = envelope()
    body = body_of(env)
    headers = {"signaturecertchainurl": CERT_URL, "signature-256": sign(b"something else", pki.signing_key)}
    with pytest.raises(VerificationError, match="signature_mismatch"):
        verifier(pki).verify(headers, body, env)


def test_a_tampered_body_is_rejected(pki: PKI) -> None:
    env = envelope()
    body = body_of(env)
    headers = pki.headers(body)
    tampered = body.replace(b"IntentRequest", b"LaunchRequest")
    with pytest.raises(VerificationError, match="signature_mismatch"):
        verifier(pki).verify(headers, tampered, json.loads(tampered))


# --- the certificate URL --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "cert_url_scheme"),
        ("https://notamazon.com/echo.api/echo-api-cert.pem", "cert_url_host"),
        ("https://s3.amazonaws.com.evil.com/echo.api/echo-api-cert.pem", "cert_url_host"),
        ("https://s3.amazonaws.com@evil.com/echo.api/echo-api-cert.pem", "cert_url_host"),
        ("https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem", "cert_url_path"),
        ("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", "cert_url_port"),
        ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", "cert_url_path"),
        ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", "cert_url_path"),
        ("https://s3.amazonaws.com/echo.api/x.pem?u=https://evil.com/", "cert_url_query"),
        ("https://s3.amazonaws.com/echo.api/x.pem#frag", "cert_url_query"),
        ("https://s3.amazonaws.com/echo.api/%2e%2e/evil.pem", "cert_url_invalid"),
        ("https://s3.amazonaws.com/echo.api", "cert_url_path"),
    ],
)
def test_a_bad_cert_url_is_rejected(url: str, reason: str) -> None:
    with pytest.raises(VerificationError) as e:
        check_cert_url(url)
    assert str(e.value) == reason


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem",
        "HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert-test.pem",
    ],
)
def test_equivalent_cert_urls_pass_and_share_one_cached_chain(pki: PKI, url: str) -> None:
    assert check_cert_url(url) == CERT_URL
    v = verifier(pki)
    check(pki, v=v, url=url)
    check(pki, v=v)
    assert pki.fetched == [CERT_URL]


def test_a_bad_cert_url_is_rejected_before_anything_is_fetched(pki: PKI) -> None:
    rejects(pki, "cert_url_path", url="https://s3.amazonaws.com/echo.api/../evil/cert.pem")
    assert pki.fetched == []


# --- the chain ------------------------------------------------------------------------------


def test_an_expired_signing_cert_is_rejected() -> None:
    pki = make_pki(NOW, valid_from=NOW - timedelta(days=90), valid_until=NOW - timedelta(seconds=1))
    rejects(pki, "cert_chain_invalid")


def test_a_not_yet_valid_signing_cert_is_rejected() -> None:
    pki = make_pki(NOW, valid_from=NOW + timedelta(minutes=5), valid_until=NOW + timedelta(days=90))
    rejects(pki, "cert_chain_invalid")


def test_a_signing_cert_for_another_name_is_rejected() -> None:
    rejects(make_pki(NOW, san="echo-api.evil.com"), "cert_chain_invalid")


def test_a_wildcard_that_covers_the_name_is_not_the_name() -> None:
    rejects(make_pki(NOW, san="*.amazon.com"), "cert_san")


def test_a_signing_key_under_2048_bits_is_rejected() -> None:
    rejects(make_pki(NOW, signing_key="signing-1024"), "cert_key_too_small")
    check(make_pki(NOW, signing_key="signing-3072"))


def test_a_failed_fetch_is_not_repeated_for_a_minute(pki: PKI) -> None:
    clock, calls = Clock(), []

    def fetch(url: str, timeout: float) -> bytes:
        calls.append(url)
        raise TimeoutError("timed out")

    v = verifier(pki, clock, fetch=fetch)
    for _ in range(5):
        rejects(pki, "cert_fetch_failed", v=v)
    assert len(calls) == 1
    clock.now += timedelta(seconds=61)
    rejects(pki, "cert_fetch_failed", env=envelope(timestamp=clock.now.isoformat()), v=v)
    assert len(calls) == 2


def test_new_cert_urls_cost_at_most_ten_fetches_a_minute(pki: PKI) -> None:
    v = verifier(pki)
    urls = [f"https://s3.amazonaws.com/echo.api/cert-{n}.pem" for n in range(12)]
    reasons = []
    for url in urls:
        with pytest.raises(VerificationError) as e:
            check(pki, v=v, url=url)
        reasons.append(str(e.value))
    assert reasons == ["cert_fetch_failed"] * 10 + ["cert_fetch_limited"] * 2 and len(pki.fetched) == 10
    rejects(pki, "cert_fetch_limited", v=v)  # Amazon's own URL too, until the minute has passed


def test_a_chain_from_an_untrusted_ca_is_rejected(pki: PKI) -> None:
    evil = make_pki(NOW, root_name="Evil Root CA", root_key="untrusted-root")
    env = envelope()
    body = body_of(env)
    v = Verifier(SKILL_ID, trust_roots=[pki.root], fetch=evil.fetcher(), now=Clock())
    with pytest.raises(VerificationError, match="cert_chain_invalid"):
        v.verify(evil.headers(body), body, env)


def test_a_chain_url_that_does_not_hold_pem_is_rejected(pki: PKI) -> None:
    with pytest.raises(VerificationError, match="cert_chain_unreadable"):
        check(pki, v=verifier(pki, fetch=pki.fetcher({CERT_URL: b"<html>AccessDenied</html>"})))


def test_a_fetch_failure_is_a_verification_error(pki: PKI) -> None:
    def fetch(url: str, timeout: float) -> bytes:
        raise TimeoutError("timed out")

    with pytest.raises(VerificationError, match="cert_fetch_failed"):
        check(pki, v=verifier(pki, fetch=fetch))


def test_the_chain_is_fetched_once_and_cached_until_the_signing_cert_expires() -> None:
    clock = Clock()
    old = make_pki(NOW, valid_until=NOW + timedelta(hours=1))
    fetched: list[str] = []
    served = {CERT_URL: old.pem()}

    def fetch(url: str, timeout: float) -> bytes:
        fetched.append(url)
        return served[url]

    v = Verifier(SKILL_ID, trust_roots=[old.root], fetch=fetch, now=clock)
    for _ in range(3):
        check(old, v=v)
    assert fetched == [CERT_URL]

    # Amazon rotates the certificate; once the cached one has expired the URL is fetched again.
    clock.now = NOW + timedelta(hours=1, seconds=1)
    new = make_pki(clock.now)
    served[CERT_URL] = new.pem()
    check(new, env=envelope(timestamp=clock.now.isoformat()), v=v)
    check(new, env=envelope(timestamp=clock.now.isoformat()), v=v)
    assert fetched == [CERT_URL, CERT_URL]


# --- the timestamp --------------------------------------------------------------------------


def test_a_cached_chain_is_fetched_again_after_a_signature_mismatch_at_most_once_a_minute() -> None:
    clock, old = Clock(), make_pki(NOW)
    served = {CERT_URL: old.pem()}
    fetched: list[str] = []

    def fetch(url: str, timeout: float) -> bytes:
        fetched.append(url)
        return served[url]

    v = Verifier(SKILL_ID, trust_roots=[old.root], fetch=fetch, now=clock)
    check(old, v=v)
    # Amazon puts a new signing certificate (a new key) at the same URL.
    new = make_pki(NOW, signing_key="signing-rotated")
    served[CERT_URL] = new.pem()
    rejects(new, "signature_mismatch", v=v)  # the cached chain is less than a minute old: no fetch
    assert fetched == [CERT_URL]
    clock.now += timedelta(seconds=60)
    check(new, env=envelope(timestamp=clock.now.isoformat()), v=v)
    check(new, env=envelope(timestamp=clock.now.isoformat()), v=v)
    assert fetched == [CERT_URL, CERT_URL]
    rejects(old, "signature_mismatch", env=envelope(timestamp=clock.now.isoformat()), v=v)  # fetched just now
    assert fetched == [CERT_URL, CERT_URL]


def test_a_skill_event_from_the_future_is_rejected(pki: PKI) -> None:
    kind = "AlexaSkillEvent.SkillDisabled"
    check(pki, env=envelope(timestamp="2026-11-24T15:04:41Z", kind=kind, session_app=None))  # 150 s ahead
    rejects(pki, "timestamp_out_of_range", env=envelope(timestamp="2026-11-24T15:04:42Z", kind=kind, session_app=None))
    rejects(pki, "timestamp_out_of_range", env=envelope(timestamp="2026-11-24T15:30:00Z", kind=kind, session_app=None))


def test_a_stale_timestamp_is_rejected(pki: PKI) -> None:
    rejects(pki, "timestamp_out_of_range", env=envelope(timestamp="2026-11-24T14:59:40Z"))  # 151 s old
    check(pki, env=envelope(timestamp="2026-11-24T14:59:41Z"))  # 150 s old


def test_a_future_timestamp_is_rejected(pki: PKI) -> None:
    rejects(pki, "timestamp_out_of_range", env=envelope(timestamp="2026-11-24T15:04:42Z"))  # 151 s ahead
    check(pki, env=envelope(timestamp="2026-11-24T15:04:41Z"))


def test_a_skill_event_timestamp_may_be_up_to_an_hour_old(pki: PKI) -> None:
    kind = "AlexaSkillEvent.SkillDisabled"
    check(pki, env=envelope(timestamp="2026-11-24T14:02:11Z", kind=kind, session_app=None))
    epoch_ms = int((NOW - timedelta(minutes=59)).timestamp() * 1000)
    check(pki, env=envelope(timestamp=epoch_ms, kind=kind, session_app=None))
    rejects(pki, "timestamp_out_of_range", env=envelope(timestamp="2026-11-24T14:02:10Z", kind=kind, session_app=None))
    rejects(pki, "timestamp_out_of_range", env=envelope(timestamp="2026-11-24T14:02:11Z"))  # not for ordinary requests


@pytest.mark.parametrize("timestamp", [None, "", "yesterday", {"at": 1}, [1], True, float("nan"), 1e300])
def test_a_missing_or_unreadable_timestamp_is_rejected(pki: PKI, timestamp: object) -> None:
    rejects(pki, "timestamp_invalid", env=envelope(timestamp=timestamp))


# --- the application id ---------------------------------------------------------------------


def test_another_skills_id_in_context_is_rejected(pki: PKI) -> None:
    rejects(pki, "application_id", env=envelope(context_app=OTHER_SKILL))


def test_another_skills_id_in_session_is_rejected(pki: PKI) -> None:
    rejects(pki, "application_id", env=envelope(session_app=OTHER_SKILL))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda e: e.update(request=[1, 2]),
        lambda e: e.update(request="IntentRequest"),
        lambda e: e["request"].update(type=7),
        lambda e: e["request"].pop("timestamp"),
        lambda e: e.update(context=[]),
        lambda e: e["context"].update(System="x"),
        lambda e: e["context"]["System"].update(application=None),
        lambda e: e.update(session=["x"]),
        lambda e: e["session"].update(application=3),
        lambda e: e.pop("context"),
    ],
)
def test_wrong_types_in_the_envelope_are_verification_errors(pki: PKI, mangle: Any) -> None:
    env = envelope()
    mangle(env)
    with pytest.raises(VerificationError):
        check(pki, env=env)
    assert pki.fetched == []  # rejected before any fetch


# --- headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(("missing", "reason"), [("signaturecertchainurl", "missing_cert_url"), ("signature-256", "missing_signature")])
def test_a_missing_header_is_rejected(pki: PKI, missing: str, reason: str) -> None:
    env = envelope()
    body = body_of(env)
    headers = pki.headers(body)
    del headers[missing]
    with pytest.raises(VerificationError, match=reason):
        verifier(pki).verify(headers, body, env)


@pytest.mark.parametrize("signature", ["not base64!", "abc", "ab=c", "YWJj\n!"])
def test_a_signature_that_is_not_base64_is_rejected(pki: PKI, signature: str) -> None:
    env = envelope()
    body = body_of(env)
    headers = {"signaturecertchainurl": CERT_URL, "signature-256": signature}
    with pytest.raises(VerificationError, match="signature_not_base64"):
        verifier(pki).verify(headers, body, env)


# --- http_fetch against a real local server -------------------------------------------------

PEM = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path in ("/trickle-body", "/trickle-headers"):
            self._trickle()
            return
        if self.path == "/slow":
            time.sleep(1.5)
        if self.path == "/missing":
            self.send_error(404)
            return
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/chain.pem")
            self.end_headers()
            return
        body = b"x" * (64 * 1024 + 1) if self.path == "/huge" else PEM
        self.send_response(200)
        self.send_header("Content-Type", "application/x-pem-file")
        if self.path != "/huge-unsized":
            self.send_header("Content-Length", str(len(body)))
        else:
            body = b"x" * (64 * 1024 + 1)
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:  # the client gave up first
            pass

    def _trickle(self) -> None:
        """A byte every 0.1 s for up to 5 s: each read returns in time, the whole never does."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-pem-file\r\nContent-Length: 100000\r\n"
        drip = head + b"X-Slow: " + b"a" * 60 if self.path == "/trickle-headers" else head + b"\r\n" + b"x" * 60
        if self.path != "/trickle-headers":
            self.wfile.write(head + b"\r\n")
            drip = b"x" * 50
        try:
            for byte in drip:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def local_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_http_fetch_returns_the_body(local_server: str) -> None:
    assert http_fetch(f"{local_server}/chain.pem", 2.0) == PEM


def test_http_fetch_times_out_on_a_slow_server(local_server: str) -> None:
    start = time.monotonic()
    with pytest.raises(OSError):  # TimeoutError is an OSError
        http_fetch(f"{local_server}/slow", 0.3)
    assert time.monotonic() - start < 1.2


@pytest.mark.parametrize("path", ["/trickle-headers", "/trickle-body"])
def test_http_fetch_gives_up_at_its_deadline_on_a_trickling_server(local_server: str, path: str) -> None:
    start = time.monotonic()
    with pytest.raises(OSError):
        http_fetch(f"{local_server}{path}", 0.5)
    assert time.monotonic() - start < 1.0  # before: each byte reset the timeout (12 s observed at 2 s)


def test_http_fetch_raises_on_404(local_server: str) -> None:
    with pytest.raises(OSError, match="404"):
        http_fetch(f"{local_server}/missing", 2.0)


def test_http_fetch_does_not_follow_redirects(local_server: str) -> None:
    with pytest.raises(OSError, match="302"):
        http_fetch(f"{local_server}/redirect", 2.0)


@pytest.mark.parametrize("path", ["/huge", "/huge-unsized"])
def test_http_fetch_raises_on_an_oversize_body(local_server: str, path: str) -> None:
    with pytest.raises(OSError, match="too large"):
        http_fetch(f"{local_server}{path}", 2.0)
