"""The daily pain check-in: the score, one optional question, and what it means."""
from __future__ import annotations

from datetime import date

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from recovery_coach.checkins import assess, on, parse_score, previous
from recovery_coach.handlers import phrases
from recovery_coach.handlers.base import Turn, log
from recovery_coach.store import SaveUnconfirmed, StoreUnavailable

SCORE, MEDS, REPLACE, RETRY, OFFER = "score", "meds", "replace", "retry", "checkin_offer"


def ask_score(t: Turn, *before: str) -> Response:
    return t.reply(*before, ask=t.t("checkin.ask_score"), pending={"q": SCORE})


def not_saved(t: Turn, score: int, error: StoreUnavailable) -> Response:
    if isinstance(error, SaveUnconfirmed):  # it may be stored: never say it wasn't
        log.warning('{"event": "checkin_unconfirmed", "error": "%s"}', error)
        return t.reply(t.t("checkin.unconfirmed", score=score), ask=t.t("checkin.check_again"),
                       pending={"q": RETRY, "score": score})
    log.warning('{"event": "checkin_not_saved", "error": "%s"}', error)
    return t.reply(t.t("checkin.not_saved", score=score), ask=t.t("checkin.retry"), pending={"q": RETRY, "score": score})


def save(t: Turn, score: int) -> Response:
    """Save today's score; say what was saved, how it compares, and whether it worries us."""
    today = t.today()
    try:
        others = [c for c in t.history() if c.day != today]
        t.services.store.save_checkin(t.user, today, score, t.services.clock())
    except StoreUnavailable as e:
        return not_saved(t, score, e)
    before = previous(others, today)
    warn = assess(score, today, others, t.profile().procedure_date, t.thresholds)
    return t.reply(
        t.t("checkin.saved", score=score, comparison=phrases.comparison(t, score, before, today)),
        *phrases.warning(t, warn, score, before, today),
        ask=t.t("checkin.meds_question"),
        pending={"q": MEDS, "day": today.isoformat()},
    )


class CheckInHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("CheckInIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        said = t.slot("score")
        if said is None:
            return ask_score(t)
        score = parse_score(said)
        if score is None:
            return t.reply(t.t("checkin.bad_score"), ask=t.t("checkin.ask_score.short"), pending={"q": SCORE})
        return check_in(t, score)


def check_in(t: Turn, score: int) -> Response:
    """A valid score: save it, or first ask before replacing today's."""
    try:
        existing = on(t.record().checkins, t.today())
    except StoreUnavailable as e:
        return not_saved(t, score, e)
    if existing is not None and existing.score == score:
        return t.reply(t.t("checkin.already", score=score), ask=t.t("ask.next"))
    if existing is not None:
        return t.reply(ask=t.t("checkin.replace", old=existing.score, new=score),
                       pending={"q": REPLACE, "score": score, "old": existing.score})
    return save(t, score)


class NotAScoreHandler(AbstractRequestHandler):
    """We asked for a number and heard something else: say the range again."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.FallbackIntent")(handler_input) and Turn.of(handler_input).pending.get("q") == SCORE

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.reply(t.t("checkin.bad_score"), ask=t.t("checkin.ask_score.short"), pending={"q": SCORE})


class YesReplaceHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.YesIntent")(handler_input) and Turn.of(handler_input).pending.get("q") == REPLACE

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return save(t, int(t.pending["score"]))


class YesRetryHandler(AbstractRequestHandler):
    """"Would you like me to try again?" — yes: the same checks as a new check-in."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.YesIntent")(handler_input) and Turn.of(handler_input).pending.get("q") == RETRY

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return check_in(t, int(t.pending["score"]))


class NoReplaceHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.NoIntent")(handler_input) and Turn.of(handler_input).pending.get("q") == REPLACE

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.reply(t.t("checkin.kept", old=t.pending.get("old")), ask=t.t("ask.next"))


class MedicationAnswerHandler(AbstractRequestHandler):
    """"Did you take pain medicine today?" — yes or no."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        answered = is_intent_name("AMAZON.YesIntent")(handler_input) or is_intent_name("AMAZON.NoIntent")(handler_input)
        return answered and Turn.of(handler_input).pending.get("q") == MEDS

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        took = is_intent_name("AMAZON.YesIntent")(handler_input)
        try:
            saved = t.services.store.set_medication(t.user, date.fromisoformat(t.pending["day"]), took)
        except StoreUnavailable:
            saved = False
        if not saved:
            return t.reply(t.t("checkin.meds_not_saved"), ask=t.t("ask.next"))
        return t.reply(t.t("checkin.meds_yes" if took else "checkin.meds_no"), ask=t.t("ask.next"))


class YesCheckInOfferHandler(AbstractRequestHandler):
    """"Would you like to log your pain now?" — yes."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.YesIntent")(handler_input) and Turn.of(handler_input).pending.get("q") == OFFER

    def handle(self, handler_input: HandlerInput) -> Response:
        return ask_score(Turn.of(handler_input))


class NoCheckInOfferHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.NoIntent")(handler_input) and Turn.of(handler_input).pending.get("q") in (OFFER, RETRY)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.reply(t.t("ok"), ask=t.t("ask.next"))
