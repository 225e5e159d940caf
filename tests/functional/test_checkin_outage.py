"""DynamoDB goes away in the middle of a conversation: the patient hears the truth, and can try again."""
from __future__ import annotations

import time
from datetime import date

import pytest

from recovery_coach import skill
from recovery_coach.handlers.base import user_key
from tests.conftest import Clock, dynamo_store, install
from tests.support import Alexa

pytestmark = pytest.mark.timing  # DynamoDB Local stopped and started again mid-conversation


def test_a_check_in_during_an_outage_is_not_claimed_and_can_be_retried(dynamodb_table, clock: Clock) -> None:
    store = dynamo_store(dynamodb_table)
    install(store, clock)
    try:
        alexa = Alexa()
        alexa.say("what is kyphoplasty")  # first turn: reads the profile, hears the disclaimer
        dynamodb_table.local.stop()
        started = time.monotonic()
        reply = alexa.say("log my pain as six")
        elapsed = time.monotonic() - started
        assert "was not saved" in reply and not reply.speech.startswith("Saved")
        assert not reply.ended and reply.speech.endswith("Would you like me to try again?")
        assert elapsed < 6.0  # inside Alexa's 8 s
        dynamodb_table.recreate()
        again = alexa.say("yes")
        assert again.speech.startswith("Saved: your pain is 6 today")
        (checkin,) = store.load(user_key(alexa.device.user_id), since=date(2026, 11, 1)).checkins
        assert checkin.score == 6
    finally:
        skill._skill = None


def test_a_launch_during_an_outage_still_speaks(dynamodb_table, clock: Clock) -> None:
    install(dynamo_store(dynamodb_table), clock)
    try:
        dynamodb_table.local.stop()
        reply = Alexa().launch()
        assert reply.speech.startswith("Welcome to Spine Recovery") and not reply.ended
        summary = Alexa().say("how has my pain been this week")
        assert "can't reach your records" in summary and not summary.ended
    finally:
        dynamodb_table.recreate()
        skill._skill = None
