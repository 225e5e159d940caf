"""The last line of defence: whatever went wrong, the user hears something."""
from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.ui import SimpleCard

from recovery_coach.content import load_content
from recovery_coach.speech import join, to_ssml

log = logging.getLogger("recovery_coach")


class CatchAllExceptionHandler(AbstractExceptionHandler):
    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        # Only the exception's type: its message may carry user input.
        log.error('{"event": "unhandled_error", "error": "%s"}', type(exception).__name__)
        # Deliberately independent of the interceptors: they may be what failed.
        content = handler_input.attributes_manager.request_attributes.get("content") or load_content()
        sorry, ask = content.text("error"), content.text("error.ask")
        return (
            handler_input.response_builder.speak(to_ssml(join(sorry, ask)))
            .ask(to_ssml(ask))
            .set_card(SimpleCard(title=content.text("skill.name"), content=sorry))
            .set_should_end_session(False)
            .response
        )
