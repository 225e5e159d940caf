"""A whole conversation with every log at DEBUG (Lambda's root logger at DEBUG, LOG_LEVEL=DEBUG), on
DynamoDB Local through each client the skill uses: the small SigV4 client and boto3. Nothing a user
said or was given may be in any log record: no score, label, code, token or Alexa user id."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

from recovery_coach import skill
from recovery_coach.config import Settings
from recovery_coach.handlers.base import user_key
from recovery_coach.report.web import ReportRoutes
from recovery_coach.services import Services, dynamodb_client
from recovery_coach.sharing import token_hash
from recovery_coach.store.dynamodb import DynamoStore
from recovery_coach.store.dynamo_http import DynamoHttpClient
from tests.conftest import Clock
from tests.dynamo_local import FAKE_AWS_ENV, DynamoTable
from tests.support import Alexa

pytestmark = pytest.mark.dynamodb
LABEL = "Grandma"


@pytest.fixture(params=["sigv4", "boto3"])
def debug_services(request: pytest.FixtureRequest, dynamodb_table: DynamoTable, clock: Clock,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    settings = Settings(dynamodb_endpoint=dynamodb_table.endpoint, table_name=dynamodb_table.name, log_level="DEBUG",
                        dynamodb_client="boto3" if request.param == "boto3" else "auto")
    client = dynamodb_client(settings)
    assert isinstance(client, DynamoHttpClient) == (request.param == "sigv4")
    services = Services(settings=settings, store=DynamoStore(client, dynamodb_table.name), clock=clock)
    skill.install(services)
    yield services
    skill._skill = None


def test_a_whole_conversation_at_debug_logs_nothing_about_the_user(debug_services: Services,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    mom, daughter = Alexa(user="mom"), Alexa(user="daughter")
    with caplog.at_level(logging.DEBUG):  # the root logger, as AWS_LAMBDA_LOG_LEVEL=DEBUG sets it
        mom.launch()
        mom.say("my procedure was on november twentieth")
        assert "Saved: your pain is 8 today" in mom.say("log my pain as eight")
        mom.say("yes")
        mom.say("how has my pain been this week")
        mom.say("share my check-ins with my caregiver")
        said = mom.say(f"call me {LABEL}").speech
        code = re.search(r"code is ([\d, ]+)\.", said).group(1).replace(", ", "")
        assert "linked" in daughter.say(f"link to my patient with code {' '.join(code)}")
        assert "latest score is 8" in daughter.say("how is my patient doing")
        token = daughter.say("send me the report link").card["content"].split()[0].rsplit("/", 1)[1]
        status, page, *_ = ReportRoutes(debug_services.settings, lambda: debug_services).respond("GET", f"/report/{token}")
        assert status == 200 and LABEL.encode() in page
        assert "no longer see" in daughter.say("unlink my patient")
        mom.say("delete my check-ins")
        mom.say("yes")
    records = caplog.records
    text = "\n".join(f"{r.name} {r.getMessage()}" for r in records)
    assert any(r.name == "recovery_coach" and "CheckInIntent" in r.getMessage() for r in records)  # the log works
    assert not [r.name for r in records if r.levelno < logging.WARNING and not r.name.startswith("recovery_coach")]
    for secret in (LABEL, code, token, token_hash(token), mom.device.user_id, daughter.device.user_id,
                   user_key(mom.device.user_id), user_key(daughter.device.user_id)):
        assert secret not in text
    assert not re.search(r"score|\"N\": \"8\"|procedure_date|2026-11-20", text, re.IGNORECASE), text
