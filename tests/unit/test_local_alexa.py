"""local_alexa: the Reminders API on 127.0.0.1, driven by the skill's real client (alexa_api.call)."""
from __future__ import annotations

import http.client
import json
import os
import stat
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from recovery_coach import alexa_api, reminders
from recovery_coach.alexa_api import ApiResult, call
from recovery_coach.local_alexa import LocalAlexa, alexa_time

NOW = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)
ZONE = "America/Chicago"
TIMEOUT = 2.0
PATH = reminders.PATH


def fixed_clock() -> datetime:
    return NOW


def body(at: time = time(9, 0), text: str = "Time for your check-in.") -> dict[str, Any]:
    return reminders.request_body(at, NOW.astimezone(ZoneInfo(ZONE)), ZONE, "en-US", text)


def api(local: LocalAlexa, method: str, path: str, payload: Any = None, token: str | None = None) -> ApiResult:
    return call(method, local.endpoint, path, local.token if token is None else token, TIMEOUT, payload)


def raw(local: LocalAlexa, method: str, path: str, data: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    """A request the project's client would never send (bad JSON, no token)."""
    parts = urlsplit(local.endpoint)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "recovery.reminders.json"


@pytest.fixture
def local(store: Path) -> Iterator[LocalAlexa]:
    with LocalAlexa(store, fixed_clock).start() as running:
        yield running


def create(local: LocalAlexa, payload: dict[str, Any] | None = None) -> str:
    res = api(local, "POST", PATH, payload or body())
    assert res.status == 201 and res.ok, res
    return res.body["alertToken"]


# --- create, read, update, delete ----------------------------------------------------------------


def test_create_answers_like_the_reminders_api(local: LocalAlexa) -> None:
    res = api(local, "POST", PATH, body())

    assert res.status == 201 and res.error is None
    token = res.body["alertToken"]
    assert str(uuid.UUID(token)) == token
    assert res.body == {
        "alertToken": token,
        "createdTime": "2026-03-01T09:00:00.000Z",
        "updatedTime": "2026-03-01T09:00:00.000Z",
        "status": "ON",
        "version": "1",
        "href": f"/v1/alerts/reminders/{token}",
    }


def test_get_lists_what_was_created_and_returns_one(local: LocalAlexa) -> None:
    sent = body()
    token = create(local, sent)

    listed = api(local, "GET", PATH)
    assert listed.status == 200
    assert listed.body["totalCount"] == "1" and listed.body["links"] is None
    [alert] = listed.body["alerts"]
    assert alert["alertToken"] == token
    assert alert["trigger"] == sent["trigger"]
    assert alert["alertInfo"] == sent["alertInfo"]
    assert alert["pushNotification"] == {"status": "ENABLED"}
    assert alert["status"] == "ON" and alert["version"] == "1"

    one = api(local, "GET", f"{PATH}/{token}")
    assert one.status == 200 and one.body == alert
    assert local.reminders() == [alert]


def test_put_replaces_the_reminder_and_bumps_version_and_updated_time(store: Path) -> None:
    now = [NOW]
    with LocalAlexa(store, lambda: now[0]).start() as local:
        token = create(local)
        now[0] = NOW + timedelta(hours=2, milliseconds=250)
        moved = body(time(20, 30), "Evening check-in.")

        res = api(local, "PUT", f"{PATH}/{token}", moved)

        assert res.status == 200 and res.ok
        assert res.body["alertToken"] == token and res.body["version"] == "2"
        assert res.body["createdTime"] == "2026-03-01T09:00:00.000Z"
        assert res.body["updatedTime"] == "2026-03-01T11:00:00.250Z"
        [alert] = api(local, "GET", PATH).body["alerts"]
        assert alert["trigger"] == moved["trigger"] and alert["alertInfo"] == moved["alertInfo"]
        assert alert["trigger"]["recurrence"]["recurrenceRules"] == [
            "FREQ=DAILY;BYHOUR=20;BYMINUTE=30;BYSECOND=0;INTERVAL=1;"
        ]
        assert api(local, "PUT", f"{PATH}/{token}", moved).body["version"] == "3"


def test_delete_then_it_is_gone(local: LocalAlexa) -> None:
    token = create(local)
    keep = create(local)

    res = api(local, "DELETE", f"{PATH}/{token}")
    assert res.status == 200 and res.ok and res.body == {}

    gone = api(local, "GET", f"{PATH}/{token}")
    assert gone.status == 404 and gone.error == alexa_api.HTTP_STATUS and gone.body["code"] == "NOT_FOUND"
    assert api(local, "DELETE", f"{PATH}/{token}").status == 404
    assert [a["alertToken"] for a in local.reminders()] == [keep]


def test_unknown_reminder_is_404_for_get_put_and_delete(local: LocalAlexa) -> None:
    missing = f"{PATH}/{uuid.uuid4()}"
    for method, payload in (("GET", None), ("PUT", body()), ("DELETE", None)):
        res = api(local, method, missing, payload)
        assert res.status == 404, method
        assert res.body["code"] == "NOT_FOUND"
    assert local.reminders() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/v1/alerts"), ("DELETE", PATH), ("PUT", PATH), ("PATCH", PATH),
     ("GET", f"{PATH}/a/b"), ("GET", "/v2/devices/dev/settings/System.timeZone")],
)
def test_anything_else_is_404(local: LocalAlexa, method: str, path: str) -> None:
    res = api(local, method, path, {} if method in ("PUT", "PATCH") else None)
    assert res.status == 404 and res.body["code"] == "NOT_FOUND"


# --- refusals ----------------------------------------------------------------------------------


def test_wrong_token_is_401_and_changes_nothing(local: LocalAlexa) -> None:
    token = create(local)
    for method, path, payload in (("POST", PATH, body()), ("GET", PATH, None), ("DELETE", f"{PATH}/{token}", None)):
        res = api(local, method, path, payload, token=local.token + "x")
        assert res.status == 401, method
        assert res.body["code"] == "UNAUTHORIZED"
    assert len(local.reminders()) == 1


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "bearer {token}", "{token}", "Basic {token}"])
def test_missing_or_malformed_authorization_is_401(local: LocalAlexa, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header.format(token=local.token)}
    status, answer = raw(local, "GET", PATH, b"", headers)
    assert status == 401 and answer["code"] == "UNAUTHORIZED"


def test_every_start_has_a_new_random_token(store: Path) -> None:
    with LocalAlexa(store, fixed_clock) as first:
        old = first.token
    with LocalAlexa(store, fixed_clock) as second:
        assert second.token and second.token != old and len(second.token) >= 32
        assert api(second, "GET", PATH, token=old).status == 401


def drop(payload: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``payload`` with the key at the end of the ``keys`` path removed."""
    copy = json.loads(json.dumps(payload))
    node = copy
    for key in keys[:-1]:
        node = node[key]
    del node[keys[-1]]
    return copy


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (drop(body(), "trigger"), "INVALID_TRIGGER"),
        ({**body(), "trigger": {**body()["trigger"], "type": "SCHEDULED_SOMETIME"}}, "INVALID_TRIGGER"),
        ({**body(), "trigger": "tomorrow"}, "INVALID_TRIGGER"),
        (drop(body(), "alertInfo"), "INVALID_ALERT_INFO"),
        (drop(body(), "alertInfo", "spokenInfo"), "INVALID_ALERT_INFO"),
        ({**body(), "alertInfo": {"spokenInfo": {"content": []}}}, "INVALID_ALERT_INFO"),
        ({**body(), "alertInfo": {"spokenInfo": {"content": "hello"}}}, "INVALID_ALERT_INFO"),
        ({**body(), "pushNotification": "ENABLED"}, "INVALID_PUSH_NOTIFICATION"),
        ([body()], "INVALID_REQUEST_BODY"),
    ],
)
def test_bad_body_is_400_and_stores_nothing(local: LocalAlexa, payload: Any, code: str) -> None:
    res = api(local, "POST", PATH, payload)
    assert res.status == 400 and res.body["code"] == code
    assert res.body["code"].startswith("INVALID_")
    assert local.reminders() == []


def test_relative_trigger_is_accepted(local: LocalAlexa) -> None:
    payload = {**body(), "trigger": {"type": "SCHEDULED_RELATIVE", "offsetInSeconds": 600}}
    token = create(local, payload)
    assert api(local, "GET", f"{PATH}/{token}").body["trigger"] == payload["trigger"]


def test_bad_put_body_is_400_and_leaves_the_reminder_alone(local: LocalAlexa) -> None:
    token = create(local)
    before = local.reminders()
    res = api(local, "PUT", f"{PATH}/{token}", drop(body(), "trigger"))
    assert res.status == 400 and res.body["code"] == "INVALID_TRIGGER"
    assert local.reminders() == before


def test_bad_json_is_400(local: LocalAlexa) -> None:
    headers = {"Authorization": f"Bearer {local.token}", "Content-Type": "application/json"}
    status, answer = raw(local, "POST", PATH, b'{"trigger": ', headers)
    assert status == 400 and answer["code"].startswith("INVALID_")
    assert local.reminders() == []


def test_body_over_64_kib_is_413(local: LocalAlexa) -> None:
    big = body(text="x" * (64 * 1024))
    res = api(local, "POST", PATH, big)
    assert res.status == 413 and res.body["code"] == "REQUEST_ENTITY_TOO_LARGE"
    assert local.reminders() == []
    # Just under the cap is fine.
    fits = body(text="x" * (64 * 1024 - len(json.dumps(body(text=""), separators=(",", ":"))) - 1))
    assert api(local, "POST", PATH, fits).status == 201


# --- the file ----------------------------------------------------------------------------------


def test_a_second_local_alexa_on_the_same_file_sees_the_reminder(store: Path) -> None:
    with LocalAlexa(store, fixed_clock) as first:
        token = create(first)
    with LocalAlexa(store, fixed_clock) as second:
        assert [a["alertToken"] for a in api(second, "GET", PATH).body["alerts"]] == [token]
        assert api(second, "DELETE", f"{PATH}/{token}").status == 200
    assert LocalAlexa(store, fixed_clock).reminders() == []  # readable without starting


def test_two_running_at_once_lose_no_writes(store: Path) -> None:
    with LocalAlexa(store, fixed_clock) as one, LocalAlexa(store, fixed_clock) as two:
        with ThreadPoolExecutor(max_workers=8) as pool:
            tokens = list(pool.map(lambda i: create(one if i % 2 else two, body(text=f"n{i}")), range(40)))
        assert len(set(tokens)) == 40
        assert {a["alertToken"] for a in one.reminders()} == set(tokens)
        assert api(two, "GET", PATH).body["totalCount"] == "40"


def test_file_is_private_json_without_the_token(local: LocalAlexa, store: Path) -> None:
    create(local)
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.with_name(store.name + ".lock")).st_mode) == 0o600
    text = store.read_text()
    assert local.token not in text
    assert len(json.loads(text)["reminders"]) == 1
    assert [p.name for p in store.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_an_unreadable_file_is_a_500_not_a_crash_and_is_not_overwritten(local: LocalAlexa, store: Path) -> None:
    store.write_text("{ not json")
    res = api(local, "POST", PATH, body())
    assert res.status == 500 and res.body["code"] == "INTERNAL_SERVER_ERROR"
    assert store.read_text() == "{ not json"


# --- the server ---------------------------------------------------------------------------------


def test_binds_loopback_only(local: LocalAlexa) -> None:
    parts = urlsplit(local.endpoint)
    assert parts.scheme == "http" and parts.hostname == "127.0.0.1" and (parts.port or 0) > 0


def test_stop_frees_the_thread_and_the_port(store: Path) -> None:
    local = LocalAlexa(store, fixed_clock).start()
    name = f"local-alexa-{urlsplit(local.endpoint).port}"
    assert local.running and any(t.name == name for t in threading.enumerate())
    create(local)

    local.stop()

    assert not local.running
    assert not any(t.name == name for t in threading.enumerate())
    assert api(local, "GET", PATH).error == alexa_api.CONNECTION
    local.stop()  # twice is fine
    assert local.start() is local and api(local, "GET", PATH).status == 200  # and it starts again
    local.stop()


def test_start_twice_is_refused(local: LocalAlexa) -> None:
    with pytest.raises(RuntimeError):
        local.start()


def test_quiet_on_stderr(local: LocalAlexa, capfd: pytest.CaptureFixture[str]) -> None:
    token = create(local)
    api(local, "GET", PATH, token="wrong")
    raw(local, "POST", PATH, b"{", {"Authorization": f"Bearer {local.token}"})
    api(local, "GET", f"{PATH}/{token}")
    out, err = capfd.readouterr()
    assert out == "" and err == ""


# --- the rest of what Alexa plays for the CLI ----------------------------------------------------


def test_device_time_zone_when_given(store: Path) -> None:
    with LocalAlexa(store, fixed_clock, timezone="Europe/Berlin") as local:
        assert alexa_api.device_timezone(local.endpoint, local.token, "amzn1.ask.device.X", TIMEOUT) == "Europe/Berlin"
        assert alexa_api.device_timezone(local.endpoint, "wrong", "amzn1.ask.device.X", TIMEOUT) is None


def test_permissions_are_granted_and_remembered(store: Path) -> None:
    local = LocalAlexa(store, fixed_clock)
    assert local.permissions("amzn1.ask.account.A") is None
    granted = local.grant("amzn1.ask.account.A", [reminders.PERMISSION])
    assert granted == {"scopes": {reminders.PERMISSION: {"status": "GRANTED"}}}
    assert LocalAlexa(store, fixed_clock).permissions("amzn1.ask.account.A") == granted
    assert local.permissions("amzn1.ask.account.B") is None


def test_alexa_time_format() -> None:
    assert alexa_time(datetime(2026, 12, 4, 9, tzinfo=timezone.utc)) == "2026-12-04T09:00:00.000Z"
    assert alexa_time(datetime(2026, 12, 4, 3, 0, 5, 123999, tzinfo=ZoneInfo(ZONE))) == "2026-12-04T09:00:05.123Z"
