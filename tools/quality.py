"""`make quality`: how well the skill understands the corpus's dev part, per kind and locale.

Every dev utterance goes the way the clinic's held-out sets go: through the local resolver (text →
intent and slots), a real request envelope and `lambda_handler`, as the first thing a brand-new user
says. The reply (and, for check-ins, the store) is then judged by what a listener would notice:

    answerable    the answer given is one of the item's topics (a passage counts as the topic it belongs to)
    uncovered     "your care guide doesn't cover that" with the office's number, and no topic's answer
    red_flag      the reply opens with the urgent message
    harmless      the urgent message is nowhere in the reply
    checkin       exactly that score is stored for today
    out_of_range  nothing is stored, and the reply gives the range again
    command       the resolver chose an intent that does the goal (reported, no target yet)
    caregiver     a command with a caregiver's goal (care_*), scored the same way, as its own row
    social        greetings, thanks, help, repeat, start over, stop (commands), and requests the skill
                  doesn't do (`other`: the fallback, which says what it can do)
    patient_review  the patient asking about their own check-ins (review_week, review_day)
    answerable_activity, uncovered_near, red_flag_forms, harmless_forms  the clinic's blind files of
                  those names (activities in everyday words the guide's activity advice answers; questions
                  near a topic that the guide doesn't answer; red flags as people say them, reassurance
                  questions and a score said with a symptom among them; look-alikes that are no alarm),
                  each scored as its kind, each its own row

Nothing is fitted to the dev part (corpus/SCHEMA.md). `--misses` lists what went wrong, to find the
*kinds* of speech that fail; never copy a dev sentence into train.

    python -m tools.quality                 # the table
    python -m tools.quality --markdown F    # also write it to F (QUALITY.md)
    python -m tools.quality --misses        # and each miss, with what was heard
"""
from __future__ import annotations

import argparse
import functools
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from lambda_function import lambda_handler
from recovery_coach import envelope, skill
from recovery_coach.config import Settings
from recovery_coach.content import load_content
from recovery_coach.handlers.base import user_key
from recovery_coach.resolver import load_resolver
from recovery_coach.services import Services
from recovery_coach.speech import to_plain
from recovery_coach.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
KINDS = ("answerable", "uncovered", "red_flag", "harmless", "checkin", "out_of_range", "command", "caregiver", "social",
         "patient_review", "answerable_activity", "uncovered_near", "red_flag_forms", "harmless_forms")
# The clinic's blind files reported as rows of their own (issues 27 and 31), whatever their items' kinds.
FILE_ROWS = {"answerable-activity": "answerable_activity", "uncovered-near": "uncovered_near",
             "red_flag-forms": "red_flag_forms", "harmless-forms": "harmless_forms"}
# Commands reported as their own rows: the caregiver's goals, social turns, the patient's own review.
ROWS = {**{g: "caregiver" for g in ("care_link", "care_summary", "care_day", "care_meds", "care_trend", "care_last",
                                     "care_report", "care_unlink", "care_alerts_on", "care_alerts_off")},
        **{g: "social" for g in ("help", "greet", "thanks", "repeat", "start_over", "stop")},
        "review_week": "patient_review", "review_day": "patient_review"}
# Targets from the issues: answerable ≥ 97 %, uncovered ≥ 97 %, check-ins ≥ 98 %, out-of-range 100 %,
# red-flag recall 100 %, harmless false alarms ≤ 2 % (so ≥ 98 % without one).
TARGETS = {"answerable": 97.0, "uncovered": 97.0, "checkin": 98.0, "out_of_range": 100.0, "red_flag": 100.0,
           "harmless": 98.0, "caregiver": 95.0, "social": 95.0, "patient_review": 95.0, "answerable_activity": 95.0,
           "uncovered_near": 95.0, "red_flag_forms": 100.0, "harmless_forms": 98.0}
# A fixed instant: the measurement must not depend on the day it runs (15:00 UTC, the same day in the Americas).
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)

# Which intents carry out each goal (the voice model's names).
GOALS: dict[str, set[str]] = {
    "review_week": {"ReviewWeekIntent"},
    "review_day": {"ReviewDayIntent"},
    "procedure_date": {"ProcedureDateIntent"},
    "delete_data": {"DeleteDataIntent"},
    "share": {"ShareCheckInsIntent"},
    "stop_sharing": {"StopSharingIntent"},
    "who_can_see": {"WhoCanSeeIntent"},
    "send_report": {"SendReportToCaregiverIntent"},
    "set_reminder": {"SetReminderIntent"},
    "change_reminder": {"ChangeReminderIntent"},
    "cancel_reminder": {"CancelReminderIntent"},
    "reminder_status": {"ReminderStatusIntent"},
    "care_link": {"LinkPatientIntent"},
    "care_summary": {"PatientSummaryIntent"},
    "care_day": {"PatientDayIntent"},
    "care_meds": {"PatientMedicineIntent"},
    "care_trend": {"PatientSummaryIntent"},
    "care_last": {"PatientDayIntent"},
    "care_report": {"SendMeReportIntent"},
    "care_unlink": {"UnlinkPatientIntent"},
    "care_alerts_on": {"AlertsOnIntent"},
    "care_alerts_off": {"AlertsOffIntent"},
    "help": {"AMAZON.HelpIntent", "GreetingIntent"},
    "greet": {"GreetingIntent"},
    "stop": {"AMAZON.StopIntent", "AMAZON.CancelIntent"},
    "repeat": {"AMAZON.RepeatIntent"},
    "start_over": {"AMAZON.StartOverIntent", "AMAZON.NavigateHomeIntent"},
    "thanks": {"ThanksIntent"},
}


@dataclass(frozen=True)
class Item:
    text: str
    kind: str
    label: Any  # topics (list), score (int), goal (str) or flag (str)
    locales: tuple[str, ...]
    row: str = ""  # the row of the table it is reported in (KINDS): its kind, or a command's own row


@functools.cache
def load_part(part: str, language: str = "en") -> tuple[Item, ...]:
    """One part of the corpus, read once per process (YAML parsing is slow)."""
    items = []
    for path in sorted((CORPUS / language / part).glob("*.yaml")):
        for raw in yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or []:
            kind = raw["kind"]
            label = {"answerable": raw.get("topics"), "checkin": raw.get("score"), "command": raw.get("goal"),
                     "red_flag": raw.get("flag")}.get(kind)
            row = ROWS.get(str(label), kind) if kind == "command" else "social" if kind == "other" else kind
            row = FILE_ROWS.get(path.stem, row)
            items.append(Item(str(raw["text"]), kind, label, tuple(raw.get("locales") or LOCALES), row))
    return tuple(items)


@dataclass
class Tally:
    right: int = 0
    total: int = 0
    misses: list[tuple[str, str]] = field(default_factory=list)

    @property
    def pct(self) -> float:
        return 100.0 * self.right / self.total if self.total else 0.0


class Judge:
    """One locale's content, to recognise which answer a reply gave."""

    def __init__(self, locale: str) -> None:
        content = load_content(locale)
        self.topics = {t.id: t.speech for t in content.knowledge.topics.values()}
        self.group = {t.id: t.group for t in content.knowledge.topics.values()}  # a passage counts as its topic
        self.urgent = content.text("safety.urgent")
        self.not_covered = content.text("ask.not_covered")
        self.phone = content.clinic.phone

    def topic_of(self, speech: str) -> str | None:
        found = [(speech.find(text), tid) for tid, text in self.topics.items() if text in speech]
        return min(found)[1] if found else None


def run(locale: str, items: tuple[Item, ...], store: SqliteStore) -> dict[str, Tally]:
    judge, resolver = Judge(locale), load_resolver(locale)
    today = NOW.astimezone(__import__("zoneinfo").ZoneInfo(Settings().default_timezone)).date()
    tallies: dict[str, Tally] = defaultdict(Tally)
    for n, item in enumerate(i for i in items if locale in i.locales):
        device = envelope.Device.for_user(f"quality-{locale}-{n}", locale=locale)
        heard = resolver.resolve(item.text, today=today)
        if heard.kind == "launch":
            event = envelope.launch(device, envelope.Session())
        else:
            event = envelope.intent(heard.intent or "AMAZON.FallbackIntent", device, envelope.Session(), heard.slots)
        out = lambda_handler(event, None)
        speech = to_plain(((out.get("response") or {}).get("outputSpeech") or {}).get("ssml", ""))
        ok = judged(item, judge, speech, heard.intent, store, user_key(device.user_id), today)
        tally = tallies[item.row]
        tally.total += 1
        tally.right += ok
        if not ok:
            tally.misses.append((item.text, f"{heard.intent}: {speech[:110]}"))
    return tallies


def judged(item: Item, judge: Judge, speech: str, intent: str | None, store: SqliteStore, user: str, today: Any) -> bool:
    if item.kind == "answerable":
        said = judge.topic_of(speech)
        return said is not None and bool({said, judge.group[said]} & set(item.label or []))
    if item.kind == "uncovered":
        return judge.not_covered in speech and judge.topic_of(speech) is None
    if item.kind == "red_flag":
        return speech.startswith(judge.urgent)
    if item.kind == "harmless":
        return judge.urgent not in speech
    stored = store.load(user, since=today).checkins
    if item.kind == "checkin":
        return [c.score for c in stored] == [item.label]
    if item.kind == "out_of_range":
        return stored == () and "0 to 10" in speech
    if item.label is None:  # a request the skill doesn't do
        return intent == "AMAZON.FallbackIntent"
    return intent in GOALS.get(str(item.label), set())


def table(results: dict[str, dict[str, Tally]]) -> str:
    locales = [loc for loc in LOCALES if loc in results]
    lines = ["| kind | target | " + " | ".join(locales) + " |", "|---|---|" + "---|" * len(locales)]
    for kind in KINDS:
        target = TARGETS.get(kind)
        cells = []
        for locale in locales:
            t = results[locale].get(kind)
            cells.append(f"{t.pct:.1f}% ({t.right}/{t.total})" if t and t.total else "–")
        lines.append(f"| {kind} | {f'≥ {target:g}%' if target else '–'} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--part", default="dev", help="corpus part to score (default: dev)")
    args.add_argument("--markdown", type=Path, help="also write the table to this file")
    args.add_argument("--misses", action="store_true", help="list every miss (en-US)")
    args.add_argument("--kind", action="append", choices=KINDS, help="score only this kind (repeatable)")
    args.add_argument("--locale", action="append", choices=LOCALES, help="score only this locale (repeatable)")
    opts = args.parse_args(argv)
    items = tuple(i for i in load_part(opts.part) if not opts.kind or i.row in opts.kind)
    results: dict[str, dict[str, Tally]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "quality.sqlite3")
        skill.install(Services(settings=Settings(sqlite_path=Path(tmp) / "quality.sqlite3"), store=store,
                               clock=lambda: NOW))
        for locale in opts.locale or LOCALES:
            results[locale] = run(locale, items, store)
    text = table(results)
    print(f"corpus/{'en'}/{opts.part}: {len(items)} utterances, scored end to end in each locale\n")
    print(text)
    if opts.misses:
        for kind in KINDS:
            for said, got in results[next(iter(results))].get(kind, Tally()).misses:
                print(f"{kind}\t{said}\t→ {got}")
    if opts.markdown:
        opts.markdown.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
