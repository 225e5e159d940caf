"""A stand-in for AWS Lambda's Runtime API and Extensions API on 127.0.0.1, for AWS's own Python
runtime client (awslambdaric) to run the function against, as Lambda runs it.

What it keeps of Lambda (docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html and
runtimes-extensions-api.html):
- the runtime asks for an invocation (GET /2018-06-01/runtime/invocation/next) and posts its answer
  (POST .../invocation/{id}/response, or /error, or /runtime/init/error);
- an extension registers during init only (POST /2020-01-01/extension/register: refused once the
  runtime has asked for its first invocation; an internal extension can't have SHUTDOWN), then asks
  for events (GET /2020-01-01/extension/event/next, with its Lambda-Extension-Identifier);
- the freeze rule: the next invocation starts only once the runtime and every extension have asked
  for their next event.
One order among those Lambda may take is fixed, the one that shows a write made before the answer:
an extension is handed an invocation's INVOKE event once the runtime has answered it.

`probe` (any callable) is called when a response arrives and whenever an extension asks for its next
event, and what it returns is kept in `seen`, so a test can look at the world at those moments.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RUNTIME = "/2018-06-01/runtime"
EXTENSION = "/2020-01-01/extension"


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the function's process was stopped mid-call, or the stand-in closed: nothing to tell


class LambdaApi:
    def __init__(self, probe: Callable[[], Any] = lambda: None) -> None:
        self.probe = probe
        self.seen: list[tuple[str, Any]] = []
        self.registered: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.responses: dict[str, Any] = {}
        self._queue: list[tuple[str, dict[str, Any]]] = []
        self._current: str | None = None
        self._answered: set[str] = set()
        self._runtime_waiting = False
        self._init_done = False
        self._idle: dict[str, bool] = {}  # extension id -> asked for its next event
        self._delivered: dict[str, str | None] = {}  # extension id -> the last invocation it was handed
        self._changed = threading.Condition()
        self._closed = False
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.address = f"127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LambdaApi:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._changed:  # a call still waiting (the function has been stopped) ends now
            self._closed = True
            self._changed.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # --- the test's side ------------------------------------------------------------------------
    def invoke(self, event: dict[str, Any]) -> str:
        request_id = str(uuid.uuid4())
        with self._changed:
            self._queue.append((request_id, event))
            self._changed.notify_all()
        return request_id

    def response(self, request_id: str, timeout: float = 30.0) -> Any:
        with self._changed:
            if not self._changed.wait_for(lambda: request_id in self.responses or self.errors, timeout=timeout):
                raise TimeoutError(f"no answer to {request_id}")
            if request_id not in self.responses:
                raise AssertionError(f"the function failed: {self.errors}")
            return self.responses[request_id]

    def frozen(self, timeout: float = 30.0) -> bool:
        """Wait until Lambda could freeze the environment: the runtime and every extension have
        asked for their next event after the last invocation."""
        with self._changed:
            return self._changed.wait_for(self._may_freeze, timeout=timeout)

    def _may_freeze(self) -> bool:
        return self._runtime_waiting and all(self._idle.values()) and all(
            self._delivered.get(e) == self._current for e in self._idle)

    # --- the API ----------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = self._body()
                if self.path == f"{EXTENSION}/register":
                    self._send(*api._register(self.headers.get("Lambda-Extension-Name", ""), json.loads(body or b"{}")))
                elif self.path.startswith(f"{RUNTIME}/invocation/") and self.path.endswith("/response"):
                    api._answer(self.path.split("/")[-2], json.loads(body))
                    self._send(202, {"status": "OK"})
                elif self.path.endswith("/error"):
                    with api._changed:
                        api.errors.append({"path": self.path, "body": body.decode(errors="replace")})
                        api._changed.notify_all()
                    self._send(202, {"status": "OK"})
                else:
                    self._send(404, {"errorType": "NotFound"})

            def do_GET(self) -> None:
                if self.path == f"{RUNTIME}/invocation/next":
                    request_id, event, deadline = api._next_invocation()
                    data = json.dumps(event).encode()
                    self.send_response(200)
                    self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                    self.send_header("Lambda-Runtime-Deadline-Ms", str(deadline))
                    self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:SkillFunction")
                    self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                elif self.path == f"{EXTENSION}/event/next":
                    identifier = self.headers.get("Lambda-Extension-Identifier", "")
                    if identifier not in api._idle:
                        self._send(403, {"errorType": "Extension.Unknown"})
                        return
                    request_id, deadline = api._next_event(identifier)
                    self._send(200, {"eventType": "INVOKE", "deadlineMs": deadline, "requestId": request_id,
                                     "invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:SkillFunction",
                                     "tracing": {"type": "X-Amzn-Trace-Id", "value": "Root=1-0;Sampled=0"}},
                               {"Lambda-Extension-Event-Identifier": str(uuid.uuid4())})
                else:
                    self._send(404, {"errorType": "NotFound"})

        return Handler

    def _register(self, name: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        events = body.get("events") or []
        with self._changed:
            if self._init_done:
                return 403, {"errorType": "Extension.InvalidRegistration", "errorMessage": "after init"}, {}
            if "SHUTDOWN" in events:  # what Lambda answers an internal extension
                return 403, {"errorType": "ShutdownEventNotSupportedForInternalExtension"}, {}
            identifier = str(uuid.uuid4())
            self.registered.append({"name": name, "events": events})
            self._idle[identifier] = False
            self._delivered[identifier] = None
            return 200, {"functionName": "SkillFunction", "functionVersion": "$LATEST",
                         "handler": "lambda_function.lambda_handler"}, {"Lambda-Extension-Identifier": identifier}

    def _next_invocation(self) -> tuple[str, dict[str, Any], int]:
        with self._changed:
            self._runtime_waiting = True
            self._init_done = True
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._closed or (bool(self._queue) and self._may_freeze()))
            if self._closed:
                raise ConnectionAbortedError("closed")
            request_id, event = self._queue.pop(0)
            self._current = request_id
            self._runtime_waiting = False
            for e in self._idle:
                self._idle[e] = False
            self._changed.notify_all()
            return request_id, event, int((time.time() + 8) * 1000)

    def _answer(self, request_id: str, body: Any) -> None:
        seen = self.probe()
        with self._changed:
            self.responses[request_id] = body
            self.seen.append(("response", seen))
            self._answered.add(request_id)
            self._changed.notify_all()

    def _next_event(self, identifier: str) -> tuple[str, int]:
        if self._delivered.get(identifier) is not None:  # it has been handed an invocation: this call ends it
            seen = self.probe()
            with self._changed:
                self.seen.append(("extension next", seen))
        with self._changed:
            self._idle[identifier] = True
            self._changed.notify_all()

            def handed() -> bool:  # a new invocation, once the runtime has answered it
                current = self._current
                return current is not None and current != self._delivered[identifier] and current in self._answered

            self._changed.wait_for(lambda: self._closed or handed())
            if self._closed:
                raise ConnectionAbortedError("closed")
            self._delivered[identifier] = self._current
            self._idle[identifier] = False
            return str(self._current), int((time.time() + 8) * 1000)
