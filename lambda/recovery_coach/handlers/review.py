"""Looking back: the week's trend, or one day's check-in."""
from __future__ import annotations

from datetime import date
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from recovery_coach import apl, dates, dialog
from recovery_coach.checkins import Checkin, Summary, days_since, on, summarize
from recovery_coach.handlers import phrases
from recovery_coach.handlers.base import RECENT_DAYS, Turn
from recovery_coach.handlers.checkin import OFFER
from recovery_coach.handlers.roles import caregiver_of

WEEK = 7
MISSED_NAMED = 3  # name missed days up to this many; beyond it, just count them
SUMMED = (dates.WEEK, dates.WEEKEND, dates.MONTH)  # periods spoken as a summary; longer ones are refused


def week_speech(t: Turn, s: Summary, today: date, procedure: date | None) -> list[str | None]:
    """The spoken weekly summary: latest, average, best and worst, trend, missed days."""
    assert s.latest is not None and s.best is not None and s.worst is not None
    parts: list[str | None] = [t.t("review.latest", score=s.latest.score, when=phrases.when(t, s.latest.day, today))]
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
    parts.append(worrying_speech(t, s, "review"))
    return parts


def worrying_speech(t: Turn, s: Summary, voice: str, **values: str) -> str | None:
    """How many scores worried us, in words that agree with the count."""
    if not s.worrying:
        return None
    if len(s.worrying) == 1:
        return t.t(f"{voice}.worrying.one", **values)
    return t.t(f"{voice}.worrying.some", count=len(s.worrying), **values)


def missed_speech(t: Turn, s: Summary, today: date, voice: str) -> str | None:
    """Missed days, named when there are few. `voice` is "review" (the patient) or "care" (a caregiver).
    "Every day" only when two days or more back it: one check-in is not every day."""
    if not s.missed:
        return t.t(f"{voice}.missed.none") if s.logged > 1 else None
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
        if caregiver_of(t):  # a caregiver's "how has the week been" is about the patient
            from recovery_coach.handlers.caregiver import SUMMARY, for_patient  # caregiver imports this module

            return for_patient(t, SUMMARY, None)
        return week_review(t)


def week_review(t: Turn) -> Response:
    """The patient's own last seven days."""
    today, record = t.today(), t.record()
    summary = summarize(t.history(), today, WEEK, record.profile.procedure_date, t.thresholds)
    if summary.latest is None:
        return t.ask(OFFER, t.t("review.none"))
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


def period_phrase(t: Turn, period: dates.Period, today: date) -> str:
    """ "in November", "in November 2025", "from November 23 to November 29"."""
    if period.kind == dates.MONTH:
        month = t.t(f"month.{period.start.month}")
        if period.start.year == today.year:
            return t.t("period.month", month=month)
        return t.t("period.month_year", month=month, year=period.start.year)
    end = min(period.end, today)
    return t.t("period.range", start=phrases.spoken_date(t, period.start), end=phrases.spoken_date(t, end))


def checkins_since(t: Turn, day: date) -> tuple[Checkin, ...]:
    """The check-ins from `day` on: the usual read when it reaches back that far, else one more."""
    if (t.today() - day).days <= RECENT_DAYS:
        return t.history()
    return t.services.store.load(t.user, since=day).checkins


def review_period(t: Turn, period: dates.Period) -> Response:
    """A week, a weekend or a month: the days logged, the average, best and worst, trend, missed."""
    today = t.today()
    end = min(period.end, today)
    s = summarize(checkins_since(t, period.start), end, (end - period.start).days + 1,
                  t.profile().procedure_date, t.thresholds)
    said = period_phrase(t, period, today)
    if s.latest is None:
        return t.reply(t.t("review.period.none", period=said), ask=t.t("ask.next"))
    logged = t.t("review.period.days.one") if s.logged == 1 else t.t("review.period.days.n", n=s.logged)
    parts: list[str | None] = [phrases.sentence(t.t("review.period.intro", period=said, days=logged))]
    if s.logged > 1:
        assert s.best is not None and s.worst is not None
        parts.append(t.t("review.period.average", average=f"{s.average:g}"))
        parts.append(t.t("review.range", best=s.best.score, best_when=phrases.bare_when(t, s.best.day, today),
                         worst=s.worst.score, worst_when=phrases.bare_when(t, s.worst.day, today)))
        parts.append(t.t(f"review.trend.{s.trend}"))
    parts.append(missed_speech(t, s, today, "review"))
    parts.append(worrying_speech(t, s, "review"))
    return t.reply(*parts, ask=t.t("ask.next"), card=(t.t("skill.name"), " ".join(p for p in parts if p)))


def review_day(t: Turn, day: date) -> Response:
    today = t.today()
    found = on(checkins_since(t, day), day)
    said_day = phrases.when(t, day, today)
    if found is None:
        return t.reply(t.t("review.day.none", when=said_day), ask=t.t("ask.next"))
    meds = phrases.meds_note(t, found.took_meds, "review")
    return t.reply(phrases.sentence(t.t("review.day", when=said_day, score=found.score, meds=meds)), ask=t.t("ask.next"))


def review(t: Turn) -> Response:
    """Whatever AMAZON.DATE held: a day, a week, a weekend, a month. Never silently today."""
    today = t.today()
    said = t.slot("day") or t.slot("date")  # ReviewDayIntent, or the bare date that answers "which day?"
    period = dates.read(said, today) if said is not None else dates.Period(dates.DAY, today, today)
    if period is None:
        return t.ask(REVIEW_DAY, t.t("review.day.unclear"))
    if period.kind != dates.DAY and period.kind not in SUMMED:
        return t.ask(REVIEW_DAY, t.t("review.period.too_long"))
    period = dates.looking_back(period, today)
    if period.start > today:
        return t.reply(t.t("review.day.future"), ask=t.t("ask.next"))
    if period.kind == dates.DAY:
        return review_day(t, period.start)
    return review_period(t, period)


class ReviewDayHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ReviewDayIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        if caregiver_of(t):  # a caregiver asking about a day means the patient's day
            from recovery_coach.handlers.caregiver import DAY, for_patient  # caregiver imports this module

            return for_patient(t, DAY, None, t.slot("day"))
        return review(t)


REVIEW_DAY = dialog.declare("review_day", date=review)
