"""The question set, scored end to end: text → resolver → envelope → lambda_handler → what the user hears."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import Alexa

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = yaml.safe_load((ROOT / "tests" / "data" / "question_set.yaml").read_text())
PHONE = "405-759-8407"
URGENT = "Call 911 now if this is an emergency"
NOT_COVERED = "Your care guide doesn't cover that"


def test_the_question_set_is_big_enough() -> None:
    assert len(QUESTIONS["answered"]) >= 40
    assert len(QUESTIONS["not_covered"]) >= 10
    assert len(QUESTIONS["red_flags"]) >= 6


def test_every_question_in_the_set_is_answered_right(services) -> None:
    failures: list[str] = []
    for item in QUESTIONS["answered"]:
        alexa = Alexa()
        reply = alexa.say(item["q"])
        heard = reply.speech
        if item.get("in") == "more":
            heard = alexa.say("yes").speech
        missing = [f for f in item["facts"] if f.lower() not in heard.lower()]
        if missing or NOT_COVERED in heard:
            failures.append(f"{item['q']!r}: missing {missing} in {heard!r}")
    for question in QUESTIONS["not_covered"]:
        reply = Alexa().say(question)
        if NOT_COVERED not in reply.speech or PHONE not in reply.speech:
            failures.append(f"{question!r} should be not covered: {reply.speech!r}")
    for statement in QUESTIONS["red_flags"]:
        reply = Alexa().say(statement)
        if not reply.speech.startswith(URGENT) or PHONE not in reply.speech:
            failures.append(f"{statement!r} should start with the urgent message: {reply.speech!r}")
    total = len(QUESTIONS["answered"]) + len(QUESTIONS["not_covered"]) + len(QUESTIONS["red_flags"])
    print(f"question set: {total - len(failures)}/{total} passed")
    assert failures == []


def test_an_answer_is_short_key_fact_first_and_on_a_card(alexa: Alexa) -> None:
    alexa.say("what is kyphoplasty")  # first use: the disclaimer rides on this turn
    reply = alexa.say("when can I drive again")
    body = reply.speech.rsplit(" ", 4)[0]
    assert len(reply.speech.split()) <= 40
    assert body.startswith(reply.card["content"][:40])
    assert reply.card["title"] and reply.card["content"] in reply.speech
    assert reply.speech.endswith("?") and not reply.ended


def test_a_red_flag_in_any_intent_comes_first(alexa: Alexa) -> None:
    reply = alexa.say("can I drive if I have a fever")
    assert reply.speech.startswith(URGENT)
    assert reply.card["title"] == "Call your doctor" and PHONE in reply.card["content"]


def test_phone_numbers_are_read_as_telephone_numbers(alexa: Alexa) -> None:
    reply = alexa.say("can I go swimming")
    assert f'<say-as interpret-as="telephone">{PHONE}</say-as>' in reply.ssml


def test_a_question_without_words_gets_a_reprompt(alexa: Alexa) -> None:
    reply = alexa.intent("AskQuestionIntent", question=None)
    assert "didn't catch" in reply and reply.reprompt and not reply.ended


def test_logs_never_carry_the_question(alexa: Alexa, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    with caplog.at_level(logging.DEBUG):
        alexa.say("can I lift my grandson")
        alexa.say("my legs are numb and weak")
    assert "AskQuestionIntent" in caplog.text
    for secret in ("grandson", "numb", "LOCAL-PATIENT"):
        assert secret not in caplog.text


def test_another_clinic_loads_its_own_content(tmp_path: Path) -> None:
    clinic = tmp_path / "clinic.json"
    clinic.write_text('{"clinic_name": "Lakeside Spine", "doctor": "Dr. Ana Ruiz", "doctor_short": "Dr. Ruiz", "phone": "555-010-0199"}')
    out = cli("ask", "can I go swimming", env={"CLINIC_FILE": str(clinic)}, db=tmp_path / "db.sqlite3")
    assert "Lakeside Spine" in out and "555-010-0199" in out and PHONE not in out


def cli(*args: str, env: dict[str, str] | None = None, db: Path, stdin: str | None = None) -> str:
    exe = Path(sys.executable).parent / "recovery-coach"
    run_env = {**os.environ, "RECOVERY_COACH_DB": str(db), **(env or {})}
    for key in ("TABLE_NAME", "DYNAMODB_ENDPOINT"):
        run_env.pop(key, None)
    done = subprocess.run([str(exe), *args], input=stdin, capture_output=True, text=True, env=run_env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_cli_drive(tmp_path: Path) -> None:
    out = cli("ask", "when can I drive again", db=tmp_path / "db.sqlite3")
    for fact in ("few days", "few weeks", "respond", "pain medication", "overall health"):
        assert fact in out


def test_cli_swimming_is_not_covered(tmp_path: Path) -> None:
    out = cli("ask", "can I go swimming", db=tmp_path / "db.sqlite3")
    assert "doesn't cover" in out and PHONE in out


def test_cli_red_flag_begins_with_911(tmp_path: Path) -> None:
    out = cli("ask", "my legs are numb and weak", db=tmp_path / "db.sqlite3")
    assert out.startswith(URGENT)


def test_cli_json_prints_the_whole_envelope(tmp_path: Path) -> None:
    import json

    out = json.loads(cli("ask", "when can I drive", "--json", db=tmp_path / "db.sqlite3"))
    assert out["version"] == "1.0" and "<speak>" in out["response"]["outputSpeech"]["ssml"]


def test_cli_chat_reads_one_utterance_per_line(tmp_path: Path) -> None:
    out = cli("chat", db=tmp_path / "db.sqlite3", stdin="when can I drive again\nno\nstop\n")
    lines = out.splitlines()
    assert lines[0].startswith("Alexa: Welcome to Spine Recovery")
    assert "You: when can I drive again" in lines
    assert any("few weeks" in line for line in lines)
    assert lines[-1] == "Alexa: Take care. Goodbye."


def test_check_ins_persist_across_processes(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    chat = cli("chat", db=db, stdin="log my pain as six\nno\n")
    assert "Saved: your pain is 6 today" in chat and "no pain medicine today" in chat
    week = cli("ask", "how has my pain been this week", db=db)
    assert "You last logged 6 today." in week
