"""Alexa's built-in intents and requests: launch, help, repeat, stop, start over, fallback, thanks, end;
and what a bare answer (yes, no, a date, a name) does when the skill asked nothing."""
from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response

from recovery_coach import dialog
from recovery_coach.checkins import days_since, on
from recovery_coach.handlers.base import Turn
from recovery_coach.handlers.checkin import OFFER
from recovery_coach.handlers.questions import own
from recovery_coach.handlers.roles import caregiver_of, only_caring
from recovery_coach.handlers.caregiver import caregiver_launch, sharing_ended
from recovery_coach.store import StoreUnavailable

log = logging.getLogger("recovery_coach")


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        try:
            record, others, notices = t.record_and_links()
            if others and only_caring(record):
                return caregiver_launch(t, others)
            ended = sharing_ended(t, notices)
        except StoreUnavailable:
            return t.reply(t.t("launch.welcome"), ask=t.t("launch.ask"))
        today = t.today()
        returning = record.profile.disclaimer_heard
        since = days_since(record.profile.procedure_date, today)
        parts = [
            *ended,
            t.t("launch.welcome_back") if returning else t.t("launch.welcome"),
            t.t("launch.procedure_day", days=since) if since is not None else None,
            t.t("launch.also_caring", label=others[0].label) if others else None,
        ]
        if on(record.checkins, today) is None:
            return t.ask(OFFER, *parts, t.t("launch.not_checked_in"))
        return t.reply(*parts, ask=t.t("launch.ask"))


class HelpHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.HelpIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        """Help with the question the skill asked, when it asked one (and it stays asked): how to
        answer it and how to leave it; else what the skill can do, for this account's role."""
        t = Turn.of(handler_input)
        asked = dialog.kept(t.intent, t.pending)
        if asked is not None:  # how to answer it, and how to leave it
            return t.reply(t.t(f"question.{asked.name}.help", **t.pending.get("words", {})), t.t("question.leave"))
        return t.reply(what_i_do(t), ask=t.t("help.ask"))


def what_i_do(t: Turn) -> str:
    """What the skill can do, for this account's role (a caregiver hears the caregiver's version)."""
    try:
        caring = caregiver_of(t)
    except StoreUnavailable:
        caring = []
    return t.t("help.care", label=caring[0].label) if caring else t.t("help")


class GreetingHandler(AbstractRequestHandler):
    """ "Hi": hello back, and what the skill can do. A greeting is not a symptom."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("GreetingIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return greet(Turn.of(handler_input))


def greet(t: Turn) -> Response:
    return t.reply(t.t("greeting"), what_i_do(t), ask=t.t("help.ask"))


class RepeatHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.RepeatIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.repeat() or t.reply(t.t("repeat.nothing"), ask=t.t("help.ask"))


class StopHandler(AbstractRequestHandler):
    """"Stop" ends the conversation. "Never mind" or "cancel" (AMAZON.CancelIntent) while the skill
    waits for an answer drops only that question, as a person would; with nothing asked, it ends."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.StopIntent")(handler_input) or is_intent_name("AMAZON.CancelIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        if is_intent_name("AMAZON.CancelIntent")(handler_input) and t.pending:
            return t.reply(t.t("cancel.question"), ask=t.t("ask.next"), brief=True)
        return t.reply(t.t("goodbye"), end=True)


class StartOverHandler(AbstractRequestHandler):
    """"Start over" (AMAZON.StartOverIntent), or "go home": whatever was asked is dropped."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.StartOverIntent")(handler_input) or is_intent_name("AMAZON.NavigateHomeIntent")(
            handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.reply(t.t("home"), ask=t.t("help.ask"), brief=True)


class ThanksHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ThanksIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.reply(t.t("thanks"), ask=t.t("ask.next"), brief=True)


class FallbackHandler(AbstractRequestHandler):
    """Not understood, when nothing was asked (a misheard answer is the question's: questions.py)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return own(handler_input, "AMAZON.FallbackIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        # Alexa sends no words with a fallback, so it can't be screened: one safety sentence always.
        return t.reply(t.t("fallback"), t.t("fallback.safety"), ask=t.t("fallback.ask"))


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


def _bare(key: str, ask: str = "help.ask") -> dialog.Action:
    return lambda t: t.reply(t.t(key), ask=t.t(ask))


def _bare_time(t: Turn) -> Response:
    return greet(t) if t.slot(dialog.TIME_SLOT) in dialog.GREETING_TIMES else _bare("time.unexpected")(t)


# A bare answer when nothing was asked: "yes" invites a question, "no" (to "what else?") ends, a
# date, time or name never changes anything by itself ("morning" alone is a hello).
dialog.declare(
    dialog.NOTHING,
    yes=_bare("yesno.no_question"),
    no=lambda t: t.reply(t.t("goodbye"), end=True),
    more=_bare("more.nothing", "ask.next"),
    unsure=_bare("fallback", "fallback.ask"),
    took=_bare("meds.unexpected"),
    date=_bare("date.unexpected"),
    time=_bare_time,
    name=_bare("label.unknown"),
)
