"""The last line of defence: whatever went wrong, the user hears something."""
from __future__ import annotations

import logging
from typing import cast

from ask_sdk_core.dispatch_components import AbstractExceptionHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.ui import SimpleCard

from recovery_coach.content import Content, load_content
from recovery_coach.speech import join, to_ssml
from recovery_coach.store import StoreUnavailable

log = logging.getLogger("recovery_coach")


def _is_event(handler_input: HandlerInput) -> bool:
    """Skill events have no listener: let their errors fail the call, so Alexa delivers them again."""
    return handler_input.request_envelope.session is None and str(
        getattr(handler_input.request_envelope.request, "object_type", "")
    ).startswith("AlexaSkillEvent.")


class StoreUnavailableHandler(AbstractExceptionHandler):
    """Storage was unreachable: say so honestly, nothing was changed, and keep the session open."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return isinstance(exception, StoreUnavailable) and not _is_event(handler_input)

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        log.error('{"event": "store_unavailable", "error": "%s"}', exception)
        return _speak(handler_input, "store.unavailable", "error.ask")


class CatchAllExceptionHandler(AbstractExceptionHandler):
    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return not _is_event(handler_input)

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        # Only the exception's type: its message may carry user input.
        log.error('{"event": "unhandled_error", "error": "%s"}', type(exception).__name__)
        return _speak(handler_input, "error", "error.ask")


def _speak(handler_input: HandlerInput, key: str, ask_key: str) -> Response:
    # Deliberately independent of Turn and the interceptors: they may be what failed.
    attrs = handler_input.attributes_manager.request_attributes
    content = cast(Content | None, attrs.get("content")) or load_content()
    sorry, ask = content.text(key), content.text(ask_key)
    if attrs.get("red_flag"):  # safety first, even when something failed
        sorry = join(content.text("safety.urgent"), sorry)
    return (
        handler_input.response_builder.speak(to_ssml(join(sorry, ask)))
        .ask(to_ssml(ask))
        .set_card(SimpleCard(title=content.text("skill.name"), content=sorry))
        .set_should_end_session(False)
        .response
    )
