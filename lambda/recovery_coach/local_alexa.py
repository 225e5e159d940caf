"""The Alexa cloud's part, played on this computer: the Reminders API the skill calls, on 127.0.0.1;
and the Proactive Events API with its Login with Amazon token, so a caregiver's alerts arrive as the
notifications Alexa would show (``notifications``).

`recovery-coach chat` starts a :class:`LocalAlexa` and hands the skill its ``endpoint`` and ``token``
as ``apiEndpoint`` and ``apiAccessToken``, so the skill's real client (``alexa_api.call``) sets,
moves and cancels reminders here as it would at Amazon. The routes answer with the shapes of
Amazon's Reminders REST API (``/v1/alerts/reminders``). What Alexa would remember (reminders, the
permissions the user granted) lives in one JSON file, written atomically (mode 0600) under a lock
on a sibling ``.lock`` file, so two chats on the same file never lose each other's writes.

Stdlib only; binds 127.0.0.1 only, on a free port, with a fresh random bearer token per start. It
logs nothing: no requests, no tokens, no bodies.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import tempfile
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone as dt_timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

HOST = "127.0.0.1"
REMINDERS = "/v1/alerts/reminders"
LWA_TOKEN = "/auth/o2/token"
EVENTS = "/v1/proactiveEvents/stages/development"
CLIENT_ID = "amzn1.application-oa2-client.local"  # the skill's "Alexa Client Id" here
MAX_BODY = 64 * 1024  # a reminder is a few hundred bytes
DRAIN_LIMIT = 1024 * 1024  # past this, a refused body is not read to the end: the connection is closed
SOCKET_TIMEOUT = 10.0  # a client that stalls mid-request costs one thread for at most this long
STOP_TIMEOUT = 5.0
TRIGGER_TYPES = frozenset({"SCHEDULED_ABSOLUTE", "SCHEDULED_RELATIVE"})

_ONE = re.compile(re.escape(REMINDERS) + r"/(?P<id>[^/]+)")
_TIMEZONE = re.compile(r"/v2/devices/(?P<id>[^/]+)/settings/System\.timeZone")


class ApiError(Exception):
    """An answer other than success: the status and Alexa-style JSON error body to send."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


def alexa_time(moment: datetime) -> str:
    """UTC, to the millisecond, as the Reminders API writes times: ``2026-12-04T09:00:00.000Z``."""
    if moment.tzinfo is None:  # the project's clocks are aware; a naive one is taken as UTC
        moment = moment.replace(tzinfo=dt_timezone.utc)
    utc = moment.astimezone(dt_timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _validated(body: Any) -> dict[str, Any]:
    """The parts of a create/update body that are kept; ApiError(400) when it is not a reminder."""
    if not isinstance(body, dict):
        raise ApiError(400, "INVALID_REQUEST_BODY", "The body must be a JSON object.")
    trigger = body.get("trigger")
    if not isinstance(trigger, dict) or trigger.get("type") not in TRIGGER_TYPES:
        raise ApiError(400, "INVALID_TRIGGER", "trigger.type must be SCHEDULED_ABSOLUTE or SCHEDULED_RELATIVE.")
    info = body.get("alertInfo")
    spoken = info.get("spokenInfo") if isinstance(info, dict) else None
    content = spoken.get("content") if isinstance(spoken, dict) else None
    if not isinstance(content, list) or not content or not all(isinstance(c, dict) for c in content):
        raise ApiError(400, "INVALID_ALERT_INFO", "alertInfo.spokenInfo.content must be a non-empty list.")
    push = body.get("pushNotification", {"status": "ENABLED"})
    if not isinstance(push, dict):
        raise ApiError(400, "INVALID_PUSH_NOTIFICATION", "pushNotification must be an object.")
    return {"trigger": trigger, "alertInfo": info, "pushNotification": push}


def _summary(alert: dict[str, Any]) -> dict[str, Any]:
    """What create and update answer (the API's ReminderResponse)."""
    token = alert["alertToken"]
    keys = ("alertToken", "createdTime", "updatedTime", "status", "version")
    return {**{k: alert[k] for k in keys}, "href": f"{REMINDERS}/{urllib.parse.quote(token, safe='')}"}


class _File:
    """The JSON file Alexa's state lives in: ``{"reminders": [alert, ...], "permissions": {userId: [scope,
    ...]}}``. Every access holds an flock on ``<file>.lock``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")

    @contextlib.contextmanager
    def _locked(self, kind: int) -> Iterator[None]:
        # A fresh descriptor each time: flock then also excludes this process's other threads.
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, kind)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _read(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {"reminders": [], "permissions": {}, "notifications": {}}
        state = json.loads(raw) if raw.strip() else {}
        if not isinstance(state, dict):
            raise ValueError(f"{self.path} is not a local Alexa file")
        alerts, permissions = state.get("reminders", []), state.get("permissions", {})
        if not isinstance(alerts, list) or not all(isinstance(a, dict) and "alertToken" in a for a in alerts):
            raise ValueError(f"{self.path} has no valid reminders list")
        if not isinstance(permissions, dict):
            raise ValueError(f"{self.path} has no valid permissions")
        notes = state.get("notifications", {})
        if not isinstance(notes, dict):
            raise ValueError(f"{self.path} has no valid notifications")
        return {**state, "reminders": alerts, "permissions": permissions, "notifications": notes}

    def _write(self, state: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(state, f, indent=2, sort_keys=True)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def read(self) -> dict[str, Any]:
        with self._locked(fcntl.LOCK_SH):
            return self._read()

    def update(self, change: Callable[[dict[str, Any]], Any]) -> Any:
        """Read, ``change(state)`` in place, write back; all under one exclusive lock. Returns what change returns.
        Nothing is written when ``change`` raises."""
        with self._locked(fcntl.LOCK_EX):
            state = self._read()
            result = change(state)
            self._write(state)
            return result


class LocalAlexa:
    """Alexa's Reminders API on ``http://127.0.0.1:<free port>``, with its state in ``path``.

    ``clock`` is the project's clock (``Services.clock``): every time written comes from it.
    ``timezone``, if given, is what the Device Settings API answers for any device's
    ``System.timeZone`` (else that route is a 404 and the skill uses its default zone).
    """

    def __init__(self, path: Path, clock: Callable[[], datetime], *, timezone: str | None = None) -> None:
        self.path = Path(path)
        self.clock = clock
        self.timezone = timezone
        self.endpoint = ""  # set by start()
        self.token = ""  # set by start(): a new one each time
        self._file = _File(self.path)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> LocalAlexa:
        if self._server is not None:
            raise RuntimeError("LocalAlexa is already running")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.token = secrets.token_urlsafe(32)
        server = _Server(self)
        port = server.server_address[1]
        self.endpoint = f"http://{HOST}:{port}"
        self._server = server
        # stop() waits for the loop's next poll: every `ask` pays it once, so poll often (an idle
        # loop at 0.01 s costs nothing measurable; at 0.1 s each `ask` waited about 100 ms).
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, name=f"local-alexa-{port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port and the thread. Safe to call twice."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()  # returns once serve_forever has
        server.server_close()
        if thread is not None:
            thread.join(STOP_TIMEOUT)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> LocalAlexa:
        return self if self._server is not None else self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- what Alexa remembers ------------------------------------------------------

    def reminders(self) -> list[dict[str, Any]]:
        """The reminders stored in the file (each as GET /v1/alerts/reminders/{id} answers it)."""
        return list(self._file.read()["reminders"])

    def permissions(self, user_id: str) -> dict[str, Any] | None:
        """``context.System.user.permissions`` for this user, or None if they granted nothing."""
        scopes = self._file.read()["permissions"].get(user_id) or []
        return {"scopes": {scope: {"status": "GRANTED"} for scope in scopes}} if scopes else None

    def grant(self, user_id: str, scopes: Iterable[str]) -> dict[str, Any] | None:
        """The user said yes to these permission scopes: remember them; returns :meth:`permissions`."""
        wanted = [s for s in scopes if isinstance(s, str) and s]

        def change(state: dict[str, Any]) -> None:
            held = state["permissions"].get(user_id) or []
            state["permissions"][user_id] = sorted(set(held) | set(wanted))

        self._file.update(change)
        return self.permissions(user_id)

    def notifications(self, user_id: str) -> list[dict[str, Any]]:
        """The user's unread notifications ({"from": label, "urgent": bool, "at": time}), oldest first,
        marked read: what Alexa says when they ask for their notifications."""

        def take(state: dict[str, Any]) -> list[dict[str, Any]]:
            return list(state["notifications"].pop(user_id, []))

        return list(self._file.update(take))

    # --- the API (called from the server's threads) ---------------------------------

    def _token(self, form: dict[str, str]) -> tuple[int, Any]:
        """Login with Amazon's client-credentials grant: the skill's id and secret (this run's token)."""
        if form.get("grant_type") != "client_credentials" or form.get("scope") != "alexa::proactive_events":
            raise ApiError(400, "invalid_request", "Unsupported grant or scope.")
        if form.get("client_id") != CLIENT_ID or not secrets.compare_digest(form.get("client_secret", ""), self.token):
            raise ApiError(401, "invalid_client", "Client authentication failed.")
        return 200, {"access_token": self.token, "expires_in": 3600, "scope": "alexa::proactive_events",
                     "token_type": "bearer"}

    def _event(self, body: Any) -> tuple[int, Any]:
        """One MessageAlert to one user: kept as their unread notification."""
        try:
            user = body["relevantAudience"]["payload"]["user"]
            group = body["event"]["payload"]["messageGroup"]
            name = group["creator"]["name"]
        except (KeyError, TypeError) as err:
            raise ApiError(400, "INVALID_REQUEST", "Not a MessageAlert event.") from err
        if body["event"].get("name") != "AMAZON.MessageAlert.Activated" or not isinstance(user, str) or not isinstance(name, str):
            raise ApiError(400, "INVALID_REQUEST", "Not a MessageAlert event.")
        note = {"from": name, "urgent": group.get("urgency") == "URGENT", "at": self._now()}
        self._file.update(lambda state: state["notifications"].setdefault(user, []).append(note))
        return 202, None

    def _now(self) -> str:
        return alexa_time(self.clock())

    def _create(self, body: Any) -> tuple[int, Any]:
        parts = _validated(body)
        now = self._now()
        alert = {"alertToken": str(uuid.uuid4()), "createdTime": now, "updatedTime": now, **parts,
                 "status": "ON", "version": "1"}
        self._file.update(lambda state: state["reminders"].append(alert))
        return 201, _summary(alert)

    def _list(self) -> tuple[int, Any]:
        alerts = self.reminders()
        return 200, {"totalCount": str(len(alerts)), "alerts": alerts, "links": None}

    def _get(self, token: str) -> tuple[int, Any]:
        for alert in self.reminders():
            if alert["alertToken"] == token:
                return 200, alert
        raise _not_found()

    def _update(self, token: str, body: Any) -> tuple[int, Any]:
        parts = _validated(body)
        now = self._now()

        def change(state: dict[str, Any]) -> dict[str, Any]:
            for alert in state["reminders"]:
                if alert["alertToken"] == token:
                    version = str(alert.get("version", ""))
                    alert.update(parts, updatedTime=now, version=str(int(version) + 1 if version.isdigit() else 1))
                    return dict(alert)
            raise _not_found()

        return 200, _summary(self._file.update(change))

    def _delete(self, token: str) -> tuple[int, Any]:
        def change(state: dict[str, Any]) -> None:
            kept = [a for a in state["reminders"] if a["alertToken"] != token]
            if len(kept) == len(state["reminders"]):
                raise _not_found()
            state["reminders"] = kept

        self._file.update(change)
        return 200, {}

    def _answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "POST" and path == EVENTS:
            return self._event(body)
        if path == REMINDERS:
            if method == "POST":
                return self._create(body)
            if method == "GET":
                return self._list()
        elif m := _ONE.fullmatch(path):
            token = urllib.parse.unquote(m.group("id"))
            if method == "GET":
                return self._get(token)
            if method == "PUT":
                return self._update(token, body)
            if method == "DELETE":
                return self._delete(token)
        elif method == "GET" and self.timezone and _TIMEZONE.fullmatch(path):
            return 200, self.timezone
        raise _not_found()


def _not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "No such resource.")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection
    timeout = SOCKET_TIMEOUT
    server_version = "local-alexa"
    sys_version = ""

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: never a request line, a token or a body on stderr

    def _handle(self) -> None:
        try:
            status, payload = self._route()
        except ApiError as err:
            status, payload = err.status, {"code": err.code, "message": err.message}
        except Exception:  # noqa: BLE001  (a bug or an unreadable file: an answer, never a traceback)
            status, payload = 500, {"code": "INTERNAL_SERVER_ERROR", "message": "The local Alexa failed."}
        self._send(status, payload)

    def _route(self) -> tuple[int, Any]:
        alexa = self.server.alexa
        raw = self._body()
        path = urllib.parse.urlsplit(self.path).path
        if path == LWA_TOKEN and self.command == "POST":  # credentials in the form, not a bearer token
            try:
                form = dict(urllib.parse.parse_qsl(raw.decode("ascii"), strict_parsing=True))
            except (UnicodeDecodeError, ValueError) as err:
                raise ApiError(400, "invalid_request", "The form body could not be read.") from err
            return alexa._token(form)
        given = self.headers.get("Authorization") or ""
        if not secrets.compare_digest(given.encode("utf-8", "replace"), f"Bearer {alexa.token}".encode()):
            raise ApiError(401, "UNAUTHORIZED", "The authentication token is not valid.")
        try:
            body = json.loads(raw) if raw.strip() else None
        except (ValueError, RecursionError) as err:
            raise ApiError(400, "INVALID_REQUEST_BODY", "The body is not valid JSON.") from err
        return alexa._answer(self.command, path, body)

    def _body(self) -> bytes:
        """The request body, at most MAX_BODY bytes; ApiError(413/400) otherwise."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise ApiError(411, "LENGTH_REQUIRED", "Send a Content-Length.")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            raise ApiError(400, "INVALID_REQUEST", "Bad Content-Length.")
        if length > MAX_BODY:
            # Read what was sent (up to a limit) so the client sees the 413, not a reset connection.
            left = length if length <= DRAIN_LIMIT else 0
            while left > 0 and (chunk := self.rfile.read(min(left, 65536))):
                left -= len(chunk)
            raise ApiError(413, "REQUEST_ENTITY_TOO_LARGE", f"The body is over {MAX_BODY} bytes.")
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, alexa: LocalAlexa) -> None:
        self.alexa = alexa
        super().__init__((HOST, 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up or stalled; handlers answer every other failure themselves
