"""The one handler for every answer to every question the skill asks (see recovery_coach.dialog)."""
from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from recovery_coach import dialog
from recovery_coach.handlers.base import Turn


def answers_question(handler_input: HandlerInput) -> bool:
    return Turn.of(handler_input).answering() is not None


def own(handler_input: HandlerInput, *intents: str) -> bool:
    """One of `intents`, and not an answer to the question the skill asked: the intent's own turn."""
    return any(is_intent_name(name)(handler_input) for name in intents) and not answers_question(handler_input)


def okay(t: Turn) -> Response:
    """The answer that changes nothing: "Okay. What else would you like to know?"."""
    return t.reply(t.t("ok"), ask=t.t("ask.next"), brief=True)


def misheard(t: Turn, question: dialog.Question) -> Response:
    """Not an answer this question takes: ask it again with its reprompt; from the second miss on,
    with its help. The question stays pending, so nothing proceeds on a miss."""
    pending = dict(t.pending)
    pending["missed"] = int(pending.get("missed", 0)) + 1
    words = pending.get("words", {})
    own_words = f"question.{question.name}.misheard"  # a question may say its own "didn't catch that"
    first = t.t(own_words if own_words in t.content.strings else "question.misheard", **words)
    if pending["missed"] > 1:
        first = t.t(f"question.{question.name}.help", **words) + " " + t.t("question.leave")
    return t.reply(first, ask=t.reprompt(question, pending), pending=pending)


class AnswerHandler(AbstractRequestHandler):
    """Yes, no, more, a number, a date, a time or a name, to the question that was asked."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return answers_question(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        answering = t.answering()
        assert answering is not None  # can_handle said so
        question, kind = answering
        if kind == dialog.MISS:
            return misheard(t, question)
        response: Response = question.answers[kind](t)
        return response
