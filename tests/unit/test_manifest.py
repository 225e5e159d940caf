"""skill.json: what the Alexa store shows must match what the skill does."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from recovery_coach.content import load_content
from recovery_coach.resolver import load_resolver
from tests.support import Alexa

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((ROOT / "skill-package" / "skill.json").read_text())["manifest"]


LOCALES = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"]
COUNTRIES = ["US", "GB", "CA", "AU", "IN"]


def emergency_number(locale: str) -> str:
    """The number the skill itself tells this locale to call, from its spoken strings."""
    m = re.match(r"Call (.+?) now if this is an emergency", load_content(locale).text("safety.urgent"))
    assert m, locale
    return m.group(1)


def test_every_locale_is_published_with_its_model() -> None:
    assert list(MANIFEST["publishingInformation"]["locales"]) == LOCALES
    assert sorted(MANIFEST["privacyAndCompliance"]["locales"]) == sorted(LOCALES)
    assert sorted(p.stem for p in (ROOT / "skill-package" / "interactionModels" / "custom").glob("*.json")) == sorted(LOCALES)
    assert MANIFEST["publishingInformation"]["distributionCountries"] == COUNTRIES
    assert MANIFEST["publishingInformation"]["isAvailableWorldwide"] is False


def test_description_carries_the_health_disclaimer_and_the_local_emergency_number() -> None:
    for locale, info in MANIFEST["publishingInformation"]["locales"].items():
        assert "not a substitute for your doctor" in info["description"], locale
        assert f"If you think you have an emergency, call {emergency_number(locale)}" in info["description"], locale
        assert info["name"] and info["summary"] and info["keywords"], locale
        assert info["smallIconUri"].startswith("https://") and info["largeIconUri"].startswith("https://")


def test_emergency_numbers_are_the_locales_own() -> None:
    assert {loc: emergency_number(loc) for loc in LOCALES} == {
        "en-US": "911", "en-CA": "911", "en-GB": "999", "en-AU": "triple zero", "en-IN": "112",
    }


def test_spoken_disclaimer_matches_the_description() -> None:
    for locale in LOCALES:
        assert "not a substitute for your doctor" in load_content(locale).text("disclaimer"), locale


def test_privacy_and_compliance_fields_are_complete() -> None:
    pc = MANIFEST["privacyAndCompliance"]
    for field in ("allowsPurchases", "usesPersonalInfo", "isChildDirected", "isExportCompliant", "containsAds"):
        assert isinstance(pc[field], bool), field
    assert pc["usesPersonalInfo"] is True  # pain scores are stored
    for locale in MANIFEST["publishingInformation"]["locales"]:
        assert pc["locales"][locale]["privacyPolicyUrl"].startswith("https://")


@pytest.mark.parametrize("locale", LOCALES)
def test_example_phrases_work_and_follow_alexa_rules(services, locale: str) -> None:
    """Each locale's own phrases, heard through that locale's model and answered by the skill."""
    phrases = MANIFEST["publishingInformation"]["locales"][locale]["examplePhrases"]
    assert 1 <= len(phrases) <= 3
    assert phrases[0] == "Alexa, open spine recovery"
    resolver = load_resolver(locale)
    not_covered = load_content(locale).text("ask.not_covered")
    for phrase in phrases:
        assert phrase.startswith("Alexa, ")
        heard = resolver.resolve(phrase.removeprefix("Alexa, "))
        assert heard.kind == "launch" or heard.intent != "AMAZON.FallbackIntent", phrase
        reply = Alexa(locale=locale).say(phrase.removeprefix("Alexa, "))
        assert reply.speech and not_covered not in reply.speech, (phrase, reply.speech)


def test_skill_events_are_subscribed() -> None:
    names = {s["eventName"] for s in MANIFEST["events"]["subscriptions"]}
    assert "SKILL_DISABLED" in names


def test_caregiver_alerts_are_declared() -> None:
    """One schema (MessageAlert: the patient's own label, nothing clinical), sent to the skill's own
    endpoint's events, with the notifications permission; and Alexa says when a user turns the
    skill's notifications off, so their alerts stop."""
    events = MANIFEST["events"]
    assert events["publications"] == [{"eventName": "AMAZON.MessageAlert.Activated"}]
    assert "SKILL_PROACTIVE_SUBSCRIPTION_CHANGED" in {s["eventName"] for s in events["subscriptions"]}
    assert {"name": "alexa::devices:all:notifications:write"} in MANIFEST["permissions"]
