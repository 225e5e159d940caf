"""The patient's own data: the procedure date, and deleting everything."""
from __future__ import annotations

import logging
from dataclasses import replace

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response

from recovery_coach import dates, dialog
from recovery_coach.checkins import days_since
from recovery_coach.handlers import phrases
from recovery_coach import reminders
from recovery_coach.handlers.base import Turn
from recovery_coach.handlers.reminders import api
from recovery_coach.store import StoreUnavailable

log = logging.getLogger("recovery_coach")


def set_procedure_date(t: Turn) -> Response:
    said = t.slot("date")
    if said is None:
        return t.ask(PROCEDURE)
    today = t.today()
    day = dates.past_day(said, today)
    if day is None:
        return t.ask(PROCEDURE, t.t("procedure.bad_date"), again=True)
    try:
        t.services.store.save_profile(t.user, replace(t.profile(), procedure_date=day))
    except StoreUnavailable:
        return t.reply(t.t("procedure.not_saved"), ask=t.t("ask.next"))
    t.forget_record()
    return t.reply(
        t.t("procedure.saved", date=phrases.spoken_date(t, day), days=days_since(day, today)),
        ask=t.t("ask.next"),
    )


class ProcedureDateHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ProcedureDateIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return set_procedure_date(Turn.of(handler_input))


class DeleteDataHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("DeleteDataIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.ask(DELETE)


def delete_everything(t: Turn) -> Response:
    try:
        reminder_id = t.profile().reminder_id
        t.services.store.delete_user(t.user)
    except StoreUnavailable:
        return t.reply(t.t("delete.failed"), ask=t.t("ask.next"))
    if reminder_id:  # best effort: Alexa also removes a disabled skill's reminders
        api(t, "DELETE", f"{reminders.PATH}/{reminder_id}")
    t.session.clear()
    t.session["disclaimer_done"] = True  # nothing stored now; don't write a profile back
    return t.reply(t.t("delete.done"), end=True)


class SkillDisabledHandler(AbstractRequestHandler):
    """The user disabled the skill and chose not to keep their data: delete it."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("AlexaSkillEvent.SkillDisabled")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        body = getattr(handler_input.request_envelope.request, "body", None) or {}
        if body.get("userInformationPersistenceStatus") == "NOT_PERSISTED":
            t = Turn.of(handler_input)
            gone = t.services.store.delete_user(t.user)
            log.info('{"event": "skill_disabled", "deleted_records": %d}', gone)
        return handler_input.response_builder.response


PROCEDURE = dialog.declare("procedure", date=set_procedure_date)
DELETE = dialog.declare("delete", yes=delete_everything,
                        no=lambda t: t.reply(t.t("delete.kept"), ask=t.t("ask.next")))
