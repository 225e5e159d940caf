"""The daily check-in reminder, through the Alexa Reminders API, in the device's time zone.

Consent first; then the reminders permission, asked for the way Alexa expects (a
Connections.SendRequest AskFor directive). The reminder's id lives in the user's profile, so
it is updated rather than duplicated, and never left behind unknown.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import time
from typing import TYPE_CHECKING, Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response
from ask_sdk_model.interfaces.connections import SendRequestDirective

from recovery_coach import budget, dialog, reminders
from recovery_coach.handlers.base import Turn
from recovery_coach.store import StoreUnavailable

if TYPE_CHECKING:
    from recovery_coach.alexa_api import ApiResult

log = logging.getLogger("recovery_coach")
API_TIMEOUT = 2.0


def spoken_time(t: Turn, at: time) -> str:
    if at.minute == 0 and at.hour in (0, 12):
        return t.t("time.midnight" if at.hour == 0 else "time.noon")
    hour = at.hour % 12 or 12
    minutes = f":{at.minute:02d}" if at.minute else ""
    return t.t("time.am" if at.hour < 12 else "time.pm", hour=hour, minutes=minutes)


def failure(t: Turn, status: int | None) -> Response:
    """An honest reply for each way the API can say no. Nothing was changed."""
    key = {401: "permission", 403: "permission", 429: "busy"}.get(status or 0, "down")
    log.warning('{"event": "reminders_api_failure", "status": %s}', status if status else "null")
    return t.reply(t.t(f"reminder.failed.{key}"), ask=t.t("ask.next"))


def api(t: Turn, method: str, path: str, body: Any = None) -> ApiResult:
    from recovery_coach import alexa_api  # http.client and ssl: only when a reminder is set or read

    system = t.h.request_envelope.context.system
    return alexa_api.call(method, system.api_endpoint, path, system.api_access_token, budget.within(API_TIMEOUT), body)


def put_reminder(t: Turn, at: time) -> Response:
    """Create the reminder, or move the one we already have; keep its id with the user's data."""
    profile = t.profile()
    zone = t.zone()
    body = reminders.request_body(at, t.services.clock().astimezone(zone), zone.key, t.content.locale, t.t("reminder.text"))
    reminder_id, created = profile.reminder_id, False
    result = api(t, "PUT", f"{reminders.PATH}/{reminder_id}", body) if reminder_id else None
    if result is None or result.status == 404:  # none yet, or deleted in the Alexa app: make one
        result = api(t, "POST", reminders.PATH, body)
        reminder_id, created = ((result.body or {}).get("alertToken") if result.ok else None), True
    if not result.ok or not reminder_id:
        return failure(t, result.status)
    try:
        t.services.store.save_profile(t.user, replace(profile, reminder_id=reminder_id, reminder_time=at.strftime("%H:%M")))
    except StoreUnavailable:
        if created:  # a reminder we couldn't find again: take it back
            api(t, "DELETE", f"{reminders.PATH}/{reminder_id}")
            return t.reply(t.t("reminder.failed.not_saved"), ask=t.t("ask.next"))
        return t.reply(t.t("reminder.changed_not_recorded", time=spoken_time(t, at)), ask=t.t("ask.next"))
    key = "reminder.changed" if profile.reminder_id else "reminder.set"
    return t.reply(t.t(key, time=spoken_time(t, at)), ask=t.t("ask.next"))


def ask_consent(t: Turn, at: time) -> Response:
    return t.ask(CONSENT, words={"time": spoken_time(t, at)}, time=at.strftime("%H:%M"))


def ask_permission(t: Turn, at: time) -> Response:
    directive = SendRequestDirective(
        name="AskFor",
        payload={
            "@type": "AskForPermissionsConsentRequest",
            "@version": "2",
            "permissionScopes": [{"permissionScope": reminders.PERMISSION, "consentLevel": "ACCOUNT"}],
        },
        token=at.strftime("%H:%M"),  # the session ends here; the answer comes back with this
    )
    t.h.response_builder.add_directive(directive)
    return t.reply(t.t("reminder.permission"), end=True)


def set_reminder(t: Turn) -> Response:
    at = reminders.parse_time(t.slot("time"))
    if at is None:
        return t.ask(TIME, again=t.intent == "TimeAnswerIntent")
    return ask_consent(t, at)


class SetReminderHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("SetReminderIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return set_reminder(Turn.of(handler_input))


def consented(t: Turn) -> Response:
    at = reminders.parse_time(t.pending.get("time"))
    assert at is not None  # we stored it
    if not reminders.granted(t.h.request_envelope.context.system.user.permissions):
        return ask_permission(t, at)
    return put_reminder(t, at)


class PermissionAnswerHandler(AbstractRequestHandler):
    """Alexa's answer to our AskFor: set the reminder if the user allowed it."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        request = handler_input.request_envelope.request
        return is_request_type("Connections.Response")(handler_input) and getattr(request, "name", None) == "AskFor"

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        request = handler_input.request_envelope.request
        status = str((request.payload or {}).get("status", ""))
        at = reminders.parse_time(getattr(request, "token", None))
        if status != "ACCEPTED" or at is None:
            return t.reply(t.t("reminder.permission_denied"), ask=t.t("ask.next"))
        return put_reminder(t, at)


class ChangeReminderHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ChangeReminderIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        at = reminders.parse_time(t.slot("time"))
        if at is None:
            return t.ask(TIME)
        if not t.profile().reminder_id:
            return ask_consent(t, at)
        return put_reminder(t, at)


class CancelReminderHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("CancelReminderIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        profile = t.profile()
        if not profile.reminder_id:
            return t.reply(t.t("reminder.none"), ask=t.t("ask.next"))
        result = api(t, "DELETE", f"{reminders.PATH}/{profile.reminder_id}")
        if not result.ok and result.status != 404:  # 404: already gone from the Alexa app
            return failure(t, result.status)
        try:
            t.services.store.save_profile(t.user, replace(profile, reminder_id=None, reminder_time=None))
        except StoreUnavailable:
            return t.reply(t.t("reminder.cancel_not_saved"), ask=t.t("ask.next"))
        return t.reply(t.t("reminder.cancelled"), ask=t.t("ask.next"))


class ReminderStatusHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ReminderStatusIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        profile = t.profile()
        at = reminders.parse_time(profile.reminder_time)
        if not profile.reminder_id or at is None:
            return t.reply(t.t("reminder.none"), ask=t.t("ask.next"))
        return t.reply(t.t("reminder.status", time=spoken_time(t, at)), ask=t.t("ask.next"))


TIME = dialog.declare("reminder_time", time=set_reminder)
CONSENT = dialog.declare("reminder_consent", yes=consented,
                         no=lambda t: t.reply(t.t("reminder.not_set"), ask=t.t("ask.next")))
