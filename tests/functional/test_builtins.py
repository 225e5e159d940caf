"""Launch, the built-in intents, the catch-alls: every path speaks (or, where Alexa forbids it, doesn't)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from lambda_function import lambda_handler
from recovery_coach import skill
from recovery_coach.config import Settings
from recovery_coach.records import Profile, UserRecord
from recovery_coach.services import Services
from tests.support import Alexa, Reply

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PHONE = "405-759-8407"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def test_launch_welcomes_says_what_it_does_and_asks_one_question(alexa: Alexa) -> None:
    reply = alexa.launch()
    assert reply.speech.startswith("Welcome to Spine Recovery")
    assert "questions about healing after kyphoplasty" in reply
    assert reply.speech.count("?") == 1
    assert reply.reprompt and not reply.ended


def test_first_use_carries_the_disclaimer_once_per_user(alexa: Alexa) -> None:
    assert "not a substitute for your doctor" in alexa.launch()
    assert "not a substitute" not in alexa.say("what is kyphoplasty")  # same session
    alexa.new_session()
    assert "not a substitute" not in alexa.launch()  # a later session
    other = Alexa(user="someone else")
    assert "not a substitute for your doctor" in other.say("when can I drive")


def test_disclaimer_comes_after_the_answer_not_before(alexa: Alexa) -> None:
    reply = alexa.say("when can I drive again")
    assert reply.speech.index("few days") < reply.speech.index("not a substitute")


def test_real_launch_envelope(services: Services) -> None:
    reply = Reply(lambda_handler(fixture("launch_request.json"), None))
    assert "Welcome to Spine Recovery" in reply.speech


def test_real_question_envelope(services: Services) -> None:
    reply = Reply(lambda_handler(fixture("ask_question_request.json"), None))
    assert "few days" in reply and "few weeks" in reply


def test_real_session_ended_envelope_gets_an_empty_response(services: Services) -> None:
    raw = lambda_handler(fixture("session_ended_request.json"), None)
    assert "outputSpeech" not in raw["response"]


def test_help_lists_topics_and_the_way_out(alexa: Alexa) -> None:
    reply = alexa.say("help")
    assert "driving" in reply and "say stop" in reply
    assert not reply.ended


@pytest.mark.parametrize("words", ["stop", "cancel", "never mind"])
def test_stop_and_cancel_say_goodbye_and_end(alexa: Alexa, words: str) -> None:
    """With no question waiting for an answer; "stop" ends even then (test_dialog: never mind in a question)."""
    alexa.launch()
    if words != "stop":
        alexa.say("no")  # the launch's question answered: nothing is asked now
    reply = alexa.say(words)
    assert "Goodbye" in reply and reply.ended


def test_repeat_says_the_last_thing_again(alexa: Alexa) -> None:
    first = alexa.say("when can I drive again")
    again = alexa.say("say that again")
    assert again.speech == first.speech
    assert again.reprompt == first.reprompt


def test_repeat_keeps_the_pending_question(alexa: Alexa) -> None:
    alexa.say("how long does the procedure take")
    alexa.say("repeat")
    more = alexa.say("yes")
    assert "What else would you like to know?" in more


def test_repeat_with_nothing_said_yet(alexa: Alexa) -> None:
    reply = alexa.intent("AMAZON.RepeatIntent")
    assert "nothing to repeat" in reply and not reply.ended


def test_navigate_home_returns_to_the_start(alexa: Alexa) -> None:
    alexa.launch()
    reply = alexa.intent("AMAZON.NavigateHomeIntent")
    assert "What would you like to know?" in reply and not reply.ended


def test_fallback_says_what_the_skill_can_do(alexa: Alexa) -> None:
    reply = alexa.say("order me a pizza with extra cheese")
    # Alexa sends FallbackIntent with no words, so the reply must stand on its own: what the skill
    # does, and where a recovery question it can't take should go.
    assert "I can't help with that" in reply and "kyphoplasty" in reply and "pain from 0 to 10" in reply
    assert "405-759-8407" in reply and not reply.ended


def test_yes_after_an_offer_gives_more(alexa: Alexa) -> None:
    first = alexa.say("how long does the procedure take")
    assert first.speech.endswith("Want to hear more?")
    more = alexa.say("yes")
    assert more.speech != first.speech and "What else would you like to know?" in more


def test_no_after_an_offer_moves_on(alexa: Alexa) -> None:
    alexa.say("how long does the procedure take")
    reply = alexa.say("no")
    assert reply.speech.startswith("Okay.") and not reply.ended


def test_yes_with_nothing_asked_invites_a_question(alexa: Alexa) -> None:
    alexa.launch()
    alexa.say("no")  # ends: nothing pending
    reply = alexa.intent("AMAZON.YesIntent")
    assert "Go ahead and ask" in reply and not reply.ended


def test_no_to_what_else_ends_politely(alexa: Alexa) -> None:
    alexa.say("when can I drive again")
    alexa.say("no")  # no more detail
    reply = alexa.say("no")  # nothing else
    assert "Goodbye" in reply and reply.ended


def test_an_intent_the_skill_does_not_know_still_speaks(alexa: Alexa) -> None:
    reply = alexa.intent("SomethingNewIntent")
    assert "I can't help with that" in reply and not reply.ended


def test_unknown_request_types_get_an_empty_response(services: Services) -> None:
    event = fixture("launch_request.json")
    event["request"]["type"] = "Messaging.MessageReceived"
    raw = lambda_handler(event, None)
    assert "outputSpeech" not in raw.get("response", {})


class BrokenStore:
    """A fault no real store produces on demand: a bug that raises mid-request."""

    def load(self, user: str, since: object = None) -> UserRecord:
        raise RuntimeError("boom")

    def load_with_links(self, user: str, since: object) -> UserRecord:
        raise RuntimeError("boom")

    def save_profile(self, user: str, profile: Profile) -> None:
        raise RuntimeError("boom")

    def delete_user(self, user: str) -> int:
        raise RuntimeError("boom")


def test_the_error_handler_always_speaks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    skill.install(Services(settings=Settings(sqlite_path=tmp_path / "x.sqlite3"), store=BrokenStore()))  # type: ignore[arg-type]
    try:
        with caplog.at_level(logging.ERROR):
            reply = Alexa().launch()
    finally:
        skill._skill = None
    assert "something went wrong" in reply and PHONE in reply.speech
    assert not reply.ended
    assert "RuntimeError" in caplog.text and "boom" not in caplog.text


def test_a_request_for_another_skill_is_refused(tmp_path: Path) -> None:
    settings = Settings(sqlite_path=tmp_path / "x.sqlite3", skill_id="amzn1.ask.skill.11111111-2222-3333-4444-555555555555")
    from recovery_coach.store.sqlite import SqliteStore

    skill.install(Services(settings=settings, store=SqliteStore(settings.sqlite_path)))
    try:
        with pytest.raises(Exception, match="Skill ID Verification failed"):
            lambda_handler(fixture("launch_request.json"), None)
    finally:
        skill._skill = None
