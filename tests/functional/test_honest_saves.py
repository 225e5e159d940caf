"""Honest saves: a check-in whose write answer is slow or lost is read back (a consistent read)
before the patient hears anything; with no time left to read, the skill says it couldn't confirm
the save. Never a false "not saved".

The faults are real: a TCP proxy on 127.0.0.1 in front of DynamoDB Local forwards every request,
and for PutItem either holds DynamoDB's answer (the write is stored; the client times out) or
drops the request before DynamoDB sees it (nothing is stored; the client sees the connection close).
"""
from __future__ import annotations

import hashlib
import http.client
import socket
import socketserver
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from recovery_coach import skill
from recovery_coach.config import Settings
from recovery_coach.services import Services, build_store
from tests.conftest import Clock
from tests.dynamo_local import FAKE_AWS_ENV, DynamoTable
from tests.support import Alexa

pytestmark = [pytest.mark.dynamodb, pytest.mark.timing]


class FaultyProxy:
    """HTTP/1.1 keep-alive proxy; `faults[target]` is "hold" or "drop" for a DynamoDB operation."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urllib.parse.urlsplit(upstream)
        self.faults: dict[str, str] = {}
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                while proxy._one(self.request, self.rfile):
                    pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def _one(self, sock: socket.socket, rfile: Any) -> bool:
        if not rfile.readline():
            return False
        headers: dict[str, str] = {}
        while (line := rfile.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = rfile.read(int(headers.get("content-length", "0")))
        fault = self.faults.get(headers.get("x-amz-target", "").rpartition(".")[2])
        if fault == "drop":  # never reaches DynamoDB
            return False
        upstream = http.client.HTTPConnection(self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=10)
        upstream.request("POST", "/", body, {k: v for k, v in headers.items() if k != "connection"})
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        if fault == "hold":  # stored, but the answer never comes: wait for the client to give up
            sock.settimeout(10)
            try:
                while sock.recv(65536):
                    pass
            except OSError:
                pass
            return False
        head = [f"HTTP/1.1 {answer.status} {answer.reason}"]
        head += [f"{k}: {v}" for k, v in answer.getheaders() if k.lower() not in ("content-length", "connection",
                                                                                  "transfer-encoding")]
        head += [f"Content-Length: {len(data)}", "", ""]
        sock.sendall("\r\n".join(head).encode() + data)
        return True

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(dynamodb_table: DynamoTable) -> Iterator[FaultyProxy]:
    p = FaultyProxy(dynamodb_table.endpoint)
    yield p
    p.close()


def serve_through(proxy: FaultyProxy, table: DynamoTable, clock: Clock, monkeypatch: pytest.MonkeyPatch,
                  client: str, **settings: Any) -> Services:
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    config = Settings(table_name=table.name, dynamodb_endpoint=proxy.url, dynamodb_client=client, **settings)
    services = Services(settings=config, store=build_store(config), clock=clock)
    skill.install(services)
    return services


def stored_score(table: DynamoTable, alexa: Alexa) -> int | None:
    pk = "USER#" + hashlib.sha256(alexa.device.user_id.encode()).hexdigest()
    items = table.client.query(TableName=table.name, ConsistentRead=True, KeyConditionExpression="pk = :pk",
                               ExpressionAttributeValues={":pk": {"S": pk}})["Items"]
    scores = [int(i["score"]["N"]) for i in items if i["sk"]["S"].startswith("CHECKIN#")]
    return scores[0] if scores else None


CLIENTS = ["auto", "boto3"]  # auto: the small SigV4 client (credentials are in the environment)


@pytest.fixture(autouse=True)
def _uninstall() -> Iterator[None]:
    yield
    skill._skill = None


@pytest.mark.parametrize("client", CLIENTS)
def test_a_write_whose_answers_were_lost_is_read_back_and_reported_saved(
        proxy: FaultyProxy, dynamodb_table: DynamoTable, clock: Clock, monkeypatch: pytest.MonkeyPatch, client: str) -> None:
    # Two 1 s attempts leave a second of the 3 s deadline for the read.
    serve_through(proxy, dynamodb_table, clock, monkeypatch, client, dynamodb_attempts=2)
    patient = Alexa()
    proxy.faults["PutItem"] = "hold"
    reply = patient.say("log my pain as six")
    assert "Saved: your pain is 6 today" in reply and "not saved" not in reply
    assert stored_score(dynamodb_table, patient) == 6


@pytest.mark.parametrize("client", CLIENTS)
def test_with_no_time_left_to_read_back_it_says_it_couldnt_confirm_never_not_saved(
        proxy: FaultyProxy, dynamodb_table: DynamoTable, clock: Clock, monkeypatch: pytest.MonkeyPatch, client: str) -> None:
    serve_through(proxy, dynamodb_table, clock, monkeypatch, client)  # production: 3 attempts, 1 s, 3 s deadline
    patient = Alexa()
    proxy.faults["PutItem"] = "hold"
    reply = patient.say("log my pain as six")
    assert "couldn't confirm your check-in of 6 was saved" in reply and "not saved" not in reply
    assert reply.speech.endswith("Would you like me to check again?")
    assert stored_score(dynamodb_table, patient) == 6  # it was stored
    proxy.faults.clear()
    assert "You already logged 6 today" in patient.say("yes")


@pytest.mark.parametrize("client", CLIENTS)
def test_a_write_whose_connection_dropped_is_never_called_not_saved(
        proxy: FaultyProxy, dynamodb_table: DynamoTable, clock: Clock, monkeypatch: pytest.MonkeyPatch, client: str) -> None:
    """The connection closes with no answer: the client can't know whether DynamoDB got the write, and
    reading back an absent item proves nothing (the write may still land), so: couldn't confirm."""
    serve_through(proxy, dynamodb_table, clock, monkeypatch, client, dynamodb_attempts=2)
    patient = Alexa()
    proxy.faults["PutItem"] = "drop"
    reply = patient.say("log my pain as six")
    assert "couldn't confirm your check-in of 6 was saved" in reply and "not saved" not in reply
    assert stored_score(dynamodb_table, patient) is None
    proxy.faults.clear()
    assert "Saved: your pain is 6 today" in patient.say("yes")  # checked again: not there, so saved now
