"""The safety net as a patient or carer meets it: the urgent message first, whatever was said, in any
locale and dialog state, and whatever state the store is in."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from recovery_coach import envelope
from recovery_coach.content import load_content
from recovery_coach.records import UserRecord
from recovery_coach.resolver import load_resolver
from recovery_coach.speech import to_plain
from recovery_coach.store import StoreUnavailable
from tests.conftest import Clock, install
from tests.support import Alexa

EXE = Path(sys.executable).parent / "recovery-coach"
PHONE = "405-759-8407"
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
CRISIS_LINES = {"en-US": "988", "en-CA": "988", "en-GB": "116 123", "en-AU": "13 11 14", "en-IN": "14416"}
EMERGENCY = {"en-US": "911", "en-CA": "911", "en-GB": "999", "en-AU": "triple zero", "en-IN": "112"}


def ask(text: str, db: Path | str, *extra: str, **env: str) -> subprocess.CompletedProcess[str]:
    run_env = {**os.environ, "RECOVERY_COACH_DB": str(db), **env}
    for key in ("TABLE_NAME", "DYNAMODB_ENDPOINT"):
        if key not in env:
            run_env.pop(key, None)
    return subprocess.run([str(EXE), "ask", text, *extra], capture_output=True, text=True, env=run_env, timeout=60)


def urgent(locale: str = "en-US") -> str:
    return load_content(locale).text("safety.urgent")


# --- the store can't be opened: the urgent message still speaks ---------------------------------
def test_a_corrupt_sqlite_file_never_silences_the_urgent_message(tmp_path: Path) -> None:
    db = tmp_path / "corrupt.sqlite3"
    db.write_bytes(b"this is not a database, it is a shopping list " * 100)
    done = ask("my legs are numb and weak", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(urgent()) and PHONE in done.stdout
    assert "Traceback" not in done.stderr


def test_an_unwritable_place_for_the_store_never_silences_the_urgent_message(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("the store's folder would go here, but this is a file")
    for db in (blocker / "db.sqlite3", tmp_path):  # a folder that can't be made; a folder, not a file
        done = ask("I fell in the garden and my back hurts a lot more", db)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(urgent()), done.stdout


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_never_silences_the_urgent_message(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        done = ask("my legs are numb and weak", folder / "db.sqlite3")
    finally:
        folder.chmod(0o700)
    assert done.returncode == 0 and done.stdout.startswith(urgent())


def test_unreachable_dynamodb_never_silences_the_urgent_message(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    started = time.monotonic()
    done = ask("my legs are numb and weak", tmp_path / "unused.sqlite3", TABLE_NAME="recovery-coach",
               DYNAMODB_ENDPOINT=f"http://127.0.0.1:{port}", AWS_REGION="us-east-1",
               AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(urgent())
    assert time.monotonic() - started < 20


class CountingDownStore:
    """A store that is down, and counts how often it was asked."""

    def __init__(self) -> None:
        self.calls = 0

    def __getattr__(self, name: str):
        def fail(*args: object, **kwargs: object) -> UserRecord:
            self.calls += 1
            raise StoreUnavailable("EndpointConnectionError")

        return fail


@pytest.mark.parametrize("said", ["my legs are numb and weak", "I want to end it all", "my mom has a fever"])
def test_the_urgent_reply_never_asks_the_store(clock: Clock, said: str) -> None:
    from recovery_coach import skill

    store = CountingDownStore()
    install(store, clock)
    try:
        reply = Alexa().say(said)
    finally:
        skill._skill = None
    assert reply.speech.startswith(urgent()) and store.calls == 0


@pytest.mark.parametrize("said, score", [("my pain is a nine and I can't feel my legs", 9),
                                         ("it's a ten and I can't catch my breath", 10),
                                         ("eight out of ten and the wound is leaking pus", 8),
                                         ("I'd put it at about a six and the cut is weeping", 6)])
def test_a_score_said_with_a_red_flag_is_saved_after_the_urgent_message(tmp_path: Path, said: str,
                                                                        score: int) -> None:
    from tests.functional.test_questions import cli

    db = tmp_path / "r.sqlite3"
    out = cli("chat", db=db, stdin=said + "\n").split("You: ", 1)[1]
    reply = out.split("Alexa: ", 1)[1]
    assert reply.startswith(urgent()) and f"I've also saved your pain as {score} for today." in reply
    assert f"you logged {score}" in cli("ask", "what did I log today", db=db)


@pytest.mark.parametrize("said, score, heard", [
    ("probably a three today and the wound looks clean", 3, "Saved: your pain is 3 today"),  # a check-in
    ("maybe a five and my back feels strange", 5, "I've also saved your pain as 5 for today."),  # after the careful reply
])
def test_a_score_said_with_a_remark_that_is_no_red_flag_is_saved(services, said: str, score: int,
                                                                 heard: str) -> None:
    """Never lost: a calm remark makes it today's check-in; what the screen can't place gets the
    careful reply, then the save."""
    reply = Alexa().say(said)
    assert heard in reply and not reply.speech.startswith(urgent()), reply.speech
    assert f"you logged {score}" in Alexa().say("what did I log today")


@pytest.mark.parametrize("said, score", [("my pain's a nine, it's excruciating", 9),
                                         ("it's a 7 and the pain is getting worse", 7),
                                         ("my pain is at 8 and I'm in agony", 8)])
def test_a_score_said_with_how_bad_the_pain_is_gets_the_urgent_reply_then_the_save(services, said: str,
                                                                                   score: int) -> None:
    """Issue 27: "my pain is a 10, it's unbearable" was saved with a routine "call the office today".
    The check-in's own slot ({feeling}) carries the words to the screen."""
    reply = Alexa().say(said)
    assert reply.speech.startswith(urgent()) and f"I've also saved your pain as {score} for today." in reply
    assert f"you logged {score}" in Alexa().say("what did I log today")


def test_alexa_passes_the_feeling_with_the_score_and_a_calm_one_is_a_plain_check_in(services) -> None:
    flagged = Alexa().intent("CheckInIntent", score="10", feeling="intolerable")
    assert flagged.speech.startswith(urgent()) and "saved your pain as 10" in flagged.speech
    calm = Alexa(user="calm").say("it's a five and it's getting better")
    assert not calm.speech.startswith(urgent()) and "Saved: your pain is 5 today" in calm.speech, calm.speech
    plain = Alexa(user="ten").intent("CheckInIntent", score="10")  # a ten alone is a high score, not an alarm
    assert not plain.speech.startswith(urgent()) and "Saved: your pain is 10 today" in plain.speech


def test_someone_elses_score_is_not_saved_as_yours(services) -> None:
    alexa = Alexa()
    reply = alexa.say("my mum fell and her pain is an eight, she can't move her legs")
    assert reply.speech.startswith(urgent()) and "saved" not in reply.speech
    assert "You didn't check in today" in Alexa().say("what did I log today")


def test_a_score_with_a_red_flag_and_the_store_down_still_gets_the_urgent_message_first(clock: Clock) -> None:
    from recovery_coach import skill

    store = CountingDownStore()
    install(store, clock)
    try:
        reply = Alexa().say("my pain is a nine and I can't feel my legs")
    finally:
        skill._skill = None
    assert reply.speech.startswith(urgent()) and "I couldn't save your pain score of 9 just now." in reply.speech
    assert store.calls == 1 and reply.ended


def test_the_served_endpoint_answers_200_with_the_urgent_message_on_a_corrupt_store(tmp_path: Path) -> None:
    from tests.functional.test_serve import post, start

    db = tmp_path / "corrupt.sqlite3"
    db.write_bytes(b"\x00garbage" * 512)
    proc, port = start(tmp_path, "--no-verify", RECOVERY_COACH_DB=str(db))
    try:
        device = envelope.Device.for_user("patient")
        event = envelope.intent("ReportSymptomIntent", device, envelope.Session(),
                                {"symptom": envelope.slot_json("symptom", "legs are numb and weak")})
        status, body = post(port, json.dumps(event).encode())
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert status == 200
    assert to_plain(body["response"]["outputSpeech"]["ssml"]).startswith(urgent())


LOCK_HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(60)
"""


def test_a_locked_store_never_holds_up_the_urgent_reply_or_health_on_the_served_endpoint(tmp_path: Path) -> None:
    """Another process holds the SQLite file exclusively. Check-ins sent to `serve` wait for it (then
    say honestly they weren't saved); while they wait, the same worker answers a red flag with the
    urgent reply, and /health: the wait yields, it never stops the worker."""
    from concurrent.futures import ThreadPoolExecutor

    from recovery_coach.store.sqlite import SqliteStore
    from tests.functional.test_serve import post, start

    db = tmp_path / "db.sqlite3"
    SqliteStore(db).load("amzn1.ask.account.SOMEONE")  # the file exists, in WAL mode, as a used one does
    proc, port = start(tmp_path, "--no-verify", RECOVERY_COACH_DB=str(db))
    locker = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(db)], stdout=subprocess.PIPE, text=True)
    resolver = load_resolver()
    try:
        assert locker.stdout is not None and locker.stdout.readline() == "locked\n"

        def check_in(n: int) -> tuple[int, dict]:
            heard = resolver.resolve("log my pain as six")
            event = envelope.intent(heard.intent or "", envelope.Device.for_user(f"waiting{n}"), envelope.Session(),
                                    heard.slots)
            return post(port, json.dumps(event).encode())

        with ThreadPoolExecutor(max_workers=3) as pool:
            waiting = [pool.submit(check_in, n) for n in range(3)]
            time.sleep(1)  # they reach the worker and wait on the lock (each may wait up to 5 s)
            device = envelope.Device.for_user("patient")
            red_flag = envelope.intent("ReportSymptomIntent", device, envelope.Session(),
                                       {"symptom": envelope.slot_json("symptom", "legs went numb and weak")})
            status, body = post(port, json.dumps(red_flag).encode())
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as health:
                healthy = health.status
            still_waiting = sum(not f.done() for f in waiting)
            saves = [f.result() for f in waiting]
        assert status == 200 and to_plain(body["response"]["outputSpeech"]["ssml"]).startswith(urgent())
        assert healthy == 200
        assert still_waiting == 3, "the urgent reply and /health waited for the check-ins"
        assert locker.poll() is None  # the lock was held all along
        for code, saved in saves:
            speech = to_plain(saved["response"]["outputSpeech"]["ssml"])
            assert code == 200 and "Saved" not in speech and "6" in speech, speech
    finally:
        locker.kill()
        locker.wait(timeout=10)
        proc.terminate()
        proc.wait(timeout=15)


# --- what is said, and how ----------------------------------------------------------------------
@pytest.mark.parametrize("locale", LOCALES)
def test_a_fall_opens_with_the_emergency_number(services, locale: str) -> None:
    reply = Alexa(locale=locale).say("I fell in the garden and my back hurts a lot more")
    assert reply.speech.startswith(f"Call {EMERGENCY[locale]} now")


@pytest.mark.parametrize("locale", LOCALES)
def test_a_crisis_gets_the_emergency_number_then_the_locales_crisis_line(services, locale: str) -> None:
    reply = Alexa(locale=locale).say("I want to end it all")
    assert reply.speech.startswith(urgent(locale))
    assert CRISIS_LINES[locale] in reply.speech and PHONE in reply.speech
    others = {line for loc, line in CRISIS_LINES.items() if line != CRISIS_LINES[locale]}
    assert not any(line in reply.speech for line in others)


def test_other_red_flags_do_not_get_the_crisis_line(services) -> None:
    reply = Alexa().say("my legs are numb and weak")
    assert reply.speech.startswith(urgent()) and "988" not in reply.speech


def test_the_cli_speaks_the_crisis_line(tmp_path: Path) -> None:
    done = ask("I want to end it all", tmp_path / "db.sqlite3")
    assert done.returncode == 0 and done.stdout.startswith(urgent()) and "988" in done.stdout


@pytest.mark.parametrize("said", ["my mom has a fever", "my husband says he can't feel his feet",
                                  "there's blood on the dressing", "so I've been shivering all night"])
def test_third_person_and_other_wordings_get_the_urgent_message(services, said: str) -> None:
    assert Alexa().say(said).speech.startswith(urgent())


@pytest.mark.parametrize("locale", ["en-GB", "en-AU", "en-IN", "en-CA"])
def test_a_celsius_fever_is_a_red_flag_outside_the_us(locale: str) -> None:
    screen = load_content(locale).screen
    assert screen.screen("my temperature is 38.5") == "fever"
    assert screen.screen("my temperature is thirty eight point five") == "fever"
    assert screen.screen("my temperature is 36.8") is None


def test_a_fahrenheit_fever_is_a_red_flag_in_the_us() -> None:
    screen = load_content("en-US").screen
    assert screen.screen("my temperature is 100.8") == "fever"
    assert screen.screen("her temperature is a hundred and two") == "fever"
    assert screen.screen("my temperature is 98.6") is None


def test_regional_words_are_heard() -> None:
    screen = load_content("en-GB").screen
    assert screen.screen("I can't do a wee") == "bladder_bowel"
    assert screen.screen("mum had a poo accident and didn't feel it") == "bladder_bowel"


@pytest.mark.parametrize("said", ["no fever today", "I walked to the mailbox", "I slept well last night"])
def test_a_harmless_statement_gets_a_kind_word_not_the_urgent_message(services, said: str) -> None:
    reply = Alexa().say(said)
    assert urgent() not in reply.speech
    assert "can't check symptoms" not in reply.speech
    assert reply.speech.startswith("Thanks for telling me") and not reply.ended


@pytest.mark.parametrize("said", ["my back feels strange", "I've been a bit off since yesterday",
                                  "something isn't right with my leg"])
def test_what_the_screen_cannot_place_gets_the_careful_reply_never_thanks(services, said: str) -> None:
    """Issue 27: a statement about the body the screen can't classify with confidence is told to call
    the office now if it is new or worse, and the emergency number; never "thanks", never "if anything
    new comes up" (which says that what was said was neither)."""
    reply = Alexa().say(said)
    assert reply.speech.startswith("I can't check symptoms. If this is new or getting worse, call"), reply.speech
    assert PHONE in reply.speech and "911" in reply.speech and not reply.ended
    assert "Thanks" not in reply.speech and "anything new" not in reply.speech


@pytest.mark.parametrize("locale", ["en-GB", "en-AU", "en-IN", "en-CA"])
def test_the_careful_reply_gives_the_locales_emergency_number(services, locale: str) -> None:
    reply = Alexa(locale=locale).say("my back feels strange")
    assert f"If it's an emergency, call {EMERGENCY[locale]}." in reply.speech, reply.speech


def test_a_red_flag_while_the_skill_waits_for_an_answer_still_comes_first(services) -> None:
    alexa = Alexa()
    alexa.say("log my pain as six")
    first = alexa.say("delete my data")
    assert first.session.get("pending")  # "are you sure?"
    reply = alexa.say("my dad fainted")
    assert reply.speech.startswith(urgent()) and reply.ended
    assert "6" in alexa.say("how has my pain been this week").speech  # nothing was deleted


@pytest.mark.parametrize("locale", LOCALES)
def test_the_fallback_carries_one_safety_sentence(services, locale: str) -> None:
    reply = Alexa(locale=locale).intent("AMAZON.FallbackIntent")
    assert "I can't help with that" in reply and "kyphoplasty" in reply and PHONE in reply.speech
    assert f"or {EMERGENCY[locale]} in an emergency" in reply.speech
    assert not reply.speech.startswith(urgent(locale))


def test_the_crisis_lines_are_content_data() -> None:
    for locale, line in CRISIS_LINES.items():
        assert line in load_content(locale).text("safety.crisis")


@pytest.mark.parametrize("said", ["it hurts much more than it did yesterday", "no, my dad has just fallen over",
                                  "there's discharge coming from the wound", "the cut is weeping clear fluid",
                                  "my pills don't do anything for it", "he can hardly stay awake"])
def test_what_the_carrier_or_an_exclamation_says_is_heard(services, said: str) -> None:
    """"It hurts …" keeps its pain; "no, my dad …" is not a denial; "clear fluid" is not "cleared"."""
    assert Alexa().say(said).speech.startswith(urgent())


@pytest.mark.parametrize("said", ["will my dad be discharged today", "is there a numbing injection first",
                                  "how likely is a collapsed vertebra after this", "can the cement leak",
                                  "what's the risk of infection", "why do the bones in your back collapse"])
def test_the_procedures_own_words_are_questions_not_emergencies(services, said: str) -> None:
    assert not Alexa().say(said).speech.startswith(urgent())


@pytest.mark.parametrize("said", ["my ankles have gone numb, is that normal", "I've got the chills, is this normal",
                                  "the cut on my back is weeping, is it healing all right",
                                  "I've been running a temperature, is that normal after the op"])
def test_asking_whether_a_symptom_is_normal_still_gets_the_urgent_reply(services, said: str) -> None:
    """A worried patient reports a symptom by asking whether it is normal: the question is not a sign
    that the symptom is over, as "it's normal now" or "it has healed" would be."""
    assert Alexa().say(said).speech.startswith(urgent())


@pytest.mark.parametrize("said", ["the numbness has gone now", "my temperature is back to normal",
                                  "the chills have stopped", "the wound is healing nicely"])
def test_a_symptom_that_is_over_still_raises_no_alarm(services, said: str) -> None:
    assert not Alexa().say(said).speech.startswith(urgent())


@pytest.mark.parametrize("said", ["I have a temperature", "I've got a high temp", "I'm having the chills again"])
def test_having_a_symptom_is_heard_with_the_having(services, said: str) -> None:
    """Alexa passes only the slot of "I have {symptom}": the having is put back (ReportHavingIntent),
    so "a temperature" is heard as "I have a temperature"."""
    assert Alexa().say(said).speech.startswith(urgent())


@pytest.mark.parametrize("said, alarm", [
    ("I had a bit of a fever on Monday but it's back to normal now", False),
    ("I had the chills over the weekend but they stopped", False),
    ("my feet went numb yesterday but it's not getting any better", True),
    ("my legs went weak this morning but is it normal", True),
    ("I had a fever but it's gone, and now my legs are numb", True),
    ("my toes used to go numb before the op but they're okay now", False),  # fine with a word of time
    ("the wound was weeping on Tuesday but now it's fine", False),
    ("the cut's bleeding but it's fine", True),  # playing it down, not over
])
def test_a_later_clause_that_says_it_is_over(services, said: str, alarm: bool) -> None:
    assert Alexa().say(said).speech.startswith(urgent()) is alarm


@pytest.mark.parametrize("said", ["honestly I feel like giving up", "I'm so low, it all feels hopeless",
                                  "what is the point anymore", "I don't see the point any more",
                                  "I just can't cope anymore", "I feel like a burden to my family",
                                  "I'm just done with living now", "my kids would be happier without me",
                                  "there's no point carrying on with any of it", "I'm sick and tired of life",
                                  "honestly it's not worth living", "there's no reason for me to be alive anymore",
                                  "honestly I'm finished with life", "I'm done with living, I really am"])
def test_despair_without_a_plan_gets_the_crisis_line(services, said: str) -> None:
    reply = Alexa().say(said).speech
    assert reply.startswith(urgent()) and "988" in reply, reply


@pytest.mark.parametrize("said", ["what's the point of the balloon", "I'd like to give up driving for a bit"])
def test_questions_about_a_point_or_giving_something_up_are_not_despair(services, said: str) -> None:
    assert "988" not in Alexa().say(said).speech


@pytest.mark.parametrize("said, alarm", [
    ("the pins and needles down my left leg have gone now", False),
    ("the weakness I had in my legs after the op is better now", False),
    ("the numbness in my toes has not gone away", True),
    ("my feet went numb this morning my back is better though", True),  # the back is better, not the feet
    ("the tingling in my feet and the fever are gone", True),  # two subjects: kept on the safe side
    ("the pins and needles in my hands have completely gone", False),  # an adverb or two before "gone"
    ("the weakness in his legs is pretty much gone now", False),
    ("the tingling that was in my feet before surgery has gone", False),  # "that was": no question
    ("nothing's dripping from the wound", False),
    ("the numbness in my legs hasn't completely gone", True),
    ("the tingling in my legs has completely gone but now my feet feel dead", True),
    ("the bit of weeping from the cut has dried up", False),  # over only as a predicate
    ("the cut is oozing and there's dried blood on the dressing", True),
    ("the chills I had the first evening have gone", False),  # "the first evening": the verb's object
    ("the tingling down my left leg that was there before the operation has gone completely", False),
])
def test_a_symptoms_own_predicate_can_say_it_is_over(services, said: str, alarm: bool) -> None:
    assert Alexa().say(said).speech.startswith(urgent()) is alarm


@pytest.mark.parametrize("said", ["my fingertips are turning blue", "I get dizzy every time I stand",
                                  "the baby got into my tablets", "I've had more tablets than I should have",
                                  "my leg gave way on the stairs", "I suddenly can't walk properly",
                                  "it's sore and red where the needle went in", "my stitches came out and the cut is gaping",
                                  "mum got out of bed and now she's out of it", "I can barely walk since this morning",
                                  "grandad's confused by the telly and doesn't know who I am",
                                  "her pain keeps rocketing up", "grandpa went limp on the sofa",
                                  "dad got lost in his own house last night", "mum isn't answering questions properly",
                                  "I overdid the pills this morning", "the wee came out on its own again",
                                  "my temp is 38.7 is that normal",
                                  "nothing's coming out when she tries to pee",
                                  "nothing is coming out of her cut but it's gone red and hot",
                                  "dad's temp is 38.9 this evening"])
def test_everyday_forms_of_red_flags(services, said: str) -> None:
    """The issue's kinds, in sentences of our own: blue fingertips, dizzy on standing, a child at the
    patient's pills, more pills than prescribed, a leg that gives way, trouble walking that just began."""
    assert Alexa().say(said).speech.startswith(urgent())


@pytest.mark.parametrize("said", ["I'm not dizzy when I stand any more", "I got into my pyjamas early",
                                  "I'm a little confused about how to talk to you", "sorry, I'm muddled by the question",
                                  "it's a bit sore where the needle went in", "I got myself out of bed and it was fine",
                                  "when will my stitches come out", "is a four hour trip in the car too much",
                                  "I fell behind on the washing", "my son fell out with his boss",
                                  "the fall leaves are beautiful", "the temperature outside is 41 today",
                                  "nothing is coming out of the cut", "a bit achy but nothing I can't handle",
                                  "sorry, I don't know what to ask you", "I'm done for now, thanks",
                                  "the bath water temperature is 39", "it's about 40 degrees outside"])
def test_their_look_alikes_are_not(services, said: str) -> None:
    assert not Alexa().say(said).speech.startswith(urgent())


@pytest.mark.parametrize("said", ["will I be numb during the procedure", "does the cement ever leak out",
                                  "can I take the dressing off the incision myself"])
def test_questions_that_only_name_a_procedure_word_get_their_answer(services, said: str) -> None:
    assert not Alexa().say(said).speech.startswith(urgent())


@pytest.mark.parametrize("said", ["I took the dressing off and the cut is bleeding",
                                  "my legs are numb, will I be numb during the next one too"])
def test_a_symptom_beside_a_procedure_word_still_alarms(services, said: str) -> None:
    assert Alexa().say(said).speech.startswith(urgent())


@pytest.mark.parametrize("said", ["my pain level is excruciating", "my pain score is unbearable today",
                                  "log my pain as unbearable"])
def test_a_warning_word_where_a_score_would_go_gets_the_urgent_reply(services, said: str) -> None:
    """A check-in's carrier with words that are no number: Alexa would not pass "?" as the score and
    lose the words; the symptom's reading holds them, so the screen hears them."""
    reply = Alexa().say(said)
    assert reply.speech.startswith(urgent()) and "whole number" not in reply, reply.speech

