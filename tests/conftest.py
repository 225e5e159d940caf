from __future__ import annotations

import os
import types
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

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


def _instant() -> datetime:
    """The instant the suite runs at: RECOVERY_COACH_TEST_NOW (ISO 8601; scripts/test-instants sets
    it), else the real now. Every date in a test is relative to it, so the suite passes at any instant."""
    raw = os.environ.get("RECOVERY_COACH_TEST_NOW", "").strip()
    if raw:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(timezone.utc)
    return datetime.now(timezone.utc).replace(microsecond=0)


NOW = _instant()
FROZEN = bool(os.environ.get("RECOVERY_COACH_TEST_NOW", "").strip())
ZONE = ZoneInfo("America/Chicago")  # Settings.default_timezone: the zone of a device with no Settings API
TODAY = NOW.astimezone(ZONE).date()  # the device's "today" at NOW

# Tests whose outcome depends on the date and hour: scripts/test-instants runs these (-m dates)
# under each chosen instant, with the process clock moved there too (time-machine). A test is one
# when its own code names the instant (below), or when it carries @pytest.mark.dates because it
# works through dated records without naming a date (today's check-in, the week, a reminder's time,
# a code's or a link's expiry). Not one: tests marked `timing`, whose outcome is seconds of waiting
# (an outage, a lost answer, a spent budget; the calendar paths they pass through run at each
# instant in the store contract), and tests that start the CLI as a process (time-machine moves
# this process's clock only).
INSTANT_NAMES = frozenset({
    "NOW", "TODAY", "ZONE", "day_at", "clock", "Clock", "date", "datetime", "timedelta", "today", "time_machine",
})


def _names(code: types.CodeType) -> set[str]:
    """Every global, attribute and local name a function's code (and code nested in it) uses."""
    found = set(code.co_names) | set(code.co_varnames)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found |= _names(const)
    return found


def names_the_instant(function: Callable[..., Any]) -> bool:
    return bool(_names(function.__code__) & INSTANT_NAMES)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        function = getattr(item, "function", None)  # test functions have one; other items don't
        if function is not None and names_the_instant(function) and not item.get_closest_marker("timing"):
            item.add_marker(pytest.mark.dates)


@pytest.fixture(scope="session", autouse=True)
def the_instant() -> Iterator[None]:
    """At a chosen instant, the whole process's wall clock is there too (certificates, envelopes)."""
    if not FROZEN:
        yield
        return
    with time_machine.travel(NOW, tick=True):
        yield


def day_at(day: date, hour: int = 9) -> datetime:
    """`hour` o'clock local on `day`, as the UTC instant a clock returns."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(timezone.utc)


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


SPOKEN: list[str] = []  # every reply the skill spoke during the run (see the fixture below)


@pytest.fixture(scope="session", autouse=True)
def no_reply_asks_two_questions() -> Iterator[None]:
    """Records the speech of every response the skill gives in this process, whatever the entry
    point; when the run ends, fails if any reply asked two questions."""
    from ask_sdk_core.skill import CustomSkill

    from recovery_coach.speech import to_plain

    invoke = CustomSkill.invoke

    def recording(self: CustomSkill, request_envelope: Any, context: Any) -> Any:
        response = invoke(self, request_envelope, context)
        speech = getattr(getattr(getattr(response, "response", None), "output_speech", None), "ssml", None)
        if speech:
            SPOKEN.append(to_plain(speech))
        return response

    CustomSkill.invoke = recording  # type: ignore[method-assign]
    yield
    CustomSkill.invoke = invoke  # type: ignore[method-assign]
    doubled = sorted({s for s in SPOKEN if s.count("?") > 1})
    assert not doubled, f"replies that ask two questions: {doubled[:5]}"
