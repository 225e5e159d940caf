"""Plain records shared by the domain services and the stores. No Alexa types."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from recovery_coach.checkins import Checkin


@dataclass(frozen=True)
class Profile:
    disclaimer_heard: bool = False
    procedure_date: date | None = None
    reminder_id: str | None = None  # the Reminders API's alertToken, so no reminder is ever orphaned
    reminder_time: str | None = None  # "HH:MM", local to the device
    care_seen: date | None = None  # a caregiver's last visit (local date): news is what came since

    def to_dict(self) -> dict[str, object]:
        return {
            "disclaimer_heard": self.disclaimer_heard,
            "procedure_date": self.procedure_date.isoformat() if self.procedure_date else None,
            "reminder_id": self.reminder_id,
            "reminder_time": self.reminder_time,
            "care_seen": self.care_seen.isoformat() if self.care_seen else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object] | None) -> Profile:
        data = data or {}
        day, seen = data.get("procedure_date"), data.get("care_seen")
        return cls(
            disclaimer_heard=bool(data.get("disclaimer_heard", False)),
            procedure_date=date.fromisoformat(str(day)) if day else None,
            reminder_id=str(data["reminder_id"]) if data.get("reminder_id") else None,
            reminder_time=str(data["reminder_time"]) if data.get("reminder_time") else None,
            care_seen=date.fromisoformat(str(seen)) if seen else None,
        )


@dataclass(frozen=True)
class UserRecord:
    """What one read returns: the profile and the check-ins from a start day on, oldest first."""

    profile: Profile = field(default_factory=Profile)
    checkins: tuple[Checkin, ...] = ()


@dataclass(frozen=True)
class Link:
    """A caregiver's read-only access to one patient's check-ins."""

    patient: str  # the patient's user key
    caregiver: str  # the caregiver's user key
    label: str  # what the patient chose to be called ("Mom"): never health data
    since: datetime
    # The caregiver's own Alexa user id, only while they want alerts about this patient: the one
    # thing the Proactive Events API addresses. Never logged (not in repr); it goes with the link.
    alert_to: str | None = field(default=None, repr=False)
    # The Alexa API host of the caregiver's region (their requests' apiEndpoint), where alerts to them
    # go; None: the configured PROACTIVE_ENDPOINT.
    alert_endpoint: str | None = None


@dataclass(frozen=True)
class ReportAccess:
    """What a valid report token opens: one patient's check-ins, read-only, until it expires."""

    patient: str
    label: str
    expires: datetime


ALERT_KINDS = ("score", "flag", "missed")
#: Where DynamoDB queues alerts (the partition key; the table stream's filter names it too).
ALERT_QUEUE_KEY = "ALERTQ"


@dataclass(frozen=True)
class Alert:
    """A queued alert: something about the patient their caregivers should hear of (a worrying
    score, a warning sign, days without a check-in) on a day. Nothing clinical: the kind only."""

    patient: str
    kind: str  # one of ALERT_KINDS
    day: date
    queued: datetime
    sent: frozenset[str] = frozenset()  # the caregivers (keys) already alerted
