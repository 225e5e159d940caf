"""In AWS Lambda: a turn's later writes are made after its answer is returned, by an internal extension.

Lambda freezes an execution environment once its runtime and every registered extension have asked
for their next event; a plain thread still working after the handler returns would be frozen mid-way.
An internal extension is a thread of the runtime's own process, registered during init through the
Extensions API, for INVOKE events only (internal extensions can't have SHUTDOWN). For each
invocation this one waits until handle_event says the turn's answer is built (``ready``, told the
invocation's request id), makes the turn's later writes (``skill.run_later``: a caregiver alert's
place in the queue), and only then asks for its next event. The runtime has meanwhile returned the
answer to Alexa, so the patient never waits on the write, and the environment is never frozen in
the middle of one. Lambda bills the extension's time to the invocation.

Started in Lambda (AWS_LAMBDA_RUNTIME_API). If it can't register, the alerts' writes are made before
the answer is returned, and a warning sign is not kept for the caregivers where alerts are off (it
would make the urgent reply wait on the store). Logs name events and errors only.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from recovery_coach.clock import Clock, system_clock

log = logging.getLogger("recovery_coach")

NAME = "recovery-coach-post-response"
EXTENSIONS = "/2020-01-01/extension"
#: How long the extension waits for the turn before asking for its next event anyway, when the
#: invocation gives no deadline; with one, it waits until just before the deadline.
WAIT_SECONDS = 10.0
DEADLINE_MARGIN = 0.2
#: After a failed call for the next event (the API is on the same host), wait this long, then ask again.
RETRY_SECONDS = 0.05


class _Turns:
    """The request ids whose answers are built, for the extension thread to wait on."""

    def __init__(self) -> None:
        self._ready: set[str] = set()
        self._changed = threading.Condition()

    def ready(self, context: Any) -> None:
        request_id = getattr(context, "aws_request_id", None)
        with self._changed:
            self._ready.add(str(request_id))
            self._changed.notify_all()

    def wait(self, request_id: str, seconds: float) -> bool:
        with self._changed:
            built = self._changed.wait_for(lambda: request_id in self._ready, timeout=max(seconds, 0.0))
            self._ready.clear()  # this turn's, and any whose invocation was given up on
            return built


def _call(api: str, method: str, path: str, headers: dict[str, str], body: bytes | None = None,
          timeout: float | None = None) -> tuple[int, dict[str, str], bytes]:
    import http.client  # here, not at import: outside Lambda (the webhook, the CLI) it is never needed

    host, _, port = api.partition(":")
    connection = http.client.HTTPConnection(host, int(port or 80), timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def register(api: str) -> str:
    """Register for INVOKE events during init; the extension's identifier. Raises OSError,
    http.client.HTTPException or ValueError when Lambda refuses or can't be reached."""
    status, headers, _ = _call(api, "POST", f"{EXTENSIONS}/register",
                               {"Lambda-Extension-Name": NAME, "Content-Type": "application/json"},
                               json.dumps({"events": ["INVOKE"]}).encode(), timeout=2.0)
    identifier = headers.get("lambda-extension-identifier", "")
    if status != 200 or not identifier:
        raise ValueError(f"register answered {status}")
    return identifier


def run(api: str, identifier: str, turns: _Turns, later: Callable[[], object], clock: Clock = system_clock) -> None:
    """The extension's loop: the next event; for an INVOKE, wait for its turn and make its later
    writes; again. It never stops: Lambda would wait on it for ever."""
    import http.client

    while True:
        try:
            status, _, body = _call(api, "GET", f"{EXTENSIONS}/event/next", {"Lambda-Extension-Identifier": identifier})
            event = json.loads(body) if status == 200 else {}
        except (OSError, http.client.HTTPException, ValueError) as e:
            log.warning(json.dumps({"event": "post_response_next_failed", "error": type(e).__name__}))
            time.sleep(RETRY_SECONDS)
            continue
        if not isinstance(event, dict) or event.get("eventType") != "INVOKE":
            continue
        deadline = event.get("deadlineMs")
        seconds = deadline / 1000 - clock().timestamp() - DEADLINE_MARGIN if isinstance(deadline, int | float) else WAIT_SECONDS
        if turns.wait(str(event.get("requestId")), seconds):
            try:
                later()
            except Exception as e:  # noqa: BLE001 - the loop must go on: Lambda waits for its next call
                log.error(json.dumps({"event": "post_response_failed", "error": type(e).__name__}))
        else:
            log.warning(json.dumps({"event": "post_response_turn_not_seen"}))


def start(env: Mapping[str, str]) -> bool:
    """In Lambda, register the extension and start its thread; True if it runs. Call it during init
    (importing the handler's module), before the runtime's first next."""
    api = env.get("AWS_LAMBDA_RUNTIME_API", "").strip()
    if not api:
        return False
    import http.client

    from recovery_coach import skill

    try:
        identifier = register(api)
    except (OSError, http.client.HTTPException, ValueError) as e:
        log.warning(json.dumps({"event": "post_response_not_registered", "error": str(e)[:200]}))
        return False
    turns = _Turns()
    skill.answer_first(turns.ready)
    threading.Thread(target=run, args=(api, identifier, turns, skill.run_later), name=NAME, daemon=True).start()
    log.info(json.dumps({"event": "post_response_registered"}))
    return True
