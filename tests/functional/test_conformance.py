"""Every request type the skill can receive, as Alexa sends it (tests/fixtures/conformance/, shaped on
Amazon's documented request samples), through lambda_handler, and the reply checked against
Alexa's rules for responses."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from lambda_function import lambda_handler
from recovery_coach.services import Services

FOLDER = Path(__file__).resolve().parent.parent / "fixtures" / "conformance"

# What each request must get: "speech" (a turn the user hears), "silent" (Alexa ignores or forbids
# speech: the response object is empty), or "can_fulfill" (only the canFulfillIntent answer).
EXPECT = {
    "launch_request": "speech",
    "intent_request": "speech",
    "intent_request_stop": "speech",
    "connections_response": "speech",
    "can_fulfill_intent_request": "can_fulfill",
    "session_ended_request": "silent",
    "skill_disabled_event": "silent",
    "system_exception_encountered": "silent",
    "apl_runtime_error": "silent",
    "unknown_request_type": "silent",
}

# Amazon's SSML reference: the tags Alexa supports.
SSML_TAGS = {
    "speak", "amazon:domain", "amazon:effect", "amazon:emotion", "audio", "break", "emphasis", "lang",
    "p", "phoneme", "prosody", "s", "say-as", "sub", "voice", "w",
}
MAX_SPEECH_CHARS = 8000  # outputSpeech and reprompt, each
MAX_CARD_CHARS = 8000  # a card's title and content together
MAX_RESPONSE_BYTES = 24 * 1024  # the whole response


def envelopes() -> list[Path]:
    return sorted(FOLDER.glob("*.json"))


def test_every_envelope_has_an_expectation_and_every_expectation_an_envelope() -> None:
    assert sorted(p.stem for p in envelopes()) == sorted(EXPECT)


def send(path: Path, alexa_api: Any) -> dict[str, Any]:
    event = json.loads(path.read_text())
    system = event["context"]["System"]
    system["apiEndpoint"], system["apiAccessToken"] = alexa_api.endpoint, alexa_api.token  # Alexa's APIs, on 127.0.0.1
    return lambda_handler(event, None)


def parse(ssml: str) -> ET.Element:
    """The SSML as XML (amazon: tags need their prefix bound), with <speak> at its root."""
    root = ET.fromstring(ssml.replace("<speak>", '<speak xmlns:amazon="urn:amazon">', 1))
    assert root.tag == "speak", ssml
    return root


def tags(ssml: str) -> set[str]:
    return {re.sub(r"^\{urn:amazon\}", "amazon:", element.tag) for element in parse(ssml).iter()}


def check_speech(ssml_holder: dict[str, Any], where: str) -> None:
    assert ssml_holder["type"] == "SSML", where
    ssml = ssml_holder["ssml"]
    assert len(ssml) <= MAX_SPEECH_CHARS, where
    assert tags(ssml) <= SSML_TAGS, (where, tags(ssml) - SSML_TAGS)
    assert "".join(parse(ssml).itertext()).strip(), f"{where}: nothing to say"


@pytest.mark.parametrize("path", envelopes(), ids=lambda p: p.stem)
def test_each_request_type_gets_a_response_alexa_accepts(services: Services, alexa_api: Any, path: Path) -> None:
    reply = send(path, alexa_api)
    assert reply["version"] == "1.0"
    assert len(json.dumps(reply).encode("utf-8")) <= MAX_RESPONSE_BYTES
    response = reply["response"]
    kind = EXPECT[path.stem]
    if kind == "silent":
        assert response == {}, path.stem
        return
    if kind == "can_fulfill":
        assert set(response) == {"canFulfillIntent"}, "a CanFulfillIntentRequest must not speak, show or end anything"
        return
    check_speech(response["outputSpeech"], "outputSpeech")
    if "reprompt" in response:
        check_speech(response["reprompt"]["outputSpeech"], "reprompt")
        assert response["shouldEndSession"] is False, "a reprompt only with an open session"
    if response.get("shouldEndSession"):
        assert "reprompt" not in response
    card = response.get("card")
    if card:
        assert card["type"] == "Simple" and len(card["title"]) + len(card["content"]) <= MAX_CARD_CHARS
    for directive in response.get("directives", []):
        if directive["type"] == "Alexa.Presentation.APL.RenderDocument":
            interfaces = json.loads(path.read_text())["context"]["System"]["device"]["supportedInterfaces"]
            assert "Alexa.Presentation.APL" in interfaces, "a screen only for a device that has one"


def test_the_screen_devices_get_their_screen(services: Services, alexa_api: Any) -> None:
    """The Echo Show envelopes (APL in supportedInterfaces) do get a RenderDocument."""
    reply = send(FOLDER / "intent_request.json", alexa_api)
    (directive,) = reply["response"]["directives"]
    assert directive["type"] == "Alexa.Presentation.APL.RenderDocument"


def test_the_checks_catch_what_alexa_rejects() -> None:
    """The SSML check itself fails on what Alexa would refuse."""
    with pytest.raises(ET.ParseError):
        tags("<speak>unclosed <emphasis>words</speak>")
    assert "font" in tags("<speak><font>no</font></speak>") - SSML_TAGS
    with pytest.raises(AssertionError):
        check_speech({"type": "SSML", "ssml": "<speak>" + "a" * MAX_SPEECH_CHARS + "</speak>"}, "long")
    with pytest.raises(AssertionError):
        check_speech({"type": "SSML", "ssml": "<speak> </speak>"}, "empty")


def test_an_unknown_request_type_gets_the_empty_response_and_one_log_line(
    services: Services, alexa_api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="recovery_coach"):
        assert send(FOLDER / "unknown_request_type.json", alexa_api) == {"version": "1.0", "response": {}}
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if "unsupported_request" in r.getMessage()]
    assert line == {"event": "unsupported_request", "request_id": "amzn1.echo-api.request.7d2f1c0e-5b3a-4e8d-9a6c-1f0e2d3c4b5a",
                    "type": "Alexa.Example.SomethingNew", "known_type": False}
    assert "AFIXTUREUSERID" not in caplog.text and "SomethingNew" in caplog.text


def test_a_known_type_with_parts_the_sdk_cannot_read_is_answered_silently(services: Services, alexa_api: Any) -> None:
    """ask-sdk-model knows only LIST_ERROR among APL runtime errors; Alexa may send others."""
    event = json.loads((FOLDER / "apl_runtime_error.json").read_text())
    event["request"]["errors"][0]["type"] = "RENDER_ERROR"
    assert lambda_handler(event, None) == {"version": "1.0", "response": {}}
