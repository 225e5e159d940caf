"""The skill's collaborators, built once per container and injected into every request."""
from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from recovery_coach.clock import Clock, system_clock
from recovery_coach.config import Settings
from recovery_coach.store import Store

if TYPE_CHECKING:
    from recovery_coach.proactive import Proactive
    from recovery_coach.secret_store import SecretKeeper


@dataclass
class Services:
    settings: Settings
    store: Store
    clock: Clock = field(default=system_clock)
    _keeper: SecretKeeper | None = field(default=None, repr=False)
    _proactive: Proactive | None = field(default=None, repr=False)
    queued: bool = False  # an alert was queued since the last drain (the webhook and CLI drain after answering)
    # Writes a turn leaves until its answer is out (an alert's place in the queue): made before the
    # answer where no entry point answers first (skill.run_later)...
    later: deque[Callable[[], object]] = field(default_factory=deque, repr=False)
    # ... and writes that are made only once the answer is out, and dropped where nothing answers first
    # (a warning sign kept for the caregivers where alerts are off: the urgent reply never waits on it).
    after: deque[Callable[[], object]] = field(default_factory=deque, repr=False)

    def alerts_on(self) -> bool:
        """Caregiver alerts are configured (the skill's LWA client id and secret): only then are
        alerts queued and sent."""
        return bool(self.settings.lwa_client_id and self.settings.lwa_client_secret)

    def proactive(self) -> Proactive:
        """The caregiver alerts' client: one per container, so its Login with Amazon token is kept
        between turns. Built on first use: a turn that alerts nobody never imports it."""
        if self._proactive is None:
            from recovery_coach.proactive import Proactive

            self._proactive = Proactive(self.settings, self.clock)
        return self._proactive

    def share_key(self) -> str:
        """The sharing key: the configured one, else the one Secrets Manager holds, asked for again
        (with backoff) when it couldn't be read at start; "" while there is none."""
        if self.settings.share_secret or not self.settings.share_secret_id:
            return self.settings.share_secret
        if self._keeper is None:
            from recovery_coach.secret_store import SecretKeeper

            self._keeper = SecretKeeper(self.settings.share_secret_id, os.environ)
        return self._keeper.key(self.clock())

    def local_today(self, zone: str | None = None) -> date:
        """Today on the device: in its time zone, else the configured default zone."""
        return self.clock().astimezone(ZoneInfo(zone or self.settings.default_timezone)).date()


def build_store(settings: Settings, clock: Clock = system_clock) -> Store:
    """DynamoDB when a table or endpoint is configured, else the embedded SQLite file."""
    if settings.uses_dynamodb:
        from recovery_coach.store.dynamodb import DynamoStore

        return DynamoStore(
            dynamodb_client(settings),
            settings.table_name or "recovery-coach",
            retention_days=settings.retention_days,
            attempts=settings.dynamodb_attempts,
            deadline=settings.dynamodb_deadline,
            now=clock,
        )
    from recovery_coach.store.sqlite import SqliteStore

    return SqliteStore(settings.sqlite_path)


def dynamodb_client(settings: Settings, env: Mapping[str, str] | None = None) -> Any:
    """The small SigV4 client when the environment holds credentials (Lambda always does),
    else boto3, which knows every other way to find them (profiles, SSO, instance roles)."""
    from recovery_coach.store.dynamo_http import Credentials, DynamoHttpClient

    env = os.environ if env is None else env
    credentials = Credentials.from_env(env)
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if credentials and region and settings.dynamodb_client != "boto3":
        return DynamoHttpClient(region, credentials, settings.dynamodb_endpoint, timeout=settings.dynamodb_timeout)
    import boto3  # imported here so a turn that never needs it never pays for it
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        region_name=region,
        endpoint_url=settings.dynamodb_endpoint,
        config=Config(
            connect_timeout=settings.dynamodb_timeout,
            read_timeout=settings.dynamodb_timeout,
            retries={"total_max_attempts": 1},  # DynamoStore retries, within its deadline
        ),
    )
