"""Alexa request envelopes, shaped exactly as Alexa sends them.

The local CLI and the tests build requests here and hand them to lambda_handler,
so a local conversation exercises the same code AWS runs.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from recovery_coach.clock import system_clock

LOCAL_SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"


def _id(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4()}"


def _timestamp(now: datetime | None = None) -> str:
    return (now or system_clock()).strftime("%Y-%m-%dT%H:%M:%SZ")


# What each kind of device tells the skill it can do (context.System.device.supportedInterfaces).
DEVICES: dict[str, dict[str, Any]] = {
    "echo": {},  # voice only
    "show": {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}},  # an Echo Show's screen
}


@dataclass
class Device:
    """Who is speaking, from which device: one Alexa account and one Echo."""

    user_id: str = "amzn1.ask.account.LOCAL-PATIENT"
    device_id: str = "amzn1.ask.device.LOCAL-ECHO"
    locale: str = "en-US"
    skill_id: str = LOCAL_SKILL_ID
    # Locally there is no Alexa cloud: without an endpoint the skill uses its default time zone.
    api_endpoint: str | None = None
    api_access_token: str | None = None
    interfaces: dict[str, Any] = field(default_factory=dict)
    permissions: dict[str, Any] | None = None

    @classmethod
    def for_user(cls, name: str, **kwargs: Any) -> Device:
        tag = "".join(c for c in name.upper() if c.isalnum()) or "PATIENT"
        return cls(user_id=f"amzn1.ask.account.LOCAL-{tag}", device_id=f"amzn1.ask.device.LOCAL-{tag}", **kwargs)

    def _user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"userId": self.user_id}
        if self.permissions is not None:
            user["permissions"] = self.permissions
        return user

    def context(self) -> dict[str, Any]:
        system: dict[str, Any] = {
            "application": {"applicationId": self.skill_id},
            "user": self._user(),
            "device": {"deviceId": self.device_id, "supportedInterfaces": dict(self.interfaces)},
        }
        if self.api_endpoint:
            system["apiEndpoint"] = self.api_endpoint
            system["apiAccessToken"] = self.api_access_token or "local-access-token"
        return {"System": system}


@dataclass
class Session:
    """An Alexa session: its id and the attributes the skill asked to keep."""

    session_id: str = field(default_factory=lambda: _id("amzn1.echo-api.session"))
    attributes: dict[str, Any] = field(default_factory=dict)
    new: bool = True

    def as_json(self, device: Device) -> dict[str, Any]:
        return {
            "new": self.new,
            "sessionId": self.session_id,
            "application": {"applicationId": device.skill_id},
            "attributes": dict(self.attributes),
            "user": device._user(),
        }

    def advance(self, response: dict[str, Any]) -> bool:
        """Carry the response's session attributes into the next turn. False if the session ended."""
        self.attributes = response.get("sessionAttributes") or {}
        self.new = False
        return not response.get("response", {}).get("shouldEndSession", False)


def slot_json(name: str, value: str | None, resolved: tuple[str, str] | None = None, type_name: str = "") -> dict[str, Any]:
    slot: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if value is None:
        return slot
    slot.update({"value": value, "source": "USER"})
    if type_name and not type_name.startswith("AMAZON."):
        authority = f"amzn1.er-authority.echo-sdk.{LOCAL_SKILL_ID}.{type_name}"
        if resolved:
            status = {"status": {"code": "ER_SUCCESS_MATCH"}, "values": [{"value": {"name": resolved[1], "id": resolved[0]}}]}
        else:
            status = {"status": {"code": "ER_SUCCESS_NO_MATCH"}}
        slot["resolutions"] = {"resolutionsPerAuthority": [{"authority": authority, **status}]}
    return slot


def request(body: dict[str, Any], device: Device, session: Session | None = None, now: datetime | None = None) -> dict[str, Any]:
    """A full envelope around a request body ({"type": ...}); no session for skill events."""
    envelope: dict[str, Any] = {"version": "1.0", "context": device.context()}
    if session is not None:
        envelope["session"] = session.as_json(device)
    envelope["request"] = {
        "requestId": _id("amzn1.echo-api.request"),
        "timestamp": _timestamp(now),
        "locale": device.locale,
        **body,
    }
    return envelope


def launch(device: Device, session: Session | None = None) -> dict[str, Any]:
    return request({"type": "LaunchRequest"}, device, session or Session())


def intent(name: str, device: Device, session: Session | None = None, slots: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    body = {
        "type": "IntentRequest",
        "intent": {"name": name, "confirmationStatus": "NONE", "slots": slots or {}},
    }
    return request(body, device, session or Session())


def session_ended(device: Device, session: Session, reason: str = "USER_INITIATED") -> dict[str, Any]:
    return request({"type": "SessionEndedRequest", "reason": reason}, device, session)
