"""Alexa's built-in intents and requests: launch, help, repeat, stop, home, fallback, yes/no, end."""
from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response

from recovery_coach.checkins import days_since, on
from recovery_coach.handlers.base import Turn
from recovery_coach.handlers.checkin import OFFER
from recovery_coach.store import StoreUnavailable

log = logging.getLogger("recovery_coach")


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        try:
            record = t.record()
        except StoreUnavailable:
            return t.reply(t.t("launch.welcome"), ask=t.t("launch.ask"))
        today = t.today()
        returning = record.profile.disclaimer_heard
        since = days_since(record.profile.procedure_date, today)
        parts = [
            t.t("launch.welcome_back") if returning else t.t("launch.welcome"),
            t.t("launch.procedure_day", days=since) if since is not None else None,
        ]
        if on(record.checkins, today) is None:
            return t.reply(*parts, ask=t.t("launch.offer_checkin"), pending={"q": OFFER})
        return t.reply(*parts, ask=t.t("launch.ask"))


class HelpHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.HelpIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.reply(t.t("help"), ask=t.t("help.ask"))


class RepeatHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.RepeatIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.repeat() or t.reply(t.t("repeat.nothing"), ask=t.t("help.ask"))


class StopHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.StopIntent")(handler_input) or is_intent_name("AMAZON.CancelIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.reply(t.t("goodbye"), end=True)


class NavigateHomeHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.NavigateHomeIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.reply(t.t("home"), ask=t.t("help.ask"))


class FallbackHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.FallbackIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        # Alexa sends no words with a fallback, so it can't be screened: one safety sentence always.
        return t.reply(t.t("fallback"), t.t("fallback.safety"), ask=t.t("fallback.ask"))


class YesWithoutQuestionHandler(AbstractRequestHandler):
    """"Yes" when nothing was asked: invite a question."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.YesIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.reply(t.t("yesno.no_question"), ask=t.t("help.ask"))


class NoWithoutQuestionHandler(AbstractRequestHandler):
    """"No" to "what else would you like to know?": the user is done."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.NoIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.reply(t.t("goodbye"), end=True)


class SessionEndedHandler(AbstractRequestHandler):
    """Alexa allows no speech here; record why the session ended (no user data)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        reason = getattr(getattr(request, "reason", None), "value", None)
        log.info('{"event": "session_ended", "reason": "%s"}', reason)
        return handler_input.response_builder.response


class UnhandledRequestHandler(AbstractRequestHandler):
    """Anything no other handler took: an unknown intent speaks the fallback; events stay silent."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        if not is_request_type("IntentRequest")(handler_input):
            return handler_input.response_builder.response
        t = Turn.of(handler_input)
        # Alexa sends no words with a fallback, so it can't be screened: one safety sentence always.
        return t.reply(t.t("fallback"), t.t("fallback.safety"), ask=t.t("fallback.ask"))
