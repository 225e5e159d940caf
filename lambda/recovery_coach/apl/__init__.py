"""Screens for Echo Show and other devices that render APL.

Only devices that list `Alexa.Presentation.APL` in their supportedInterfaces get a screen; every
other device gets exactly the voice response. The two documents are data (answer.json, chart.json),
loaded once, and use core components only: no imported layout packages, nothing fetched from a URL.
This module builds the RenderDocument directive as a plain dict; handlers/base.py turns it into the
SDK's model class so the skill's serializer emits it.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from recovery_coach.checkins import Checkin, Thresholds, summarize

INTERFACE = "Alexa.Presentation.APL"
RENDER_DOCUMENT = "Alexa.Presentation.APL.RenderDocument"
ANSWER_TOKEN = "answer"
CHART_TOKEN = "weekChart"
CHART_DAYS = 14
# Short weekday labels, Monday first; a handler passes the locale's own.
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def supports_apl(supported_interfaces: Mapping[str, Any] | Any | None) -> bool:
    """Whether the device renders APL: the envelope's JSON (a mapping keyed by interface name) or
    ask_sdk_model's SupportedInterfaces (its `alexa_presentation_apl` attribute)."""
    if supported_interfaces is None:
        return False
    if isinstance(supported_interfaces, Mapping):
        return supported_interfaces.get(INTERFACE) is not None
    return getattr(supported_interfaces, "alexa_presentation_apl", None) is not None


@functools.cache
def load_document(name: str) -> dict[str, Any]:
    """One of the packaged documents ("answer", "chart"), read once per process, beside this module
    (importlib.resources would cost 7 ms of a cold start). Callers get the cached dict: treat it as
    read-only."""
    return json.loads(Path(__file__).with_name(f"{name}.json").read_text(encoding="utf-8"))


def _directive(document: str, token: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": RENDER_DOCUMENT,
        "token": token,
        "document": load_document(document),
        "datasources": {"payload": payload},
    }


def answer_directive(title: str, text: str, token: str = ANSWER_TOKEN) -> dict[str, Any]:
    """A large-text screen with what the card says."""
    return _directive("answer", token, {"title": title, "text": text})


def chart_directive(label_title: str, points: list[dict[str, Any]], token: str = CHART_TOKEN) -> dict[str, Any]:
    """A bar per day (see chart_points), worrying days and missed days marked."""
    return _directive("chart", token, {"title": label_title, "points": points})


def chart_points(
    checkins: Sequence[Checkin],
    today: date,
    days: int = CHART_DAYS,
    procedure: date | None = None,
    thresholds: Thresholds = Thresholds(),
    labels: Sequence[str] = WEEKDAYS,
) -> list[dict[str, Any]]:
    """One entry per local day, oldest first, ending today:
    {"day": "YYYY-MM-DD", "label": "Mon", "score": int | None, "missed": bool, "worrying": bool}.

    "missed" and "worrying" come from checkins.summarize over the same days, so the screen marks
    exactly the days the spoken summary would name: a day is missed only after the first check-in and
    before today; worrying is checkins.assess against all of `checkins`.
    """
    summary = summarize(checkins, today, days, procedure, thresholds)
    by_day = {c.day: c for c in checkins}
    missed = set(summary.missed)
    worrying = {c.day for c in summary.worrying}
    points = []
    for n in range(days):
        day = summary.start + timedelta(days=n)
        checkin = by_day.get(day)
        points.append(
            {
                "day": day.isoformat(),
                "label": labels[day.weekday()],
                "score": checkin.score if checkin else None,
                "missed": day in missed,
                "worrying": day in worrying,
            }
        )
    return points
