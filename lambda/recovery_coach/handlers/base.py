"""What every handler shares: reading the request and composing a spoken reply.

Handlers name strings (`t.t("help")`); they never hold user-facing text.
The reply puts the safety warning first when a red flag was heard, adds the
first-use disclaimer once per user, and remembers the turn for Repeat.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest, Response
from ask_sdk_model.ui import SimpleCard

from recovery_coach.content import Content
from recovery_coach.records import Profile
from recovery_coach.services import Services
from recovery_coach.speech import join, to_ssml
from recovery_coach.store import StoreUnavailable

log = logging.getLogger("recovery_coach")

# Request-attribute keys set by the interceptors.
CONTENT = "content"
SERVICES = "services"
RED_FLAG = "red_flag"
TURN = "turn"


def user_key(user_id: str) -> str:
    """Stores and logs never see the raw Alexa user id."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()


class Turn:
    """One request, seen from a handler: its content, slots, user and reply."""

    def __init__(self, h: HandlerInput) -> None:
        self.h = h
        self.attrs = h.attributes_manager.request_attributes
        self.session: dict[str, Any] = h.attributes_manager.session_attributes
        self.content: Content = self.attrs[CONTENT]
        self.services: Services = self.attrs[SERVICES]
        self._profile: Profile | None = None

    @classmethod
    def of(cls, h: HandlerInput) -> Turn:
        attrs = h.attributes_manager.request_attributes
        if TURN not in attrs:
            attrs[TURN] = cls(h)
        return attrs[TURN]

    # --- reading the request -------------------------------------------------
    def t(self, key: str, **values: Any) -> str:
        return self.content.text(key, **values)

    def slot(self, name: str) -> str | None:
        request = self.h.request_envelope.request
        if not isinstance(request, IntentRequest) or not request.intent or not request.intent.slots:
            return None
        slot = request.intent.slots.get(name)
        value = slot.value if slot else None
        return value.strip() if isinstance(value, str) and value.strip() else None

    @property
    def red_flag(self) -> str | None:
        return self.attrs.get(RED_FLAG)

    @property
    def user(self) -> str:
        system = self.h.request_envelope.context.system
        return user_key(system.user.user_id)

    def profile(self) -> Profile:
        if self._profile is None:
            self._profile = self.services.store.load(self.user).profile
        return self._profile

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
            self.services.store.save_profile(self.user, Profile(True, profile.procedure_date))
            self._profile = Profile(True, profile.procedure_date)
            self.session["disclaimer_done"] = True
        except StoreUnavailable:
            log.warning('{"event": "disclaimer_store_unavailable"}')
        return self.t("disclaimer")

    def reply(
        self,
        *parts: str | None,
        ask: str | None = None,
        card: tuple[str, str] | None = None,
        end: bool = False,
        pending: dict[str, Any] | None = None,
    ) -> Response:
        urgent = self.t("safety.urgent") if self.red_flag else None
        disclaimer = None if end else self._disclaimer()
        speech = join(urgent, *parts, disclaimer, ask)
        if urgent:
            card = (self.t("safety.card.title"), join(urgent, card[1] if card else None))
        rb = self.h.response_builder.speak(to_ssml(speech))
        if card:
            rb.set_card(SimpleCard(title=card[0], content=card[1]))
        if ask and not end:
            rb.ask(to_ssml(ask))
        rb.set_should_end_session(end)
        self.session["last"] = {"speech": speech, "reprompt": ask}
        if pending:
            self.session["pending"] = pending
        else:
            self.session.pop("pending", None)
        return rb.response

    def repeat(self) -> Response | None:
        last = self.session.get("last")
        if not last:
            return None
        rb = self.h.response_builder.speak(to_ssml(last["speech"]))
        if last.get("reprompt"):
            rb.ask(to_ssml(last["reprompt"]))
        rb.set_should_end_session(False)
        return rb.response

    @property
    def pending(self) -> dict[str, Any]:
        return self.session.get("pending") or {}
