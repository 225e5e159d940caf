"""The Lambda path as AWS runs it: configuration from the environment, clients built once."""
from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

import pytest

from lambda_function import lambda_handler
from recovery_coach import skill
from recovery_coach.store.dynamodb import DynamoStore
from tests.support import Reply

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_environment_selects_dynamodb_and_the_client_is_built_once(dynamodb_table, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", dynamodb_table.name)
    monkeypatch.setenv("DYNAMODB_ENDPOINT", dynamodb_table.endpoint)
    monkeypatch.setenv("SKILL_ID", "amzn1.ask.skill.00000000-0000-0000-0000-000000000000")
    skill._skill = None
    try:
        first = Reply(lambda_handler(json.loads((FIXTURES / "launch_request.json").read_text()), None))
        dispatcher = skill.default_skill().request_dispatcher  # built by the first call
        Reply(lambda_handler(json.loads((FIXTURES / "ask_question_request.json").read_text()), None))
        assert skill.default_skill().request_dispatcher is dispatcher
        services = skill._services
        assert isinstance(services.store, DynamoStore) and services.store.table == dynamodb_table.name
        assert "Welcome to Spine Recovery" in first.speech
        items = dynamodb_table.client.scan(TableName=dynamodb_table.name)["Items"]
        assert [i["sk"]["S"] for i in items] == ["PROFILE"]  # the disclaimer was remembered, in DynamoDB
    finally:
        skill._skill = None


def test_a_misspelt_default_time_zone_fails_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from recovery_coach.config import Settings

    monkeypatch.setenv("DEFAULT_TIMEZONE", "America/Chicgo")
    with pytest.raises(ZoneInfoNotFoundError):
        Settings.from_env()
