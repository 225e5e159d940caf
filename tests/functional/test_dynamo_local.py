"""Proves the DynamoDB Local harness: real engine, template-defined table, outage simulation."""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import botocore.exceptions
import pytest

from tests.dynamo_local import (
    DEFAULT_TEMPLATE,
    DynamoLocal,
    DynamoTable,
    create_tables_from_template,
    load_template,
)

pytestmark = pytest.mark.dynamodb


def _template_table_props() -> dict:
    resources = load_template(DEFAULT_TEMPLATE)["Resources"]
    (props,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]
    return props


def test_table_matches_template(dynamodb_table: DynamoTable) -> None:
    props = _template_table_props()
    desc = dynamodb_table.client.describe_table(TableName=dynamodb_table.name)["Table"]
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["KeySchema"] == props["KeySchema"]
    assert sorted(desc["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        props["AttributeDefinitions"], key=lambda a: a["AttributeName"])
    assert desc["BillingModeSummary"]["BillingMode"] == props["BillingMode"] == "PAY_PER_REQUEST"
    assert [(i["IndexName"], i["KeySchema"], i["Projection"]) for i in desc.get("GlobalSecondaryIndexes", [])] == [
        (i["IndexName"], i["KeySchema"], i["Projection"]) for i in props["GlobalSecondaryIndexes"]]

    ttl = dynamodb_table.client.describe_time_to_live(TableName=dynamodb_table.name)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "ENABLED"
    assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"] == "expires_at"


def test_put_get_round_trip(dynamodb_table: DynamoTable) -> None:
    client = dynamodb_table.client
    item = {
        "pk": {"S": "USER#amzn1.ask.account.TEST"},
        "sk": {"S": "CHECKIN#2026-01-02"},
        "pain": {"N": "4"},
        "note": {"S": "walked twice, brace on"},
        "expires_at": {"N": str(int(time.time()) + 86400)},
    }
    client.put_item(TableName=dynamodb_table.name, Item=item,
                    ConditionExpression="attribute_not_exists(pk)")
    got = client.get_item(TableName=dynamodb_table.name, Key={"pk": item["pk"], "sk": item["sk"]},
                          ConsistentRead=True)
    assert got["Item"] == item

    # The resource API sees the same table (same endpoint, fake credentials).
    table = dynamodb_table.resource()
    assert table.get_item(Key={"pk": "USER#amzn1.ask.account.TEST", "sk": "CHECKIN#2026-01-02"})["Item"]["pain"] == 4

    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(TableName=dynamodb_table.name, Item=item,
                        ConditionExpression="attribute_not_exists(pk)")


def test_tables_are_isolated_per_test(dynamodb_table: DynamoTable) -> None:
    # A fresh table per test: nothing left over from the round-trip test.
    assert dynamodb_table.client.scan(TableName=dynamodb_table.name)["Count"] == 0


@pytest.fixture
def own_local(dynamodb_local: DynamoLocal) -> Iterator[DynamoLocal]:
    """A private engine (not the session one) so stopping it cannot disturb other tests.

    Depends on ``dynamodb_local`` only for the fake-credentials environment."""
    local = DynamoLocal(startup_timeout=20.0)
    try:
        local.start()
        yield local
    finally:
        local.stop()


def test_stop_gives_connection_error_and_restart_recovers(own_local: DynamoLocal) -> None:
    client = own_local.client(attempts=1, connect_timeout=1.0, read_timeout=2.0)
    (name,) = create_tables_from_template(client, DEFAULT_TEMPLATE,
                                          table_name=f"outage-{uuid.uuid4().hex[:8]}").values()
    key = {"pk": {"S": "USER#1"}, "sk": {"S": "PROFILE"}}
    client.put_item(TableName=name, Item=key)
    port, pid = own_local.port, own_local.pid

    own_local.stop()
    assert not own_local.is_running()
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        client.get_item(TableName=name, Key=key)

    own_local.restart()
    assert own_local.is_running()
    assert own_local.port == port and own_local.pid != pid
    assert own_local.endpoint == f"http://127.0.0.1:{port}"
    # The same client works again; in-memory means the engine came back empty.
    assert name not in client.list_tables()["TableNames"]
    create_tables_from_template(client, DEFAULT_TEMPLATE, table_name=name)
    client.put_item(TableName=name, Item=key)
    assert client.get_item(TableName=name, Key=key)["Item"] == key


def test_session_engine_outage_then_recreate(dynamodb_table: DynamoTable) -> None:
    """The pattern skill tests will use: stop the shared engine mid-test, then recover."""
    local = dynamodb_table.local
    local.stop()
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        dynamodb_table.client.describe_table(TableName=dynamodb_table.name)
    local.restart()
    dynamodb_table.recreate()
    assert dynamodb_table.client.describe_table(TableName=dynamodb_table.name)["Table"]["TableStatus"] == "ACTIVE"


def test_session_engine_back_after_previous_outage(dynamodb_table: DynamoTable) -> None:
    # Runs after the outage test above (file order): the fixture restarted the engine.
    assert dynamodb_table.local.is_running()
    dynamodb_table.client.put_item(TableName=dynamodb_table.name, Item={"pk": {"S": "a"}, "sk": {"S": "b"}})
