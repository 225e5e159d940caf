"""The caregiver report over HTTP: GET /report/<token> (the page) and /report/<token>.csv.

Read-only: a token opens one patient's check-ins until it expires or the patient stops sharing.
The store only ever sees the token's SHA-256. Unknown, expired and revoked tokens get the same
404 page, with nothing about anyone on it. The same object answers in `recovery-coach serve`
(as a SkillApp extra route) and in AWS (lambda/report_function.py behind a Function URL).
"""
from __future__ import annotations


import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from recovery_coach.checkins import Thresholds
from recovery_coach.config import Settings
from recovery_coach.content import load_content
from recovery_coach.report.render import render_csv, render_html
from recovery_coach.services import Services
from recovery_coach.sharing import token_hash
from recovery_coach.store import StoreUnavailable

PREFIX = "/report/"
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
DAYS = 30
# Check-ins read before the window, so the first days in it can be compared with the one before.
MARGIN_DAYS = 14

Headers = list[tuple[str, str]]
Reply = tuple[int, bytes, str, Headers]

# On every report response, the 404 and 405 pages included.
SECURITY_HEADERS: Headers = [
    ("Content-Security-Policy",
     "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
     "form-action 'none'; frame-ancestors 'none'"),
    ("Referrer-Policy", "no-referrer"),  # the token is in the URL
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Robots-Tag", "noindex, nofollow"),
]
HTML = "text/html; charset=utf-8"

_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title><style>body{{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1f2937;"
    "background:#f4f6f9}}main{{max-width:36rem;margin:0 auto;padding:1.5rem 1rem}}</style></head>"
    "<body><main><h1>{title}</h1><p>{text}</p></main></body></html>"
)
NOT_FOUND = _PAGE.format(
    title="This link doesn't work",
    text="It may have expired, or sharing may have been turned off. Ask for a new link.",
).encode()
NOT_ALLOWED = _PAGE.format(title="Not allowed", text="This page can only be read.").encode()
UNAVAILABLE = _PAGE.format(title="Please try again", text="The report can't be read right now.").encode()


def _default_services() -> Services:
    from recovery_coach.skill import default_services

    return default_services()


class ReportRoutes:
    """`extra` routes for SkillApp: `__call__(environ)`; anything outside /report/ is not ours."""

    def __init__(self, settings: Settings, services: Callable[[], Services] | None = None, days: int = DAYS) -> None:
        self.settings = settings
        self.services = services or _default_services
        self.days = days
        self.zone = ZoneInfo(settings.default_timezone)
        self.thresholds = Thresholds(settings.warn_score, settings.warn_rise, settings.relief_days)

    def __call__(self, environ: Mapping[str, Any]) -> Reply:
        from recovery_coach.webhook.app import Rejected

        path = environ.get("PATH_INFO") or "/"
        if not path.startswith(PREFIX):
            raise Rejected(404, "route")
        return self.respond(environ.get("REQUEST_METHOD") or "GET", path)

    def respond(self, method: str, path: str) -> Reply:
        """Any method and path to a complete response (a 404 page for paths that aren't a report)."""
        if method != "GET":
            return 405, NOT_ALLOWED, HTML, [*SECURITY_HEADERS, ("Allow", "GET")]
        token, csv = path[len(PREFIX):], False
        if token.endswith(".csv"):
            token, csv = token[:-4], True
        if not path.startswith(PREFIX) or not TOKEN.fullmatch(token):
            return self._not_found()
        services = self.services()
        now = services.clock()
        try:
            access = services.store.report_access(token_hash(token), now)
            if access is None:
                return self._not_found()
            today = now.astimezone(self.zone).date()
            start = today - timedelta(days=self.days - 1)
            record = services.store.load(access.patient, since=start - timedelta(days=MARGIN_DAYS))
            procedure = record.profile.procedure_date
            if procedure is not None and procedure < start - timedelta(days=MARGIN_DAYS):
                # "Not easing" compares with the first score after the procedure: read back to it.
                record = services.store.load(access.patient, since=procedure)
        except StoreUnavailable:
            return 503, UNAVAILABLE, HTML, [*SECURITY_HEADERS, ("Retry-After", "5")]
        if csv:
            window = [c for c in record.checkins if start <= c.day <= today]
            disposition = f'attachment; filename="pain-check-ins-{today.isoformat()}.csv"'
            return (200, render_csv(window).encode(), "text/csv; charset=utf-8",
                    [*SECURITY_HEADERS, ("Content-Disposition", disposition)])
        clinic = load_content("en-US", self.settings.clinic_file).clinic
        page = render_html(access.label, record.checkins, today, self.days, procedure, self.thresholds,
                           f"{token}.csv", clinic=clinic)
        return 200, page.encode(), HTML, list(SECURITY_HEADERS)

    @staticmethod
    def _not_found() -> Reply:
        return 404, NOT_FOUND, HTML, list(SECURITY_HEADERS)
