"""The skill's collaborators, built once per container and injected into every request."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from recovery_coach.config import Settings
from recovery_coach.store import Store


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Services:
    settings: Settings
    store: Store
    clock: Callable[[], datetime] = field(default=utc_now)


def build_store(settings: Settings) -> Store:
    """DynamoDB when a table or endpoint is configured, else the embedded SQLite file."""
    if settings.uses_dynamodb:
        import boto3  # imported here so a laptop run never pays for it
        from botocore.config import Config

        from recovery_coach.store.dynamodb import DynamoStore

        client = boto3.client(
            "dynamodb",
            endpoint_url=settings.dynamodb_endpoint,
            config=Config(
                connect_timeout=settings.dynamodb_timeout,
                read_timeout=settings.dynamodb_timeout,
                retries={"total_max_attempts": 1},  # DynamoStore retries, within its deadline
            ),
        )
        return DynamoStore(
            client,
            settings.table_name or "recovery-coach",
            retention_days=settings.retention_days,
            attempts=settings.dynamodb_attempts,
            deadline=settings.dynamodb_deadline,
        )
    from recovery_coach.store.sqlite import SqliteStore

    return SqliteStore(settings.sqlite_path)
