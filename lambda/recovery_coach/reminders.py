"""The daily check-in reminder: when it fires and the exact Reminders API request. Plain values only."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

PERMISSION = "alexa::alerts:reminders:skill:readwrite"
PATH = "/v1/alerts/reminders"


def parse_time(value: str | None) -> time | None:
    """AMAZON.TIME's "09:00" or "20:30"; None for vague values ("MO", "EV") or anything else."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", value or "")
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        return None
    return time(int(m.group(1)), int(m.group(2)))


def next_at(at: time, now_local: datetime) -> datetime:
    """The next local moment at `at`: today if it is still ahead, else tomorrow."""
    when = now_local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return when if when > now_local else when + timedelta(days=1)


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000")


def request_body(at: time, now_local: datetime, zone: str, locale: str, text: str) -> dict[str, Any]:
    """A daily recurring reminder at `at`, in the device's time zone, spoken in the user's locale."""
    start = next_at(at, now_local)
    return {
        "requestTime": _local(now_local),
        "trigger": {
            "type": "SCHEDULED_ABSOLUTE",
            "scheduledTime": _local(start),
            "timeZoneId": zone,
            "recurrence": {
                "startDateTime": _local(start),
                "recurrenceRules": [f"FREQ=DAILY;BYHOUR={at.hour};BYMINUTE={at.minute};BYSECOND=0;INTERVAL=1;"],
            },
        },
        "alertInfo": {"spokenInfo": {"content": [{"locale": locale, "text": text}]}},
        "pushNotification": {"status": "ENABLED"},
    }


def granted(permissions: Any) -> bool:
    """Whether the user granted the reminders permission (context.System.user.permissions)."""
    scopes = getattr(permissions, "scopes", None) or {}
    scope = scopes.get(PERMISSION)
    status = getattr(getattr(scope, "status", None), "value", getattr(scope, "status", None))
    return str(status) == "GRANTED" or bool(getattr(permissions, "consent_token", None))
