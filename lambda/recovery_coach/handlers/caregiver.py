"""The caregiver's side: link with the patient's code, then ask about them in their own words (the
week, a day, medicine), hear news at launch, get a report link, unlink. Read-only by construction:
every handler here reads the patient's record and writes only the caregiver's own link records.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from recovery_coach import dates, dialog, sharing
from recovery_coach.checkins import Checkin, Summary, on, summarize
from recovery_coach.handlers import alerting, phrases
from recovery_coach.handlers.base import RECENT_DAYS, Turn, history
from recovery_coach.handlers.questions import own
from recovery_coach.handlers.review import WEEK, missed_speech, review, week_review, worrying_speech
from recovery_coach.handlers.roles import only_caring
from recovery_coach.handlers.sharing import or_list, report_link, said_label
from recovery_coach.records import Link, UserRecord
from recovery_coach.store import StoreUnavailable

# What the caregiver wanted when we asked "which one?"
SUMMARY, UNLINK, REPORT, DAY, MEDICINE = "summary", "unlink", "report", "day", "medicine"


def link_with(t: Turn, said: str | None, name: str | None = None) -> Response:
    """Link with a code. Each account may get LINK_ATTEMPTS_PER_HOUR wrong; past
    LINK_FAILURES_PER_HOUR_ALL wrong codes of all accounts together, linking is guarded, not off: a
    code is looked at only with the name the patient chose ("link to Linda with code …"), so a
    caregiver with the right code still links while guesses must get the name right too. Only past
    LINK_FAILURES_PER_HOUR_PAUSED (a flood from a hundred accounts) does it pause for the hour."""
    settings, store, now = t.services.settings, t.services.store, t.services.clock()
    code = sharing.heard_code(said)
    if code is None:
        return t.ask(CODE, again=True)
    # Counted before the code is looked at, so parallel guesses can't pass the limits.
    full = store.reserve_link_attempt(t.user, now, settings.link_attempts_per_hour, settings.link_failures_per_hour_all)
    code_hash = sharing.code_hash(code, t.services.share_key())
    if full == "overall":
        if name is None:
            return t.reply(t.t("care.name_needed"), ask=t.t("ask.next"))
        full = store.reserve_link_attempt(t.user, now, settings.link_attempts_per_hour,
                                          settings.link_failures_per_hour_paused)
        chosen = store.code_label(code_hash, now) if full == "ok" else None
        if full == "ok" and (chosen is None or not t.content.same_person(chosen, name)):
            return t.reply(t.t("care.code_bad"), ask=t.t("ask.next"))  # counted: a wrong guess
    if full != "ok":
        return t.reply(t.t("care.too_many" if full == "caregiver" else "care.try_later"), ask=t.t("ask.next"))
    outcome, link = store.claim_share_code(code_hash, t.user, now)
    if link is not None or outcome == "own":
        try:
            store.refund_link_attempt(t.user, now)  # not a wrong guess
        except StoreUnavailable:
            pass  # the link is made either way; at worst this attempt stays counted
    if link is not None:
        try:
            store.forget_ended(t.user)  # linked again: an old "sharing ended" is no longer news
        except StoreUnavailable:
            pass
        return t.reply(t.t("care.linked", label=link.label), alerting.extended(t, link), ask=t.t("ask.next"))
    key = {"expired": "care.code_expired", "own": "care.code_own"}.get(outcome, "care.code_bad")
    return t.reply(t.t(key), ask=t.t("ask.next"))


class LinkPatientHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return own(handler_input, "LinkPatientIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        said = t.slot("code")
        if said is None:
            return t.ask(CODE)
        return link_with(t, said, said_label(t))


def patient_record(t: Turn, link: Link, since: date | None = None) -> tuple[UserRecord, tuple[Checkin, ...]]:
    """The linked patient's record and check-ins, read-only: the last two weeks (and back to the
    procedure, as for the patient), or back to `since`."""
    utc_today = t.services.clock().date()
    start = utc_today - timedelta(days=RECENT_DAYS + 1)
    record = t.services.store.load(link.patient, since=min(start, since) if since else start)
    return record, history(t.services.store, link.patient, record, utc_today)


def patient_week(t: Turn, link: Link) -> Summary:
    """The linked patient's last seven local days, read-only."""
    record, checkins = patient_record(t, link)
    return summarize(checkins, t.today(), WEEK, record.profile.procedure_date, t.thresholds)


def care_summary(t: Turn, link: Link, day: str | None = None) -> Response:
    """The patient's last seven days, for a caregiver: read-only. Worrying scores come with the
    office's number; no reply says the patient is fine."""
    today = t.today()
    s = patient_week(t, link)
    if s.latest is None:
        return t.reply(t.t("care.none", label=link.label), ask=t.t("ask.next"))
    parts = [
        t.t("care.intro", label=link.label),
        t.t("care.latest", score=s.latest.score, when=phrases.when(t, s.latest.day, today)),
        t.t("care.average", average=f"{s.average:g}") if s.logged > 1 else None,
        t.t(f"care.trend.{s.trend}"),
        missed_speech(t, s, today, "care"),
        worrying_speech(t, s, "care", label=link.label),
    ]
    return t.reply(*parts, ask=t.t("ask.next"), card=(link.label, " ".join(p for p in parts if p)))


def said_day(t: Turn, day: str | None) -> tuple[date | None, Response | None]:
    """The one past day a caregiver asked about (None: none said), or the reply when it can't be one."""
    if day is None:
        return None, None
    today = t.today()
    period = dates.read(day, today)
    if period is None or period.kind != dates.DAY:
        return None, t.reply(t.t("care.day.unclear"), ask=t.t("ask.next"))
    period = dates.looking_back(period, today)
    if period.start > today:
        return None, t.reply(t.t("review.day.future"), ask=t.t("ask.next"))
    return period.start, None


def care_day(t: Turn, link: Link, day: str | None = None) -> Response:
    """What the patient logged on a day; with no day, their last check-in."""
    wanted, refused = said_day(t, day)
    if refused is not None:
        return refused
    today = t.today()
    _, checkins = patient_record(t, link, since=wanted)
    if wanted is None:
        latest = max(checkins, key=lambda c: c.day, default=None)
        if latest is None:
            return t.reply(t.t("care.last.none", label=link.label, days=RECENT_DAYS), ask=t.t("ask.next"))
        said = t.t("care.last", label=link.label, when=phrases.when(t, latest.day, today), score=latest.score,
                   meds=phrases.meds_note(t, latest.took_meds, "care"))
        return t.reply(said, ask=t.t("ask.next"))
    found = on(checkins, wanted)
    when = phrases.when(t, wanted, today)
    if found is None:
        key = "care.day.none_today" if wanted == today else "care.day.none"
        return t.reply(t.t(key, label=link.label, when=when), ask=t.t("ask.next"))
    meds = phrases.meds_note(t, found.took_meds, "care")
    said = t.t("care.day", label=link.label, when=when, score=found.score, meds=meds)
    return t.reply(phrases.sentence(said), ask=t.t("ask.next"))


def care_medicine(t: Turn, link: Link, day: str | None = None) -> Response:
    """Whether the patient said they took pain medicine on a day (today when none is said): what
    they logged, never advice."""
    wanted, refused = said_day(t, day)
    if refused is not None:
        return refused
    today = t.today()
    wanted = wanted or today
    found = on(patient_record(t, link, since=wanted)[1], wanted)
    when = phrases.when(t, wanted, today)
    if found is None:
        key = "care.meds.no_checkin_today" if wanted == today else "care.meds.no_checkin"
        return t.reply(t.t(key, label=link.label, when=when), ask=t.t("ask.next"))
    key = {True: "care.meds.yes", False: "care.meds.no", None: "care.meds.unsaid"}[found.took_meds]
    return t.reply(phrases.sentence(t.t(key, label=link.label, when=when)), ask=t.t("ask.next"))


def unlink(t: Turn, link: Link, day: str | None = None) -> Response:
    t.services.store.unlink(t.user, link.patient)
    return t.reply(t.t("care.unlinked", label=link.label), ask=t.t("ask.next"))


def send_report(t: Turn, link: Link, day: str | None = None) -> Response:
    url, days = report_link(t, link.patient, link.label, caregiver=t.user)
    card = t.t("care.report.card", url=url, days=days, label=link.label)
    return t.reply(t.t("care.report_sent", label=link.label, days=days), ask=t.t("ask.next"),
                   card=(t.t("share.report.card.title"), card))


ACTIONS: dict[str, Any] = {SUMMARY: care_summary, UNLINK: unlink, REPORT: send_report, DAY: care_day,
                           MEDICINE: care_medicine}


# Asked with no name by an account that looks after nobody but logs its own pain: its own record.
OWN: dict[str, Any] = {SUMMARY: week_review, DAY: review, MEDICINE: review}


def for_patient(t: Turn, action: str, label: str | None, day: str | None = None) -> Response:
    """Do `action` for the one linked patient, the one named, or ask which. A title names the
    patient who chose it in any spelling ("mom" finds "Mum"); "she" or no name, the only one."""
    links, notices = t.services.store.caregiver_links(t.user)
    named = [link for link in links if t.content.same_person(link.label, label)] if label else []
    if len(named) == 1:
        return ACTIONS[action](t, named[0], day)
    if len(links) == 1 and label is None:
        return ACTIONS[action](t, links[0], day)
    ended = sharing_ended(t, notices, label) if label is not None or not links else []
    if ended:
        return t.reply(*ended, ask=t.t("ask.next"))
    if not links:
        if label is None and action in OWN and not only_caring(t.record()):
            return OWN[action](t)  # a patient's "how has the week gone": their own check-ins
        return t.reply(t.t("care.not_linked"), ask=t.t("ask.next"))
    unknown = t.t("care.unknown_label", label=label) if label and not named else None
    return t.ask(CHOOSE, unknown, words={"list": or_list(t, links)}, then=action, day=day)


def sharing_ended(t: Turn, notices: list[str], label: str | None = None) -> list[str]:
    """ "Linda has stopped sharing her check-ins with you", once, for each patient who ended the
    link since the caregiver last heard (`notices`, from caregiver_links; only the one named, when a
    name was said). Nothing when they can't be marked told: the caregiver hears the usual reply."""
    ended = [e for e in notices if label is None or t.content.same_person(e, label)]
    if ended:
        try:
            t.services.store.forget_ended(t.user)
        except StoreUnavailable:
            return []
    return [t.t("care.ended", label=e) for e in dict.fromkeys(ended)] + ([t.t("care.ended.again")] if ended else [])


def caregiver_launch(t: Turn, links: list[Link]) -> Response:
    """A caregiver's welcome: whose recovery they follow, each patient's latest check-in, and what
    worried since their last visit (a high score, a rise, missed days). Never a prompt to log."""
    today, profile = t.today(), t.profile()
    seen = profile.care_seen if profile.care_seen and profile.care_seen > today - timedelta(days=WEEK) else None
    names = [link.label for link in links]
    parts: list[str | None] = [t.t("launch.care.welcome_back" if profile.disclaimer_heard else "launch.care.welcome",
                                   labels=phrases.listed(t, names))]
    for link in links[:MAX_NEWS]:
        parts.extend(patient_news(t, link, today, seen))
    try:
        t.services.store.save_profile(t.user, replace(profile, care_seen=today))
    except StoreUnavailable:
        pass  # the news is said anyway; next time it may repeat
    return t.reply(*parts, ask=t.t("launch.care.ask", label=names[0]))


MAX_NEWS = 3  # patients whose news a launch reads; more are asked about by name


def flag_news(t: Turn, link: Link, today: date, seen: date | None) -> list[str | None]:
    """A warning sign the patient reported since the caregiver's last visit: first, with the office.
    Known while its alert is queued (three days; kept where alerts are off too: alerts.queue)."""
    flags = [a for a in t.services.store.patient_alerts(link.patient, seen or today - timedelta(days=2))
             if a.kind == "flag"]
    return [t.t("launch.care.flag", label=link.label, when=phrases.when(t, flags[-1].day, today))] if flags else []


def patient_news(t: Turn, link: Link, today: date, seen: date | None) -> list[str | None]:
    s = patient_week(t, link)
    flagged = flag_news(t, link, today, seen)
    if s.latest is None:
        return [*flagged, t.t("care.none", label=link.label)]
    news: list[str | None] = [*flagged, t.t("launch.care.latest", label=link.label, score=s.latest.score,
                                            when=phrases.when(t, s.latest.day, today))]
    if s.latest.day != today:
        news.append(t.t("launch.care.not_today", label=link.label))
    start = seen or s.start
    worrying = [c for c in s.worrying if c.day >= start]
    missed = [d for d in s.missed if d >= start]
    if missed:
        news.append(t.t("launch.care.missed.one" if len(missed) == 1 else "launch.care.missed.some",
                        count=len(missed), label=link.label))
    if worrying:
        news.append(t.t("launch.care.worrying.one" if len(worrying) == 1 else "launch.care.worrying.some",
                        count=len(worrying), label=link.label))
    return news


# What each question about a patient asks for: the one handler below answers them all.
QUESTIONS = {"PatientSummaryIntent": SUMMARY, "PatientDayIntent": DAY, "PatientMedicineIntent": MEDICINE,
             "UnlinkPatientIntent": UNLINK, "SendMeReportIntent": REPORT}


class PatientQuestionHandler(AbstractRequestHandler):
    """A caregiver's question about a patient (named, or the only one): the week, a day, medicine,
    a report link, or ending the link."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(is_intent_name(name)(handler_input) for name in QUESTIONS)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return for_patient(t, QUESTIONS[str(t.intent)], said_label(t), t.slot("day"))


# Six digits are the code; any other number is still a check-in.
CODE = dialog.declare("link_code", number=lambda t: link_with(t, t.number()), number_if=sharing.heard_code)
CHOOSE = dialog.declare("choose_patient", name=lambda t: for_patient(t, t.pending.get("then", SUMMARY), said_label(t),
                                                                      t.pending.get("day")))
