"""One time budget per Alexa request, shared by everything the request waits on.

Alexa gives a skill 8 seconds. Each store operation and API call has its own timeout,
but a turn may make several; this caps their sum so the user always hears an answer.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


@contextmanager
def request(seconds: float) -> Iterator[None]:
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left for this request (never negative), or None outside a request."""
    deadline = _deadline.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def within(seconds: float) -> float:
    """`seconds`, or less if the request has less left."""
    left = remaining()
    return seconds if left is None else min(seconds, left)
