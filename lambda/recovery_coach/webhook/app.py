"""The self-hosted endpoint: a WSGI app that verifies each Alexa request, then hands it to lambda_handler.

Routes: POST <ALEXA_ROUTE> (default "/"), GET /health. Every Alexa request is verified
(signature, certificate chain, timestamp, skill id) before any skill code runs; any
failure is HTTP 400, an oversized body 413. Logs are one JSON line per request: request id,
type, intent, status and latency — nothing else about the user.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from recovery_coach.config import Settings

log = logging.getLogger("recovery_coach.webhook")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
StartResponse = Callable[..., Any]
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
           413: "Payload Too Large",
           503: "Service Unavailable"}


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """Request headers with lower-case names ("signature-256")."""
    out = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    if "CONTENT_TYPE" in environ:
        out["content-type"] = str(environ["CONTENT_TYPE"])
    return out


def _describe(envelope: Any) -> tuple[str | None, str | None, str | None]:
    """Request id, type and intent name, if the envelope has them (never anything the user said)."""
    request = envelope.get("request") if isinstance(envelope, dict) else None
    if not isinstance(request, dict):
        return None, None, None
    intent = request.get("intent")
    name = intent.get("name") if isinstance(intent, dict) else None

    def text(v: Any) -> str | None:
        return v[:120] if isinstance(v, str) else None

    return text(request.get("requestId")), text(request.get("type")), text(name)


class _Answer(list[bytes]):
    """The body; the server calls close() once it has been sent, and then the turn's later writes
    are made and its queued caregiver alerts go out (PEP 3333), so nobody waits on them."""

    def __init__(self, body: bytes) -> None:
        super().__init__([body])

    def close(self) -> None:
        from recovery_coach.skill import after_response

        after_response()


class SkillApp:
    def __init__(self, settings: Settings, verifier: Any | None, handler: Handler, extra: Any | None = None) -> None:
        self.settings = settings
        self.verifier = verifier
        self.handler = handler
        self.extra = extra  # more routes (the caregiver report), tried after ours

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/") or "/"
        line: dict[str, Any] = {"request_id": None, "type": None, "intent": None}
        more: list[tuple[str, str]] = []  # headers an extra route adds
        try:
            if path == "/health":
                status, body, ctype = 200, json.dumps({"status": "ok"}).encode(), "application/json"
            elif path == self.settings.alexa_route:
                if method != "POST":
                    raise Rejected(405, "method")
                status, body, ctype = self._alexa(environ, line)
            elif self.extra is not None:
                status, body, ctype, *rest = self.extra(environ)
                more = list(rest[0]) if rest else []
            else:
                raise Rejected(404, "route")
        except Rejected as e:
            status, body, ctype = e.status, json.dumps({"error": e.reason}).encode(), "application/json"
            line["reason"] = e.reason
        except Exception as e:  # noqa: BLE001 - a defect: still a 400 with no detail, never a 5xx, and logged by type
            status, body, ctype = 400, json.dumps({"error": "bad_request"}).encode(), "application/json"
            line["reason"] = f"unexpected:{type(e).__name__}"
        line.update(status=status, route=self._route(path), latency_ms=round((time.perf_counter() - started) * 1000, 2))
        if line["request_id"] is None:
            line["request_id"] = str(uuid.uuid4())
        log.info(json.dumps(line))
        start_response(f"{status} {REASONS.get(status, '')}".strip(), [("Content-Type", ctype), ("Content-Length", str(len(body))), *more])
        return _Answer(body)

    def _route(self, path: str) -> str:
        """A fixed name: a path may hold a report token, in any case ("/REPORT/<token>"), or anything else."""
        if path == self.settings.alexa_route:
            return "alexa"
        if path == "/health":
            return "health"
        return "report" if path.lower().startswith("/report") else "other"

    def _read(self, environ: Mapping[str, Any]) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise Rejected(400, "content_length") from None
        if length > self.settings.max_body_bytes:
            raise Rejected(413, "too_large")
        if length <= 0:
            raise Rejected(400, "empty")
        try:
            body = environ["wsgi.input"].read(length)
        except OSError:  # the body deadline (worker.BodyTimeout; the worker then closes the connection)
            raise Rejected(408, "body_timeout") from None
        if len(body) != length:
            raise Rejected(400, "short_body")
        return body

    def _alexa(self, environ: Mapping[str, Any], line: dict[str, Any]) -> tuple[int, bytes, str]:
        body = self._read(environ)
        try:
            envelope = json.loads(body)
        except (ValueError, RecursionError):
            raise Rejected(400, "not_json") from None
        if not isinstance(envelope, dict):
            raise Rejected(400, "not_an_envelope")
        line["request_id"], line["type"], line["intent"] = _describe(envelope)
        if self.verifier is not None:  # None only with verification explicitly switched off
            from recovery_coach.webhook.verify import VerificationError

            try:
                self.verifier.verify(_headers(environ), body, envelope)
            except VerificationError as e:
                raise Rejected(400, f"verification:{e}") from None
        try:
            response = self.handler(envelope, None)
        except Exception as e:  # noqa: BLE001 - a malformed envelope the SDK can't read: the sender's fault
            raise Rejected(400, f"envelope:{type(e).__name__}") from None
        return 200, json.dumps(response).encode(), "application/json;charset=UTF-8"
