"""The question set, scored end to end: text → resolver → envelope → lambda_handler → what the user hears."""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import string
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from recovery_coach import skill
from recovery_coach.content import load_content
from tests.conftest import TODAY
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


LOCALES = list(QUESTIONS["locales"])
CONTENT = ROOT / "lambda" / "recovery_coach" / "content"


def expected_facts(facts: list[str], locale: str) -> list[str]:
    """The facts as this locale's answers word them (the question set's `locales.<locale>.words`)."""
    words = QUESTIONS["locales"][locale].get("words", {})
    out = []
    for fact in facts:
        for said, local in words.items():
            fact = re.sub(re.escape(said), local, fact, flags=re.IGNORECASE)
        out.append(fact)
    return out


def test_the_question_set_covers_every_locale() -> None:
    models = sorted(p.stem for p in (ROOT / "skill-package" / "interactionModels" / "custom").glob("*.json"))
    assert sorted(LOCALES) == models == sorted(["en-US", "en-GB", "en-CA", "en-AU", "en-IN"])


@pytest.mark.parametrize("locale", LOCALES)
def test_every_question_in_the_set_is_answered_right(services, locale: str) -> None:
    """The whole set, in this locale: its model hears it, lambda_handler answers, in its words."""
    content = load_content(locale)
    urgent, not_covered = content.text("safety.urgent"), content.text("ask.not_covered")
    local = QUESTIONS["locales"][locale]
    answered = QUESTIONS["answered"] + QUESTIONS["every_locale"]["answered"]
    red_flags = QUESTIONS["red_flags"] + local.get("red_flags", [])
    failures: list[str] = []
    for item in answered:
        alexa = Alexa(locale=locale)
        reply = alexa.say(item["q"])
        heard = reply.speech
        if item.get("in") == "more":
            heard = alexa.say("yes").speech
        missing = [f for f in expected_facts(item["facts"], locale) if f.lower() not in heard.lower()]
        if missing or not_covered in heard:
            failures.append(f"{item['q']!r}: missing {missing} in {heard!r}")
    for question in QUESTIONS["not_covered"]:
        reply = Alexa(locale=locale).say(question)
        if not_covered not in reply.speech or PHONE not in reply.speech:
            failures.append(f"{question!r} should be not covered: {reply.speech!r}")
    for statement in red_flags:
        reply = Alexa(locale=locale).say(statement)
        if not reply.speech.startswith(urgent):
            failures.append(f"{statement!r} should start with the urgent message: {reply.speech!r}")
    total = len(answered) + len(QUESTIONS["not_covered"]) + len(red_flags)
    print(f"question set, {locale}: {total - len(failures)}/{total} passed")
    assert failures == []


@pytest.mark.parametrize("locale", LOCALES)
def test_benign_statements_are_not_flagged_in_any_locale(locale: str) -> None:
    screen = load_content(locale).screen
    assert [s for s in QUESTIONS["benign"] if screen.check(s)] == []


def test_the_urgent_message_differs_only_in_the_emergency_number() -> None:
    base = load_content("en-US").text("safety.urgent")
    for locale in LOCALES:
        urgent = load_content(locale).text("safety.urgent")
        assert urgent.startswith("Call ") and urgent.split(" now ", 1)[1] == base.split(" now ", 1)[1], locale
        assert PHONE in urgent


@pytest.mark.parametrize("locale", LOCALES)
def test_locale_content_only_overrides_what_exists(locale: str) -> None:
    """A locale file can't invent a key or a topic, drop a placeholder, or lose a base cue."""
    base_strings = json.loads((CONTENT / "en" / "strings.json").read_text())
    base_topics = {t["id"]: t for t in json.loads((CONTENT / "en" / "knowledge.json").read_text())["topics"]}
    strings_file, knowledge_file = CONTENT / locale / "strings.json", CONTENT / locale / "knowledge.json"
    strings = json.loads(strings_file.read_text()) if strings_file.exists() else {}
    for key, text in strings.items():
        assert key in base_strings, f"{locale}: {key} is not a base string"
        fields = lambda t: sorted(f for _, f, _, _ in string.Formatter().parse(t) if f)  # noqa: E731
        assert fields(text) == fields(base_strings[key]), f"{locale}: {key} changes the placeholders"
    topics = json.loads(knowledge_file.read_text())["topics"] if knowledge_file.exists() else []
    for topic in topics:
        assert topic["id"] in base_topics, f"{locale}: unknown topic {topic['id']}"
        if "cues" in topic:
            assert set(base_topics[topic["id"]]["cues"]) <= set(topic["cues"]), f"{locale}: {topic['id']} lost base cues"
    therapy = load_content(locale).knowledge
    for said in ("physio", "physiotherapy", "physical therapy", "physical therapist"):
        assert therapy.match(f"do I need {said}").topic.id == "physical_therapy", (locale, said)


@pytest.mark.parametrize("locale,said", [("en-US", "{month} {day}"), ("en-CA", "{month} {day}"),
                                         ("en-GB", "{day} {month}"), ("en-AU", "{day} {month}"), ("en-IN", "{day} {month}")])
def test_dates_are_said_the_locale_way(services, locale: str, said: str) -> None:
    day = TODAY - timedelta(days=10)
    reply = Alexa(locale=locale).intent("ProcedureDateIntent", date=day.isoformat())
    assert f"Your procedure was on {said.format(month=f'{day:%B}', day=day.day)}." in reply.speech


@pytest.mark.parametrize(
    "locale",
    [
        "en-US",
        "en-CA",
        "en-GB",
        "en-IN",
    ],
)
def test_the_emergency_number_is_read_digit_by_digit(services, locale: str) -> None:
    number = re.match(r"Call (\d+) now", load_content(locale).text("safety.urgent")).group(1)
    reply = Alexa(locale=locale).say("my legs are numb and weak")
    assert f'<say-as interpret-as="telephone">{number}</say-as>' in reply.ssml


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
    out = cli("ask", "can I go swimming", env={"CLINIC_FILE": str(clinic)}, db=tmp_path / "db.sqlite3", process=True)
    assert "Lakeside Spine" in out and "555-010-0199" in out and PHONE not in out


def cli(*args: str, env: dict[str, str] | None = None, db: Path, stdin: str | None = None,
        process: bool = False) -> str:
    """What `recovery-coach ARGS` prints, with its local database at `db`. In this process (the same
    main(), environment and files, a fresh skill each call) unless `process`: a test of the command
    as a process (the clinic's contract: one process per utterance) asks for one."""
    run_env = {**os.environ, "RECOVERY_COACH_DB": str(db), **(env or {})}
    for key in ("TABLE_NAME", "DYNAMODB_ENDPOINT"):
        run_env.pop(key, None)
    if process:
        exe = Path(sys.executable).parent / "recovery-coach"
        done = subprocess.run([str(exe), *args], input=stdin, capture_output=True, text=True, env=run_env, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout
    from recovery_coach import cli as command

    saved, out, err = dict(os.environ), io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(run_env)
    skill._skill = None  # built again from this environment, as a new process would
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = command.main(list(args), inp=io.StringIO(stdin or ""), out=out)
    finally:
        skill._skill = None
        os.environ.clear()
        os.environ.update(saved)
    assert code == 0, err.getvalue()
    return out.getvalue()


def test_cli_drive(tmp_path: Path) -> None:
    out = cli("ask", "when can I drive again", db=tmp_path / "db.sqlite3", process=True)
    for fact in ("few days", "few weeks", "respond", "pain medication", "overall health"):
        assert fact in out


def test_cli_swimming_is_not_covered(tmp_path: Path) -> None:
    out = cli("ask", "can I go swimming", db=tmp_path / "db.sqlite3")
    assert "doesn't cover" in out and PHONE in out


def test_cli_an_everyday_activity_gets_the_rule_and_says_the_guide_does_not_name_it(tmp_path: Path) -> None:
    out = cli("ask", "um is sweeping the patio ok", db=tmp_path / "db.sqlite3", process=True)
    assert out.startswith("Your care guide doesn't name that activity.")
    assert "strenuous activity until Dr. Stephens clears you" in out and PHONE in out
    assert NOT_COVERED not in out


def test_a_question_about_the_cause_gets_the_cause_not_the_definition(services) -> None:
    """Issue 31: the topic's first paragraph says what a compression fracture is; the passage says why."""
    reply = Alexa().say("so what's the cause of a crushed vertebra")
    assert reply.speech.startswith("Your care guide names osteoporosis.") and "911" not in reply.speech


def test_cli_red_flag_begins_with_911(tmp_path: Path) -> None:
    out = cli("ask", "my legs are numb and weak", db=tmp_path / "db.sqlite3", process=True)
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
    chat = cli("chat", db=db, stdin="log my pain as six\nno\n", process=True)
    assert "Saved: your pain is 6 today" in chat and "no pain medicine today" in chat
    week = cli("ask", "how has my pain been this week", db=db, process=True)
    assert "You last logged 6 today." in week


def test_cli_chat_in_british_english_answers_the_question_set(tmp_path: Path) -> None:
    """`recovery-coach chat --locale en-GB`: the en-GB model hears, the en-GB strings answer."""
    said = [
        "when can I drive again", "can I lift my grandson", "when will the pain get better",
        "do I need a follow-up", "do I need physiotherapy", "can I go swimming", "my legs are numb and weak",
    ]
    out = cli("chat", "--locale", "en-GB", db=tmp_path / "db.sqlite3", stdin="\n".join(said) + "\n")
    answers = [line for line in out.splitlines() if line.startswith("Alexa: ")][1:]
    assert len(answers) == len(said), out
    drive, lift, pain, follow_up, physio, swimming, red_flag = answers
    assert "few days" in drive and "few weeks" in drive and "overall health" in drive
    assert "clears you" in lift and "strenuous" in lift
    assert "right away" in pain and "two days" in pain
    assert "healing well" in follow_up and PHONE in follow_up
    assert "physiotherapy" in physio and "physical therapy" not in physio
    assert load_content("en-GB").text("ask.not_covered") in swimming
    assert red_flag.startswith("Alexa: Call 999 now if this is an emergency.") and PHONE in red_flag
