"""A caregiver's alerts, by voice: turned on with their consent, off at a word, and off when they
turn the skill's notifications off in the Alexa app.

Alerts cover every patient the caregiver follows. Turning them on keeps the caregiver's Alexa user
id on their links (the one thing the Proactive Events API addresses); turning them off, unlinking,
the patient stopping sharing or either side deleting their data removes it.
"""
from __future__ import annotations

import urllib.parse
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response
from ask_sdk_model.ui import AskForPermissionsConsentCard

from recovery_coach import dialog
from recovery_coach.handlers import phrases
from recovery_coach.handlers.base import Turn
from recovery_coach.handlers.questions import okay
from recovery_coach.records import Link
from recovery_coach.store import StoreUnavailable

# The permission behind Alexa's notifications; the Alexa app asks for it from the card.
NOTIFICATIONS = "alexa::devices:all:notifications:write"


def _user_id(t: Turn) -> str:
    return str(t.h.request_envelope.context.system.user.user_id)


def _region(t: Turn) -> str | None:
    """The Alexa API host of the caregiver's region, from their own request (North America, Europe
    or the Far East: a skill in five locales has users in all three). Only Amazon's own https hosts
    are kept; anything else (a local Alexa on this computer) leaves the configured one."""
    endpoint = t.h.request_envelope.context.system.api_endpoint
    if not isinstance(endpoint, str):
        return None
    parts = urllib.parse.urlsplit(endpoint)
    host = parts.hostname or ""
    ok = parts.scheme == "https" and (host == "amazonalexa.com" or host.endswith(".amazonalexa.com")) and parts.path in ("", "/")
    return f"https://{host}" if ok and not parts.port and not parts.username else None


def _names(links: list[Link]) -> list[str]:
    return list(dict.fromkeys(link.label for link in links))


def alerts_on(t: Turn) -> Response:
    """"Send me alerts": explain exactly what is sent, and ask."""
    if not t.services.alerts_on():
        return t.reply(t.t("alerts.unavailable"), ask=t.t("ask.next"))
    links = t.services.store.links_of_caregiver(t.user)
    if not links:
        return t.reply(t.t("alerts.no_patient"), ask=t.t("ask.next"))
    names = phrases.listed(t, _names(links))
    if all(link.alert_to for link in links):
        return t.reply(t.t("alerts.already", labels=names), ask=t.t("ask.next"))
    return t.ask(CONSENT, words={"labels": names, "days": t.services.settings.missed_days_alert})


def consented(t: Turn) -> Response:
    try:
        count = t.services.store.set_alerts(t.user, _user_id(t), _region(t))
    except StoreUnavailable:
        return t.reply(t.t("alerts.not_saved"), ask=t.t("ask.next"))
    if not count:  # every link ended while we were asking
        return t.reply(t.t("alerts.no_patient"), ask=t.t("ask.next"))
    t.h.response_builder.set_card(AskForPermissionsConsentCard(permissions=[NOTIFICATIONS]))
    return t.reply(t.t("alerts.on", labels=t.pending["words"]["labels"]), ask=t.t("ask.next"))


def alerts_off(t: Turn) -> Response:
    links = t.services.store.links_of_caregiver(t.user)
    if not any(link.alert_to for link in links):
        return t.reply(t.t("alerts.were_off"), ask=t.t("ask.next"))
    t.services.store.set_alerts(t.user, None)
    return t.reply(t.t("alerts.off"), ask=t.t("ask.next"))


def extended(t: Turn, link: Link) -> str | None:
    """A caregiver who has alerts about the others gets them about a patient they just linked to:
    what they agreed to covers everyone they follow. Says so, or nothing."""
    try:
        links = t.services.store.links_of_caregiver(t.user)
        if not any(other.alert_to for other in links if other.patient != link.patient):
            return None
        t.services.store.set_alerts(t.user, _user_id(t), _region(t))
    except StoreUnavailable:
        return None
    return t.t("alerts.extended", label=link.label)


class AlertsOnHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AlertsOnIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return alerts_on(Turn.of(handler_input))


class AlertsOffHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AlertsOffIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return alerts_off(Turn.of(handler_input))


class NotificationsChangedHandler(AbstractRequestHandler):
    """The caregiver turned the skill's notifications off in the Alexa app (the event lists no
    subscriptions any more): their alerts stop, and their user id goes from the links."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("AlexaSkillEvent.ProactiveSubscriptionChanged")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        body: Any = getattr(handler_input.request_envelope.request, "body", None)
        subscribed = isinstance(body, dict) and bool(body.get("subscriptions"))
        if not subscribed:
            t.services.store.set_alerts(t.user, None)
        return handler_input.response_builder.response


CONSENT = dialog.declare("alerts_consent", yes=consented, no=okay)
