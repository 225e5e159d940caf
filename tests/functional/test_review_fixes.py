"""Paths found in review: each one a user could hit."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from recovery_coach import envelope
from recovery_coach.handlers.base import user_key
from recovery_coach.records import UserRecord
from recovery_coach.services import Services
from recovery_coach.store import StoreUnavailable
from tests.conftest import TODAY, Clock, install
from tests.support import Alexa

URGENT = "Call 911 now if this is an emergency"


class DownStore:
    """Storage that can't be reached: the fault a real outage produces, on demand."""

    def __getattr__(self, name: str):
        def fail(*args: object, **kwargs: object) -> UserRecord:
            raise StoreUnavailable("EndpointConnectionError")

        return fail


def test_a_red_flag_comes_first_even_when_storage_fails(tmp_path: Path, clock: Clock) -> None:
    from recovery_coach import skill

    install(DownStore(), clock)
    try:
        reply = Alexa().intent("PatientSummaryIntent", label="chest pain")
    finally:
        skill._skill = None
    # The urgent reply stands alone: it needs no store, so a store that is down can't delay it.
    assert reply.speech.startswith(URGENT) and "can't reach your records" not in reply


def test_a_bare_date_does_not_overwrite_the_procedure_date(services: Services) -> None:
    alexa = Alexa()
    ten_ago = TODAY - timedelta(days=10)
    alexa.intent("ProcedureDateIntent", date=ten_ago.isoformat())
    reply = alexa.say("yesterday")
    assert "didn't ask for a date" in reply
    key = user_key(alexa.device.user_id)
    assert services.store.load(key).profile.procedure_date == ten_ago


def test_a_bare_date_answers_our_own_question(services: Services) -> None:
    alexa = Alexa()
    assert "When was your procedure?" in alexa.intent("ProcedureDateIntent")
    day = TODAY - timedelta(days=4)
    reply = alexa.intent("DateAnswerIntent", date=day.isoformat())
    assert f"Your procedure was on {day:%B} {day.day}" in reply


def test_a_weekday_means_the_last_one(services: Services) -> None:
    alexa = Alexa()
    yesterday = TODAY - timedelta(days=1)
    # "Tuesday" said on a Wednesday: Alexa resolves a bare weekday to the next one, six days ahead.
    reply = alexa.intent("ProcedureDateIntent", date=(yesterday + timedelta(days=7)).isoformat())
    assert f"Your procedure was on {yesterday:%B} {yesterday.day}. Today is day 1 after it." in reply


@pytest.mark.dates  # works through dated records
def test_a_bare_time_never_moves_a_reminder(services: Services) -> None:
    reply = Alexa().intent("TimeAnswerIntent", time="20:00")
    assert "remind me to check in every day" in reply


@pytest.mark.dates  # works through dated records
def test_the_medicine_answer_is_not_claimed_when_the_check_in_is_gone(services: Services) -> None:
    alexa = Alexa()
    alexa.say("log my pain as five")
    services.store.delete_user(user_key(alexa.device.user_id))  # deleted from another device meanwhile
    reply = alexa.say("yes")
    assert "couldn't save the medicine answer" in reply and "Noted" not in reply


@pytest.mark.dates  # works through dated records
def test_a_check_in_while_we_wait_for_a_code_is_still_a_check_in(services: Services) -> None:
    alexa = Alexa(user="daughter")
    alexa.say("link to my patient")
    assert "Saved: your pain is 6 today" in alexa.say("my pain is six")


@pytest.mark.dates  # works through dated records
def test_trying_again_still_asks_before_replacing(services: Services) -> None:
    alexa = Alexa()
    alexa.say("log my pain as five")
    alexa.say("no")
    alexa.session.attributes["pending"] = {"q": "retry", "score": 7}  # an earlier save had failed
    reply = alexa.intent("AMAZON.YesIntent")
    assert reply.speech.endswith("You logged 5 today. Replace it with 7?")


def test_an_overflowing_timestamp_is_a_400_not_a_500(services: Services) -> None:
    from dataclasses import replace

    from recovery_coach.webhook.app import SkillApp
    from recovery_coach.webhook.verify import Verifier
    from tests.alexa_certs import CERT_URL, make_pki, sign
    from tests.wsgi_client import call

    pki = make_pki(datetime.now(timezone.utc))
    skill_id = "amzn1.ask.skill.5e1f0000-0000-4000-8000-000000000000"
    app = SkillApp(replace(services.settings, skill_id=skill_id), Verifier(skill_id, [pki.root], pki.fetcher()),
                   lambda e, c: {})
    event = envelope.launch(envelope.Device(skill_id=skill_id))
    for stamp in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        event["request"]["timestamp"] = stamp
        body = json.dumps(event).encode()
        reply = call(app, "POST", "/", body, {"SignatureCertChainUrl": CERT_URL, "Signature-256": sign(body, pki.signing_key)})
        assert reply.status == 400
