"""SHARE_SECRET from AWS Secrets Manager, through the AWS Parameters and Secrets Lambda Extension.

The extension is a small HTTP server inside the function's sandbox (localhost, port 2773 unless
PARAMETERS_SECRETS_EXTENSION_HTTP_PORT says otherwise) that fetches the secret and caches it; a
request proves it comes from the function with the function's own session token. One local round
trip, once per container, and no boto3 import on the skill's path.
"""
from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Mapping

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
