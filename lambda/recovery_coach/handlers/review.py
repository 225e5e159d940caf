"""Looking back: the week's trend, or one day's check-in."""
from __future__ import annotations

from datetime import date
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from recovery_coach import apl
from recovery_coach.checkins import Summary, days_since, on, summarize
from recovery_coach.handlers import phrases
from recovery_coach.handlers.base import RECENT_DAYS, Turn
from recovery_coach.handlers.checkin import OFFER

WEEK = 7
MISSED_NAMED = 3  # name missed days up to this many; beyond it, just count them


def week_speech(t: Turn, s: Summary, today: date, procedure: date | None) -> list[str]:
    """The spoken weekly summary: latest, average, best and worst, trend, missed days."""
    assert s.latest is not None and s.best is not None and s.worst is not None
    parts = [t.t("review.latest", score=s.latest.score, when=phrases.when(t, s.latest.day, today))]
    if s.logged > 1:
        parts.append(t.t("review.average", average=f"{s.average:g}"))
        parts.append(
            t.t(
                "review.range",
                best=s.best.score,
                best_when=phrases.bare_when(t, s.best.day, today),
                worst=s.worst.score,
                worst_when=phrases.bare_when(t, s.worst.day, today),
            )
        )
    parts.append(t.t(f"review.trend.{s.trend}"))
    parts.append(missed_speech(t, s, today, "review"))
    since = days_since(procedure, today)
    if since is not None:
        parts.append(t.t("review.procedure_day", days=since))
    if s.worrying:
        parts.append(t.t("review.worrying"))
    return parts


def missed_speech(t: Turn, s: Summary, today: date, voice: str) -> str:
    """Missed days, named when there are few. `voice` is "review" (the patient) or "care" (a caregiver)."""
    if not s.missed:
        return t.t(f"{voice}.missed.none")
    days = phrases.day_list(t, s.missed, today)
    if len(s.missed) == 1:
        return t.t(f"{voice}.missed.one", days=days)
    if len(s.missed) <= MISSED_NAMED:
        return t.t(f"{voice}.missed.some", count=len(s.missed), days=days)
    return t.t(f"{voice}.missed.many", count=len(s.missed))


class ReviewWeekHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ReviewWeekIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        today, record = t.today(), t.record()
        summary = summarize(t.history(), today, WEEK, record.profile.procedure_date, t.thresholds)
        if summary.latest is None:
            return t.reply(t.t("review.none"), ask=t.t("review.offer_checkin"), pending={"q": OFFER})
        speech = week_speech(t, summary, today, record.profile.procedure_date)
        return t.reply(
            *speech,
            ask=t.t("ask.next"),
            card=(t.t("skill.name"), " ".join(p for p in speech if p)),
            screen=week_screen(t, today) if t.has_screen() else None,
        )


def week_screen(t: Turn, today: date) -> dict[str, Any]:
    """The last two weeks as a chart (RECENT_DAYS: what Turn.record already read)."""
    record = t.record()
    points = apl.chart_points(
        t.history(),
        today,
        RECENT_DAYS,
        record.profile.procedure_date,
        t.thresholds,
        labels=[t.t(f"weekday.{n}")[:3] for n in range(7)],
    )
    return apl.chart_directive(t.t("skill.name"), points)


class ReviewDayHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ReviewDayIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        today = t.today()
        try:
            day = date.fromisoformat(t.slot("day") or today.isoformat())
        except ValueError:
            day = today
        if day > today:
            return t.reply(t.t("review.day.future"), ask=t.t("ask.next"))
        checkins = t.record().checkins
        if (today - day).days > RECENT_DAYS:
            checkins = t.services.store.load(t.user, since=day).checkins
        found = on(checkins, day)
        said_day = phrases.when(t, day, today)
        if found is None:
            return t.reply(t.t("review.day.none", when=said_day), ask=t.t("ask.next"))
        meds = {True: t.t("review.day.meds_yes"), False: t.t("review.day.meds_no"), None: ""}[found.took_meds]
        return t.reply(phrases.sentence(t.t("review.day", when=said_day, score=found.score, meds=meds)), ask=t.t("ask.next"))
