"""Test support: a fake Alexa cloud API on 127.0.0.1, driven by the real HTTP client.

Import the fixture from ``tests/conftest.py`` (or a test module)::

    from tests.alexa_api_server import alexa_api  # noqa: F401

``alexa_api`` (function scope) yields a :class:`FakeAlexaApi` that serves, on a
fresh ephemeral port, in a background thread:

* ``GET /v2/devices/<deviceId>/settings/System.timeZone`` -> ``200`` with
  ``json.dumps(api.timezone)`` (default ``"America/Los_Angeles"``; set it to
  ``42`` or ``None`` to serve non-string JSON).

* ``POST /auth/o2/token`` -> Login with Amazon's token endpoint (no bearer token: the
  credentials are the form body). It requires ``Content-Type:
  application/x-www-form-urlencoded`` and exactly the fields ``grant_type=client_credentials``,
  ``client_id=<api.lwa_client_id>``, ``client_secret=<api.lwa_client_secret>``,
  ``scope=alexa::proactive_events``; else ``400`` (``401`` for wrong credentials) with LWA's error
  JSON. It answers ``200`` ``{"access_token": "lwa-token-<n>", "expires_in": api.lwa_expires_in
  (3600), "scope": ..., "token_type": "bearer"}``, a new token each time, kept in ``api.lwa_tokens``.
* ``POST /v1/proactiveEvents/stages/development`` and the live ``POST /v1/proactiveEvents`` ->
  ``202`` and no body, when the request carries ``Authorization: Bearer <a token in
  api.lwa_tokens not in api.revoked>`` (else ``401``) and a JSON object body (else ``400``).
  Accepted bodies are kept in ``api.proactive_events`` as ``(stage, body)``.

Every other route requires ``Authorization: Bearer <api.token>``, else ``401``.

Programmable behaviour (all optional, all per test):

* ``api.timezone = "Europe/Berlin"``
* ``api.status_for[("GET", "/v2/devices/")] = 503`` -> forced status (with a
  JSON error body) for requests whose method and path prefix match; method
  ``"*"`` matches any method; the longest matching prefix wins. Forced answers
  skip the token check and the routes.
* ``api.body_for[("GET", "/v2/devices/")] = b"not json"`` -> forced body:
  ``bytes`` are sent raw (``text/plain``), anything else as JSON; status is
  ``status_for``'s if both match, else ``200``.
* ``api.next_statuses[("POST", "/v1/proactiveEvents")] = [503, 429]`` -> the next matching
  requests get these statuses, one each, in order (then the routes answer again);
  ``api.retry_after = "1"`` adds that Retry-After header to those answers.
* ``api.revoked.add(token)`` -> that LWA token now gets ``401`` from the events routes.
* ``api.delay = 2.0`` -> every answer waits that long (cut short at teardown).
* ``api.drip = 0.1`` -> answer bodies are sent one byte per 0.1 s (headers at
  once), to test overall deadlines (cut short at teardown).
* ``api.route("POST", r"/v1/alerts/reminders", handler)`` -> add a route
  (regex, full match on the path without the query string). ``handler(api,
  request, match) -> Reply``. Reminders (issue 7) plug in here.

Recorded: ``api.requests`` is a list of :class:`RecordedRequest` (method, path
with query, headers, parsed JSON body or ``None``, raw body), in arrival order,
recorded before any delay. ``api.wait_for_requests(n)`` waits (bounded) for
``n`` of them.

:func:`refused_endpoint` yields an ``http://127.0.0.1:PORT`` where nothing
listens (a bound, non-listening socket), for "connection refused" tests.

Only ever binds 127.0.0.1.
"""
from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

HOST = "127.0.0.1"
DEFAULT_TOKEN = "test-api-access-token"
MAX_REQUEST_BODY = 1024 * 1024
SHUTDOWN_TIMEOUT = 5.0
TIMEZONE_PATH = r"/v2/devices/(?P<device_id>[^/]+)/settings/System\.timeZone"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # as sent, with any query string, still URL-quoted
    headers: dict[str, str]  # as sent; use header() for case-insensitive lookup
    body: Any  # parsed JSON, or None (empty or not JSON)
    raw_body: bytes = b""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # bytes: sent raw; None: no body; else JSON
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["FakeAlexaApi", RecordedRequest, "re.Match[str]"], Reply]


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"code": code, "message": message})


def _timezone(api: FakeAlexaApi, request: RecordedRequest, match: re.Match[str]) -> Reply:
    return Reply(200, json.dumps(api.timezone).encode("utf-8"), {"Content-Type": "application/json"})


REMINDERS_PATH = r"/v1/alerts/reminders"


def _create_reminder(api: FakeAlexaApi, request: RecordedRequest, match: re.Match[str]) -> Reply:
    token = f"reminder-{len(api.reminders) + 1}"
    api.reminders[token] = request.body
    return Reply(201, {"alertToken": token, "status": "ON", "version": "1", "href": f"{REMINDERS_PATH}/{token}"})


def _one_reminder(api: FakeAlexaApi, request: RecordedRequest, match: re.Match[str]) -> Reply:
    token = match.group(1)
    if token not in api.reminders:
        return _error(404, "NOT_FOUND", "no such reminder")
    if request.method == "DELETE":
        del api.reminders[token]
        return Reply(200, None)
    if request.method == "PUT":
        api.reminders[token] = request.body
    return Reply(200, {"alertToken": token, "status": "ON", **(api.reminders[token] or {})})


LWA_TOKEN_PATH = "/auth/o2/token"
LWA_SCOPE = "alexa::proactive_events"
DEFAULT_LWA_CLIENT_ID = "amzn1.application-oa2-client.test0000000000000000000000000000"
DEFAULT_LWA_CLIENT_SECRET = "amzn1.oa2-cs.v1.test-secret-0000000000000000000000000000000000000000"
PROACTIVE_PATHS = {r"/v1/proactiveEvents/stages/development": "development", r"/v1/proactiveEvents/?": "live"}


def _lwa_token(api: FakeAlexaApi, request: RecordedRequest, match: re.Match[str]) -> Reply:
    def lwa_error(code: str, description: str) -> Reply:
        return Reply(400, {"error": code, "error_description": description})

    ctype = (request.header("Content-Type") or "").split(";", 1)[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return lwa_error("invalid_request", "The request must be form-encoded.")
    try:
        pairs = urllib.parse.parse_qsl(request.raw_body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return lwa_error("invalid_request", "The form body could not be read.")
    fields = dict(pairs)
    if len(fields) != len(pairs) or set(fields) != {"grant_type", "client_id", "client_secret", "scope"}:
        return lwa_error("invalid_request", "The request has missing, repeated or unknown parameters.")
    if fields["grant_type"] != "client_credentials":
        return lwa_error("unsupported_grant_type", "The grant type is not supported.")
    if fields["client_id"] != api.lwa_client_id or fields["client_secret"] != api.lwa_client_secret:
        return Reply(401, {"error": "invalid_client", "error_description": "Client authentication failed."})
    if fields["scope"] != LWA_SCOPE:
        return lwa_error("invalid_scope", "The request has an invalid parameter : scope")
    with api._lock:
        token = f"lwa-token-{len(api.lwa_tokens) + 1}"
        api.lwa_tokens.append(token)
    return Reply(200, {"access_token": token, "expires_in": api.lwa_expires_in, "scope": LWA_SCOPE, "token_type": "bearer"})


def _proactive_event(stage: str) -> Handler:
    def handler(api: FakeAlexaApi, request: RecordedRequest, match: re.Match[str]) -> Reply:
        auth = request.header("Authorization") or ""
        token = auth.removeprefix("Bearer ")
        if not auth.startswith("Bearer ") or token not in api.lwa_tokens or token in api.revoked:
            return _error(401, "UNAUTHORIZED", "The authentication token is not valid.")
        if not isinstance(request.body, dict):
            return _error(400, "INVALID_REQUEST", "The body must be a JSON object.")
        with api._lock:
            api.proactive_events.append((stage, request.body))
        return Reply(202, None)

    return handler


class FakeAlexaApi:
    """State and behaviour of one fake API server; see the module docstring."""

    def __init__(self) -> None:
        self.endpoint = ""  # set once the server is bound
        self.token = DEFAULT_TOKEN
        self.timezone: Any = "America/Los_Angeles"
        self.status_for: dict[tuple[str, str], int] = {}
        self.body_for: dict[tuple[str, str], Any] = {}
        self.delay: float = 0.0
        self.drip: float = 0.0  # seconds between body bytes (a slow-drip answer)
        self.requests: list[RecordedRequest] = []
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.server_errors: list[str] = []  # unexpected handler exceptions (not client disconnects)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.route("GET", TIMEZONE_PATH, _timezone)
        # The Reminders API, with the reminders it holds (alertToken -> the last body sent).
        self.reminders: dict[str, Any] = {}
        self.route("POST", REMINDERS_PATH, _create_reminder)
        for method in ("GET", "PUT", "DELETE"):
            self.route(method, REMINDERS_PATH + r"/([\w-]+)", _one_reminder)
        # Login with Amazon and the Proactive Events API (their own credentials; see the docstring).
        self.lwa_client_id = DEFAULT_LWA_CLIENT_ID
        self.lwa_client_secret = DEFAULT_LWA_CLIENT_SECRET
        self.lwa_expires_in: Any = 3600
        self.lwa_tokens: list[str] = []  # every token issued, in order
        self.revoked: set[str] = set()
        self.proactive_events: list[tuple[str, Any]] = []  # (stage, body) of each accepted event
        self.next_statuses: dict[tuple[str, str], list[int]] = {}
        self.retry_after: str | None = None
        self.route("POST", LWA_TOKEN_PATH, _lwa_token)
        for pattern, stage in PROACTIVE_PATHS.items():
            self.route("POST", pattern, _proactive_event(stage))

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve ``method`` on paths fully matching ``pattern`` (later routes win)."""
        self.routes.insert(0, (method.upper(), re.compile(pattern), handler))

    def wait_for_requests(self, count: int, timeout: float = 2.0) -> list[RecordedRequest]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= count:
                    break
            time.sleep(0.01)
        with self._lock:
            return list(self.requests)

    # --- called from the server's handler threads -------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _forced(self, method: str, path: str) -> Reply | None:
        def best(table: dict[tuple[str, str], Any]) -> tuple[bool, Any]:
            hits = [
                (len(prefix), value)
                for (m, prefix), value in list(table.items())
                if m.upper() in (method, "*") and path.startswith(prefix)
            ]
            return (True, max(hits, key=lambda h: h[0])[1]) if hits else (False, None)

        with self._lock:
            for (m, prefix), queued in self.next_statuses.items():
                if queued and m.upper() in (method, "*") and path.startswith(prefix):
                    reply = _error(queued.pop(0), "FORCED", "forced status")
                    if self.retry_after is not None:
                        reply.headers["Retry-After"] = self.retry_after
                    return reply
        has_status, status = best(self.status_for)
        has_body, body = best(self.body_for)
        if not has_status and not has_body:
            return None
        status = status if has_status else 200
        if not has_body:
            return _error(status, "FORCED", f"forced status {status}")
        if isinstance(body, bytes):
            return Reply(status, body, {"Content-Type": "text/plain"})
        return Reply(status, json.dumps(body).encode("utf-8"), {"Content-Type": "application/json"})

    def _answer(self, request: RecordedRequest) -> Reply:
        path = request.path.split("?", 1)[0]
        forced = self._forced(request.method, path)
        if forced is not None:
            return forced
        if path != LWA_TOKEN_PATH and not path.startswith("/v1/proactiveEvents") and (
            request.header("Authorization") != f"Bearer {self.token}"
        ):
            return _error(401, "UNAUTHORIZED", "The authentication token is not valid.")
        path_matched = False
        for method, pattern, handler in list(self.routes):
            match = pattern.fullmatch(path)
            if match is None:
                continue
            path_matched = True
            if method == request.method:
                return handler(self, request, match)
        if path_matched:
            return _error(405, "METHOD_NOT_ALLOWED", "Method not allowed.")
        return _error(404, "NOT_FOUND", "No such resource.")


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection, closed after the answer

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        api = self.server.api
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_REQUEST_BODY:
            self._send(_error(413, "TOO_LARGE", "Request body too large."))
            return
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = RecordedRequest(self.command, self.path, dict(self.headers.items()), body, raw)
        api._record(request)
        if api.delay > 0:
            api._stopping.wait(min(api.delay, 60.0))
        self._send(api._answer(request))

    def _send(self, reply: Reply) -> None:
        if reply.body is None:
            payload = b""
        elif isinstance(reply.body, bytes):
            payload = reply.body
        else:
            payload = json.dumps(reply.body).encode("utf-8")
        self.send_response(reply.status)
        headers = {"Content-Type": "application/json", **reply.headers} if payload else dict(reply.headers)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if not payload or self.command == "HEAD":
            return
        drip = self.server.api.drip
        if drip <= 0:
            self.wfile.write(payload)
            return
        for i in range(len(payload)):  # bounded by the body; cut short at teardown
            if self.server.api._stopping.wait(drip):
                return
            self.wfile.write(payload[i : i + 1])
            self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, api: FakeAlexaApi) -> None:
        self.api = api
        super().__init__((HOST, 0), _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # the client gave up (e.g. it timed out during a delay): expected
        self.api.server_errors.append(repr(exc))


@contextlib.contextmanager
def running_alexa_api() -> Iterator[FakeAlexaApi]:
    """Start a fake API server; stop it (bounded) on exit. The fixture uses this."""
    api = FakeAlexaApi()
    server = _Server(api)
    port = server.server_address[1]
    api.endpoint = f"http://{HOST}:{port}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"fake-alexa-api-{port}", daemon=True
    )
    thread.start()
    try:
        yield api
    finally:
        api._stopping.set()  # releases handlers sleeping on a delay
        stopper = threading.Thread(target=server.shutdown, name="fake-alexa-api-stop", daemon=True)
        stopper.start()
        stopper.join(SHUTDOWN_TIMEOUT)
        server.server_close()
        thread.join(SHUTDOWN_TIMEOUT)
        if thread.is_alive():
            raise RuntimeError(f"fake Alexa API server on port {port} did not stop within {SHUTDOWN_TIMEOUT}s")


@contextlib.contextmanager
def refused_endpoint() -> Iterator[str]:
    """An endpoint on 127.0.0.1 that refuses connections (bound, never listening, so no one else gets the port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, 0))
        yield f"http://{HOST}:{sock.getsockname()[1]}"
    finally:
        sock.close()


@pytest.fixture
def alexa_api() -> Iterator[FakeAlexaApi]:
    with running_alexa_api() as api:
        yield api
