from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from recovery_coach import skill
from recovery_coach.config import Settings
from recovery_coach.services import Services
from recovery_coach.store.sqlite import SqliteStore
from tests.dynamo_local import dynamodb_local, dynamodb_table  # noqa: F401  (fixtures)
from tests.support import Alexa

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """A skill on a fresh embedded store, installed behind lambda_handler."""
    settings = Settings(sqlite_path=tmp_path / "recovery.sqlite3")
    svc = Services(settings=settings, store=SqliteStore(settings.sqlite_path))
    skill.install(svc)
    yield svc
    skill._skill = None


@pytest.fixture
def alexa(services: Services) -> Alexa:
    return Alexa()
