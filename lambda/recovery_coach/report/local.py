"""The report on this computer: `recovery-coach report` (your own check-ins, as the page or CSV) and
`recovery-coach serve --local` (opens the report links chat shows, on 127.0.0.1 only).

`serve --local` answers report routes and nothing else: no Alexa route, so there is no request to
verify and no SKILL_ID to set, and verification stays on for every server that does take Alexa
traffic. It runs on the standard library's WSGI server (the serve extras aren't needed): one user,
one browser, on loopback.
"""
from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, TextIO
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from recovery_coach.checkins import Thresholds
from recovery_coach.config import Settings
from recovery_coach.report.render import render_csv, render_html
from recovery_coach.report.web import MARGIN_DAYS, ReportRoutes

HOST = "127.0.0.1"
PAGE_DAYS, CSV_DAYS = 30, 365


def own_report(user_id: str, days: int | None = None, *, csv: bool = False) -> str:
    """This user's check-ins, read from the skill's own store: the report page (its CSV link inline)
    or CSV. Named as the caregiver sees it: the label the patient chose, if they share."""
    from recovery_coach.content import load_content
    from recovery_coach.handlers.base import user_key
    from recovery_coach.skill import default_services

    services = default_services()
    settings = services.settings
    today = services.local_today()
    days = days or (CSV_DAYS if csv else PAGE_DAYS)
    start = today - timedelta(days=days - 1)
    user = user_key(user_id)
    record = services.store.load(user, since=start - timedelta(days=MARGIN_DAYS))
    window = [c for c in record.checkins if start <= c.day <= today]
    if csv:
        return render_csv(window)
    content = load_content("en-US", settings.clinic_file)
    links = services.store.links_of_patient(user)
    label = links[-1].label if links else content.text("share.report.label_default")
    download = "data:text/csv;charset=utf-8," + urllib.parse.quote(render_csv(window))
    thresholds = Thresholds(settings.warn_score, settings.warn_rise, settings.relief_days)
    return render_html(label, record.checkins, today, days, record.profile.procedure_date, thresholds, download,
                       clinic=content.clinic)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the path holds a report token: never logged
        pass


def local_app(settings: Settings) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    routes = ReportRoutes(settings)

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        status, body, ctype, headers = routes.respond(environ.get("REQUEST_METHOD") or "GET",
                                                      environ.get("PATH_INFO") or "/")
        start_response(f"{status} {'OK' if status == 200 else 'Error'}",
                       [("Content-Type", ctype), ("Content-Length", str(len(body))), *headers])
        return [body]

    return app


def serve_local(settings: Settings, port: int, out: TextIO) -> int:
    try:
        server: WSGIServer = make_server(HOST, port, local_app(settings), handler_class=_Quiet)
    except OSError as e:
        out.write(f"recovery-coach serve --local: can't listen on {HOST}:{port} ({e.strerror}); try --port\n")
        return 1
    with server:
        out.write(f"Report links open here (read-only, this computer only). Ctrl-C stops.\n"
                  f"listening on http://{HOST}:{server.server_port}\n")
        out.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            out.write("\n")
    return 0
