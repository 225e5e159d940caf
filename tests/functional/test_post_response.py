"""In Lambda, the caregivers' alert is written after the patient's urgent answer is returned, by the
function's internal extension (issue 33), and before Lambda may freeze the environment. The function
runs in a process of its own under AWS's Python runtime client (awslambdaric), against a stand-in of
Lambda's Runtime and Extensions APIs on 127.0.0.1 (tests/lambda_api_server.py)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from recovery_coach import envelope, skill
from recovery_coach.post_response import NAME
from recovery_coach.store.sqlite import SqliteStore
from tests.alexa_api_server import FakeAlexaApi
from tests.conftest import Clock, install
from tests.functional.test_caregiver_alerts import URGENT_START, alert_settings, linda_and_her_alerted_daughter
from tests.lambda_api_server import LambdaApi

LAMBDA_DIR = Path(__file__).resolve().parents[2] / "lambda"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "recovery.sqlite3"


@pytest.fixture
def store(db: Path) -> SqliteStore:
    return SqliteStore(db)


@pytest.fixture
def linda(store: SqliteStore, clock: Clock, alexa_api: FakeAlexaApi) -> Iterator[envelope.Device]:
    """Linda shares with her daughter, who wants alerts: set up by voice in this process."""
    install(store, clock, **alert_settings(alexa_api))
    patient, _ = linda_and_her_alerted_daughter(skill.default_services())
    skill._skill = None
    yield patient.device


def queued(store: SqliteStore) -> int:
    """Alerts waiting to be sent, as the function (on the system clock) queued them."""
    now = datetime.now(timezone.utc)
    return len(store.alerts_due(now, now - timedelta(days=3)))


def function(api: LambdaApi, store_path: Path, tmp_path: Path, **extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "DYNAMODB_ENDPOINT", "PYTHONPATH")}
    env.update(AWS_LAMBDA_RUNTIME_API=api.address, RECOVERY_COACH_DB=str(store_path), HOME=str(tmp_path),
               AWS_LAMBDA_FUNCTION_NAME="SkillFunction", **extra)
    with (tmp_path / "function.log").open("wb") as log:  # a file, not a pipe: a full pipe would stall it
        return subprocess.Popen([sys.executable, "-m", "awslambdaric", "lambda_function.lambda_handler"],
                                cwd=LAMBDA_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)


def said(device: envelope.Device, symptom: str) -> dict[str, Any]:
    return envelope.intent("ReportSymptomIntent", device, envelope.Session(), {"symptom": envelope.slot_json("symptom", symptom)})


def spoken(answer: dict[str, Any]) -> str:
    return re.sub(r"<[^>]+>", "", answer["response"]["outputSpeech"]["ssml"])


ALERTS = {"LWA_CLIENT_ID": "amzn1.application-oa2-client.test", "LWA_CLIENT_SECRET": "test-secret"}


def test_the_urgent_answer_is_returned_first_and_the_alert_written_before_lambda_may_freeze(
    linda: envelope.Device, store: SqliteStore, db: Path, tmp_path: Path
) -> None:
    with LambdaApi(probe=lambda: queued(store)) as api:
        proc = function(api, db, tmp_path, **ALERTS)
        try:
            answer = api.response(api.invoke(said(linda, "I can't feel my legs")))
            assert spoken(answer).startswith(URGENT_START), answer
            assert api.frozen()
            # Answered with nothing written yet; written before the extension let Lambda freeze.
            assert api.seen == [("response", 0), ("extension next", 1)]
            assert api.registered == [{"name": NAME, "events": ["INVOKE"]}]
            # The loop goes on: the next invocation is answered, and writes nothing more.
            question = envelope.intent("AskQuestionIntent", linda, envelope.Session(),
                                       {"question": envelope.slot_json("question", "when can I drive")})
            assert "drive" in spoken(api.response(api.invoke(question)))
            assert api.frozen()
            assert api.seen[2:] == [("response", 1), ("extension next", 1)]
        finally:
            proc.kill()
            proc.wait(timeout=10)
    output = (tmp_path / "function.log").read_text(errors="replace")
    assert "Linda" not in output and "legs" not in output and "ReportSymptomIntent" in output  # its log: no label, nothing said


def test_without_alerts_the_warning_sign_is_kept_for_the_caregiver_after_the_answer(
    linda: envelope.Device, store: SqliteStore, db: Path, tmp_path: Path
) -> None:
    """Alerts not configured: no notification, but the warning sign is kept for the daughter's next
    launch, after the answer is returned and before Lambda may freeze."""
    with LambdaApi(probe=lambda: queued(store)) as api:
        proc = function(api, db, tmp_path)
        try:
            answer = api.response(api.invoke(said(linda, "I can't feel my legs")))
            assert spoken(answer).startswith(URGENT_START)
            assert api.frozen()
            assert api.registered == [{"name": NAME, "events": ["INVOKE"]}]
            assert api.seen == [("response", 0), ("extension next", 1)]
        finally:
            proc.kill()
            proc.wait(timeout=10)


def test_an_extension_that_cannot_register_changes_nothing(services: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Lambda's API refuses (nothing listens here): the later writes are made before each answer."""
    from recovery_coach import post_response

    assert not post_response.start({"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9"})
    assert skill._answer_first is None
    assert "post_response_not_registered" in caplog.text
    assert not post_response.start({})  # not in Lambda: not tried
