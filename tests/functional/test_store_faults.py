"""DynamoDB faults: an outage (DynamoDB Local stopped mid-test), a server that never answers,
and throttling / errors a real server cannot produce on demand (botocore Stubber).

The rule under test: retry a bounded number of times, well inside Alexa's 8 s, then raise
StoreUnavailable. Never report a save that did not happen.
"""
from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import ANY, Stubber

from recovery_coach.checkins import Checkin
from recovery_coach.config import Settings
from recovery_coach.records import Profile
from recovery_coach.services import build_store
from recovery_coach.store import SaveUnconfirmed, StoreUnavailable
from recovery_coach.store.dynamodb import DynamoStore
from tests.conftest import NOW, TODAY

USER = "amzn1.ask.account.FAULTS"
# The suite's instant, never a fixed day: saves expire a retention period after they were made,
# by the store's own clock, so a fixed save time would read as expired a year on.
DAY = TODAY
T0 = NOW
T1 = T0 + timedelta(hours=3)
TABLE = "recovery-coach"
KEY = {"pk": {"S": f"USER#{USER}"}, "sk": {"S": f"CHECKIN#{DAY.isoformat()}"}}
ALEXA_LIMIT = 8.0
BOUND = 4.0  # what the brief allows: attempts=3, deadline=3.0, 1 s timeouts


def production_store(table: Any) -> DynamoStore:
    """Exactly what Lambda builds (1 s timeouts, botocore retries off, attempts=3, deadline=3.0)."""
    settings = Settings(table_name=table.name, dynamodb_endpoint=table.endpoint)
    assert (settings.dynamodb_attempts, settings.dynamodb_deadline, settings.dynamodb_timeout) == (3, 3.0, 1.0)
    store = build_store(settings)
    assert isinstance(store, DynamoStore)
    return store


def timed(fn: Any, *args: Any) -> tuple[float, BaseException | None]:
    started = time.monotonic()
    try:
        fn(*args)
    except BaseException as e:  # noqa: BLE001 - returned to the test
        return time.monotonic() - started, e
    return time.monotonic() - started, None


# --- a real outage: DynamoDB Local stopped in the middle of a test -----------------

@pytest.mark.dynamodb
@pytest.mark.timing
def test_local_stopped_mid_test_raises_store_unavailable_quickly_then_recovers(dynamodb_table: Any) -> None:
    store = production_store(dynamodb_table)
    assert store.save_checkin(USER, DAY, 5, T0) == Checkin(DAY, 5)

    dynamodb_table.local.stop()
    outcomes = {
        "save_checkin": timed(store.save_checkin, USER, DAY, 7, T1),
        "save_checkin (new day)": timed(store.save_checkin, USER, DAY + timedelta(days=1), 3, T1),
        "load": timed(store.load, USER, DAY),
        "load profile": timed(store.load, USER),
        "set_medication": timed(store.set_medication, USER, DAY, True),
        "save_profile": timed(store.save_profile, USER, Profile(disclaimer_heard=True)),
        "delete_user": timed(store.delete_user, USER),
    }
    for name, (elapsed, error) in outcomes.items():
        assert isinstance(error, StoreUnavailable), f"{name}: {error!r}"
        assert elapsed < BOUND, f"{name} took {elapsed:.2f}s"
        print(f"local stopped: {name} -> StoreUnavailable({error}) after {elapsed:.3f}s")

    # Back up (in-memory engine: the table comes back empty). The same store, same client, works again.
    dynamodb_table.recreate()
    assert store.save_checkin(USER, DAY, 6, T1) == Checkin(DAY, 6)
    assert store.set_medication(USER, DAY, True) is True
    assert store.load(USER, since=DAY).checkins == (Checkin(DAY, 6, True, ()),)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts TCP connections on 127.0.0.1 and never answers: every request hits the read timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_server_that_never_answers_costs_at_most_attempts_read_timeouts(
    silent_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(key, value)
    store = build_store(Settings(table_name=TABLE, dynamodb_endpoint=silent_server))
    elapsed, error = timed(store.save_checkin, USER, DAY, 7, T1)
    # Every answer was lost, so the write may have landed, and the budget left no time to read it back.
    assert isinstance(error, SaveUnconfirmed) and str(error) == "ReadTimeoutError"
    # 3 attempts x 1 s read timeout + < 0.3 s backoff; the deadline stops any 4th.
    assert 2.9 < elapsed < BOUND, elapsed
    print(f"silent server: save_checkin -> StoreUnavailable after {elapsed:.3f}s")


# --- injected faults (Stubber on a real client) --------------------------------------

class FakeTime:
    """sleep() advances clock(); records every pause."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


@pytest.fixture
def client() -> Any:
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    return session.client(
        "dynamodb",
        endpoint_url="http://127.0.0.1:9",  # never reached: the Stubber answers every call
        config=Config(connect_timeout=1, read_timeout=1, retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    # No jitter: the longest pause each time, so pause counts are exact.
    monkeypatch.setattr("recovery_coach.store.dynamodb.random.uniform", lambda low, high: high)
    return FakeTime()


@pytest.fixture
def calls(client: Any) -> list[str]:
    seen: list[str] = []
    # before-parameter-build fires for every API call, ahead of the Stubber's before-call hook.
    client.meta.events.register("before-parameter-build.dynamodb.*", lambda model, **_: seen.append(model.name))
    return seen


def make_store(client: Any, fake_time: FakeTime, attempts: int = 3, deadline: float = 3.0) -> DynamoStore:
    return DynamoStore(client, TABLE, attempts=attempts, deadline=deadline, sleep=fake_time.sleep,
                       clock=fake_time.clock)


def throttle(stub: Stubber, op: str, times: int = 1) -> None:
    for _ in range(times):
        stub.add_client_error(op, "ProvisionedThroughputExceededException", "Rate exceeded", http_status_code=400)


def test_throttled_twice_then_saved(client: Any, stub: Stubber, fake_time: FakeTime, calls: list[str]) -> None:
    store = make_store(client, fake_time)
    throttle(stub, "put_item", 2)
    stub.add_response("put_item", {})
    assert store.save_checkin(USER, DAY, 5, T0) == Checkin(DAY, 5)
    assert calls == ["PutItem"] * 3
    assert fake_time.pauses == [0.1, 0.2]  # exponential (jitter pinned to its maximum)
    assert sum(fake_time.pauses) < store.deadline


@pytest.mark.parametrize("op, code", [
    ("put_item", "ProvisionedThroughputExceededException"),
    ("put_item", "ThrottlingException"),
    ("put_item", "InternalServerError"),
    ("query", "ProvisionedThroughputExceededException"),
])
def test_always_throttled_gives_up_after_exactly_attempts_calls(
    client: Any, stub: Stubber, fake_time: FakeTime, calls: list[str], op: str, code: str
) -> None:
    store = make_store(client, fake_time, attempts=3)
    for _ in range(3):
        stub.add_client_error(op, code, "busy", http_status_code=500 if code == "InternalServerError" else 400)
    with pytest.raises(StoreUnavailable, match=code):
        if op == "put_item":
            store.save_checkin(USER, DAY, 5, T0)
        else:
            store.load(USER, since=DAY)
    assert len(calls) == 3
    assert len(fake_time.pauses) == 2 and sum(fake_time.pauses) < store.deadline


def test_an_unknown_5xx_is_retried_too(client: Any, stub: Stubber, fake_time: FakeTime, calls: list[str]) -> None:
    store = make_store(client, fake_time)
    stub.add_client_error("get_item", "InternalFailure", "oops", http_status_code=500)
    stub.add_response("get_item", {})
    assert store.load(USER).profile == Profile()
    assert calls == ["GetItem", "GetItem"]


@pytest.mark.parametrize("code", ["ValidationException", "AccessDeniedException", "ResourceNotFoundException"])
def test_a_non_retryable_error_fails_at_once(
    client: Any, stub: Stubber, fake_time: FakeTime, calls: list[str], code: str
) -> None:
    store = make_store(client, fake_time)
    stub.add_client_error("put_item", code, "no", http_status_code=400)
    with pytest.raises(StoreUnavailable, match=code):
        store.save_checkin(USER, DAY, 5, T0)
    assert calls == ["PutItem"] and fake_time.pauses == []


def test_the_deadline_caps_retries_even_with_many_attempts(
    client: Any, stub: Stubber, fake_time: FakeTime, calls: list[str]
) -> None:
    store = make_store(client, fake_time, attempts=50, deadline=1.0)
    throttle(stub, "put_item", 4)  # pauses 0.1, 0.2, 0.4: a 0.5 s fourth would end past 1.0 s
    with pytest.raises(StoreUnavailable):
        store.save_checkin(USER, DAY, 5, T0)
    assert calls == ["PutItem"] * 4
    assert fake_time.pauses == [0.1, 0.2, 0.4] and sum(fake_time.pauses) < store.deadline


def test_one_deadline_for_the_whole_operation(
    client: Any, stub: Stubber, fake_time: FakeTime, calls: list[str]
) -> None:
    """A save is several requests (put, maybe get, update); they share one budget."""
    store = make_store(client, fake_time, attempts=3, deadline=0.35)
    stub.add_client_error("put_item", "ConditionalCheckFailedException", "exists", http_status_code=400)  # no Item
    throttle(stub, "get_item", 2)  # pauses 0.1 + 0.2
    stub.add_response("get_item", {"Item": _old_item(4, 1, T0)})
    throttle(stub, "update_item", 1)  # another 0.1 would pass 0.35 s: no second UpdateItem
    with pytest.raises(StoreUnavailable, match="ProvisionedThroughputExceeded"):
        store.save_checkin(USER, DAY, 5, T1)
    assert calls == ["PutItem", "GetItem", "GetItem", "GetItem", "UpdateItem"]
    assert fake_time.pauses == [0.1, 0.2]


def test_no_new_request_once_the_operation_deadline_has_passed(
    client: Any, stub: Stubber, fake_time: FakeTime, calls: list[str]
) -> None:
    store = make_store(client, fake_time, deadline=3.0)

    def slow_get(**_: Any) -> None:
        fake_time.now += 3.5  # this request alone took longer than the whole budget

    client.meta.events.register("before-parameter-build.dynamodb.GetItem", slow_get)
    stub.add_client_error("put_item", "ConditionalCheckFailedException", "exists", http_status_code=400)
    stub.add_response("get_item", {"Item": _old_item(4, 1, T0)})
    with pytest.raises(StoreUnavailable, match="deadline"):
        store.save_checkin(USER, DAY, 5, T1)
    assert calls == ["PutItem", "GetItem"]  # no UpdateItem started past the deadline


# --- the conditional-write race, driven by the Stubber --------------------------------

def _old_item(score: int, version: int, at: datetime, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {**KEY, "score": {"N": str(score)}, "history": {"L": history or []}, "version": {"N": str(version)},
            "updated_at": {"S": at.isoformat()}, "expires_at": {"N": "1999999999"}}


def _put_params(score: int, at: datetime) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "Item": {**KEY, "score": {"N": str(score)}, "history": {"L": []}, "version": {"N": "1"},
                 "updated_at": {"S": at.isoformat()}, "expires_at": ANY},
        "ConditionExpression": "attribute_not_exists(pk)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _update_params(score: int, at: datetime, old: dict[str, Any]) -> dict[str, Any]:
    version = int(old["version"]["N"])
    return {
        "TableName": TABLE,
        "Key": KEY,
        "UpdateExpression": ANY,
        "ConditionExpression": "version = :version",
        "ExpressionAttributeValues": {
            ":score": {"N": str(score)},
            ":empty": {"L": []},
            ":old": {"L": [{"M": {"score": old["score"], "at": old["updated_at"]}}]},
            ":version": {"N": str(version)},
            ":next": {"N": str(version + 1)},
            ":at": {"S": at.isoformat()},
            ":exp": ANY,
        },
        "ReturnValues": "ALL_NEW",
    }


def _new_item(score: int, version: int, at: datetime, replaced: list[tuple[int, datetime]]) -> dict[str, Any]:
    history = [{"M": {"score": {"N": str(s)}, "at": {"S": t.isoformat()}}} for s, t in replaced]
    return _old_item(score, version, at, history)


def test_conditional_put_fails_with_old_item_then_update_keeps_it_in_history(
    client: Any, stub: Stubber, fake_time: FakeTime, calls: list[str]
) -> None:
    old = _old_item(6, 1, T0)
    stub.add_client_error("put_item", "ConditionalCheckFailedException", "The conditional request failed",
                          http_status_code=400, expected_params=_put_params(3, T1), modeled_fields={"Item": old})
    stub.add_response("update_item", {"Attributes": _new_item(3, 2, T1, [(6, T0)])},
                      expected_params=_update_params(3, T1, old))
    saved = make_store(client, fake_time).save_checkin(USER, DAY, 3, T1)
    assert saved == Checkin(DAY, 3, None, ({"score": 6, "at": T0.isoformat()},))
    assert calls == ["PutItem", "UpdateItem"]  # the old item came with the error: no GetItem
    assert fake_time.pauses == []  # a conflict is not a fault: no backoff


def test_conditional_put_without_old_item_falls_back_to_a_consistent_get(
    client: Any, stub: Stubber, fake_time: FakeTime, calls: list[str]
) -> None:
    old = _old_item(6, 1, T0)
    stub.add_client_error("put_item", "ConditionalCheckFailedException", "failed", http_status_code=400)
    stub.add_response("get_item", {"Item": old}, expected_params={"TableName": TABLE, "Key": KEY, "ConsistentRead": True})
    stub.add_response("update_item", {"Attributes": _new_item(3, 2, T1, [(6, T0)])},
                      expected_params=_update_params(3, T1, old))
    saved = make_store(client, fake_time).save_checkin(USER, DAY, 3, T1)
    assert saved.score == 3 and [h["score"] for h in saved.history] == [6]
    assert calls == ["PutItem", "GetItem", "UpdateItem"]


def test_a_lost_update_race_is_retried_against_the_newer_record(
    client: Any, stub: Stubber, fake_time: FakeTime, calls: list[str]
) -> None:
    """Another device updated between our read and our update: our update's version check
    fails, we re-read and file BOTH earlier values in history."""
    first = _old_item(6, 1, T0)
    newer = _new_item(8, 2, T0 + timedelta(hours=1), [(6, T0)])
    stub.add_client_error("put_item", "ConditionalCheckFailedException", "failed", http_status_code=400,
                          modeled_fields={"Item": first})
    stub.add_client_error("update_item", "ConditionalCheckFailedException", "version moved", http_status_code=400,
                          expected_params=_update_params(3, T1, first))
    stub.add_client_error("put_item", "ConditionalCheckFailedException", "failed", http_status_code=400,
                          modeled_fields={"Item": newer})
    stub.add_response("update_item", {"Attributes": _new_item(3, 3, T1, [(6, T0), (8, T0 + timedelta(hours=1))])},
                      expected_params=_update_params(3, T1, newer))
    saved = make_store(client, fake_time).save_checkin(USER, DAY, 3, T1)
    assert saved.score == 3 and [h["score"] for h in saved.history] == [6, 8]
    assert calls == ["PutItem", "UpdateItem", "PutItem", "UpdateItem"]


def test_endless_conflicts_are_reported_not_claimed(client: Any, stub: Stubber, fake_time: FakeTime) -> None:
    for version in range(1, 6):
        stub.add_client_error("put_item", "ConditionalCheckFailedException", "failed", http_status_code=400,
                              modeled_fields={"Item": _old_item(6, version, T0)})
        stub.add_client_error("update_item", "ConditionalCheckFailedException", "moved", http_status_code=400)
    with pytest.raises(StoreUnavailable, match="ConditionalCheckFailed"):
        make_store(client, fake_time).save_checkin(USER, DAY, 3, T1)


def test_a_retried_put_that_had_landed_is_not_filed_twice(
    client: Any, stub: Stubber, fake_time: FakeTime, calls: list[str]
) -> None:
    """A put whose answer was lost (read timeout) is retried; the condition then fails on our own
    item. That is our save, not a rival's: no self-copy in history."""
    ours = _old_item(3, 1, T1)
    stub.add_client_error("put_item", "ConditionalCheckFailedException", "failed", http_status_code=400,
                          modeled_fields={"Item": ours})
    saved = make_store(client, fake_time).save_checkin(USER, DAY, 3, T1)
    assert saved == Checkin(DAY, 3, None, ())
    assert calls == ["PutItem"]


def test_set_medication_throttled_then_ok_and_missing_day(client: Any, stub: Stubber, fake_time: FakeTime) -> None:
    store = make_store(client, fake_time)
    throttle(stub, "update_item", 1)
    stub.add_response("update_item", {})
    assert store.set_medication(USER, DAY, True) is True
    stub.add_client_error("update_item", "ConditionalCheckFailedException", "no check-in", http_status_code=400)
    assert store.set_medication(USER, DAY - timedelta(days=1), True) is False


def test_delete_user_retries_throttling_and_unprocessed_items(
    client: Any, stub: Stubber, fake_time: FakeTime, calls: list[str]
) -> None:
    keys = [{"pk": KEY["pk"], "sk": {"S": f"CHECKIN#2026-01-{d:02d}"}} for d in range(1, 31)]
    stub.add_response("query", {"Items": keys})
    stub.add_response("query", {"Items": []})  # the user's queued alerts: none
    throttle(stub, "batch_write_item", 1)
    stub.add_response("batch_write_item", {"UnprocessedItems": {TABLE: [{"DeleteRequest": {"Key": keys[0]}}]}})
    stub.add_response("batch_write_item", {"UnprocessedItems": {}})
    stub.add_response("batch_write_item", {})  # the second batch (5 keys)
    assert make_store(client, fake_time).delete_user(USER) == 30
    assert calls == ["Query", "Query"] + ["BatchWriteItem"] * 4
    assert sum(fake_time.pauses) < 3.0


def test_delete_user_gives_up_when_items_stay_unprocessed(client: Any, stub: Stubber, fake_time: FakeTime) -> None:
    keys = [{"pk": KEY["pk"], "sk": {"S": "PROFILE"}}]
    stub.add_response("query", {"Items": keys})
    stub.add_response("query", {"Items": []})
    for _ in range(3):
        stub.add_response("batch_write_item", {"UnprocessedItems": {TABLE: [{"DeleteRequest": {"Key": keys[0]}}]}})
    with pytest.raises(StoreUnavailable, match="UnprocessedItems"):
        make_store(client, fake_time).delete_user(USER)
