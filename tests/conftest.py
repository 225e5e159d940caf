from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from recovery_coach import skill
from recovery_coach.config import Settings
from recovery_coach.services import Services
from recovery_coach.store import Store
from recovery_coach.store.dynamodb import DynamoStore
from recovery_coach.store.sqlite import SqliteStore
from tests.alexa_api_server import alexa_api  # noqa: F401  (fixture)
from tests.dynamo_local import DynamoTable, dynamodb_local, dynamodb_table, make_client  # noqa: F401
from tests.support import Alexa

ROOT = Path(__file__).resolve().parent.parent
# 15:00 UTC: 9 am in Chicago (the default zone), the same calendar day everywhere in the Americas.
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)


class Clock:
    """The skill's clock, set by the test."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def install(store: Store, clock: Clock, **settings: object) -> Services:
    svc = Services(settings=Settings(**settings), store=store, clock=clock)  # type: ignore[arg-type]
    skill.install(svc)
    return svc


@pytest.fixture
def services(tmp_path: Path, clock: Clock) -> Iterator[Services]:
    """A skill on a fresh embedded store, installed behind lambda_handler."""
    yield install(SqliteStore(tmp_path / "recovery.sqlite3"), clock, sqlite_path=tmp_path / "recovery.sqlite3")
    skill._skill = None


def dynamo_store(table: DynamoTable, **kwargs: object) -> DynamoStore:
    client = make_client(table.endpoint, attempts=1, connect_timeout=1.0, read_timeout=1.0)
    return DynamoStore(client, table.name, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "dynamodb"])
def any_services(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[Services]:
    """The same skill on each store: SQLite, and DynamoDB Local with the table from template.yaml."""
    if request.param == "sqlite":
        store: Store = SqliteStore(tmp_path / "recovery.sqlite3")
    else:
        store = dynamo_store(request.getfixturevalue("dynamodb_table"))
    yield install(store, clock)
    skill._skill = None


@pytest.fixture
def alexa(services: Services) -> Alexa:
    return Alexa()
