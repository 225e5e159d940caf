"""The caregiver report's routes, through SkillApp exactly as `recovery-coach serve` mounts them."""
from __future__ import annotations

import csv
import io
import json
import logging
import re
import secrets
from datetime import datetime, time, timedelta, timezone
from typing import Any

import pytest

from recovery_coach.report import web
from recovery_coach.report.web import NOT_FOUND, ReportRoutes, token_hash
from recovery_coach.services import Services
from recovery_coach.store import StoreUnavailable
from recovery_coach.webhook.app import SkillApp
from tests.conftest import NOW, TODAY, ZONE, Clock
from tests.wsgi_client import HttpReply, call

PATIENT = "patient-key"
SCORES = {TODAY - timedelta(days=n): s for n, s in [(6, 6), (5, 5), (4, 8), (2, 4), (1, 3), (0, 2)]}
SECURITY = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


class Spy:
    """The store, with every method called on it written down."""

    def __init__(self, store: Any) -> None:
        self.store, self.calls = store, list[str]()

    def __getattr__(self, name: str) -> Any:
        self.calls.append(name)
        return getattr(self.store, name)


def seed(svc: Services, expires_in: timedelta = timedelta(days=7)) -> str:
    now = svc.clock()
    for day, score in SCORES.items():
        svc.store.save_checkin(PATIENT, day, score, now)
    svc.store.set_medication(PATIENT, TODAY, True)
    svc.store.save_checkin("someone-else", TODAY, 9, now)
    token = secrets.token_urlsafe(32)
    svc.store.save_report_token(token_hash(token), PATIENT, "Mom", now + expires_in)
    return token


def app_for(svc: Services) -> tuple[SkillApp, Spy]:
    spy = Spy(svc.store)
    spied = Services(settings=svc.settings, store=spy, clock=svc.clock)
    routes = ReportRoutes(svc.settings, services=lambda: spied)
    return SkillApp(svc.settings, None, lambda envelope, context: {}, extra=routes), spy


def points(body: bytes) -> dict[str, int]:
    html = body.decode()
    return {d: int(s) for d, s in re.findall(r'<circle class="point[^"]*" data-day="([\d-]+)" data-score="(\d+)"', html)}


def assert_secure(reply: HttpReply) -> None:
    for name, value in SECURITY.items():
        assert reply.headers.get(name) == value, name


def test_a_valid_token_opens_the_patients_report(any_services: Services) -> None:
    token = seed(any_services)
    app, spy = app_for(any_services)
    reply = call(app, "GET", f"/report/{token}")
    assert reply.status == 200 and reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert_secure(reply)
    assert points(reply.body) == {d.isoformat(): s for d, s in SCORES.items()}
    html = reply.body.decode()
    assert "Pain check-ins for Mom" in html and f'href="{token}.csv"' in html
    assert f'<circle class="point worrying" data-day="{TODAY - timedelta(days=4)}" data-score="8"' in html
    assert f'<path class="missed" data-day="{TODAY - timedelta(days=3)}"' in html
    assert "someone-else" not in html and 'data-score="9"' not in html
    assert set(spy.calls) <= {"report_access", "load"}, "the report only reads"


def test_the_csv_download(any_services: Services) -> None:
    token = seed(any_services)
    app, _ = app_for(any_services)
    reply = call(app, "GET", f"/report/{token}.csv")
    assert reply.status == 200 and reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert reply.headers["Content-Disposition"] == f'attachment; filename="pain-check-ins-{TODAY}.csv"'
    assert_secure(reply)
    rows = list(csv.reader(io.StringIO(reply.body.decode())))
    assert rows[0] == ["date", "score", "took_pain_medicine", "replaced_scores"]
    assert [(r[0], int(r[1])) for r in rows[1:]] == [(d.isoformat(), s) for d, s in sorted(SCORES.items())]
    assert rows[-1][2] == "yes"


def test_unknown_expired_and_revoked_tokens_all_get_the_same_empty_404(any_services: Services, clock: Clock) -> None:
    token = seed(any_services, expires_in=timedelta(hours=1))
    app, _ = app_for(any_services)
    assert call(app, "GET", f"/report/{token}").status == 200
    replies = [call(app, "GET", f"/report/{secrets.token_urlsafe(32)}")]
    clock.now += timedelta(hours=1, seconds=1)
    replies += [call(app, "GET", f"/report/{token}"), call(app, "GET", f"/report/{token}.csv")]
    clock.now -= timedelta(hours=1, seconds=1)
    assert call(app, "GET", f"/report/{token}").status == 200
    any_services.store.revoke_sharing(PATIENT)
    replies += [call(app, "GET", f"/report/{token}"), call(app, "GET", f"/report/{token}.csv")]
    for reply in replies:
        assert (reply.status, reply.body) == (404, NOT_FOUND)
        assert_secure(reply)
        assert b"Mom" not in reply.body and b"data-score" not in reply.body
    assert len({tuple(sorted(r.headers.items())) for r in replies}) == 1


@pytest.mark.parametrize("path", [
    "/report/", "/report/short", "/report/" + "a" * 101, "/report/abc$defghijklmnopqrstuvwxyz",
    "/report/" + "a" * 30 + "/x", "/report/" + "a" * 30 + ".json", "/report/..%2F" + "a" * 30,
    "/report/" + "a" * 30 + ".csv.csv",
])
def test_malformed_tokens_are_404_without_touching_the_store(services: Services, path: str) -> None:
    app, spy = app_for(services)
    reply = call(app, "GET", path)
    assert (reply.status, reply.body) == (404, NOT_FOUND)
    assert_secure(reply)
    assert spy.calls == []


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
def test_only_get_is_allowed(services: Services, method: str) -> None:
    token = seed(services)
    app, spy = app_for(services)
    reply = call(app, method, f"/report/{token}", body=b"x")
    assert reply.status == 405 and reply.headers["Allow"] == "GET"
    assert_secure(reply)
    assert b"data-score" not in reply.body and spy.calls == []


def test_other_paths_are_still_skillapps(services: Services) -> None:
    app, spy = app_for(services)
    assert call(app, "GET", "/health").json() == {"status": "ok"}
    reply = call(app, "GET", "/elsewhere")
    assert (reply.status, reply.json()) == (404, {"error": "route"}) and spy.calls == []


def test_the_token_never_reaches_the_log(services: Services, caplog: pytest.LogCaptureFixture) -> None:
    token = seed(services)
    app, _ = app_for(services)
    with caplog.at_level(logging.INFO, logger="recovery_coach"):
        for path in (f"/report/{token}", f"/report/{token}.csv", f"/report/{token}x", f"/report{token}",
                     f"/REPORT/{token}", f"/Report/{token}.csv", f"/x/{token}"):
            call(app, "GET", path)
        call(app, "POST", f"/report/{token}")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "recovery_coach.webhook"]
    assert [line["route"] for line in lines] == ["report"] * 6 + ["other", "report"]
    assert [line["status"] for line in lines] == [200, 200, 404, 404, 404, 404, 404, 405]
    assert not [r for r in caplog.records if token in r.getMessage()]
    assert token_hash(token) not in caplog.text


def test_a_store_outage_is_a_503_with_no_data(services: Services) -> None:
    token = seed(services)

    class Down:
        def report_access(self, *args: object) -> None:
            raise StoreUnavailable()

    routes = ReportRoutes(services.settings, services=lambda: Services(services.settings, Down(), services.clock))  # type: ignore[arg-type]
    status, body, _, headers = routes.respond("GET", f"/report/{token}")
    assert status == 503 and b"data-score" not in body and ("Cache-Control", "no-store") in headers


def test_today_is_the_default_time_zones_date(services: Services, clock: Clock) -> None:
    token = seed(services)
    app, _ = app_for(services)
    utc_day = NOW.date()
    clock.now = datetime.combine(utc_day, time(3), timezone.utc)  # 03:00 UTC is the day before in Chicago
    local = clock.now.astimezone(ZONE).date()
    assert local == utc_day - timedelta(days=1)
    html = call(app, "GET", f"/report/{token}").body.decode()
    assert f"to {local:%b} {local.day}, {local.year}" in html and f'data-day="{utc_day}"' not in html


def test_the_token_hash_is_the_one_the_skill_stores() -> None:
    from recovery_coach import sharing

    token = secrets.token_urlsafe(24)
    assert token_hash(token) == sharing.token_hash(token) and len(token_hash(token)) == 64
    assert web.TOKEN.fullmatch(sharing.new_token()), "links the skill makes must pass the route's token check"


def test_the_aws_entry_point_answers_a_function_url_event(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    import report_function

    token = seed(services)
    monkeypatch.setattr(report_function, "routes", ReportRoutes(services.settings, services=lambda: services))

    def event(method: str, path: str) -> dict[str, Any]:  # a Function URL's payload format 2.0
        return {"version": "2.0", "rawPath": path, "rawQueryString": "", "headers": {"host": "x.lambda-url.on.aws"},
                "requestContext": {"http": {"method": method, "path": path}}, "isBase64Encoded": False}

    page = report_function.handler(event("GET", f"/report/{token}"))
    assert page["statusCode"] == 200 and page["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert points(page["body"].encode()) == {d.isoformat(): s for d, s in SCORES.items()}
    for name, value in SECURITY.items():
        assert page["headers"][name] == value
    sheet = report_function.handler(event("GET", f"/report/{token}.csv"))
    assert sheet["statusCode"] == 200 and sheet["body"].startswith("date,score")
    assert "attachment" in sheet["headers"]["Content-Disposition"]
    assert report_function.handler(event("GET", "/"))["statusCode"] == 404
    assert report_function.handler(event("POST", f"/report/{token}"))["statusCode"] == 405
    services.store.revoke_sharing(PATIENT)
    gone = report_function.handler(event("GET", f"/report/{token}"))
    assert gone["statusCode"] == 404 and "data-score" not in gone["body"]
