"""Plain records shared by the domain services and the stores. No Alexa types."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from recovery_coach.checkins import Checkin


@dataclass(frozen=True)
class Profile:
    disclaimer_heard: bool = False
    procedure_date: date | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "disclaimer_heard": self.disclaimer_heard,
            "procedure_date": self.procedure_date.isoformat() if self.procedure_date else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object] | None) -> Profile:
        data = data or {}
        day = data.get("procedure_date")
        return cls(
            disclaimer_heard=bool(data.get("disclaimer_heard", False)),
            procedure_date=date.fromisoformat(str(day)) if day else None,
        )


@dataclass(frozen=True)
class UserRecord:
    """What one read returns: the profile and the check-ins from a start day on, oldest first."""

    profile: Profile = field(default_factory=Profile)
    checkins: tuple[Checkin, ...] = ()
