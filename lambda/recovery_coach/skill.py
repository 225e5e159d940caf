"""Builds the one skill object every entry point calls (Lambda, webhook, local CLI)."""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.request import Request

from recovery_coach import budget, logs
from recovery_coach.config import Settings
from recovery_coach.handlers import HANDLERS
from recovery_coach.handlers.errors import CatchAllExceptionHandler, StoreUnavailableHandler
from recovery_coach.interceptors import ContextInterceptor, LogInterceptor, SafetyScreenInterceptor
from recovery_coach.services import Services, build_store

log = logging.getLogger("recovery_coach")

# What Alexa gets for a request this SDK cannot read (a new request type, say): a valid, silent reply.
EMPTY_RESPONSE: dict[str, Any] = {"version": "1.0", "response": {}}
_KNOWN_TYPES = frozenset(Request.discriminator_value_class_map)
_SAFE = re.compile(r"[A-Za-z0-9._:-]{1,120}")


class FastSerializer(DefaultSerializer):
    """The SDK's serializer, with two costs a turn doesn't need removed (measured in BENCHMARKS.md):
    the event is already a dict (no dump-and-reparse), and ISO timestamps are parsed by the
    standard library instead of dateutil's general parser (about half of a question turn)."""

    def from_event(self, event: dict[str, Any]) -> RequestEnvelope:
        return self._DefaultSerializer__deserialize(event, RequestEnvelope)  # type: ignore[attr-defined]

    def _DefaultSerializer__deserialize_datetime(self, payload: Any, obj_type: Any) -> Any:
        if isinstance(payload, str):
            try:
                moment = datetime.fromisoformat(payload.replace("Z", "+00:00"))
                return moment.date() if obj_type is date else moment
            except ValueError:
                pass
        return super()._DefaultSerializer__deserialize_datetime(payload, obj_type)  # type: ignore[misc]


def build_skill(services: Services) -> CustomSkill:
    logs.configure(services.settings.log_level)
    sb = SkillBuilder()
    sb.skill_id = services.settings.skill_id  # type: ignore[assignment]  # the SDK initialises it to None, untyped
    for handler in HANDLERS:
        sb.add_request_handler(handler())
    sb.add_exception_handler(StoreUnavailableHandler())
    sb.add_exception_handler(CatchAllExceptionHandler())
    sb.add_global_request_interceptor(ContextInterceptor(services))
    sb.add_global_request_interceptor(SafetyScreenInterceptor())
    sb.add_global_response_interceptor(LogInterceptor())
    skill = sb.create()
    skill.serializer = FastSerializer()
    return skill


_skill: CustomSkill | None = None
_services: Services | None = None


_budget_seconds = Settings.request_budget


# Told, with the request's context, that a turn's answer is ready, by an entry point that runs
# run_later() itself once the answer is out: the webhook (when the server closes the response), the
# CLI (after printing), in Lambda the post-response extension. With none, a turn's later writes run
# before handle_event returns, so nothing is ever left unwritten.
_answer_first: Callable[[Any], None] | None = None


def install(services: Services, ready: Callable[[Any], None] | None = None) -> CustomSkill:
    """Use these services for every later request (tests, the webhook, the CLI); `ready` as for
    answer_first, if this process answers first."""
    global _skill, _services, _budget_seconds, _answer_first
    _skill, _services = build_skill(services), services
    _budget_seconds = services.settings.request_budget
    _answer_first = ready
    return _skill


def answer_first(ready: Callable[[Any], None] = lambda context: None) -> None:
    """This process answers first and calls run_later() (or after_response()) once each answer is
    out; `ready(context)` is told when a turn's answer is built."""
    global _answer_first
    _answer_first = ready


def default_skill() -> CustomSkill:
    if _skill is None:
        settings = Settings.from_env()
        install(Services(settings=settings, store=build_store(settings)), _answer_first)  # as started
    assert _skill is not None
    return _skill


def default_services() -> Services:
    """The services of the default skill (the report pages read the same store)."""
    default_skill()
    assert _services is not None
    return _services


def _unsupported(event: dict[str, Any]) -> dict[str, Any]:
    """Log (request id and type only, when they look like Alexa's) and answer silently."""
    request = event.get("request")
    request = request if isinstance(request, dict) else {}
    kind = request.get("type")
    shown = {k: v if isinstance(v, str) and _SAFE.fullmatch(v) else None for k, v in
             (("request_id", request.get("requestId")), ("type", kind))}
    known = isinstance(kind, str) and kind in _KNOWN_TYPES
    log.warning(json.dumps({"event": "unsupported_request", **shown, "known_type": known}))
    return dict(EMPTY_RESPONSE, response={})


def handle_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    skill = default_skill()
    try:
        return _answer(skill, event, context)
    finally:
        if _answer_first is None:
            run_later(answered=False)
        else:
            _answer_first(context)


def _answer(skill: CustomSkill, event: dict[str, Any], context: Any) -> dict[str, Any]:
    serializer = cast(FastSerializer, skill.serializer)
    try:
        envelope = serializer.from_event(event)
    except SerializationException:
        # Alexa sent something newer than ask-sdk-model: a request type it has no class for, or a
        # part of a known one it can't read (an APL RuntimeError other than LIST_ERROR, say).
        if not isinstance(event, dict):
            raise
        return _unsupported(event)
    body = (event.get("request") or {}).get("body")
    if isinstance(body, dict) and envelope.request is not None:
        # ask-sdk-model's skill-event classes drop the body (userInformationPersistenceStatus).
        envelope.request.body = body  # type: ignore[attr-defined]
    with budget.request(_budget_seconds):
        response = skill.invoke(request_envelope=envelope, context=context)
    return cast(dict[str, Any], serializer.serialize(response))


def run_later(answered: bool = True) -> None:
    """The writes turns left until their answer was out, each once: Services.later always, and
    Services.after once the answer is out (`answered`); before it, those are dropped."""
    services = _services
    if services is None:
        return
    for works in (services.later, services.after):
        while works:
            try:
                work = works.popleft()
            except IndexError:  # another request's close took the last one
                break
            if answered or works is services.later:
                work()


def after_response() -> None:
    """What the webhook and the CLI run once their answer is out: the turn's later writes, then the
    caregiver alerts queued are sent. (In AWS the table's stream sends them, so the Lambda function
    never waits on a send.)"""
    run_later()
    services = _services
    if services is not None and services.queued:
        from recovery_coach import alerts

        alerts.drain(services)
