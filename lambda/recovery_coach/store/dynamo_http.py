"""A small DynamoDB client: the seven operations the store uses, as SigV4-signed HTTPS calls.

Importing boto3 and building a client is most of a cold start (about 130 ms here, see
BENCHMARKS.md); the store needs only GetItem, PutItem, UpdateItem, DeleteItem, Query,
BatchWriteItem and TransactWriteItems of DynamoDB's JSON protocol. Errors are raised as
botocore's own exception classes (a light import), so DynamoStore's retries and conditional
writes see exactly what they see from a boto3 client — which it still accepts. The few pieces
of botocore's event system that the benchmark and tests hook into (`meta.events`) are here too.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from recovery_coach.clock import system_clock

OPERATIONS = {
    "get_item": "GetItem",
    "put_item": "PutItem",
    "update_item": "UpdateItem",
    "delete_item": "DeleteItem",
    "query": "Query",
    "batch_write_item": "BatchWriteItem",
    "transact_write_items": "TransactWriteItems",
}
TARGET = "DynamoDB_20120810."
CONTENT_TYPE = "application/x-amz-json-1.0"


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Credentials | None:
        """Lambda puts its role's credentials in the environment."""
        if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
            return cls(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env.get("AWS_SESSION_TOKEN") or None)
        return None


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(headers: dict[str, str], body: bytes, host: str, region: str, creds: Credentials, now: datetime) -> dict[str, str]:
    """AWS Signature Version 4 for a POST to "/" of DynamoDB: the headers to send."""
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    signed = {**{k.lower(): v for k, v in headers.items()}, "host": host, "x-amz-date": amz_date}
    if creds.token:
        signed["x-amz-security-token"] = creds.token
    names = sorted(signed)
    canonical = "\n".join(
        ["POST", "/", "", *(f"{n}:{' '.join(signed[n].split())}" for n in names), "", ";".join(names),
         hashlib.sha256(body).hexdigest()]
    )
    scope = f"{day}/{region}/dynamodb/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{creds.secret_key}".encode(), day), region), "dynamodb"), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    out = {k: v for k, v in signed.items() if k != "host"}
    out["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={creds.access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return out


class Events:
    """register/unregister/emit with botocore's names ("before-call.dynamodb.Query", "….*")."""

    def __init__(self) -> None:
        self._handlers: list[tuple[str, Callable[..., Any]]] = []

    def register(self, name: str, handler: Callable[..., Any], *_: Any, **__: Any) -> None:
        self._handlers.append((name, handler))

    def unregister(self, name: str, handler: Callable[..., Any] | None = None, *_: Any, **__: Any) -> None:
        self._handlers = [(n, h) for n, h in self._handlers if not (n == name and (handler is None or h == handler))]

    def emit(self, name: str, **kwargs: Any) -> None:
        for pattern, handler in list(self._handlers):
            prefix = pattern[:-2] if pattern.endswith(".*") else pattern
            if name == prefix or name.startswith(prefix + "."):
                handler(event_name=name, **kwargs)


class DynamoHttpClient:
    """Call it like a boto3 DynamoDB client: `client.query(TableName=..., ...)`."""

    def __init__(self, region: str, credentials: Credentials, endpoint_url: str | None = None, timeout: float = 1.0,
                 clock: Callable[[], datetime] = system_clock) -> None:
        self.endpoint_url = endpoint_url or f"https://dynamodb.{region}.amazonaws.com"
        parts = urllib.parse.urlsplit(self.endpoint_url)
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname or "", parts.port
        self._host_header = parts.netloc
        self.region, self.credentials, self.timeout, self.clock = region, credentials, timeout, clock
        self.meta = SimpleNamespace(events=Events(), region_name=region, endpoint_url=self.endpoint_url)
        self._local = threading.local()  # one keep-alive connection per thread (gunicorn's gthread)

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        if name in OPERATIONS:
            return lambda **params: self._call(OPERATIONS[name], params)
        raise AttributeError(name)

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def _send(self, op: str, body: bytes) -> tuple[int, bytes]:
        headers = sign({"content-type": CONTENT_TYPE, "x-amz-target": TARGET + op}, body, self._host_header,
                       self.region, self.credentials, self.clock())
        reused = getattr(self._local, "conn", None) is not None
        for attempt in (1, 2):
            conn = self._connection(fresh=attempt == 2)
            try:
                conn.request("POST", "/", body, headers)
                response = conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                conn.close()
                self._local.conn = None
                if attempt == 1 and reused:
                    continue  # the server closed an idle keep-alive connection: once more, fresh
                raise ConnectionClosedError(endpoint_url=self.endpoint_url) from e
            except TimeoutError as e:
                conn.close()
                self._local.conn = None
                raise ReadTimeoutError(endpoint_url=self.endpoint_url) from e
            except OSError as e:  # refused, unreachable, DNS
                conn.close()
                self._local.conn = None
                raise EndpointConnectionError(endpoint_url=self.endpoint_url) from e
        raise AssertionError("unreachable")

    def _call(self, op: str, params: dict[str, Any]) -> dict[str, Any]:
        model = SimpleNamespace(name=op)
        events = self.meta.events
        events.emit(f"before-parameter-build.dynamodb.{op}", params=params, model=model)
        events.emit(f"before-call.dynamodb.{op}", params=params, model=model)
        status, raw = self._send(op, json.dumps(params).encode())
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        if status != 200:
            code = str(parsed.get("__type", "")).rsplit("#", 1)[-1] or f"HTTP{status}"
            error = {
                "Error": {"Code": code, "Message": parsed.get("message") or parsed.get("Message") or ""},
                "ResponseMetadata": {"HTTPStatusCode": status},
                **{k: parsed[k] for k in ("Item", "CancellationReasons") if k in parsed},
            }
            events.emit(f"after-call.dynamodb.{op}", model=model, parsed=error, http_response=None)
            raise ClientError(error, op)
        parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": status})
        events.emit(f"after-call.dynamodb.{op}", model=model, parsed=parsed, http_response=None)
        return parsed
