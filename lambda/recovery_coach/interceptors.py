"""Run around every request: services, locale content, the safety screen, and one log line."""
from __future__ import annotations

import json
import logging
import time
from typing import Any, cast

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor, AbstractResponseInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest, Response

from recovery_coach.content import load_content
from recovery_coach.handlers.base import CALM, CONTENT, RED_FLAG, SERVICES
from recovery_coach.handlers.forms import screened_words
from recovery_coach.services import Services

log = logging.getLogger("recovery_coach")
STARTED = "started"


class ContextInterceptor(AbstractRequestInterceptor):
    """Hands every request its services and the content for its locale."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def process(self, handler_input: HandlerInput) -> None:
        attrs = handler_input.attributes_manager.request_attributes
        attrs[STARTED] = time.perf_counter()
        attrs[SERVICES] = self.services
        attrs[CONTENT] = load_content(
            getattr(handler_input.request_envelope.request, "locale", None) or "en-US",
            self.services.settings.clinic_file,
        )


class SafetyScreenInterceptor(AbstractRequestInterceptor):
    """Red flags are caught wherever they are said, whatever the intent or the dialog state: before
    any handler runs and without the store (the screen needs nothing but content)."""

    def process(self, handler_input: HandlerInput) -> None:
        request = handler_input.request_envelope.request
        if not isinstance(request, IntentRequest) or not request.intent or not request.intent.slots:
            return
        said = screened_words(request.intent.name or "", {
            name: s.value for name, s in request.intent.slots.items() if s is not None and isinstance(s.value, str)
        })
        if said:
            attrs = cast(dict[str, Any], handler_input.attributes_manager.request_attributes)
            hit, attrs[CALM] = attrs[CONTENT].screen.assess(said)
            attrs[RED_FLAG] = hit.flag if hit else None


def _describe(handler_input: HandlerInput) -> dict[str, object]:
    request = handler_input.request_envelope.request
    intent = getattr(getattr(request, "intent", None), "name", None)
    return {"request_id": getattr(request, "request_id", None), "type": getattr(request, "object_type", None), "intent": intent}


class LogInterceptor(AbstractResponseInterceptor):
    """One JSON line per turn: request id, type, intent, latency. Never what the user said."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        started = cast(float | None, handler_input.attributes_manager.request_attributes.get(STARTED))
        line = _describe(handler_input)
        if started is not None:
            line["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
        log.info(json.dumps(line))
