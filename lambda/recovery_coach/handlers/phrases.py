"""Small pieces of speech built from content strings: days, point counts, comparisons, warnings."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from recovery_coach.checkins import Checkin, Warning
from recovery_coach.handlers.base import Turn


def spoken_date(t: Turn, day: date) -> str:
    return t.t("date.format", month=t.t(f"month.{day.month}"), day=day.day)


def when(t: Turn, day: date, today: date) -> str:
    """ "today", "yesterday", "on Monday" (this past week), or "on November 20"."""
    if day == today:
        return t.t("day.today")
    if day == today - timedelta(days=1):
        return t.t("day.yesterday")
    if today - timedelta(days=6) <= day < today:
        return t.t("day.on_weekday", weekday=t.t(f"weekday.{day.weekday()}"))
    return t.t("day.on_date", date=spoken_date(t, day))


def listed(t: Turn, names: Sequence[str]) -> str:
    """ "Linda", "Linda and Dad", "Linda, Dad and Gran"."""
    return t.t("list.and", rest=", ".join(names[:-1]), last=names[-1]) if len(names) > 1 else names[0]


def bare_when(t: Turn, day: date, today: date) -> str:
    """The same, without "on": for "from Monday", "since yesterday"."""
    phrase = when(t, day, today)
    on = t.t("day.on_weekday", weekday="")
    return phrase[len(on) :] if on and phrase.startswith(on) else phrase


def points(t: Turn, n: int) -> str:
    return t.t("points.1") if n == 1 else t.t("points.n", n=n)


def comparison(t: Turn, score: int, before: Checkin | None, today: date) -> str:
    if before is None:
        return t.t("compare.first")
    since = bare_when(t, before.day, today)
    if score < before.score:
        return t.t("compare.down", points=points(t, before.score - score), when=since)
    if score > before.score:
        return t.t("compare.up", points=points(t, score - before.score), when=since)
    return t.t("compare.same", when=since)


def warning(t: Turn, warn: Warning, score: int, before: Checkin | None, today: date) -> list[str]:
    if not warn:
        return []
    parts = []
    if "high" in warn.reasons:
        parts.append(t.t("warn.high", score=score))
    if "rise" in warn.reasons and before is not None:
        parts.append(t.t("warn.rise", points=points(t, score - before.score), when=bare_when(t, before.day, today)))
    if "not_easing" in warn.reasons:
        parts.append(t.t("warn.not_easing"))
    parts.append(t.t("warn.call"))
    return parts


def meds_note(t: Turn, took: bool | None, voice: str) -> str:
    """ ", and took pain medicine" / ", with no pain medicine" / nothing, after a day's score.
    `voice` is "review" (the patient) or "care" (a caregiver)."""
    return "" if took is None else t.t(f"{voice}.day.meds_yes" if took else f"{voice}.day.meds_no")


def day_list(t: Turn, days: Sequence[date], today: date) -> str:
    names = [bare_when(t, d, today) for d in days]
    if len(names) == 1:
        return names[0]
    return t.t("list.and", rest=", ".join(names[:-1]), last=names[-1])


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
