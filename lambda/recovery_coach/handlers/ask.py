"""Questions about recovery, and symptoms the user describes."""
from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from recovery_coach import alerts, budget, dialog
from recovery_coach.checkins import parse_score, score_in
from recovery_coach.handlers.base import RED_FLAG, Turn
from recovery_coach.handlers.checkin import check_in
from recovery_coach.handlers.questions import okay
from recovery_coach.handlers.forms import with_form
from recovery_coach.intents import QUESTION_INTENTS, SYMPTOM_INTENTS
from recovery_coach.store import SaveUnconfirmed, StoreUnavailable

CRISIS = "crisis"  # the red flag whose reply adds the locale's crisis line


# The most a score said with a red flag may hold up the urgent reply while it is saved.
SAVE_WITH_URGENT_SECONDS = 1.0


class UrgentHandler(AbstractRequestHandler):
    """A red flag was heard, in any intent and any dialog state: the urgent message first (added by
    reply), the crisis line for a crisis, and nothing to distract from it. It needs only content:
    no store read, and a store that is down never silences it (the caregivers' alert is written once
    the answer is out, in a short bounded write whose failure changes nothing said). The one exception is a pain
    score said in the same breath ("my pain is a nine and I can't feel my legs"): it is saved too,
    within SAVE_WITH_URGENT_SECONDS, and the save is confirmed after the urgent message."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(handler_input.attributes_manager.request_attributes.get(RED_FLAG))

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        crisis = t.t("safety.crisis") if t.red_flag == CRISIS else None
        reply = t.reply(crisis, t.t("symptom.flagged"), also_saved(t), end=True)
        # The caregivers' alert is queued once this answer is out (skill.run_later), in at most
        # alerts.QUEUE_SECONDS; where alerts are off the sign is only kept for their next launch.
        # The day is the session's zone's, else the clinic's: never a Settings API call on this path.
        alerts.queue(t.services, t.user, "flag", t.services.local_today(t.session.get("tz")))
        return reply


def said_words(t: Turn) -> str:
    """What the person said about the body, as the symptom's (or a question's) slot holds it."""
    return " ".join(v for v in (t.slot("symptom"), t.slot("question")) if v and v != "?")


def also_saved(t: Turn) -> str | None:
    """The score said with a red flag (or with what the screen can't place), saved for today: one
    sentence that says so, one that says it couldn't be, or nothing (no score said, or the store can't
    tell whether it kept it)."""
    said = said_words(t)
    score = parse_score(t.slot("score")) if t.slot("feeling") else score_in(said) if said else None
    if score is None:
        return None
    with budget.request(budget.within(SAVE_WITH_URGENT_SECONDS)):
        try:
            t.services.store.save_checkin(t.user, t.today(), score, t.services.clock())
        except SaveUnconfirmed:
            return None  # it may be stored: never say it wasn't
        except StoreUnavailable:
            return t.t("checkin.urgent_not_saved", score=score)
    return t.t("checkin.urgent_saved", score=score)


class AskQuestionHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(is_intent_name(name)(handler_input) for name in QUESTION_INTENTS)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        question = t.slot("question")
        if not question:
            return t.reply(t.t("ask.empty"), ask=t.t("ask.empty.ask"))
        asked = with_form(handler_input.request_envelope.request.intent.name, question)
        topic = t.content.knowledge.match(asked).topic
        if topic is None:
            return t.reply(
                t.t("ask.not_covered"),
                ask=t.t("ask.next"),
                card=(t.t("skill.name"), t.t("ask.not_covered.card")),
            )
        if topic.more:
            return t.ask(MORE, topic.speech, card=(topic.title, topic.speech), topic=topic.id)
        return t.reply(topic.speech, ask=t.t("ask.next"), card=(topic.title, topic.speech))


class ReportSymptomHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(is_intent_name(name)(handler_input) for name in SYMPTOM_INTENTS)

    def handle(self, handler_input: HandlerInput) -> Response:
        """Not a red flag (UrgentHandler comes first): a kind word when the screen is sure, else the
        careful reply (call the office now if it's new or worse; the emergency number), never "thanks".
        A pain score said with it is never lost: with a calm remark ("a three today and the cut looks
        clean") it is today's check-in, as if said alone; after the careful reply it is saved too."""
        t = Turn.of(handler_input)  # the screen's verdict on the words, read once (SafetyScreenInterceptor)
        if t.calm and (score := score_in(said_words(t))) is not None:
            return check_in(t, score)
        if t.calm:
            return t.reply(t.t("symptom.noted"), ask=t.t("ask.next"))
        return t.reply(t.t("symptom.careful"), also_saved(t), ask=t.t("ask.next"))


def tell_more(t: Turn) -> Response:
    """"Want to hear more?" — yes, or "tell me more"."""
    topic = t.content.knowledge.topics.get(t.pending.get("topic", ""))
    if topic is None or not topic.more:
        return t.reply(ask=t.t("ask.next"))
    return t.reply(topic.more, ask=t.t("ask.next"), card=(topic.title, topic.more))


# A new question's answer brings its own offer: this one doesn't outlive an aside.
MORE = dialog.declare("more", keep_on_aside=False, yes=tell_more, more=tell_more, no=okay)
