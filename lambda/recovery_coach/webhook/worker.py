"""gunicorn's gevent worker with a deadline on each request's head and on its body.

A connection costs a greenlet, not a thread, so clients that trickle their headers or never
finish a body can't take the threads the skill's answers need (gthread read each request in a
handler thread with no timeout). The head (request line and headers) must arrive within
`header_timeout` seconds of the connection being ready for it, or the connection is closed; the
body must arrive within `body_timeout` seconds of the head, or reading it raises `BodyTimeout`
(the app answers 408 and the connection is closed).
"""
from __future__ import annotations

import time
from typing import Any

import gevent
from gunicorn.http.errors import NoMoreData
from gunicorn.workers.ggevent import GeventWorker


class BodyTimeout(NoMoreData):
    """The body didn't arrive in time. An OSError for the app; for gunicorn's parser, a dead client."""

    def __init__(self) -> None:
        super().__init__(b"")

    def __str__(self) -> str:
        return "request body timed out"


class DeadlineBody:
    """`wsgi.input` with one deadline for the whole body, however it is read."""

    def __init__(self, body: Any, deadline: float) -> None:
        self._body, self._deadline = body, deadline

    def _call(self, name: str, *args: Any) -> Any:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise BodyTimeout()
        with gevent.Timeout(remaining, BodyTimeout()):
            return getattr(self._body, name)(*args)

    def read(self, size: int | None = None) -> bytes:
        return self._call("read", size)

    def readline(self, size: int | None = None) -> bytes:
        return self._call("readline", size)

    def readlines(self, size: int | None = None) -> list[bytes]:
        return self._call("readlines", size)

    def __iter__(self) -> DeadlineBody:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class SlowClientWorker(GeventWorker):
    header_timeout = 5.0
    body_timeout = 5.0

    def timeout_ctx(self) -> gevent.Timeout:
        # gunicorn's async loop reads every request head under this (False: close quietly).
        return gevent.Timeout(self.header_timeout, False)

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> Any:
        req.body = DeadlineBody(req.body, time.monotonic() + self.body_timeout)
        return super().handle_request(listener_name, req, sock, addr)


def worker_class(header_timeout: float, body_timeout: float) -> type[SlowClientWorker]:
    return type("SlowClientWorker", (SlowClientWorker,), {"header_timeout": header_timeout, "body_timeout": body_timeout})
