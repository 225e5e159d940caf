"""Drive the skill the way Alexa does: real envelopes into lambda_handler, replies read as a person hears them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambda_function import lambda_handler
from recovery_coach import envelope
from recovery_coach.resolver import load_resolver
from recovery_coach.speech import to_plain


@dataclass
class Reply:
    raw: dict[str, Any]

    @property
    def response(self) -> dict[str, Any]:
        return self.raw.get("response", {})

    @property
    def speech(self) -> str:
        out = self.response.get("outputSpeech") or {}
        return to_plain(out.get("ssml") or out.get("text") or "")

    @property
    def ssml(self) -> str:
        return (self.response.get("outputSpeech") or {}).get("ssml", "")

    @property
    def reprompt(self) -> str:
        out = (self.response.get("reprompt") or {}).get("outputSpeech") or {}
        return to_plain(out.get("ssml") or out.get("text") or "")

    @property
    def card(self) -> dict[str, Any]:
        return self.response.get("card") or {}

    @property
    def ended(self) -> bool:
        return bool(self.response.get("shouldEndSession"))

    @property
    def session(self) -> dict[str, Any]:
        return self.raw.get("sessionAttributes") or {}

    def __contains__(self, text: str) -> bool:
        return text.lower() in self.speech.lower()


class Alexa:
    """One user on one device. `say` goes through the local resolver; `intent` sends exact slots."""

    def __init__(self, user: str = "patient", locale: str = "en-US", **device: Any) -> None:
        self.device = envelope.Device.for_user(user, locale=locale, **device)
        self.session = envelope.Session()
        self.locale = locale

    def send(self, event: dict[str, Any]) -> Reply:
        raw = lambda_handler(event, None)
        if "session" in event and not self.session.advance(raw):
            self.session = envelope.Session()
        return Reply(raw)

    def say(self, text: str) -> Reply:
        from recovery_coach.skill import default_services

        heard = load_resolver(self.locale).resolve(text, today=default_services().local_today())
        if heard.kind == "launch":
            return self.launch()
        return self.send(envelope.intent(heard.intent or "AMAZON.FallbackIntent", self.device, self.session, heard.slots))

    def launch(self) -> Reply:
        return self.send(envelope.launch(self.device, self.session))

    def intent(self, name: str, **slots: str | None) -> Reply:
        built = {k: envelope.slot_json(k, v) for k, v in slots.items()}
        return self.send(envelope.intent(name, self.device, self.session, built))

    def new_session(self) -> None:
        self.session = envelope.Session()
