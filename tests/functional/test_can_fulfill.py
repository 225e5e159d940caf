"""Name-free questions: Alexa's CanFulfillIntentRequest, answered from the guide, silently and
without touching anyone's data."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from lambda_function import lambda_handler
from recovery_coach import envelope
from recovery_coach.intents import QUESTION_INTENTS
from recovery_coach.handlers.base import user_key
from recovery_coach.services import Services
from tests.support import Alexa

ROOT = Path(__file__).resolve().parents[2]
MODEL = json.loads((ROOT / "skill-package" / "interactionModels" / "custom" / "en-US.json").read_text())
INTENTS = MODEL["interactionModel"]["languageModel"]["intents"]


def ask(intent: str, locale: str = "en-US", session: bool = True, **slots: str) -> dict[str, Any]:
    device = envelope.Device(locale=locale)
    body = {"type": "CanFulfillIntentRequest",
            "intent": {"name": intent, "slots": {k: {"name": k, "value": v} for k, v in slots.items()}}}
    reply = lambda_handler(envelope.request(body, device, envelope.Session() if session else None), None)
    assert set(reply["response"]) == {"canFulfillIntent"}  # no speech, card, screen or session change
    return reply["response"]["canFulfillIntent"]


def test_a_question_the_guide_answers_is_a_yes(services: Services) -> None:
    assert ask("AskWhenIntent", question="can I drive") == {
        "canFulfill": "YES", "slots": {"question": {"canUnderstand": "YES", "canFulfill": "YES"}}}


def test_without_a_session_the_answer_is_the_same(services: Services) -> None:
    assert ask("AskWhenIntent", session=False, question="can I drive")["canFulfill"] == "YES"


def test_a_question_the_guide_does_not_cover_is_a_no(services: Services) -> None:
    assert ask("AskWhenIntent", question="can I go swimming") == {
        "canFulfill": "NO", "slots": {"question": {"canUnderstand": "YES", "canFulfill": "NO"}}}


def test_a_question_the_matcher_cannot_place_is_a_maybe(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The topic model is below its confidence threshold ("unknown"): Alexa hears MAYBE. Which real
    sentences land there moves with every retraining, so the model is made unsure here."""
    from recovery_coach.content import load_content
    from recovery_coach.language import LinearModel

    unsure = LinearModel(["driving", "UNCOVERED"], [0.0, 0.0], {}, threshold=0.9)
    monkeypatch.setattr(type(load_content("en-US").knowledge), "model", property(lambda self: unsure))
    assert ask("AskQuestionIntent", question="the purple zebra crossing") == {
        "canFulfill": "MAYBE", "slots": {"question": {"canUnderstand": "MAYBE", "canFulfill": "NO"}}}


def test_no_question_is_a_no(services: Services) -> None:
    assert ask("AskQuestionIntent") == {"canFulfill": "NO"}


@pytest.mark.parametrize("locale", ["en-GB", "en-AU", "en-IN"])
def test_other_locales_answer_from_their_own_guide(services: Services, locale: str) -> None:
    assert ask("AskQuestionIntent", locale=locale, question="do I need physiotherapy")["canFulfill"] == "YES"


@pytest.mark.parametrize(
    "intent", [i["name"] for i in INTENTS if i["name"] not in QUESTION_INTENTS], ids=lambda n: n
)
def test_everything_but_a_question_is_a_no(services: Services, intent: str) -> None:
    """Check-ins, dates, sharing, reminders, deletion, reviews, symptom reports and built-ins: never name-free."""
    slots = {s["name"]: "6" for s in next(i for i in INTENTS if i["name"] == intent).get("slots", [])}
    assert ask(intent, **slots)["canFulfill"] == "NO"  # type: ignore[arg-type]


def test_asking_stores_nothing(services: Services) -> None:
    ask("CheckInIntent", score="6")
    ask("AskWhenIntent", question="can I drive")
    record = services.store.load(user_key(envelope.Device().user_id), since=services.clock().date() - timedelta(days=30))
    assert record.checkins == () and not record.profile.disclaimer_heard


def test_once_alexa_routes_the_question_the_answer_is_todays(services: Services) -> None:
    assert ask("AskWhenIntent", question="can I drive")["canFulfill"] == "YES"
    reply = Alexa().intent("AskWhenIntent", question="can I drive")
    assert "few days" in reply.speech
