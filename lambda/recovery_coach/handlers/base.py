"""What every handler shares: reading the request and composing a spoken reply.

Handlers name strings (`t.t("help")`); they never hold user-facing text.
The reply puts the safety warning first when a red flag was heard, adds the
first-use disclaimer once per user, and remembers the turn for Repeat.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest, Response
from ask_sdk_model.ui import SimpleCard

from recovery_coach import apl, budget, dialog
from recovery_coach.checkins import Checkin, Thresholds
from recovery_coach.content import Content
from recovery_coach.records import Link, Profile, UserRecord
from recovery_coach.services import Services
from recovery_coach.speech import join, to_ssml
from recovery_coach.store import StoreUnavailable

log = logging.getLogger("recovery_coach")

# Request-attribute keys set by the interceptors.
CONTENT = "content"
SERVICES = "services"
RED_FLAG = "red_flag"
CALM = "calm"  # the screen is sure a statement without a red flag holds none (Screen.assess)
TURN = "turn"
RECENT_DAYS = 14


def user_key(user_id: str) -> str:
    """Stores and logs never see the raw Alexa user id."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()


def history(store: Any, user: str, record: UserRecord, utc_today: date) -> tuple[Checkin, ...]:
    """`record` (loaded from RECENT_DAYS + 1 days back), extended back to the procedure date if needed."""
    procedure = record.profile.procedure_date
    if procedure is not None and procedure <= utc_today - timedelta(days=RECENT_DAYS):
        return store.load(user, since=procedure).checkins
    return record.checkins


class Turn:
    """One request, seen from a handler: its content, slots, user and reply."""

    def __init__(self, h: HandlerInput) -> None:
        self.h = h
        self.attrs = cast(dict[str, Any], h.attributes_manager.request_attributes)  # the SDK says dict[str, object]
        self.content: Content = self.attrs[CONTENT]
        self.services: Services = self.attrs[SERVICES]
        self._record: UserRecord | None = None
        self._today: date | None = None

    @property
    def session(self) -> dict[str, Any]:
        """Session attributes; skill events have no session, and get a throwaway dict."""
        if self.h.request_envelope.session is None:
            return self.attrs.setdefault("no_session", {})
        return cast(dict[str, Any], self.h.attributes_manager.session_attributes)

    @classmethod
    def of(cls, h: HandlerInput) -> Turn:
        attrs = h.attributes_manager.request_attributes
        if TURN not in attrs:
            attrs[TURN] = cls(h)
        return cast(Turn, attrs[TURN])

    # --- reading the request -------------------------------------------------
    def t(self, key: str, **values: Any) -> str:
        return self.content.text(key, **values)

    def _slot(self, name: str) -> Any:
        request = self.h.request_envelope.request
        if not isinstance(request, IntentRequest) or not request.intent or not request.intent.slots:
            return None
        return request.intent.slots.get(name)

    def slot(self, name: str) -> str | None:
        """The slot's spoken value, or None when it is missing, empty, or matched nothing
        Alexa could resolve (entity resolution's ER_SUCCESS_NO_MATCH)."""
        slot = self._slot(name)
        value = slot.value if slot else None
        if not isinstance(value, str) or not value.strip():
            return None
        authorities = getattr(getattr(slot, "resolutions", None), "resolutions_per_authority", None) or []
        codes = {str(getattr(getattr(a.status, "code", None), "value", "")) for a in authorities if a.status}
        if codes and "ER_SUCCESS_MATCH" not in codes:
            return "?"
        return value.strip()

    def heard(self, name: str) -> str | None:
        """The slot's words as Alexa heard them, whether or not they matched the slot's type."""
        slot = self._slot(name)
        value = slot.value if slot else None
        return value.strip() if isinstance(value, str) and value.strip() else None

    def canonical(self, name: str) -> str | None:
        """A custom slot's value as the model names it ("Mom" for "mum"), else what was heard."""
        slot = self._slot(name)
        value = self.slot(name)
        if value is None or value == "?":
            return None
        for authority in getattr(getattr(slot, "resolutions", None), "resolutions_per_authority", None) or []:
            if authority.values:
                return authority.values[0].value.name
        return value[:1].upper() + value[1:]

    @property
    def intent(self) -> str | None:
        request = self.h.request_envelope.request
        return request.intent.name if isinstance(request, IntentRequest) and request.intent else None

    def number(self) -> str | None:
        """The number said, in whichever intent carried it (a check-in's score, a caregiver's code)."""
        return self.slot("score") or self.slot("code")

    def answering(self) -> tuple[dialog.Question, str] | None:
        """The question this turn answers (or misheard), and the kind of answer; None when the turn
        is its intent's own."""
        slots = {name: self.slot(name) for name in {*dialog.NUMBER_INTENTS.values(), dialog.TIME_SLOT}}
        return dialog.owner(self.intent, slots, self.pending)

    @property
    def red_flag(self) -> str | None:
        return self.attrs.get(RED_FLAG)

    @property
    def calm(self) -> bool:
        """What the screen made of the words: sure nothing in them is a warning sign (no words: not sure)."""
        return bool(self.attrs.get(CALM))

    @property
    def user(self) -> str:
        system = self.h.request_envelope.context.system
        return user_key(system.user.user_id)  # type: ignore[arg-type]  # Alexa always sends it

    def record(self) -> UserRecord:
        """The user's profile and last two weeks of check-ins: one store read per request at most."""
        if self._record is None:
            since = self.services.clock().date() - timedelta(days=RECENT_DAYS + 1)  # UTC: a superset
            self._record = self.services.store.load(self.user, since=since)
        return self._record

    def record_and_links(self) -> tuple[UserRecord, list[Link], list[str]]:
        """The record (as `record`), this account's links as a caregiver and its ended-link notices:
        one store read, for the launch, which needs all three."""
        since = self.services.clock().date() - timedelta(days=RECENT_DAYS + 1)
        record, links, notices = self.services.store.load_with_links(self.user, since)
        self._record = record
        return record, links, notices

    def history(self) -> tuple[Checkin, ...]:
        """The check-ins that judging a score needs: the recent ones, and back to the procedure when
        it is older ("not easing" compares with the first check-in after it). Usually no extra read."""
        return history(self.services.store, self.user, self.record(), self.services.clock().date())

    def profile(self) -> Profile:
        return self.record().profile

    def forget_record(self) -> None:
        self._record = None

    def zone(self) -> ZoneInfo:
        """The device's time zone, from the Alexa Settings API (asked once per session), else the
        configured default zone."""
        name = self.session.get("tz")
        system = self.h.request_envelope.context.system
        if not name and system.api_access_token and system.device:  # else there is nothing to ask
            from recovery_coach.alexa_api import device_timezone  # urllib: only when a date is needed

            name = device_timezone(
                system.api_endpoint,
                system.api_access_token,
                system.device.device_id if system.device else None,
                budget.within(self.services.settings.settings_api_timeout),
            )
            if name:
                self.session["tz"] = name
        return ZoneInfo(name or self.services.settings.default_timezone)

    def today(self) -> date:
        """The device's local date."""
        if self._today is None:
            self._today = self.services.clock().astimezone(self.zone()).date()
        return self._today

    @property
    def thresholds(self) -> Thresholds:
        s = self.services.settings
        return Thresholds(high_score=s.warn_score, rise=s.warn_rise, relief_days=s.relief_days)

    def has_screen(self) -> bool:
        """Whether the device renders APL (an Echo Show, say), from its supportedInterfaces."""
        device = self.h.request_envelope.context.system.device
        return apl.supports_apl(device.supported_interfaces if device else None)

    # --- composing the reply -------------------------------------------------
    def _disclaimer(self) -> str | None:
        """The first-use disclaimer: read once per session, said once per user."""
        if self.session.get("disclaimer_done"):
            return None
        try:
            profile = self.profile()
            if profile.disclaimer_heard:
                self.session["disclaimer_done"] = True
                return None
            heard = replace(profile, disclaimer_heard=True)
            self.services.store.save_profile(self.user, heard)
            self._record = replace(self.record(), profile=heard)
            self.session["disclaimer_done"] = True
        except StoreUnavailable:
            log.warning('{"event": "disclaimer_store_unavailable"}')
        return self.t("disclaimer")

    def ask(self, question: str, *before: str | None, again: bool = False, words: dict[str, Any] | None = None,
            card: tuple[str, str] | None = None, **data: Any) -> Response:
        """Speak `before`, then ask `question` (its prompt, or its reprompt when asking `again`);
        `words` fill its text, `data` is kept with it for its answer."""
        words = words or {}
        pending = {"q": question, **data, **({"words": words} if words else {})}
        text = self.t(f"question.{question}.{'reprompt' if again else 'prompt'}", **words)
        return self.reply(*before, ask=text, pending=pending, card=card)

    def reprompt(self, question: dialog.Question, pending: dict[str, Any]) -> str:
        return self.t(f"question.{question.name}.reprompt", **pending.get("words", {}))

    def reply(
        self,
        *parts: str | None,
        ask: str | None = None,
        card: tuple[str, str] | None = None,
        end: bool = False,
        pending: dict[str, Any] | None = None,
        screen: dict[str, Any] | None = None,
        brief: bool = False,
    ) -> Response:
        """Speak `parts`, then `ask`. On a device with a screen (APL), show `screen` (a RenderDocument
        directive from recovery_coach.apl) or else the card in large text; the safety warning's card
        always wins. Devices without APL get no directive at all.

        After an aside (a question about recovery, help, thanks) the question that was pending is
        asked again in place of `ask`. A `brief` reply ("Okay.") is not what Repeat says again."""
        kept = None if end else dialog.kept(self.intent, self.pending)
        if kept is not None:
            pending = dict(self.pending)
            ask = self.reprompt(kept, pending)
        urgent = self.t("safety.urgent") if self.red_flag else None
        disclaimer = None if end or urgent else self._disclaimer()  # an urgent reply never waits on the store
        speech = join(urgent, *parts, disclaimer, ask)
        if urgent:
            card = (self.t("safety.card.title"), join(urgent, card[1] if card else None))
        rb = self.h.response_builder.speak(to_ssml(speech))
        if card:
            rb.set_card(SimpleCard(title=card[0], content=card[1]))
        if self.has_screen():
            if urgent or screen is None:
                screen = apl.answer_directive(card[0], card[1]) if card else None
            if screen:
                # Only for a device with a screen: the SDK's APL models are 10-16 ms of a cold start.
                from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

                rb.add_directive(
                    RenderDocumentDirective(
                        token=screen["token"], document=screen["document"], datasources=screen["datasources"]
                    )
                )
        if ask and not end:
            rb.ask(to_ssml(ask))
        rb.set_should_end_session(end)
        if not brief:
            self.session["last"] = {"speech": speech, "reprompt": None if end else ask, "pending": pending}
        if pending:
            self.session["pending"] = pending
        else:
            self.session.pop("pending", None)
        return rb.response

    def repeat(self) -> Response | None:
        """The last substantive reply again, with the question it asked pending again."""
        last = self.session.get("last")
        if not last:
            return None
        rb = self.h.response_builder.speak(to_ssml(last["speech"]))
        if last.get("reprompt"):
            rb.ask(to_ssml(last["reprompt"]))
        rb.set_should_end_session(False)
        if last.get("pending"):
            self.session["pending"] = last["pending"]
        else:
            self.session.pop("pending", None)
        return rb.response

    @property
    def pending(self) -> dict[str, Any]:
        return self.session.get("pending") or {}
