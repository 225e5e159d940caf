"""`recovery-coach serve`: the skill as an HTTP service on gunicorn (gevent workers with header and body
deadlines, see worker.py), behind a TLS proxy."""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from recovery_coach.config import Settings

# A sharing code is one of 900,000: its stored hash is only as safe as the key. 32 random bytes.
MIN_SECRET_BYTES = 32

WARNING = """
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!  ALEXA REQUEST VERIFICATION IS OFF (ALEXA_VERIFY=off / --no-verify).      !!
!!  Anyone who can reach this port can act as any user. Local development   !!
!!  only: never expose this server.                                          !!
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
"""


def make_app(settings: Settings, verifier: Any | None = None) -> Any:
    """The WSGI app `serve` runs: the same lambda_handler as AWS, behind verification."""
    from lambda_function import lambda_handler
    from recovery_coach.webhook.app import SkillApp

    if settings.verify_requests and verifier is None:
        from recovery_coach.webhook.verify import Verifier

        if not settings.skill_id:
            raise SystemExit("recovery-coach serve: set SKILL_ID (your amzn1.ask.skill... id) to verify Alexa requests")
        verifier = Verifier(skill_id=settings.skill_id, fetch_timeout=settings.cert_fetch_timeout)
    return SkillApp(settings, verifier if settings.verify_requests else None, lambda_handler, extra=_report_routes(settings))


def _report_routes(settings: Settings) -> Any | None:
    try:
        from recovery_coach.report.web import ReportRoutes
    except ImportError:
        return None
    return ReportRoutes(settings)


class QuietLogger(Logger):
    """gunicorn's own error log, without what a client sent: a malformed request line, or the URI of
    a request that failed, may hold a live report token (GET /report/<token>). Each becomes one JSON
    line naming only what happened."""

    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(msg, str) and msg.startswith("Invalid request from"):
            msg, args = '{"event": "invalid_request"}', ()
        super().warning(msg, *args, **kwargs)

    def exception(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(msg, str) and msg.startswith("Error handling request"):
            msg, args = '{"event": "request_failed"}', ()
        super().exception(msg, *args, **kwargs)


class Server(BaseApplication):
    """gunicorn, configured in code: `load` runs in each worker, so clients are built per process."""

    def __init__(self, factory: Callable[[], Any], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from recovery_coach.skill import answer_first, default_skill

        app = self.factory()
        default_skill()  # built in the worker before it accepts a request, not during Alexa's first one
        answer_first()  # SkillApp runs the turns' later writes once each answer is sent
        return app


def serve(settings: Settings, host: str, port: int, workers: int, connections: int,
          factory: Callable[[], Any] | None = None) -> None:
    from recovery_coach import logs
    from recovery_coach.webhook.worker import worker_class

    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    logs.configure(settings.log_level)  # LOG_LEVEL reaches the skill's own loggers only
    if not settings.verify_requests:
        sys.stderr.write(WARNING)
    factory = factory or (lambda: make_app(settings))
    factory()  # fail fast (e.g. no SKILL_ID) before forking workers
    if settings.verify_requests and settings.share_secret == Settings.share_secret:
        raise SystemExit("recovery-coach serve: set SHARE_SECRET to a long random value (the default is public)")
    if settings.verify_requests and len(settings.share_secret.encode()) < MIN_SECRET_BYTES:
        raise SystemExit(f"recovery-coach serve: SHARE_SECRET must be at least {MIN_SECRET_BYTES} bytes "
                         "(for example: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")
    Server(
        factory,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": worker_class(settings.header_timeout, settings.body_timeout),
            "worker_connections": connections,
            "timeout": 30,
            "graceful_timeout": 5,
            "keepalive": 5,  # > 0, or gunicorn reads the first request head without the header deadline
            "accesslog": None,  # the app logs one JSON line per request
            "loglevel": "warning",
            "logger_class": QuietLogger,
            "limit_request_field_size": 16384,
        },
    ).run()
