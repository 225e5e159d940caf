"""Guards on template.yaml: things that must not be loosened without a test failing.

The checks are written as functions returning a list of problems so that the
mutation tests at the bottom can prove each one actually bites.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from tests.dynamo_local import DEFAULT_TEMPLATE, load_template

FUNCTION = "SkillFunction"
TABLE = "RecoveryTable"
ALEXA_TIMEOUT_S = 8
# Item-level actions the skill may need. Anything else (Scan, table management,
# dynamodb:*, PartiQL, backups...) must be argued for and added here explicitly.
ALLOWED_DYNAMODB_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:TransactWriteItems",
    "dynamodb:TransactGetItems",
}
TABLE_ARN = {"Fn::GetAtt": [TABLE, "Arn"]}
TABLE_ARN_FORMS = [TABLE_ARN, {"Fn::GetAtt": f"{TABLE}.Arn"}, {"Fn::Sub": f"${{{TABLE}.Arn}}"}]
# The one index (sparse: patients someone wants alerts about), by name: never /index/*.
INDEX_ARN_FORMS = [{"Fn::Sub": f"${{{TABLE}.Arn}}/index/alerting"}]
ALERTING_INDEX = {"IndexName": "alerting",
                  "KeySchema": [{"AttributeName": "alerting", "KeyType": "HASH"}, {"AttributeName": "pk", "KeyType": "RANGE"}],
                  "Projection": {"ProjectionType": "KEYS_ONLY"}}
# SAM policy templates that are scoped to one table by their TableName argument.
SAM_TABLE_POLICY_TEMPLATES = {"DynamoDBCrudPolicy", "DynamoDBReadPolicy", "DynamoDBWritePolicy"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(DEFAULT_TEMPLATE)


def _merged(glob: Any, own: Any) -> Any:
    """SAM's Globals rule: maps merge key by key, the function's own value wins otherwise."""
    if isinstance(glob, dict) and isinstance(own, dict):
        return {**glob, **{k: _merged(glob.get(k), v) if k in glob else v for k, v in own.items()}}
    return own


def _fn(t: dict[str, Any], name: str = FUNCTION) -> dict[str, Any]:
    """The function's properties as SAM deploys them (Globals merged in). Values only the function
    sets are its own objects, so the mutation tests below can change them in place."""
    res = t["Resources"][name]
    assert res["Type"] == "AWS::Serverless::Function"
    merged: dict[str, Any] = _merged((t.get("Globals") or {}).get("Function") or {}, res["Properties"])
    return merged


def _table(t: dict[str, Any]) -> dict[str, Any]:
    res = t["Resources"][TABLE]
    assert res["Type"] == "AWS::DynamoDB::Table"
    return res


def _param_default(t: dict[str, Any], value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return t["Parameters"][value["Ref"]]["Default"]
    return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --------------------------------------------------------------------------
# Checkers
# --------------------------------------------------------------------------

def runtime_problems(t: dict[str, Any]) -> list[str]:
    props, problems = _fn(t), []
    m = re.fullmatch(r"python3\.(\d+)", str(props.get("Runtime", "")))
    if not m or int(m.group(1)) < 12:
        problems.append(f"Runtime must be python3.12 or newer, got {props.get('Runtime')!r}")
    if props.get("Architectures") != ["arm64"]:
        problems.append(f"Architectures must be [arm64], got {props.get('Architectures')!r}")
    timeout = props.get("Timeout")
    if not isinstance(timeout, int) or not 1 <= timeout < ALEXA_TIMEOUT_S:
        problems.append(f"Timeout must be an int below Alexa's {ALEXA_TIMEOUT_S}s, got {timeout!r}")
    if props.get("Handler") != "lambda_function.lambda_handler" or props.get("CodeUri") != "lambda/":
        problems.append("Handler/CodeUri must be lambda_function.lambda_handler in lambda/")
    return problems


def alexa_event_problems(t: dict[str, Any]) -> list[str]:
    events = _fn(t).get("Events") or {}
    problems = []
    if not events:
        problems.append("no event source: the skill could not invoke the function")
    for name, event in events.items():
        if event.get("Type") != "AlexaSkill":
            problems.append(f"event {name} is {event.get('Type')}; only AlexaSkill may invoke the function")
        elif (event.get("Properties") or {}).get("SkillId") != {"Ref": "SkillId"}:
            problems.append(f"event {name} is not restricted with SkillId: !Ref SkillId")
    # Any other Lambda permission would bypass the skill ID check.
    for lid, res in t["Resources"].items():
        if res.get("Type") == "AWS::Lambda::Permission":
            problems.append(f"extra AWS::Lambda::Permission {lid}")
    return problems


def log_retention_problems(t: dict[str, Any], function: str = FUNCTION) -> list[str]:
    resources = t["Resources"]
    groups = {lid: r for lid, r in resources.items() if r.get("Type") == "AWS::Logs::LogGroup"}
    logging_ref = (_fn(t, function).get("LoggingConfig") or {}).get("LogGroup")
    fn_groups = []
    if isinstance(logging_ref, dict) and logging_ref.get("Ref") in groups:
        fn_groups.append(logging_ref["Ref"])
    for lid, group in groups.items():
        name = (group.get("Properties") or {}).get("LogGroupName")
        if isinstance(name, dict) and f"${{{function}}}" in str(name.get("Fn::Sub", "")):
            fn_groups.append(lid)
    if logging_ref is not None and not fn_groups:
        return [f"LoggingConfig.LogGroup {logging_ref!r} is not a log group defined in the template"]
    if not fn_groups:
        return ["no log group for the function: Lambda would create one that keeps logs forever"]
    problems = []
    for lid in fn_groups:
        days = _param_default(t, (groups[lid].get("Properties") or {}).get("RetentionInDays"))
        if not isinstance(days, int) or days <= 0:
            problems.append(f"log group {lid} has no RetentionInDays (got {days!r})")
    return problems


def table_problems(t: dict[str, Any]) -> list[str]:
    res = _table(t)
    props, problems = res.get("Properties") or {}, []
    if res.get("DeletionPolicy") != "Retain" or res.get("UpdateReplacePolicy") != "Retain":
        problems.append("table must have DeletionPolicy and UpdateReplacePolicy Retain")
    if props.get("BillingMode") != "PAY_PER_REQUEST":
        problems.append("table must be on-demand (PAY_PER_REQUEST)")
    if (props.get("SSESpecification") or {}).get("SSEEnabled") is not True:
        problems.append("table must have SSESpecification.SSEEnabled: true")
    pitr = props.get("PointInTimeRecoverySpecification") or {}
    if pitr.get("PointInTimeRecoveryEnabled") is not True:
        problems.append("table must have point-in-time recovery enabled")
    ttl = props.get("TimeToLiveSpecification") or {}
    if ttl.get("AttributeName") != "expires_at" or ttl.get("Enabled") is not True:
        problems.append(f"table TTL must be enabled on expires_at, got {ttl!r}")
    if props.get("KeySchema") != [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}]:
        problems.append("table key must be pk (HASH) + sk (RANGE)")
    if sorted(props.get("AttributeDefinitions") or [], key=lambda a: a.get("AttributeName", "")) != [
            {"AttributeName": "alerting", "AttributeType": "S"}, {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"}]:
        problems.append("AttributeDefinitions must be exactly pk:S, sk:S and the alerting index's alerting:S")
    if props.get("GlobalSecondaryIndexes") != [ALERTING_INDEX] or props.get("LocalSecondaryIndexes"):
        problems.append("the table's only index must be the sparse, keys-only alerting index")
    return problems


def _statement_problems(where: str, stmt: dict[str, Any], has_indexes: bool) -> list[str]:
    problems = []
    actions = [str(a) for a in _as_list(stmt.get("Action", []))]
    if "NotAction" in stmt or "NotResource" in stmt:
        problems.append(f"{where}: NotAction/NotResource not allowed")
    if stmt.get("Effect") != "Allow":
        return problems
    dynamo = [a for a in actions if a == "*" or a.lower().startswith("dynamodb:")]
    if not dynamo:
        return problems
    for action in dynamo:
        if "*" in action:
            problems.append(f"{where}: wildcard action {action!r}")
        elif action not in ALLOWED_DYNAMODB_ACTIONS:
            problems.append(f"{where}: {action} is not an allowed item-level action")
    allowed_resources = TABLE_ARN_FORMS + (INDEX_ARN_FORMS if has_indexes else [])
    for resource in _as_list(stmt.get("Resource")):
        if resource not in allowed_resources:
            problems.append(f"{where}: DynamoDB resource {resource!r} is not the table ARN")
    return problems


def iam_problems(t: dict[str, Any]) -> list[str]:
    table_props = _table(t).get("Properties") or {}
    has_indexes = bool(table_props.get("GlobalSecondaryIndexes") or table_props.get("LocalSecondaryIndexes"))
    problems: list[str] = []
    functions = [lid for lid, res in t["Resources"].items() if res.get("Type") == "AWS::Serverless::Function"]
    policies = [(f"{name}.Policies[{i}]", policy) for name in functions
                for i, policy in enumerate(_as_list(_fn(t, name).get("Policies") or []))]
    for where, policy in policies:
        if isinstance(policy, str):
            # Managed policy name/ARN: AmazonDynamoDBFullAccess & co. are all "*".
            if "dynamo" in policy.lower() or policy in {"AdministratorAccess", "PowerUserAccess"}:
                problems.append(f"{where}: managed policy {policy!r} grants DynamoDB beyond the table")
            continue
        if not isinstance(policy, dict):
            problems.append(f"{where}: unrecognised policy {policy!r}")
            continue
        if "Statement" in policy:
            for j, stmt in enumerate(_as_list(policy["Statement"])):
                problems += _statement_problems(f"{where}.Statement[{j}]", stmt, has_indexes)
            continue
        for name, args in policy.items():
            if "dynamo" not in name.lower():
                continue
            if name not in SAM_TABLE_POLICY_TEMPLATES or (args or {}).get("TableName") != {"Ref": TABLE}:
                problems.append(f"{where}: SAM policy {name} must be scoped with TableName: !Ref {TABLE}")
    # Nothing else in the template may grant DynamoDB access either.
    for lid, res in t["Resources"].items():
        props = res.get("Properties") or {}
        if res.get("Type") in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
            docs = [props.get("PolicyDocument") or {}]
        elif res.get("Type") == "AWS::IAM::Role":
            docs = [p.get("PolicyDocument") or {} for p in props.get("Policies") or []]
            if any("dynamo" in str(arn).lower() for arn in props.get("ManagedPolicyArns") or []):
                problems.append(f"{lid}: DynamoDB managed policy attached")
        else:
            continue
        for doc in docs:
            for j, stmt in enumerate(_as_list(doc.get("Statement") or [])):
                problems += _statement_problems(f"{lid}.Statement[{j}]", stmt, has_indexes)
    return problems


def dynamodb_grants(t: dict[str, Any]) -> set[str]:
    """DynamoDB actions granted to the function through explicit statements."""
    granted: set[str] = set()
    for policy in _as_list(_fn(t).get("Policies") or []):
        if isinstance(policy, dict):
            for stmt in _as_list(policy.get("Statement") or []):
                granted |= {a for a in _as_list(stmt.get("Action", [])) if str(a).startswith("dynamodb:")}
    return granted


# --------------------------------------------------------------------------
# Tests on the real template
# --------------------------------------------------------------------------

def test_cfn_lint_has_zero_findings() -> None:
    from cfnlint.api import lint_file

    matches = lint_file(Path(DEFAULT_TEMPLATE))
    assert [str(m) for m in matches] == []


def test_function_runtime_architecture_and_timeout(template: dict[str, Any]) -> None:
    assert runtime_problems(template) == []
    assert 256 <= _fn(template)["MemorySize"] <= 1024


def test_only_this_skill_can_invoke_the_function(template: dict[str, Any]) -> None:
    assert alexa_event_problems(template) == []
    skill_id = template["Parameters"]["SkillId"]
    assert "Default" not in skill_id, "SkillId must be supplied at deploy time"
    pattern = skill_id["AllowedPattern"]
    assert re.fullmatch(pattern, "amzn1.ask.skill.0a1b2c3d-4e5f-6789-abcd-ef0123456789")
    for bad in ["", "*", "amzn1.ask.skill.*", "amzn1.ask.skill.", "amzn1-ask-skill-0a1b",
                "amzn1.ask.skill.0a1b2c3d-4e5f-6789-abcd-ef0123456789 "]:
        assert not re.fullmatch(pattern, bad), bad


def test_log_retention_is_set(template: dict[str, Any]) -> None:
    assert log_retention_problems(template) == []
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 30


def test_table_is_on_demand_encrypted_recoverable_with_ttl(template: dict[str, Any]) -> None:
    assert table_problems(template) == []


def test_only_the_alerts_function_reads_the_index_and_only_by_query(template: dict[str, Any]) -> None:
    index_grants = {(name, str(a)) for name in ("SkillFunction", "ReportFunction", "AlertsFunction")
                    for p in _as_list(_fn(template, name).get("Policies") or []) if isinstance(p, dict)
                    for stmt in _as_list(p.get("Statement") or []) if INDEX_ARN_FORMS[0] in _as_list(stmt.get("Resource"))
                    for a in _as_list(stmt.get("Action"))}
    assert index_grants == {("AlertsFunction", "dynamodb:Query")}


def test_dynamodb_access_is_limited_to_the_table(template: dict[str, Any]) -> None:
    assert iam_problems(template) == []
    granted = dynamodb_grants(template)
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"} <= granted
    assert "dynamodb:Scan" not in granted


def test_environment_is_wired_to_parameters_and_table(template: dict[str, Any]) -> None:
    env = _fn(template)["Environment"]["Variables"]
    assert env["SKILL_ID"] == {"Ref": "SkillId"}
    assert env["TABLE_NAME"] == {"Ref": TABLE}
    assert env["DEFAULT_TIMEZONE"] == {"Ref": "DefaultTimezone"}
    assert env["RETENTION_DAYS"] == {"Ref": "RetentionDays"}
    assert env["LOG_LEVEL"] == "INFO"
    params = template["Parameters"]
    assert params["DefaultTimezone"]["Default"] == "America/Chicago"
    assert params["RetentionDays"]["Default"] == 365


def test_outputs_expose_function_arn_and_table_name(template: dict[str, Any]) -> None:
    values = [o["Value"] for o in template["Outputs"].values()]
    assert {"Fn::GetAtt": [FUNCTION, "Arn"]} in values
    assert {"Ref": TABLE} in values


# --------------------------------------------------------------------------
# Mutation tests: each loosening must be caught by the checkers above
# --------------------------------------------------------------------------

def _stmt(t: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in _fn(t)["Policies"] if isinstance(p, dict) and "Statement" in p)["Statement"][0]


def _set(path: list[Any], value: Any):
    def mutate(t: dict[str, Any]) -> None:
        node = t
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


MUTATIONS = {
    "resource-star": (iam_problems, lambda t: _stmt(t).__setitem__("Resource", "*")),
    "resource-list-with-star": (iam_problems, lambda t: _stmt(t).__setitem__("Resource", [TABLE_ARN, "*"])),
    "index-without-index": (iam_problems, lambda t: _stmt(t).__setitem__(
        "Resource", [TABLE_ARN, {"Fn::Sub": f"${{{TABLE}.Arn}}/index/*"}])),
    "dynamodb-star": (iam_problems, lambda t: _stmt(t)["Action"].append("dynamodb:*")),
    "scan": (iam_problems, lambda t: _stmt(t)["Action"].append("dynamodb:Scan")),
    "delete-table": (iam_problems, lambda t: _stmt(t)["Action"].append("dynamodb:DeleteTable")),
    "full-access-managed": (iam_problems, lambda t: _fn(t)["Policies"].append("AmazonDynamoDBFullAccess")),
    "crud-any-table": (iam_problems, lambda t: _fn(t)["Policies"].append({"DynamoDBCrudPolicy": {"TableName": "*"}})),
    "runtime-3.11": (runtime_problems, _set(["Resources", FUNCTION, "Properties", "Runtime"], "python3.11")),
    "x86": (runtime_problems, _set(["Resources", FUNCTION, "Properties", "Architectures"], ["x86_64"])),
    "globals-runtime-3.11": (runtime_problems, _set(["Globals", "Function", "Runtime"], "python3.11")),
    "timeout-8": (runtime_problems, _set(["Resources", FUNCTION, "Properties", "Timeout"], 8)),
    "no-skill-id": (alexa_event_problems, lambda t: _fn(t)["Events"]["AlexaSkillEvent"].pop("Properties")),
    "api-event": (alexa_event_problems, lambda t: _fn(t)["Events"].__setitem__(
        "Api", {"Type": "Api", "Properties": {"Path": "/", "Method": "post"}})),
    "no-retention": (log_retention_problems, lambda t: next(
        r for r in t["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup")["Properties"].pop("RetentionInDays")),
    "no-log-group": (log_retention_problems, lambda t: [
        t["Resources"].pop(k) for k, r in list(t["Resources"].items()) if r["Type"] == "AWS::Logs::LogGroup"]),
    "provisioned": (table_problems, _set(["Resources", TABLE, "Properties", "BillingMode"], "PROVISIONED")),
    "no-sse": (table_problems, lambda t: _table(t)["Properties"].pop("SSESpecification")),
    "no-pitr": (table_problems, _set(["Resources", TABLE, "Properties", "PointInTimeRecoverySpecification"],
                                     {"PointInTimeRecoveryEnabled": False})),
    "ttl-other-attr": (table_problems, _set(["Resources", TABLE, "Properties", "TimeToLiveSpecification"],
                                            {"AttributeName": "ttl", "Enabled": True})),
    "delete-policy": (table_problems, _set(["Resources", TABLE, "DeletionPolicy"], "Delete")),
    "all-attributes-index": (table_problems, lambda t: _table(t)["Properties"]["GlobalSecondaryIndexes"][0].__setitem__(
        "Projection", {"ProjectionType": "ALL"})),
    "alerts-scan": (iam_problems, lambda t: next(p for p in _fn(t, "AlertsFunction")["Policies"] if "Statement" in p)[
        "Statement"][0]["Action"].append("dynamodb:Scan")),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_checkers_catch_loosening(template: dict[str, Any], name: str) -> None:
    checker, mutate = MUTATIONS[name]
    assert checker(template) == []
    loosened = copy.deepcopy(template)
    mutate(loosened)
    assert checker(loosened), f"{checker.__name__} did not notice mutation {name!r}"


# --------------------------------------------------------------------------
# The caregiver report function: public Function URL, read-only on the table
# --------------------------------------------------------------------------

REPORT = "ReportFunction"
REPORT_URL = "ReportFunctionUrl"  # the AWS::Lambda::Url SAM generates for FunctionUrlConfig
# Exactly what the report needs: the token item (GetItem) and the patient's check-ins (Query).
REPORT_DYNAMODB_ACTIONS = {"dynamodb:GetItem", "dynamodb:Query"}
WRITE_VERBS = ("Put", "Update", "Delete", "BatchWrite", "Transact", "PartiQL", "Create", "Restore", "Import")


def report_function_problems(t: dict[str, Any]) -> list[str]:
    props, problems = _fn(t, REPORT), []
    if props.get("Handler") != "report_function.handler" or props.get("CodeUri") != "lambda/":
        problems.append("ReportFunction must run report_function.handler from lambda/ (the skill's code)")
    m = re.fullmatch(r"python3\.(\d+)", str(props.get("Runtime", "")))
    if not m or int(m.group(1)) < 12 or props.get("Architectures") != ["arm64"]:
        problems.append("ReportFunction must be python3.12+ on arm64")
    timeout, memory = props.get("Timeout"), props.get("MemorySize")
    if not isinstance(timeout, int) or not 1 <= timeout <= 10:
        problems.append(f"ReportFunction Timeout must be 1-10 s, got {timeout!r}")
    if not isinstance(memory, int) or not 128 <= memory <= 512:
        problems.append(f"ReportFunction MemorySize must be small (128-512), got {memory!r}")
    url = props.get("FunctionUrlConfig")
    if not isinstance(url, dict):
        problems.append("ReportFunction has no FunctionUrlConfig: caregivers could not open the report")
    else:
        if url.get("AuthType") != "NONE":
            problems.append(f"Function URL AuthType must be NONE (the token is the credential), got {url.get('AuthType')!r}")
        if "Cors" in url:
            problems.append("Function URL must not enable CORS: no other site may read a report")
    if props.get("Events"):
        problems.append("ReportFunction must have no event sources besides its Function URL")
    env = (props.get("Environment") or {}).get("Variables") or {}
    if env.get("TABLE_NAME") != {"Ref": TABLE} or env.get("DEFAULT_TIMEZONE") != {"Ref": "DefaultTimezone"}:
        problems.append("ReportFunction must read the same table and default time zone as the skill")
    return problems


def report_iam_problems(t: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for i, policy in enumerate(_as_list(_fn(t, REPORT).get("Policies") or [])):
        where = f"{REPORT}.Policies[{i}]"
        if not isinstance(policy, dict) or "Statement" not in policy:
            # Managed policies and SAM templates (even DynamoDBReadPolicy: Scan, BatchGet, Describe...)
            # grant more than GetItem and Query; spell the statement out instead.
            problems.append(f"{where}: only an explicit Statement is allowed, got {policy!r}")
            continue
        for j, stmt in enumerate(_as_list(policy["Statement"])):
            at = f"{where}.Statement[{j}]"
            if "NotAction" in stmt or "NotResource" in stmt:
                problems.append(f"{at}: NotAction/NotResource not allowed")
            if stmt.get("Effect") != "Allow":
                continue
            for action in (str(a) for a in _as_list(stmt.get("Action", []))):
                if any(verb.lower() in action.lower() for verb in WRITE_VERBS):
                    problems.append(f"{at}: {action} writes; the report function is read-only")
                elif action not in REPORT_DYNAMODB_ACTIONS:
                    problems.append(f"{at}: {action} is not GetItem or Query")
            for resource in _as_list(stmt.get("Resource")):
                if resource not in TABLE_ARN_FORMS:
                    problems.append(f"{at}: resource {resource!r} is not the table ARN")
    return problems


def report_grants(t: dict[str, Any]) -> set[str]:
    return {str(a) for p in _as_list(_fn(t, REPORT).get("Policies") or []) if isinstance(p, dict)
            for s in _as_list(p.get("Statement") or []) if s.get("Effect") == "Allow"
            for a in _as_list(s.get("Action", []))}


def test_report_function_shape(template: dict[str, Any]) -> None:
    assert report_function_problems(template) == []
    assert template["Resources"][REPORT]["Type"] == "AWS::Serverless::Function"


def test_report_function_is_read_only_on_the_table(template: dict[str, Any]) -> None:
    assert report_iam_problems(template) == []
    granted = report_grants(template)
    assert granted == REPORT_DYNAMODB_ACTIONS
    assert not [a for a in granted if any(v in a for v in WRITE_VERBS)]


def test_report_function_has_a_function_url_and_kept_logs(template: dict[str, Any]) -> None:
    assert _fn(template, REPORT)["FunctionUrlConfig"] == {"AuthType": "NONE"}
    assert log_retention_problems(template, REPORT) == []
    group = _fn(template, REPORT)["LoggingConfig"]["LogGroup"]["Ref"]
    assert group != _fn(template)["LoggingConfig"]["LogGroup"]["Ref"], "each function has its own log group"
    assert template["Resources"][group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_report_function_has_its_own_reserved_concurrency(template: dict[str, Any]) -> None:
    """A flood on the public report URL can't take the skill's concurrency (0 leaves it unreserved)."""
    reserved = _fn(template, REPORT)["ReservedConcurrentExecutions"]
    assert reserved == {"Fn::If": ["ReserveReportConcurrency", {"Ref": "ReportConcurrency"}, {"Ref": "AWS::NoValue"}]}
    assert template["Parameters"]["ReportConcurrency"]["Default"] == 5
    assert "ReservedConcurrentExecutions" not in _fn(template)  # the skill itself stays unreserved


def test_the_skill_knows_the_report_url_and_it_is_an_output(template: dict[str, Any]) -> None:
    url = {"Fn::GetAtt": [REPORT_URL, "FunctionUrl"]}
    assert _fn(template)["Environment"]["Variables"]["REPORT_BASE_URL"] == url
    assert url in [o["Value"] for o in template["Outputs"].values()]
    # No cycle: the report function must not depend on the skill function.
    assert FUNCTION not in str(template["Resources"][REPORT])


def _report_stmt(t: dict[str, Any]) -> dict[str, Any]:
    return _fn(t, REPORT)["Policies"][0]["Statement"][0]


REPORT_MUTATIONS = {
    **{f"report-{a}": (report_iam_problems, lambda t, a=a: _report_stmt(t)["Action"].append(f"dynamodb:{a}"))
       for a in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "Scan", "*")},
    "report-resource-star": (report_iam_problems, lambda t: _report_stmt(t).__setitem__("Resource", "*")),
    "report-managed": (report_iam_problems, lambda t: _fn(t, REPORT)["Policies"].append("AmazonDynamoDBReadOnlyAccess")),
    "report-crud-template": (report_iam_problems, lambda t: _fn(t, REPORT)["Policies"].append(
        {"DynamoDBCrudPolicy": {"TableName": {"Ref": TABLE}}})),
    "report-no-url": (report_function_problems, lambda t: t["Resources"][REPORT]["Properties"].pop("FunctionUrlConfig")),
    "report-cors": (report_function_problems, lambda t: _fn(t, REPORT)["FunctionUrlConfig"].__setitem__(
        "Cors", {"AllowOrigins": ["*"]})),
    "report-timeout-30": (report_function_problems, _set(["Resources", REPORT, "Properties", "Timeout"], 30)),
    "report-x86": (report_function_problems, _set(["Resources", REPORT, "Properties", "Architectures"], ["x86_64"])),
    "report-no-retention": (lambda t: log_retention_problems(t, REPORT), lambda t: t["Resources"][
        _fn(t, REPORT)["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"].pop("RetentionInDays")),
}


@pytest.mark.parametrize("name", sorted(REPORT_MUTATIONS))
def test_report_checkers_catch_loosening(template: dict[str, Any], name: str) -> None:
    checker, mutate = REPORT_MUTATIONS[name]
    assert checker(template) == []
    loosened = copy.deepcopy(template)
    mutate(loosened)
    assert checker(loosened), f"{name} was not noticed"


def test_the_sharing_key_is_generated_in_secrets_manager_and_read_through_the_extension() -> None:
    template = load_template(DEFAULT_TEMPLATE)
    secret = template["Resources"]["ShareSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    props = _fn(template)
    env = props["Environment"]["Variables"]
    assert env["SHARE_SECRET_ID"] == {"Ref": "ShareSecret"} and "SHARE_SECRET" not in env  # never in the environment
    assert props["Layers"] == [{"Ref": "ParametersSecretsExtensionLayerArn"}]
    grants = [p for p in props["Policies"] if isinstance(p, dict) and "AWSSecretsManagerGetSecretValuePolicy" in p]
    assert grants == [{"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "ShareSecret"}}}]
    report_env = _fn(template, REPORT)["Environment"]["Variables"]
    assert "SHARE_SECRET_ID" not in report_env and "SHARE_SECRET" not in report_env  # the report needs no key


def test_both_functions_write_lambdas_json_log_format(template: dict[str, Any]) -> None:
    for name in (FUNCTION, REPORT):
        assert _fn(template, name)["LoggingConfig"]["LogFormat"] == "JSON", name
