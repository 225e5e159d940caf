"""Daily pain check-ins: validation, comparison, warnings and weekly trends. Plain values only."""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

MIN_SCORE, MAX_SCORE = 0, 10
# A least-squares slope (points per day) beyond this counts as a trend.
TREND_SLOPE = 0.25


@dataclass(frozen=True)
class Checkin:
    day: date
    score: int
    took_meds: bool | None = None
    history: tuple[dict[str, object], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Thresholds:
    high_score: int = 7
    rise: int = 2
    relief_days: int = 2


def parse_score(value: str | None) -> int | None:
    """A whole number 0–10 as Alexa's AMAZON.NUMBER gives it, else None ("?", 11, -2, 7.5, "banana")."""
    if value is None or not re.fullmatch(r"\s*-?\d+\s*", value):
        return None
    score = int(value)
    return score if MIN_SCORE <= score <= MAX_SCORE else None


_SCORE_NUMBERS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten".split())}
_NUM = r"(\d{1,2}|zero|one|two|three|four|five|six|seven|eight|nine|ten)"
# A number that is the speaker's pain score inside a longer sentence: after words that introduce one
# ("my pain is a nine", "it's at 8", "I'm a nine"), first in the words (a carrier took "it's a"; or
# hedged: "I'd say a six today and …"), or
# before "out of ten" / "/10"; never one that counts something ("I'm 9 days out", "it's 2 weeks"), nor
# someone else's ("her pain is an eight").
_NOT_A_COUNT = r"\b(?!\s+(?:days?|weeks?|months?|years?|hours?|minutes?|times?|pills?|tablets?|degrees?|am|pm|oclock|of))"
# How a score may be put first: "I'd say a six", "probably a four", "about a five", "maybe a six".
# A carrier may have taken the "I" ("I would say …" reaches a symptom's slot as "would say …").
_HEDGE = (r"(?:(?:(?:(?:i\s+)?(?:would|will)|id|ill)\s+(?:say|put\s+it\s+at|call\s+it)"
          r"|probably|maybe|about|around|roughly|say)\s+)*")
_SCORE_SAID = (
    r"(?:(?:^|\bmy\s+|\bthe\s+)(?:pain|score|pain\s+level|pain\s+score)s?|\bit|\bits|\bthats|\bim)"
    r"(?:\s+(?:is|s|was|at|about|around|like|a|an|maybe|probably|honestly))*\s+" + _NUM + _NOT_A_COUNT
    + r"|^" + _HEDGE + r"(?:a\s+|an\s+)?" + _NUM  # first in the words (a carrier took "it's a"), maybe hedged
    + r"(?=\s*(?:$|[,.;]|and\b(?!\s+an?\s+(?:half|quarter))|but\b|now\b|today\b))"  # not "two and a half weeks"
    + r"|\b" + _NUM + r"\s*(?:out\s+of\s+(?:10|ten)|/\s*10)\b")


@functools.cache
def _score_said() -> re.Pattern[str]:
    """_SCORE_SAID compiled on first use: a few ms that a launch or a question need not pay."""
    return re.compile(_SCORE_SAID)


def score_in(text: str) -> int | None:
    """A whole-number pain score 0–10 said inside a longer sentence ("my pain is a nine and I can't
    feel my legs"), or None: none said that way, or two different ones."""
    flat = re.sub(r"['\u2019]", "", text.lower())
    found = {_SCORE_NUMBERS.get(n, None) if not n.isdigit() else int(n)
             for m in _score_said().finditer(flat) for n in m.groups() if n}
    scores = {n for n in found if n is not None and MIN_SCORE <= n <= MAX_SCORE}
    return scores.pop() if len(scores) == 1 and len(found) == 1 else None


def previous(checkins: Sequence[Checkin], day: date) -> Checkin | None:
    """The latest check-in before `day`."""
    earlier = [c for c in checkins if c.day < day]
    return max(earlier, key=lambda c: c.day) if earlier else None


def on(checkins: Sequence[Checkin], day: date) -> Checkin | None:
    return next((c for c in checkins if c.day == day), None)


def days_since(procedure: date | None, day: date) -> int | None:
    """Day 0 is the procedure day itself."""
    if procedure is None or procedure > day:
        return None
    return (day - procedure).days


@dataclass(frozen=True)
class Warning:
    reasons: tuple[str, ...]  # "high", "rise", "not_easing"

    def __bool__(self) -> bool:
        return bool(self.reasons)


def assess(score: int, day: date, history: Sequence[Checkin], procedure: date | None, limits: Thresholds) -> Warning:
    """Why a check-in is worrying, if it is. `history` holds the user's other check-ins."""
    reasons: list[str] = []
    if score >= limits.high_score:
        reasons.append("high")
    before = previous(history, day)
    if before is not None and score - before.score >= limits.rise:
        reasons.append("rise")
    since = days_since(procedure, day)
    if since is not None and since > limits.relief_days and score > 0:
        baseline = [c for c in history if procedure is not None and procedure <= c.day < day]
        if baseline and score >= min(baseline, key=lambda c: c.day).score:
            reasons.append("not_easing")
    return Warning(tuple(reasons))


@dataclass(frozen=True)
class Summary:
    start: date
    end: date
    latest: Checkin | None
    average: float | None
    best: Checkin | None
    worst: Checkin | None
    trend: str  # "easing", "rising", "steady", "unknown"
    missed: tuple[date, ...]
    worrying: tuple[Checkin, ...]

    logged: int = 0


def mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items)


def slope(points: Sequence[tuple[float, float]]) -> float:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = mean(xs), mean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


def summarize(checkins: Sequence[Checkin], end: date, days: int, procedure: date | None, limits: Thresholds) -> Summary:
    """The last `days` local days up to `end`, today included."""
    start = end - timedelta(days=days - 1)
    window = sorted((c for c in checkins if start <= c.day <= end), key=lambda c: c.day)
    logged_days = {c.day for c in window}
    # A day counts as missed only after the first check-in: before it there was nothing to miss.
    began = min((c.day for c in checkins), default=end)
    missed = tuple(
        d for d in (start + timedelta(n) for n in range(days)) if d not in logged_days and d >= began and d < end
    )
    if not window:
        return Summary(start, end, None, None, None, None, "unknown", missed, ())
    if len(window) >= 2:
        s = slope([((c.day - start).days, c.score) for c in window])
        trend = "easing" if s <= -TREND_SLOPE else "rising" if s >= TREND_SLOPE else "steady"
    else:
        trend = "unknown"
    worrying = tuple(c for c in window if assess(c.score, c.day, checkins, procedure, limits))
    return Summary(
        start=start,
        end=end,
        latest=window[-1],
        average=round(mean(c.score for c in window), 1),
        best=min(window, key=lambda c: (c.score, -c.day.toordinal())),
        worst=max(window, key=lambda c: (c.score, c.day.toordinal())),
        trend=trend,
        missed=missed,
        worrying=worrying,
        logged=len(window),
    )
