"""SHARE_SECRET from AWS Secrets Manager, through the AWS Parameters and Secrets Lambda Extension.

The extension is a small HTTP server inside the function's sandbox (localhost, port 2773 unless
PARAMETERS_SECRETS_EXTENSION_HTTP_PORT says otherwise) that fetches the secret and caches it; a
request proves it comes from the function with the function's own session token. One local round
trip, once per container, and no boto3 import on the skill's path.
"""
from __future__ import annotations

import http.client
import json
import logging
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

MIN_LENGTH = 32


class SecretUnavailable(Exception):
    """The secret could not be read. The reason names no part of the secret."""


def read_secret(secret_id: str, env: Mapping[str, str], timeout: float = 2.0) -> str:
    port = int(env.get("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "").strip() or 2773)
    conn = http.client.HTTPConnection("localhost", port, timeout=timeout)
    try:
        conn.request("GET", "/secretsmanager/get?secretId=" + urllib.parse.quote(secret_id, safe=""),
                     headers={"X-Aws-Parameters-Secrets-Token": env.get("AWS_SESSION_TOKEN", "")})
        reply = conn.getresponse()
        body = reply.read()
    except (OSError, http.client.HTTPException) as e:
        raise SecretUnavailable(f"extension unreachable: {type(e).__name__}") from None
    finally:
        conn.close()
    if reply.status != 200:
        raise SecretUnavailable(f"extension answered {reply.status}")
    try:
        value = json.loads(body).get("SecretString")
    except (ValueError, AttributeError):
        raise SecretUnavailable("extension answered something other than a secret") from None
    if not isinstance(value, str) or len(value.strip()) < MIN_LENGTH:
        raise SecretUnavailable(f"the secret is not a string of {MIN_LENGTH} or more characters")
    return value.strip()


class SecretKeeper:
    """A key that couldn't be read at start is asked for again, not given up on for the container's
    life: at most once per wait, which starts at FIRST_WAIT and doubles to LONGEST_WAIT (measured on
    the injected clock). Until it is read, sharing says no code was made; everything else works."""

    FIRST_WAIT = timedelta(seconds=5)
    LONGEST_WAIT = timedelta(minutes=5)

    def __init__(self, secret_id: str, env: Mapping[str, str],
                 read: Callable[[str, Mapping[str, str]], str] = read_secret) -> None:
        self._secret_id, self._env, self._read = secret_id, env, read
        self._value = ""
        self._wait: timedelta | None = None
        self._next: datetime | None = None
        self._lock = threading.Lock()

    def key(self, now: datetime) -> str:
        with self._lock:
            if self._value or (self._next is not None and now < self._next):
                return self._value
            try:
                self._value = self._read(self._secret_id, self._env)
            except SecretUnavailable as e:
                self._wait = min(self.LONGEST_WAIT, self._wait * 2) if self._wait else self.FIRST_WAIT
                self._next = now + self._wait
                logging.getLogger("recovery_coach").warning(
                    '{"event": "share_secret_unavailable", "reason": "%s", "next_try_seconds": %d}',
                    e, self._wait.total_seconds())
            return self._value
