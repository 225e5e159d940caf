"""alexa_api against a real local HTTP server (tests/alexa_api_server.py), no mocks."""
from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from recovery_coach import alexa_api as api_module
from recovery_coach.alexa_api import ApiResult, call, device_timezone
from tests.alexa_api_server import FakeAlexaApi, Reply, refused_endpoint, running_alexa_api

DEVICE = "amzn1.ask.device.AEXAMPLEDEVICEID0123456789"
TZ_PATH = f"/v2/devices/{DEVICE}/settings/System.timeZone"
TIMEOUT = 1.0


def tz(api: FakeAlexaApi, *, device: str | None = DEVICE, token: str | None = None, timeout: float = TIMEOUT):
    return device_timezone(api.endpoint, api.token if token is None else token, device, timeout)


# --- the request ---------------------------------------------------------------


def test_sends_get_with_bearer_token_to_the_device_settings_path(alexa_api: FakeAlexaApi) -> None:
    assert tz(alexa_api) == "America/Los_Angeles"

    [req] = alexa_api.requests
    assert req.method == "GET"
    assert req.path == TZ_PATH
    assert req.header("Authorization") == f"Bearer {alexa_api.token}"
    assert req.header("Accept") == "application/json"
    assert req.body is None and req.raw_body == b""


def test_device_id_is_quoted_so_it_cannot_change_the_path(alexa_api: FakeAlexaApi) -> None:
    assert tz(alexa_api, device="../../v1/alerts/reminders?x=1#") == "America/Los_Angeles"
    [req] = alexa_api.requests
    assert req.path == "/v2/devices/..%2F..%2Fv1%2Falerts%2Freminders%3Fx%3D1%23/settings/System.timeZone"


def test_trailing_slash_on_endpoint_is_tolerated(alexa_api: FakeAlexaApi) -> None:
    assert device_timezone(alexa_api.endpoint + "/", alexa_api.token, DEVICE, TIMEOUT) == "America/Los_Angeles"
    assert alexa_api.requests[0].path == TZ_PATH


# --- answers ---------------------------------------------------------------


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata", "UTC", "Etc/GMT+5"])
def test_valid_zone_is_returned(alexa_api: FakeAlexaApi, zone: str) -> None:
    alexa_api.timezone = zone
    assert tz(alexa_api) == zone


@pytest.mark.parametrize(
    "zone",
    ["Mars/Olympus_Mons", "", "America", "../../etc/passwd", "/etc/localtime", "localtime", "posixrules",
     "America/Los_Angeles ", "america/los_angeles_x", "A" * 5000],
)
def test_invalid_zone_string_is_none(alexa_api: FakeAlexaApi, zone: str) -> None:
    alexa_api.timezone = zone
    assert tz(alexa_api) is None


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500, 503])
def test_error_status_is_none(alexa_api: FakeAlexaApi, status: int) -> None:
    alexa_api.status_for[("GET", "/v2/devices/")] = status
    assert tz(alexa_api) is None
    assert len(alexa_api.requests) == 1  # asked once, no retry


def test_wrong_token_is_rejected_by_the_server_and_is_none(alexa_api: FakeAlexaApi) -> None:
    assert tz(alexa_api, token="someone-elses-token") is None
    res = call("GET", alexa_api.endpoint, TZ_PATH, "someone-elses-token", TIMEOUT)
    assert res.status == 401 and res.error == api_module.HTTP_STATUS
    assert res.body["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    "body",
    [b"not json", b"<html>oops</html>", b"\xff\xfe\x00garbage", b"\"unterminated", b"[" * 3000],
    ids=["text", "html", "binary", "unterminated", "deep-nesting"],
)
def test_non_json_body_is_none(alexa_api: FakeAlexaApi, body: bytes) -> None:
    alexa_api.body_for[("GET", "/v2/devices/")] = body
    assert tz(alexa_api) is None


@pytest.mark.parametrize(
    "value",
    [42, None, True, ["America/Los_Angeles"], {"timeZone": "America/Los_Angeles"}],
    ids=["number", "null", "bool", "list", "object"],
)
def test_non_string_json_is_none(alexa_api: FakeAlexaApi, value: object) -> None:
    alexa_api.timezone = value
    assert tz(alexa_api) is None


def test_empty_body_is_none(alexa_api: FakeAlexaApi) -> None:
    alexa_api.status_for[("GET", "/v2/devices/")] = 204
    alexa_api.body_for[("GET", "/v2/devices/")] = b""
    assert tz(alexa_api) is None


def test_huge_body_is_not_read_past_the_cap(alexa_api: FakeAlexaApi) -> None:
    # A valid zone padded with whitespace: valid JSON, but over the 4 KB cap.
    alexa_api.body_for[("GET", "/v2/devices/")] = b'"America/Los_Angeles"' + b" " * 8000
    assert tz(alexa_api) is None
    # Within the cap the same answer is fine.
    alexa_api.body_for[("GET", "/v2/devices/")] = b'"America/Los_Angeles"' + b" " * 1000
    assert tz(alexa_api) == "America/Los_Angeles"


def test_very_large_body_is_none_quickly(alexa_api: FakeAlexaApi) -> None:
    alexa_api.body_for[("GET", "/v2/devices/")] = b'"' + b"A" * (900 * 1024) + b'"'
    started = time.monotonic()
    assert tz(alexa_api) is None
    assert time.monotonic() - started < 1.0


# --- no answer -------------------------------------------------------------


def test_slow_server_times_out_quickly(alexa_api: FakeAlexaApi) -> None:
    alexa_api.delay = 2.0
    started = time.monotonic()
    assert tz(alexa_api, timeout=0.3) is None
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, elapsed
    assert len(alexa_api.wait_for_requests(1)) == 1  # it did ask


def test_slow_call_reports_timeout_with_no_status(alexa_api: FakeAlexaApi) -> None:
    alexa_api.delay = 2.0
    res = call("GET", alexa_api.endpoint, TZ_PATH, alexa_api.token, 0.3)
    assert res == ApiResult(None, None, "timeout", res.elapsed_ms)
    assert res.elapsed_ms < 1000


def test_slow_drip_body_is_cut_at_the_overall_deadline(alexa_api: FakeAlexaApi) -> None:
    # Each byte arrives well within the socket timeout; only the overall deadline stops it.
    alexa_api.drip = 0.05
    started = time.monotonic()
    res = call("GET", alexa_api.endpoint, TZ_PATH, alexa_api.token, 0.3)
    assert res.status is None and res.error == "timeout"
    assert time.monotonic() - started < 1.0
    assert tz(alexa_api, timeout=0.3) is None


def test_slow_drip_within_the_deadline_is_fine(alexa_api: FakeAlexaApi) -> None:
    alexa_api.drip = 0.005  # 21 bytes, ~0.1 s
    assert tz(alexa_api, timeout=1.0) == "America/Los_Angeles"


def test_connection_refused_is_none_quickly() -> None:
    with refused_endpoint() as endpoint:
        started = time.monotonic()
        assert device_timezone(endpoint, "tok", DEVICE, TIMEOUT) is None
        res = call("GET", endpoint, TZ_PATH, "tok", TIMEOUT)
        assert time.monotonic() - started < 1.0
    assert res.status is None and res.error == "connection"


def test_server_that_has_stopped_refuses() -> None:
    with running_alexa_api() as api:
        endpoint, token = api.endpoint, api.token
        assert device_timezone(endpoint, token, DEVICE, TIMEOUT) == "America/Los_Angeles"
    started = time.monotonic()
    assert device_timezone(endpoint, token, DEVICE, TIMEOUT) is None
    assert time.monotonic() - started < 1.0


# --- nothing to ask with ---------------------------------------------------


@pytest.mark.parametrize("missing", ["endpoint", "token", "device"])
@pytest.mark.parametrize("empty", [None, ""])
def test_missing_inputs_are_none_without_any_request(alexa_api: FakeAlexaApi, missing: str, empty: None | str) -> None:
    args = {"endpoint": alexa_api.endpoint, "token": alexa_api.token, "device": DEVICE, missing: empty}
    assert device_timezone(args["endpoint"], args["token"], args["device"], TIMEOUT) is None
    time.sleep(0.05)
    assert alexa_api.requests == []


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), None, "1"])
def test_bad_timeout_is_none_without_any_request(alexa_api: FakeAlexaApi, timeout: object) -> None:
    assert device_timezone(alexa_api.endpoint, alexa_api.token, DEVICE, timeout) is None  # type: ignore[arg-type]
    time.sleep(0.05)
    assert alexa_api.requests == []


@pytest.mark.parametrize(
    "endpoint",
    ["http://api.amazonalexa.com", "ftp://127.0.0.1", "file:///etc/passwd", "https://", "not a url",
     "https://user:pw@api.amazonalexa.com", "http://127.0.0.1:notaport"],
)
def test_endpoint_that_would_leak_the_token_is_refused_without_a_request(endpoint: str) -> None:
    res = call("GET", endpoint, TZ_PATH, "tok", TIMEOUT)
    assert res.status is None and res.error == "invalid_input"
    assert device_timezone(endpoint, "tok", DEVICE, TIMEOUT) is None


def test_garbage_arguments_never_raise() -> None:
    assert device_timezone(123, object(), 5, "x") is None  # type: ignore[arg-type]
    assert device_timezone(None, None, None, None) is None  # type: ignore[arg-type]
    assert call(None, None, None, None, None).error == "missing_input"  # type: ignore[arg-type]
    assert call("GET", "https://x.invalid", "no-slash", "t", 1).error == "invalid_input"
    assert call("BREW", "https://x.invalid", "/", "t", 1).error == "invalid_input"
    assert call("GET", "https://x.invalid", "/", "t\r\nX-Evil: 1", 1).error == "invalid_input"
    assert call("POST", "https://x.invalid", "/", "t", 1, body=object()).error == "invalid_input"


# --- logging ---------------------------------------------------------------


def test_logs_never_contain_the_token_or_the_device_id(alexa_api: FakeAlexaApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    alexa_api.token = "SECRET-TOKEN-abc123"
    device = "amzn1.ask.device.SECRET-DEVICE-xyz789"

    def ask(**kw: Any) -> None:
        device_timezone(kw.get("endpoint", alexa_api.endpoint), kw.get("token", alexa_api.token), device,
                        kw.get("timeout", 0.3))

    ask()  # success
    ask(token="SECRET-TOKEN-wrong")  # 401 from the real auth check
    for status in (403, 404, 429, 500, 503):
        alexa_api.status_for[("GET", "/v2/")] = status
        ask()
    alexa_api.status_for.clear()
    alexa_api.timezone = "Mars/Olympus_Mons"
    ask()
    alexa_api.timezone = 42
    ask()
    alexa_api.body_for[("GET", "/v2/")] = b"not json SECRET-TOKEN-abc123 amzn1.ask.device.SECRET-DEVICE-xyz789"
    ask()
    alexa_api.body_for.clear()
    alexa_api.delay = 2.0
    ask()
    alexa_api.delay = 0
    with refused_endpoint() as endpoint:
        ask(endpoint=endpoint)

    text = caplog.text
    messages = [r.getMessage() for r in caplog.records]
    for secret in ("SECRET-TOKEN", "SECRET-DEVICE", "abc123", "xyz789", device):
        assert secret not in text
        assert not any(secret in m for m in messages)

    ours = [r for r in caplog.records if r.name == "recovery_coach"]
    lines = [json.loads(r.getMessage()) for r in ours]
    assert all(r.levelno == logging.WARNING for r in ours)
    kinds = [(line["status"], line["kind"]) for line in lines]
    assert kinds == [
        (401, "http_status"), (403, "http_status"), (404, "http_status"), (429, "http_status"),
        (500, "http_status"), (503, "http_status"), (200, "invalid_zone"), (200, "bad_body"),
        (200, "bad_json"), (None, "timeout"), (None, "connection"),
    ]
    assert all(line["op"] == "device_timezone" and line["event"] == "alexa_api_failure" for line in lines)


def test_success_and_missing_inputs_log_nothing(alexa_api: FakeAlexaApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert tz(alexa_api) == "America/Los_Angeles"
    assert device_timezone(None, alexa_api.token, DEVICE, TIMEOUT) is None
    assert device_timezone(alexa_api.endpoint, alexa_api.token, None, TIMEOUT) is None
    assert [r for r in caplog.records if r.name == "recovery_coach"] == []


# --- the generic helper (reused by the Reminders API, issue 7) ---------------


def test_call_posts_json_and_parses_json_answers(alexa_api: FakeAlexaApi) -> None:
    def create(api: FakeAlexaApi, request, match) -> Reply:
        return Reply(201, {"alertToken": "tok-1", "status": "ON", "echo": request.body})

    alexa_api.route("POST", r"/v1/alerts/reminders", create)
    body = {"requestTime": "2024-01-01T00:00:00.000", "trigger": {"type": "SCHEDULED_ABSOLUTE"}}
    res = call("POST", alexa_api.endpoint, "/v1/alerts/reminders", alexa_api.token, TIMEOUT, body=body)

    assert res.ok and res.status == 201 and res.error is None
    assert res.body == {"alertToken": "tok-1", "status": "ON", "echo": body}
    [req] = alexa_api.requests
    assert req.method == "POST" and req.path == "/v1/alerts/reminders"
    assert req.header("Content-Type") == "application/json"
    assert req.header("Authorization") == f"Bearer {alexa_api.token}"
    assert req.body == body


def test_call_handles_no_content_and_error_bodies(alexa_api: FakeAlexaApi) -> None:
    alexa_api.route("DELETE", r"/v1/alerts/reminders/(?P<id>[^/]+)", lambda api, req, m: Reply(204))
    res = call("DELETE", alexa_api.endpoint, "/v1/alerts/reminders/tok-1", alexa_api.token, TIMEOUT)
    assert res.ok and res.status == 204 and res.body is None

    alexa_api.status_for[("*", "/v1/alerts/")] = 403
    res = call("PUT", alexa_api.endpoint, "/v1/alerts/reminders/tok-1", alexa_api.token, TIMEOUT, body={})
    assert not res.ok and res.status == 403 and res.error == "http_status"
    assert res.body == {"code": "FORCED", "message": "forced status 403"}


def test_call_does_not_follow_redirects_with_the_token(alexa_api: FakeAlexaApi) -> None:
    alexa_api.route("GET", r"/moved", lambda api, req, m: Reply(302, None, {"Location": f"{api.endpoint}/elsewhere"}))
    res = call("GET", alexa_api.endpoint, "/moved", alexa_api.token, TIMEOUT)
    assert res.status == 302 and res.error == "http_status" and not res.ok
    time.sleep(0.05)
    assert [r.path for r in alexa_api.requests] == ["/moved"]


def test_call_bounds_on_its_own_cap(alexa_api: FakeAlexaApi) -> None:
    alexa_api.body_for[("GET", "/big")] = {"items": ["x" * 100] * 100}
    assert call("GET", alexa_api.endpoint, "/big", alexa_api.token, TIMEOUT, max_bytes=1024).error == "too_large"
    res = call("GET", alexa_api.endpoint, "/big", alexa_api.token, TIMEOUT)
    assert res.ok and len(res.body["items"]) == 100


# --- the fixture itself ----------------------------------------------------


def test_fixture_routes_and_overrides(alexa_api: FakeAlexaApi) -> None:
    assert alexa_api.endpoint.startswith("http://127.0.0.1:")
    assert call("GET", alexa_api.endpoint, "/nope", alexa_api.token, TIMEOUT).status == 404
    assert call("POST", alexa_api.endpoint, TZ_PATH, alexa_api.token, TIMEOUT, body={}).status == 405
    assert call("GET", alexa_api.endpoint, "/nope", "bad", TIMEOUT).status == 401
    alexa_api.status_for[("*", "/")] = 500
    alexa_api.status_for[("GET", "/v2/devices/")] = 418
    assert call("GET", alexa_api.endpoint, TZ_PATH, alexa_api.token, TIMEOUT).status == 418  # longest prefix
    assert call("GET", alexa_api.endpoint, "/x", alexa_api.token, TIMEOUT).status == 500
    assert [r.method for r in alexa_api.requests] == ["GET", "POST", "GET", "GET", "GET"]
    assert alexa_api.server_errors == []


def test_fixture_teardown_is_prompt_even_mid_delay() -> None:
    started = time.monotonic()
    with running_alexa_api() as api:
        api.delay = 30.0
        assert device_timezone(api.endpoint, api.token, DEVICE, 0.2) is None
    assert time.monotonic() - started < 2.0


def test_module_constants_are_what_the_docs_say() -> None:
    assert api_module.TIMEZONE_MAX_BYTES == 4096
