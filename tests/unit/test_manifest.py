"""skill.json: what the Alexa store shows must match what the skill does."""
from __future__ import annotations

import json
from pathlib import Path

from recovery_coach.content import load_content
from recovery_coach.resolver import load_resolver

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((ROOT / "skill-package" / "skill.json").read_text())["manifest"]


def test_description_carries_the_health_disclaimer() -> None:
    for locale, info in MANIFEST["publishingInformation"]["locales"].items():
        assert "not a substitute for your doctor" in info["description"], locale
        assert "911" in info["description"]


def test_spoken_disclaimer_matches_the_description() -> None:
    assert "not a substitute for your doctor" in load_content("en-US").text("disclaimer")


def test_privacy_and_compliance_fields_are_complete() -> None:
    pc = MANIFEST["privacyAndCompliance"]
    for field in ("allowsPurchases", "usesPersonalInfo", "isChildDirected", "isExportCompliant", "containsAds"):
        assert isinstance(pc[field], bool), field
    assert pc["usesPersonalInfo"] is True  # pain scores are stored
    for locale in MANIFEST["publishingInformation"]["locales"]:
        assert pc["locales"][locale]["privacyPolicyUrl"].startswith("https://")


def test_example_phrases_work_and_follow_alexa_rules() -> None:
    for locale, info in MANIFEST["publishingInformation"]["locales"].items():
        phrases = info["examplePhrases"]
        assert 1 <= len(phrases) <= 3
        assert phrases[0] == "Alexa, open spine recovery"
        resolver = load_resolver(locale)
        for phrase in phrases:
            assert phrase.startswith("Alexa, ")
            heard = resolver.resolve(phrase.removeprefix("Alexa, "))
            assert heard.kind == "launch" or heard.intent != "AMAZON.FallbackIntent", phrase


def test_skill_events_are_subscribed() -> None:
    names = {s["eventName"] for s in MANIFEST["events"]["subscriptions"]}
    assert "SKILL_DISABLED" in names
