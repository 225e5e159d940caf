"""A tiny client for Alexa's cloud APIs (Device Settings now, Reminders next).

Stdlib only (``urllib.request`` + ``json``) to keep cold start low.

* :func:`call` sends one JSON request to ``{apiEndpoint}{path}`` with
  ``Authorization: Bearer {apiAccessToken}`` and returns an :class:`ApiResult`.
  It never raises: every failure is described by ``status``/``error``.
* :func:`device_timezone` asks for the device's IANA time zone and returns it,
  or ``None`` on any failure.
* :func:`post_form` sends one form-encoded POST (Login with Amazon's token endpoint), with the
  same hardening and the same :class:`ApiResult`; it never raises either.
* :func:`log_failure` writes one JSON line at WARNING describing a failed call.
  It logs only the operation name, the HTTP status, the failure kind and the
  latency: never the token, the device id, the user id, the URL, or bodies.

Hardening, on purpose:

* the token is only sent over ``https``, or over ``http`` to a loopback host
  (for the local test server); anything else is refused without a request;
* redirects are not followed (urllib would forward the ``Authorization``
  header to wherever a redirect points), a 3xx is a failure;
* environment proxies are ignored (Alexa's endpoint is reached directly);
* response bodies are read at most ``max_bytes`` (+1 to detect overflow), in
  small reads that also respect an overall deadline of ``timeout`` seconds.

About ``timeout``: connect and each socket read are bounded by ``timeout``
(urllib's per-operation socket timeout); reading the body additionally stops
at an overall deadline, so a slow answer costs at most about twice
``timeout``. Pick it against Alexa's ~8 s response budget (e.g. 1 s).
"""
from __future__ import annotations

import functools
import http.client
import json
import logging
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

log = logging.getLogger("recovery_coach")

#: Read cap for :func:`call` unless the caller asks for another.
DEFAULT_MAX_BYTES = 64 * 1024
#: Read cap for the time zone answer (a short JSON string).
TIMEZONE_MAX_BYTES = 4 * 1024

_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH"})
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Keys ZoneInfo accepts that are host files, not IANA zone names.
_NOT_IANA_ZONES = frozenset({"localtime", "posixrules"})
_READ_CHUNK = 4096
_USER_AGENT = "recovery-coach/0.1"

# Failure kinds (ApiResult.error); stable strings, safe to log.
MISSING_INPUT = "missing_input"  # no endpoint/token/device id: nothing was sent
INVALID_INPUT = "invalid_input"  # bad endpoint/method/path/timeout/body: nothing was sent
TIMEOUT = "timeout"  # no answer in time (status None)
CONNECTION = "connection"  # refused/reset/DNS/TLS (status None)
PROTOCOL = "protocol"  # not valid HTTP (status None)
HTTP_STATUS = "http_status"  # answered with a non-2xx status
TOO_LARGE = "too_large"  # body longer than the cap
BAD_JSON = "bad_json"  # body is not JSON
BAD_BODY = "bad_body"  # JSON, but not what the operation expects
INVALID_ZONE = "invalid_zone"  # a string, but not an IANA zone
UNEXPECTED = "unexpected"  # anything else (a bug); still never raised


@dataclass(frozen=True)
class ApiResult:
    """What came back from one call.

    ``status`` is the HTTP status, or ``None`` when there was no answer
    (nothing sent, timeout, connection failure). ``body`` is the parsed JSON
    body (also for non-2xx answers, whose JSON error bodies say why), or
    ``None`` when empty/absent/unparseable. ``error`` is ``None`` on success,
    else one of the failure-kind constants of this module.
    """

    status: int | None
    body: Any = None
    error: str | None = None
    elapsed_ms: float = 0.0
    retry_after: float | None = None  # a 429's or 503's Retry-After, in seconds, when it gave one

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Turn every redirect into an HTTPError instead of following it with our token."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@functools.cache
def _opener() -> urllib.request.OpenerDirector:
    """Built on the first call, not at import: its HTTPS handler loads the CA certificates (~20 ms),
    which a turn that calls no Alexa API never needs."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _endpoint_ok(api_endpoint: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(api_endpoint)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return False
    if not host or parts.username is not None or parts.query or parts.fragment:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and host in _LOOPBACK_HOSTS


def _timeout_ok(timeout: object) -> bool:
    return (
        isinstance(timeout, (int, float))
        and not isinstance(timeout, bool)
        and math.isfinite(timeout)
        and timeout > 0
    )


def _read_capped(response: Any, max_bytes: int, deadline: float) -> bytes | None:
    """Read at most ``max_bytes``; ``None`` if there is more. Raises TimeoutError past ``deadline``."""
    chunks: list[bytes] = []
    size = 0
    while True:  # bounded: each pass reads >= 1 byte or ends, and size is capped
        if time.monotonic() > deadline:
            raise TimeoutError("body read deadline")
        want = min(_READ_CHUNK, max_bytes + 1 - size)
        chunk = response.read1(want) if hasattr(response, "read1") else response.read(want)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return None


def _decode(raw: bytes) -> tuple[Any, str | None]:
    if not raw.strip():
        return None, None
    try:
        return json.loads(raw), None
    except (ValueError, RecursionError):  # JSONDecodeError/UnicodeDecodeError; absurd nesting
        return None, BAD_JSON


def call(
    method: str,
    api_endpoint: str | None,
    path: str,
    token: str | None,
    timeout: float,
    body: Any = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ApiResult:
    """Send ``method {api_endpoint}{path}`` with the bearer ``token``; never raises.

    ``path`` must start with ``/`` and be already URL-quoted (callers quote ids
    with ``urllib.parse.quote(x, safe="")``). ``body``, if not ``None``, is
    sent as JSON. Does not log: callers decide (see :func:`log_failure`).
    """
    started = time.monotonic()

    def result(status: int | None, payload: Any = None, error: str | None = None) -> ApiResult:
        return ApiResult(status, payload, error, round((time.monotonic() - started) * 1000, 2))

    if not api_endpoint or not token or not isinstance(api_endpoint, str) or not isinstance(token, str):
        return result(None, error=MISSING_INPUT)
    if (
        not isinstance(method, str)
        or method.upper() not in _METHODS
        or not isinstance(path, str)
        or not path.startswith("/")
        or any(c in path for c in " \r\n\t#")
        or any(c in token for c in "\r\n")
        or not _timeout_ok(timeout)
        or not _endpoint_ok(api_endpoint)
    ):
        return result(None, error=INVALID_INPUT)

    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": _USER_AGENT}
    data = None
    if body is not None:
        try:
            data = json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
        except (TypeError, ValueError, RecursionError):
            return result(None, error=INVALID_INPUT)
        headers["Content-Type"] = "application/json"

    url = api_endpoint.rstrip("/") + path
    return _exchange(url, data, headers, method.upper(), timeout, max_bytes, started)


def post_form(url: str | None, fields: Mapping[str, str], timeout: float, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ApiResult:
    """POST ``fields`` form-encoded (``application/x-www-form-urlencoded``) to ``url``; never raises.

    For Login with Amazon's token endpoint: no bearer token, the credentials are in the body, so
    the body gets the care a token does (https, or http to loopback only; no redirects, no
    proxies). Field values must be strings without CR/LF. Does not log.
    """
    started = time.monotonic()
    if not url or not isinstance(url, str) or not isinstance(fields, Mapping) or not fields:
        return ApiResult(None, error=MISSING_INPUT)
    if (
        not all(isinstance(k, str) and isinstance(v, str) and "\r" not in v and "\n" not in v for k, v in fields.items())
        or any(c in url for c in " \r\n\t#")
        or not _timeout_ok(timeout)
        or not _endpoint_ok(url)
    ):
        return ApiResult(None, error=INVALID_INPUT)
    data = urllib.parse.urlencode(fields).encode("ascii")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
        "Accept": "application/json",
        "User-Agent": _USER_AGENT,
    }
    return _exchange(url, data, headers, "POST", timeout, max_bytes, started)


def _exchange(
    url: str, data: bytes | None, headers: dict[str, str], method: str, timeout: float, max_bytes: int, started: float
) -> ApiResult:
    """Send one checked request and read its capped answer; never raises."""

    def result(status: int | None, payload: Any = None, error: str | None = None, retry_after: float | None = None) -> ApiResult:
        return ApiResult(status, payload, error, round((time.monotonic() - started) * 1000, 2), retry_after)

    deadline = started + float(timeout)
    retry_after = None
    try:
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            response = _opener().open(request, timeout=timeout)
        except urllib.error.HTTPError as err:  # non-2xx (and 3xx, not followed): read its error body
            response = err
        with response:
            status = response.status if isinstance(response.status, int) else response.getcode()
            retry_after = _seconds(response.headers.get("Retry-After"))
            raw = _read_capped(response, max_bytes, deadline)
    except urllib.error.URLError as err:  # before any answer: refused, DNS, TLS, connect timeout
        return result(None, error=TIMEOUT if isinstance(err.reason, TimeoutError) else CONNECTION)
    except TimeoutError:  # waiting for the status line or the body
        return result(None, error=TIMEOUT)
    except http.client.HTTPException:  # garbage status line, truncated body, ...
        return result(None, error=PROTOCOL)
    except OSError:  # reset, broken pipe, ...
        return result(None, error=CONNECTION)
    except ValueError:  # a URL urllib/http.client will not send
        return result(None, error=INVALID_INPUT)
    except Exception:  # noqa: BLE001  (the contract is "never raises")
        return result(None, error=UNEXPECTED)

    if raw is None:
        return result(status, error=TOO_LARGE, retry_after=retry_after)
    payload, error = _decode(raw)
    if not 200 <= status < 300:
        return result(status, payload, HTTP_STATUS, retry_after)
    return result(status, payload, error)


def _seconds(value: str | None) -> float | None:
    """A Retry-After header's delay in seconds (the delta-seconds form only), else None."""
    if value is None or not value.strip().isdigit():
        return None
    return float(min(int(value.strip()), 3600))


def log_failure(op: str, res: ApiResult) -> None:
    """One JSON line at WARNING: op name, status, failure kind, latency. Nothing identifying."""
    log.warning(
        json.dumps(
            {"event": "alexa_api_failure", "op": op, "status": res.status, "kind": res.error, "elapsed_ms": res.elapsed_ms}
        )
    )


def _iana_zone(value: Any) -> str | None:
    if not isinstance(value, str) or not value or len(value) > 64 or value in _NOT_IANA_ZONES:
        return None
    try:
        ZoneInfo(value)
    except Exception:  # noqa: BLE001  ZoneInfoNotFoundError, ValueError (paths), OSError, ...
        return None
    return value


def device_timezone(
    api_endpoint: str | None, access_token: str | None, device_id: str | None, timeout: float
) -> str | None:
    """The device's IANA time zone name (e.g. ``"America/Los_Angeles"``), or ``None``.

    Never raises. Sends nothing when the endpoint, token or device id is
    missing. Logs one JSON line at WARNING when the API call fails or the
    answer is not a valid zone (not when inputs are simply missing).
    """
    try:
        if not device_id or not isinstance(device_id, str):
            return None
        path = f"/v2/devices/{urllib.parse.quote(device_id, safe='')}/settings/System.timeZone"
        res = call("GET", api_endpoint, path, access_token, timeout, max_bytes=TIMEZONE_MAX_BYTES)
        if res.error == MISSING_INPUT:
            return None
        if not res.ok:
            log_failure("device_timezone", res)
            return None
        zone = _iana_zone(res.body)
        if zone is None:
            kind = INVALID_ZONE if isinstance(res.body, str) else BAD_BODY
            log_failure("device_timezone", ApiResult(res.status, None, kind, res.elapsed_ms))
        return zone
    except Exception:  # noqa: BLE001  (belt and braces: never break a turn over a time zone)
        return None
