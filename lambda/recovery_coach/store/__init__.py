"""One small storage protocol, two implementations: DynamoDB in AWS, SQLite on a laptop.

Every method is one logical operation; DynamoDB's is one round trip where it can be.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from recovery_coach.checkins import Checkin
from recovery_coach.records import Profile, UserRecord


class StoreUnavailable(Exception):
    """The store could not be reached in time. Whatever was being written was not written."""


class Store(Protocol):
    def load(self, user: str, since: date | None = None) -> UserRecord:
        """The profile, and the check-ins from `since` on (none if `since` is None)."""

    def save_checkin(self, user: str, day: date, score: int, at: datetime) -> Checkin:
        """Set the day's score. A score it replaces goes into the record's history; concurrent
        saves of the same day leave one record with every other value in its history."""

    def set_medication(self, user: str, day: date, took: bool) -> bool:
        """Record whether pain medicine was taken on a day that has a check-in. False if none."""

    def save_profile(self, user: str, profile: Profile) -> None: ...

    def delete_user(self, user: str) -> int:
        """Delete everything stored for the user; returns how many records went."""
