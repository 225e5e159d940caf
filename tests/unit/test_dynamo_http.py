"""The small DynamoDB client signs exactly as botocore does, and maps errors to botocore's classes."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from recovery_coach.config import Settings
from recovery_coach.services import dynamodb_client
from recovery_coach.store.dynamo_http import Credentials, DynamoHttpClient, sign

NOW = datetime(2026, 11, 24, 15, 4, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"])
def test_signature_matches_botocore(token: str | None) -> None:
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    body = json.dumps({"TableName": "t", "Key": {"pk": {"S": "USER#x"}, "sk": {"S": "PROFILE"}}}).encode()
    base = {"content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.GetItem"}
    ours = sign(base, body, "dynamodb.us-east-1.amazonaws.com", "us-east-1", creds, NOW)

    request = AWSRequest(method="POST", url="https://dynamodb.us-east-1.amazonaws.com/", data=body,
                         headers={"Content-Type": base["content-type"], "X-Amz-Target": base["x-amz-target"],
                                  "X-Amz-Date": ours["x-amz-date"], **({"X-Amz-Security-Token": token} if token else {})})
    request.context["timestamp"] = ours["x-amz-date"]
    auth = SigV4Auth(BotoCredentials(creds.access_key, creds.secret_key, token), "dynamodb", "us-east-1")
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    assert ours["authorization"].endswith(f"Signature={expected}")
    assert "Credential=AKIDEXAMPLE/20261124/us-east-1/dynamodb/aws4_request" in ours["authorization"]


def test_lambda_gets_the_small_client_and_other_setups_boto3() -> None:
    env = {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_SESSION_TOKEN": "c", "AWS_REGION": "us-west-2"}
    client = dynamodb_client(Settings(table_name="t"), env)
    assert isinstance(client, DynamoHttpClient)
    assert client.endpoint_url == "https://dynamodb.us-west-2.amazonaws.com" and client.credentials.token == "c"
    assert not isinstance(dynamodb_client(Settings(table_name="t", dynamodb_client="boto3"), env), DynamoHttpClient)


def test_a_refused_connection_is_botocores_endpoint_error() -> None:
    from botocore.exceptions import EndpointConnectionError

    client = DynamoHttpClient("us-east-1", Credentials("a", "b"), "http://127.0.0.1:9", timeout=0.5)
    with pytest.raises(EndpointConnectionError):
        client.get_item(TableName="t", Key={})
