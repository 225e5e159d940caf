"""Echo Show screens, end to end through lambda_handler: only devices that render APL get one."""
from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from recovery_coach import apl
from recovery_coach.services import Services
from tests.conftest import Clock
from tests.functional.test_checkins import TODAY, log_on, stored
from tests.support import Alexa, Reply

SHOW = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}
RENDER = "Alexa.Presentation.APL.RenderDocument"
CONVERSATION = [
    "when can I drive again",  # an answer with a card, and "want to hear more?"
    "yes",
    "can I go swimming",  # not covered: a card with the office's number
    "help",  # no card
    "repeat that",
    "my legs are numb and weak",  # the urgent warning
]


def directives(reply: Reply) -> list[dict[str, Any]]:
    return reply.response.get("directives", [])


def screen(reply: Reply) -> dict[str, Any]:
    (directive,) = directives(reply)
    assert directive["type"] == RENDER
    return directive


def without_directives(reply: Reply) -> dict[str, Any]:
    raw = json.loads(json.dumps(reply.raw))
    raw["response"].pop("directives", None)
    return raw


@pytest.mark.parametrize("plain", [{}, {"AudioPlayer": {}}, {"Alexa.Presentation.APLT": {"runtime": {"maxVersion": "1.0"}}}])
def test_devices_without_apl_get_exactly_the_voice_response(services: Services, plain: dict[str, Any]) -> None:
    voice, show = Alexa("voice", interfaces=plain), Alexa("show", interfaces=SHOW)
    for text in CONVERSATION:
        heard, seen = voice.say(text), show.say(text)
        assert "directives" not in heard.response
        # The screen is the only difference: same speech, reprompt, card, session and attributes.
        assert without_directives(seen) == heard.raw


def test_an_answer_on_a_screen_shows_the_card_in_large_text(services: Services) -> None:
    voice, show = Alexa("voice"), Alexa("show", interfaces=SHOW)
    heard, seen = voice.say("when can I drive again"), show.say("when can I drive again")
    directive = screen(seen)
    assert directive["token"] == apl.ANSWER_TOKEN
    assert directive["document"] == apl.load_document("answer")
    assert directive["datasources"] == {"payload": {"title": seen.card["title"], "text": seen.card["content"]}}
    assert "few days" in directive["datasources"]["payload"]["text"]
    assert seen.speech == heard.speech and seen.ssml == heard.ssml and seen.reprompt == heard.reprompt


def test_replies_without_a_card_show_nothing_new(services: Services) -> None:
    show = Alexa("show", interfaces=SHOW)
    assert directives(show.say("help")) == []
    assert directives(show.say("log my pain as four")) == []


def test_the_urgent_warning_is_what_the_screen_shows(services: Services) -> None:
    seen = Alexa("show", interfaces=SHOW).say("my legs are numb and weak")
    payload = screen(seen)["datasources"]["payload"]
    assert payload == {"title": seen.card["title"], "text": seen.card["content"]}
    assert "911" in payload["text"]


def ago(n: int) -> date:
    return TODAY - timedelta(days=n)


# The last 14 days, by days ago (0 is today). Missed: 10, 8, 7, 3, 1 days ago (13 days ago is before the
# first check-in; today is logged). Worrying: 9 days ago (a rise of 2 from the 4 before), 6 (7: high).
SCORES = {ago(n): s for n, s in {12: 5, 11: 4, 9: 6, 6: 7, 5: 6, 4: 6, 2: 4, 0: 3}.items()}
MISSED = {ago(n) for n in (10, 8, 7, 3, 1)}
WORRYING = {ago(9), ago(6)}


def test_the_week_in_review_charts_the_stored_check_ins(any_services: Services, clock: Clock) -> None:
    show = Alexa(interfaces=SHOW)
    for day, score in SCORES.items():
        log_on(show, clock, day, score)
    show.new_session()
    seen = show.say("how has my pain been this week")
    assert "You last logged 3 today." in seen  # the spoken summary is the same as ever

    directive = screen(seen)
    assert directive["token"] == apl.CHART_TOKEN and directive["document"] == apl.load_document("chart")
    points = directive["datasources"]["payload"]["points"]
    days = [TODAY - timedelta(days=13 - n) for n in range(14)]
    assert [p["day"] for p in points] == [d.isoformat() for d in days]
    assert [p["label"] for p in points][-7:] == [d.strftime("%a") for d in days[-7:]]

    # Day by day, what the store holds.
    scores = {c.day: c.score for c in stored(any_services, show).checkins}
    assert scores == SCORES
    assert [p["score"] for p in points] == [scores.get(d) for d in days]
    assert {date.fromisoformat(p["day"]) for p in points if p["missed"]} == MISSED
    assert {date.fromisoformat(p["day"]) for p in points if p["worrying"]} == WORRYING


def test_the_week_in_review_without_apl_is_unchanged(services: Services, clock: Clock) -> None:
    voice, show = Alexa("voice"), Alexa("show", interfaces=SHOW)
    for alexa in (voice, show):
        for day, score in SCORES.items():
            log_on(alexa, clock, day, score)
        alexa.new_session()
    heard, seen = voice.say("how has my pain been this week"), show.say("how has my pain been this week")
    assert "directives" not in heard.response
    assert without_directives(seen) == heard.raw


def test_the_screen_is_in_lambda_handlers_json_output(services: Services) -> None:
    """What AWS returns: plain JSON, the directive serialized by the SDK with its document intact."""
    seen = Alexa("show", interfaces=SHOW).say("when can I drive again")
    out = json.loads(json.dumps(seen.raw))
    (directive,) = out["response"]["directives"]
    assert set(directive) == {"type", "token", "document", "datasources"}
    assert directive["document"]["type"] == "APL" and directive["document"]["mainTemplate"]["parameters"] == ["payload"]
    assert directive["document"] == apl.load_document("answer")
