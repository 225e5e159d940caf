"""Social turns get social replies, and a summary says only what the check-ins back (issue 29)."""
from __future__ import annotations

from pathlib import Path

import pytest

from recovery_coach.services import Services
from tests.functional.test_caregiver_voice import linked, share_as
from tests.functional.test_questions import cli
from tests.support import Alexa

PHONE = "405-759-8407"


def test_hi_in_chat_gets_a_hello_and_what_the_skill_does(tmp_path: Path) -> None:
    said = cli("chat", db=tmp_path / "r.sqlite3", stdin="hi\n").split("You: hi\n", 1)[1]
    assert said.startswith("Alexa: Hello!") and "log your pain" in said and "ask me about" in said
    assert PHONE not in said and "Thanks for telling me" not in said and "911" not in said


@pytest.mark.parametrize("hello", ["hello there", "good morning", "hey"])
def test_greetings_are_not_symptoms(services: Services, hello: str) -> None:
    reply = Alexa().say(hello)
    assert reply.speech.startswith("Hello!") and PHONE not in reply.speech, reply.speech


@pytest.mark.parametrize("asked", ["tell me what you can do", "what are you for", "how do I use this",
                                   "I'm in a bit of a muddle, how do I talk to this",
                                   "honestly I don't understand this thing"])
def test_asking_what_the_skill_does_is_answered_with_what_it_does(services: Services, asked: str) -> None:
    """Not "the guide doesn't cover that": the question is about the skill, not about recovery."""
    reply = Alexa().say(asked)
    assert "You can ask me about pain" in reply and "log your pain" in reply and "doesn't cover" not in reply.speech


@pytest.mark.parametrize("asked", ["who won the world cup in 1966", "switch the hallway light on"])
def test_a_request_the_skill_does_not_do_gets_what_it_does_not_the_office(services: Services, asked: str) -> None:
    """Not "the guide doesn't cover that": the fallback says what the skill does (and keeps its one safety line)."""
    reply = Alexa().say(asked)
    assert reply.speech.startswith("Sorry, I can't help with that") and "doesn't cover" not in reply.speech, reply.speech


@pytest.mark.parametrize("said", ["uh", "um, er"])
def test_a_hesitation_alone_is_heard_as_nothing_said(services: Services, said: str) -> None:
    """Not a question the guide doesn't cover: what Alexa does with noise (the fallback, session open)."""
    reply = Alexa().say(said)
    assert reply.speech.startswith("Sorry, I can't help with that") and not reply.ended, reply.speech


def test_nothing_else_after_an_answer_ends_kindly(services: Services) -> None:
    alexa = Alexa()
    alexa.say("when can I drive")
    reply = alexa.say("no, nothing else today")
    assert reply.speech.startswith("Take care") and reply.ended and "911" not in reply.speech


def test_a_caregiver_is_greeted_with_the_caregivers_help(services: Services) -> None:
    carer = linked(share_as(Alexa(user="linda"), "call me Linda"), user="carer")
    assert "how is Linda doing" in carer.say("hello")


@pytest.mark.dates
@pytest.mark.parametrize("asked", ["have I been heading the right way with my pain", "how have I been getting along",
                                   "what kind of week have I had"])
def test_the_patients_own_review_in_everyday_words(services: Services, asked: str) -> None:
    alexa = Alexa()
    alexa.say("log my pain as four")
    assert "You last logged 4 today" in alexa.say(asked)


@pytest.mark.dates
def test_one_check_in_is_not_every_day(services: Services) -> None:
    alexa = Alexa()
    alexa.say("log my pain as four")
    week = alexa.say("how has my pain been this week")
    assert "You last logged 4 today" in week and "every day" not in week and "missed" not in week


def test_tell_me_more_after_an_answer_reads_more_even_after_the_launch_offer(tmp_path: Path) -> None:
    said = cli("chat", db=tmp_path / "r.sqlite3", stdin="what is kyphoplasty\ntell me more\n")
    more = said.split("You: tell me more\n", 1)[1]
    assert "outpatient procedure" in more and "log today's pain" not in said.split("You: what is kyphoplasty\n")[1]


@pytest.mark.dates
def test_never_mind_drops_the_deletion_and_the_conversation_goes_on(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    cli("chat", db=db, stdin="log my pain as six\nno\n")
    said = cli("chat", db=db, stdin="delete my check-ins\nnever mind\nwhen can I drive\n")
    assert "few days to a few weeks" in said.split("You: when can I drive\n", 1)[1]
    assert "You last logged 6 today" in cli("ask", "how has my pain been this week", db=db)


@pytest.mark.parametrize("first", [False, True])
def test_a_day_part_said_alone_is_a_hello_not_a_miss(services: Services, first: bool) -> None:
    """ "Morning" is a time to Alexa (AMAZON.TIME "MO"); with nothing asked, or to the launch's yes/no
    question, it is a hello: the greeting, and the question is dropped, never "didn't catch that"."""
    alexa = Alexa()
    if not first:
        assert "log your pain now" in alexa.launch()
    reply = alexa.say("morning")
    assert reply.speech.startswith("Hello!") and "didn't catch" not in reply.speech, reply.speech
    assert "few weeks" in alexa.say("when can I drive")


def test_a_time_said_alone_with_nothing_asked_still_offers_the_reminder(services: Services) -> None:
    assert "remind me to check in every day" in Alexa().say("at 9 am")
