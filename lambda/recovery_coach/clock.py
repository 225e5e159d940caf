"""The one place that reads the wall clock. Everything else is handed a clock (`Services.clock`)
and calls it, so tests and the CLI can set "now" and every date the skill speaks agrees with it."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in UTC, as an aware datetime."""
    return datetime.now(timezone.utc)
