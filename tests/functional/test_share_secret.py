"""SHARE_SECRET read through the Parameters and Secrets Lambda Extension, served here by a real
HTTP server on 127.0.0.1 that answers the way the extension does."""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from recovery_coach import skill
from recovery_coach.config import Settings
from recovery_coach.secret_store import SecretUnavailable, read_secret
from recovery_coach.store.sqlite import SqliteStore
from tests.conftest import Clock, install
from tests.support import Alexa

SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:spine-recovery/share-XyZ12"
KEY = "k" * 20 + "-a-long-random-sharing-key"
TOKEN = "session-token-of-the-function"


class Extension:
    """The extension's /secretsmanager/get endpoint: the secret only for the function's token."""

    def __init__(self) -> None:
        self.status, self.body = 200, json.dumps({"Name": "share", "SecretString": KEY}).encode()
        self.requests: list[dict[str, Any]] = []
        extension = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                extension.requests.append({"path": url.path, "query": parse_qs(url.query),
                                           "token": self.headers.get("X-Aws-Parameters-Secrets-Token")})
                ok = self.headers.get("X-Aws-Parameters-Secrets-Token") == TOKEN
                status, body = (extension.status, extension.body) if ok else (401, b"not authorized")
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.env = {"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": str(self.server.server_address[1]),
                    "AWS_SESSION_TOKEN": TOKEN, "SHARE_SECRET_ID": SECRET_ARN}
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


@pytest.fixture
def extension() -> Iterator[Extension]:
    ext = Extension()
    yield ext
    ext.server.shutdown()
    ext.server.server_close()


def test_the_key_is_read_from_the_extension_with_the_functions_token(extension: Extension) -> None:
    assert Settings.from_env(extension.env).share_secret == KEY
    [req] = extension.requests
    assert req == {"path": "/secretsmanager/get", "query": {"secretId": [SECRET_ARN]}, "token": TOKEN}


def test_a_key_in_the_environment_wins_and_the_extension_is_not_asked(extension: Extension) -> None:
    env = {**extension.env, "SHARE_SECRET": "x" * 40}
    assert Settings.from_env(env).share_secret == "x" * 40
    assert extension.requests == []


@pytest.mark.parametrize("fault", ["wrong-token", "500", "not-json", "short", "down"])
def test_every_failure_is_one_clear_error(extension: Extension, fault: str) -> None:
    env = dict(extension.env)
    if fault == "wrong-token":
        env["AWS_SESSION_TOKEN"] = "someone-else"
    elif fault == "500":
        extension.status = 500
    elif fault == "not-json":
        extension.body = b"<html>"
    elif fault == "short":
        extension.body = json.dumps({"SecretString": "too-short"}).encode()
    else:
        extension.server.shutdown()
        extension.server.server_close()
    with pytest.raises(SecretUnavailable):
        read_secret(SECRET_ARN, env, timeout=1.0)


def test_without_the_key_sharing_says_so_and_the_rest_of_the_skill_works(
    extension: Extension, tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    extension.status = 500
    caplog.set_level(logging.DEBUG)
    settings = Settings.from_env(extension.env)
    assert settings.share_secret == ""
    assert "share_secret_unavailable" in caplog.text and KEY not in caplog.text
    store = SqliteStore(tmp_path / "db.sqlite3")
    install(store, clock, share_secret=settings.share_secret, sqlite_path=tmp_path / "db.sqlite3")
    try:
        patient = Alexa()
        patient.say("share my check-ins with my caregiver")
        reply = patient.say("call me Mom")
        assert "no code was made" in reply.speech and "code is" not in reply.speech
        assert "Call 911 now" in Alexa().say("my legs are numb and weak").speech  # safety needs no key
        assert "Saved: your pain is 4 today" in Alexa("other").say("log my pain as four").speech
    finally:
        skill._skill = None


def test_in_lambda_without_a_configured_secret_no_code_is_made(tmp_path: Path, clock: Clock,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """A deployment that forgot SHARE_SECRET_ID never falls back to the public default key: one
    warning at start, sharing says no code was made, and everything else works."""
    caplog.set_level(logging.DEBUG)
    settings = Settings.from_env({"AWS_LAMBDA_FUNCTION_NAME": "spine-recovery-SkillFunction"})
    assert settings.share_secret == ""
    assert caplog.text.count("share_secret_missing") == 1
    assert Settings.from_env({}).share_secret == Settings.share_secret  # a laptop keeps the local default
    install(SqliteStore(tmp_path / "db.sqlite3"), clock, share_secret=settings.share_secret)
    try:
        patient = Alexa()
        patient.say("share my check-ins with my caregiver")
        reply = patient.say("call me Mom")
        assert "no code was made" in reply.speech and "code is" not in reply.speech
        assert "Saved: your pain is 4 today" in Alexa("other").say("log my pain as four").speech
    finally:
        skill._skill = None


def test_a_key_that_could_not_be_read_is_asked_for_again_with_backoff(
    extension: Extension, tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture
) -> None:
    """Secrets Manager was down at cold start: sharing comes back once it answers, without a new
    container, and the extension is asked at most once per wait (5 s, doubling)."""
    from datetime import timedelta

    for name, value in extension.env.items():
        monkeypatch.setenv(name, value)
    extension.status = 500
    settings = Settings.from_env(extension.env)
    assert settings.share_secret == "" and settings.share_secret_id == SECRET_ARN
    install(SqliteStore(tmp_path / "db.sqlite3"), clock, share_secret="", share_secret_id=SECRET_ARN)
    try:
        patient = Alexa()
        asked = len(extension.requests)
        patient.say("share my check-ins with my caregiver")
        assert "no code was made" in patient.say("call me Mom")
        patient.say("share my check-ins with my caregiver")
        assert "no code was made" in patient.say("call me Mom")
        assert len(extension.requests) == asked + 1  # the second try waits its 5 s
        extension.status = 200
        clock.now += timedelta(seconds=6)
        patient.say("share my check-ins with my caregiver")
        assert "Your sharing code is" in patient.say("call me Mom")
        assert len(extension.requests) == asked + 2 and KEY not in caplog.text
    finally:
        skill._skill = None
