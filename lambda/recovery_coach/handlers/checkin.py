"""The daily pain check-in: the score, one optional question, and what it means."""
from __future__ import annotations

from datetime import date

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from recovery_coach.checkins import assess, on, parse_score, previous
from recovery_coach import alerts, dialog
from recovery_coach.handlers import phrases
from recovery_coach.handlers.base import Turn, log
from recovery_coach.handlers.questions import okay, own
from recovery_coach.store import SaveUnconfirmed, StoreUnavailable


def ask_score(t: Turn, *before: str) -> Response:
    return t.ask(SCORE, *before)


def not_saved(t: Turn, score: int, error: StoreUnavailable) -> Response:
    if isinstance(error, SaveUnconfirmed):  # it may be stored: never say it wasn't
        log.warning('{"event": "checkin_unconfirmed", "error": "%s"}', error)
        return t.ask(CHECK_AGAIN, t.t("checkin.unconfirmed", score=score), score=score)
    log.warning('{"event": "checkin_not_saved", "error": "%s"}', error)
    return t.ask(RETRY, t.t("checkin.not_saved", score=score), score=score)


def save(t: Turn, score: int) -> Response:
    """Save today's score; say what was saved, how it compares, and whether it worries us. The
    medicine question comes only while today's answer to it is still missing."""
    today = t.today()
    try:
        recent = t.history()
        others = [c for c in recent if c.day != today]
        replaced = on(recent, today)
        t.services.store.save_checkin(t.user, today, score, t.services.clock())
    except StoreUnavailable as e:
        return not_saved(t, score, e)
    before = previous(others, today)
    warn = assess(score, today, others, t.profile().procedure_date, t.thresholds)
    if warn:  # the caregivers who want alerts hear of it (sent after this turn)
        alerts.queue(t.services, t.user, "score", today)
    said = (t.t("checkin.saved", score=score, comparison=phrases.comparison(t, score, before, today)),
            *phrases.warning(t, warn, score, before, today))
    if replaced is not None and replaced.took_meds is not None:
        return t.reply(*said, ask=t.t("ask.next"))
    return t.ask(MEDS, *said, day=today.isoformat())


def score_said(t: Turn) -> Response:
    """A check-in's number, said with its carrier or as the answer to "how is your pain?"."""
    said = t.number()
    if said is None:
        return ask_score(t)
    score = parse_score(said)
    if score is None:
        return t.ask(SCORE, t.t("checkin.bad_score"), again=True)
    return check_in(t, score)


class CheckInHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return own(handler_input, "CheckInIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        return score_said(Turn.of(handler_input))


def check_in(t: Turn, score: int) -> Response:
    """A valid score: save it, or first ask before replacing today's."""
    try:
        existing = on(t.record().checkins, t.today())
    except StoreUnavailable as e:
        return not_saved(t, score, e)
    if existing is not None and existing.score == score:
        return t.reply(t.t("checkin.already", score=score), ask=t.t("ask.next"))
    if existing is not None:
        return t.ask(REPLACE, words={"old": existing.score, "new": score}, score=score, old=existing.score)
    return save(t, score)


def medication(t: Turn, took: bool | None) -> Response:
    """"Did you take pain medicine today?" — yes, no, or "I don't remember" (nothing is noted)."""
    if took is None:
        return t.reply(t.t("checkin.meds_unsure"), ask=t.t("ask.next"))
    try:
        saved = t.services.store.set_medication(t.user, date.fromisoformat(t.pending["day"]), took)
    except StoreUnavailable:
        saved = False
    if not saved:
        return t.reply(t.t("checkin.meds_not_saved"), ask=t.t("ask.next"))
    return t.reply(t.t("checkin.meds_yes" if took else "checkin.meds_no"), ask=t.t("ask.next"))


def kept_score(t: Turn) -> Response:
    return t.reply(t.t("checkin.kept", old=t.pending.get("old")), ask=t.t("ask.next"))


def retry(t: Turn) -> Response:
    """"Would you like me to try again?" — yes: the same checks as a new check-in."""
    return check_in(t, int(t.pending["score"]))


SCORE = dialog.declare("score", number=score_said, no=okay)
MEDS = dialog.declare("meds", yes=lambda t: medication(t, True), took=lambda t: medication(t, True),
                      no=lambda t: medication(t, False), unsure=lambda t: medication(t, None))
REPLACE = dialog.declare("replace", yes=lambda t: save(t, int(t.pending["score"])), no=kept_score)
RETRY = dialog.declare("retry", yes=retry, no=okay)
CHECK_AGAIN = dialog.declare("check_again", yes=retry, no=okay)
OFFER = dialog.declare("checkin_offer", yes=ask_score, no=okay)
