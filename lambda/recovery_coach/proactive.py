"""Proactive alerts: one AMAZON.MessageAlert.Activated event to one user, through Alexa's
Proactive Events API. Stdlib only, no Alexa SDK types; it never raises.

Out of session there is no ``apiAccessToken``: the skill asks Login with Amazon for its own token
(``client_credentials``, scope ``alexa::proactive_events``) with the client id and secret from the
developer console's Permissions page, and keeps it until shortly before it expires (measured by
the injected clock). The event carries nothing about the patient but the label the patient chose
for the alert: no score, no symptom; Alexa says "You have one new message from <label>".

Busy or failing servers (429, 5xx, no answer) are tried again with exponential backoff and
jitter, honouring a Retry-After, all inside the send's one time budget; a 401 gets one retry with
a fresh token. Hardening is :mod:`recovery_coach.alexa_api`'s (https, or http to loopback only; no redirects;
no proxies; capped reads; timeouts). Failures are one JSON line each (op, status, kind): never
the token, the secret, the user id or a body.
"""
from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from recovery_coach import alexa_api
from recovery_coach.alexa_api import ApiResult
from recovery_coach.clock import Clock
from recovery_coach.config import Settings

EVENT_NAME = "AMAZON.MessageAlert.Activated"
SCOPE = "alexa::proactive_events"
DEVELOPMENT_PATH = "/v1/proactiveEvents/stages/development"
LIVE_PATH = "/v1/proactiveEvents"
#: A token is used until this long before Login with Amazon says it expires.
REFRESH_MARGIN = timedelta(seconds=60)
TOKEN_MAX_BYTES = 8 * 1024
EVENT_MAX_BYTES = 16 * 1024
_MAX_TOKEN_CHARS = 4096
#: Sends of one event at most (the first and its retries), and the first backoff (then doubled).
ATTEMPTS = 4
FIRST_BACKOFF = 0.25
_RETRYABLE = frozenset({alexa_api.TIMEOUT, alexa_api.CONNECTION, alexa_api.PROTOCOL})


def _iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as Amazon's examples write it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


class Proactive:
    """Sends proactive alerts with the skill's own LWA token; built once per container."""

    def __init__(self, settings: Settings, clock: Clock, sleep: Callable[[float], None] = time.sleep) -> None:
        self._settings = settings
        self._clock = clock
        self._sleep = sleep  # tests pass one that records the backoff instead of waiting
        self._token: str | None = None
        self._token_until: datetime | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Only when the skill's LWA client id and secret are both configured."""
        return bool(self._settings.lwa_client_id and self._settings.lwa_client_secret)

    def __repr__(self) -> str:  # no token, no secret
        return f"Proactive(enabled={self.enabled}, stage={self._settings.proactive_stage!r})"

    # --- the event -------------------------------------------------------------

    def event(self, user_id: str, label: str, urgent: bool, now: datetime, reference: str | None = None) -> dict[str, Any]:
        """The request body for one MessageAlert to one user.

        ``urgency`` is present only when urgent (URGENT is the schema's only value). MessageAlert's
        payload names no ``localizedattribute:`` values (the creator's name is the patient's own
        label, in their words), so ``localizedAttributes`` is empty in every locale. ``reference``
        (a new UUID when None) lets a sender that retries a whole run use the same id again.
        """
        group: dict[str, Any] = {"creator": {"name": label}, "count": 1}
        if urgent:
            group["urgency"] = "URGENT"
        return {
            "timestamp": _iso(now),
            "referenceId": reference or str(uuid.uuid4()),
            "expiryTime": _iso(now + timedelta(hours=self._settings.alert_expiry_hours)),
            "event": {
                "name": EVENT_NAME,
                "payload": {"state": {"status": "UNREAD", "freshness": "NEW"}, "messageGroup": group},
            },
            "localizedAttributes": [],
            "relevantAudience": {"type": "Unicast", "payload": {"user": user_id}},
        }

    @property
    def path(self) -> str:
        return LIVE_PATH if self._settings.proactive_stage == "live" else DEVELOPMENT_PATH

    # --- sending ---------------------------------------------------------------

    def send(self, user_id: str, label: str, urgent: bool, api_endpoint: str | None = None,
             timeout: float | None = None, reference: str | None = None) -> bool:
        """Send one alert; True when Alexa accepted it (202). Never raises.

        ``api_endpoint`` is the user's region (the ``apiEndpoint`` of their requests), else
        ``settings.proactive_endpoint``. ``timeout`` (default ``settings.alert_timeout``) is the
        whole send: the token when not cached, the event, and every retry.
        """
        try:
            if not self.enabled or not _text(user_id) or not _text(label):
                return False
            timeout = self._settings.alert_timeout if timeout is None else timeout
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < float("inf"):
                return False
            deadline = time.monotonic() + float(timeout)
            body = self.event(user_id, label, urgent, self._clock(), reference)
            endpoint = api_endpoint or self._settings.proactive_endpoint
            refreshed = False
            for attempt in range(1, ATTEMPTS + 1):
                token, res = self._access_token(deadline)
                if token is not None:
                    res = self._post_event(endpoint, token, body, deadline)
                    if res.status == 202:  # accepted; its body (none, normally) doesn't matter
                        return True
                    if res.status in (401, 403):
                        self.forget_token(token)
                    if res.status == 401 and not refreshed:
                        refreshed = True
                        continue
                op = "proactive_event" if token is not None else "lwa_token"
                if _retryable(res) and attempt < ATTEMPTS and self._backoff(attempt, res, deadline):
                    continue
                kind = res.error or alexa_api.HTTP_STATUS  # a 2xx other than 202 is not an acceptance
                alexa_api.log_failure(op, ApiResult(res.status, None, kind, res.elapsed_ms))
                return False
            return False
        except Exception:  # noqa: BLE001  (the contract is "never raises")
            alexa_api.log_failure("proactive_event", ApiResult(None, None, alexa_api.UNEXPECTED))
            return False

    def _backoff(self, attempt: int, res: ApiResult, deadline: float) -> bool:
        """Wait before another try (Retry-After when given, else 0.25 s doubled each time, jittered);
        False, without waiting, when the wait would not leave time for another try."""
        wait = res.retry_after if res.retry_after is not None else FIRST_BACKOFF * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
        if time.monotonic() + wait + 0.05 >= deadline:
            return False
        self._sleep(wait)
        return True

    def forget_token(self, token: str | None = None) -> None:
        """Drop the cached token (only if it is still ``token``, when given)."""
        with self._lock:
            if token is None or token == self._token:
                self._token, self._token_until = None, None

    # --- internals ---------------------------------------------------------------

    @staticmethod
    def _slice(deadline: float) -> float | None:
        """Per-call timeout from what is left. alexa_api's calls can take about twice their
        timeout (per-read and overall), so each gets half of what is left."""
        left = deadline - time.monotonic()
        return left / 2 if left > 0.01 else None

    def _post_event(self, endpoint: str, token: str, body: dict[str, Any], deadline: float) -> ApiResult:
        timeout = self._slice(deadline)
        if timeout is None:
            return ApiResult(None, None, alexa_api.TIMEOUT)
        return alexa_api.call("POST", endpoint, self.path, token, timeout, body, max_bytes=EVENT_MAX_BYTES)

    def _access_token(self, deadline: float) -> tuple[str | None, ApiResult]:
        """The cached token, else a new one from LWA; (None, why) when there is none."""
        with self._lock:
            now = self._clock()
            if self._token and self._token_until and now < self._token_until:
                return self._token, ApiResult(200)
            self._token, self._token_until = None, None
            timeout = self._slice(deadline)
            if timeout is None:
                return None, ApiResult(None, None, alexa_api.TIMEOUT)
            settings = self._settings
            res = alexa_api.post_form(
                settings.lwa_token_url,
                {
                    "grant_type": "client_credentials",
                    "client_id": settings.lwa_client_id or "",
                    "client_secret": settings.lwa_client_secret,
                    "scope": SCOPE,
                },
                timeout,
                max_bytes=TOKEN_MAX_BYTES,
            )
            if not res.ok:
                return None, res
            token, lifetime = _token_of(res.body)
            if token is None or lifetime is None:
                return None, ApiResult(res.status, None, alexa_api.BAD_BODY, res.elapsed_ms)
            margin = min(REFRESH_MARGIN, lifetime / 10)
            self._token, self._token_until = token, self._clock() + lifetime - margin
            return token, res


def _retryable(res: ApiResult) -> bool:
    """Worth another try: the server was busy or failing, or gave no answer."""
    return res.status == 429 or (res.status is not None and res.status >= 500) or res.error in _RETRYABLE


def _token_of(body: Any) -> tuple[str | None, timedelta | None]:
    """The access token and its lifetime from LWA's answer, if it is what LWA documents."""
    if not isinstance(body, dict):
        return None, None
    token, expires_in, kind = body.get("access_token"), body.get("expires_in"), body.get("token_type", "bearer")
    if (
        not isinstance(token, str)
        or not token
        or len(token) > _MAX_TOKEN_CHARS
        or any(c.isspace() for c in token)
        or not isinstance(kind, str)
        or kind.lower() != "bearer"
        or not isinstance(expires_in, int)
        or isinstance(expires_in, bool)
        or expires_in <= 0
    ):
        return None, None
    return token, timedelta(seconds=expires_in)
