"""`recovery-coach serve` as a clinic runs it: gunicorn on 127.0.0.1, verification on by default."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.load.run import run as load_run
from bench.load.slow import run as slow_run

ROOT = Path(__file__).resolve().parents[2]
EXE = Path(sys.executable).parent / "recovery-coach"
FIXTURE = (ROOT / "tests" / "fixtures" / "launch_request.json").read_bytes()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tmp_path: Path, *args: str, **env: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    run_env = {**os.environ, "RECOVERY_COACH_DB": str(tmp_path / "db.sqlite3"), "SHARE_SECRET": "serve-test-secret-" + "k" * 32, **env}
    for key in ("TABLE_NAME", "DYNAMODB_ENDPOINT", "SKILL_ID"):
        if key not in env:
            run_env.pop(key, None)
    proc = subprocess.Popen([str(EXE), "serve", "--port", str(port), "--workers", "1", *args],
                            env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return proc, port
        except OSError:
            time.sleep(0.2)
    return proc, port


@pytest.fixture
def stop() -> Iterator[list[subprocess.Popen]]:
    procs: list[subprocess.Popen] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.terminate()
            p.wait(timeout=15)


def post(port: int, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_verification_is_on_by_default_and_needs_a_skill_id(tmp_path: Path) -> None:
    done = subprocess.run([str(EXE), "serve", "--port", str(free_port())], capture_output=True, text=True, timeout=30,
                          env={k: v for k, v in os.environ.items() if k != "SKILL_ID"})
    assert done.returncode != 0 and "set SKILL_ID" in done.stderr


def test_serve_refuses_the_public_default_share_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SHARE_SECRET"}
    done = subprocess.run([str(EXE), "serve", "--port", str(free_port())], capture_output=True, text=True, timeout=30,
                          env={**env, "SKILL_ID": "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"})
    assert done.returncode != 0 and "set SHARE_SECRET" in done.stderr


@pytest.mark.parametrize("secret", ["Qz9", "Wv" * 15 + "J"])
def test_serve_refuses_a_share_secret_under_32_bytes(tmp_path: Path, secret: str) -> None:
    env = {**os.environ, "SHARE_SECRET": secret, "SKILL_ID": "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"}
    done = subprocess.run([str(EXE), "serve", "--port", str(free_port())], capture_output=True, text=True, timeout=30,
                          env=env)
    assert done.returncode != 0 and "at least 32 bytes" in done.stderr and secret not in done.stderr


def test_an_unsigned_request_is_refused_by_the_real_server(tmp_path: Path, stop: list) -> None:
    proc, port = start(tmp_path, SKILL_ID="amzn1.ask.skill.00000000-0000-0000-0000-000000000000")
    stop.append(proc)
    status, body = post(port, FIXTURE)
    assert status == 400 and body["error"] == "verification:missing_cert_url"


def test_switching_verification_off_prints_a_loud_warning(tmp_path: Path, stop: list) -> None:
    proc, port = start(tmp_path, "--no-verify")
    stop.append(proc)
    status, body = post(port, FIXTURE)
    assert status == 200 and "Welcome to Spine Recovery" in body["response"]["outputSpeech"]["ssml"]
    proc.terminate()
    _, err = proc.communicate(timeout=15)
    assert "VERIFICATION IS OFF" in err


def test_a_small_load_loses_nothing() -> None:
    """The benchmark's little sibling: 2 s, 5 signed users, DynamoDB Local behind the server."""
    result = load_run(seconds=2, users=5, workers=1)
    total = result["stats"]["Aggregated"]
    assert total["requests"] > 0 and total["failures"] == 0
    assert result["checkins_confirmed"] > 0 and result["checkins_missing"] == 0


def test_the_real_server_answers_new_request_types_with_200(tmp_path: Path, stop: list) -> None:
    """A request type the SDK has no class for gets Alexa's empty response, not a 400."""
    proc, port = start(tmp_path, "--no-verify")
    stop.append(proc)
    unknown = (ROOT / "tests" / "fixtures" / "conformance" / "unknown_request_type.json").read_bytes()
    assert post(port, unknown) == (200, {"version": "1.0", "response": {}})
    can_fulfill = (ROOT / "tests" / "fixtures" / "conformance" / "can_fulfill_intent_request.json").read_bytes()
    status, body = post(port, can_fulfill)
    assert status == 200 and body["response"]["canFulfillIntent"]["canFulfill"] == "YES"


def test_fifty_stalled_connections_dont_stop_health_or_a_red_flag_answer() -> None:
    """Half trickle their headers a byte at a time, half promise a body and stop; each is reopened when
    dropped. Meanwhile every /health and every signed red-flag question must be answered within 1 s."""
    result = slow_run(seconds=4, stalled=50, header_timeout=2, body_timeout=2)
    for name in ("health", "red_flag"):
        assert result[name]["failed"] == 0 and result[name]["answered"] >= 10, result
    # The deadlines are real: stalled bodies got 408, trickled heads were cut off.
    assert result["stalled_bodies_answered_408"] > 0 and result["stalled_connections_dropped"] > 0, result


def test_an_oversized_header_gets_431_not_a_5xx(tmp_path: Path, stop: list) -> None:
    proc, port = start(tmp_path, SKILL_ID="amzn1.ask.skill.00000000-0000-0000-0000-000000000000")
    stop.append(proc)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        assert s.recv(64).startswith(b"HTTP/1.1 431 ")


def test_a_malformed_request_line_never_puts_its_token_in_the_log(tmp_path: Path) -> None:
    """gunicorn rejects the line itself (400) and would log it verbatim, report token and all."""
    proc, port = start(tmp_path, "--no-verify")
    token = "Zq7" + "x" * 29 + "TOKEN"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(f"GET /report/{token} HTTP/1.1 trailing-junk\r\nHost: x\r\n\r\n".encode())
            answer = conn.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert "invalid_request" in err, err[-2000:]
    assert token not in err and "trailing-junk" not in err
