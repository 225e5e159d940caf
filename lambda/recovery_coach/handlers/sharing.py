"""Sharing check-ins with caregivers: the patient shares and revokes; the caregiver links, listens, unlinks.

A caregiver's access is read-only by construction: every caregiver handler reads the patient's
record and writes only the caregiver's own link records.
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
from recovery_coach.handlers import phrases
from recovery_coach.handlers.base import RECENT_DAYS, Turn, history
from recovery_coach.handlers.questions import own
from recovery_coach.handlers.roles import only_caring
from recovery_coach.handlers.review import WEEK, missed_speech, review, week_review, worrying_speech
from recovery_coach.records import Link
from recovery_coach.store import StoreUnavailable

# What the caregiver wanted when we asked "which one?"
SUMMARY, UNLINK, REPORT, DAY, MEDICINE = "summary", "unlink", "report", "day", "medicine"
LABEL_CHARS = 40


def heard_label(t: Turn) -> tuple[str | None, bool]:
    """What the patient (or a caregiver) called someone, and whether Alexa knew the word: a title
    from the list ("Mum", kept as said) or a first name (AMAZON.FirstName) is known; a word the list
    doesn't hold is taken as heard, to be said back."""
    label = t.canonical("label")
    if label:
        return label[:LABEL_CHARS], True
    name = t.slot("name")
    if name and name != "?":
        return name.title()[:LABEL_CHARS], True
    heard = t.heard("label")
    return (heard.title()[:LABEL_CHARS], False) if heard else (None, False)


def said_label(t: Turn) -> str | None:
    return heard_label(t)[0]


def or_list(t: Turn, links: list[Link]) -> str:
    names = [link.label for link in links]
    return t.t("list.or", rest=", ".join(names[:-1]), last=names[-1]) if len(names) > 1 else names[0]


# --- the patient ---------------------------------------------------------------------------------

class ShareCheckInsHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ShareCheckInsIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.ask(LABEL)


SHARE, RENAME = "share", "rename"  # what a name the patient says is for


def label_said(t: Turn) -> Response:
    """The patient said what the caregiver should call them: go on (make the code, or rename), or
    first say back a word Alexa didn't know."""
    then = t.pending.get("then", SHARE)
    label, known = heard_label(t)
    if label is None:
        return t.ask(LABEL, again=True, then=then)
    if not known:
        return t.ask(LABEL_CHECK, words={"label": label}, label=label, then=then)
    return use_label(t, label, then)


def use_label(t: Turn, label: str, then: str) -> Response:
    return rename(t, label) if then == RENAME else make_code(t, label)


def rename(t: Turn, label: str) -> Response:
    """Every caregiver, code and report link of the patient's carries the new name from now on."""
    try:
        linked = t.services.store.relabel(t.user, label)
    except StoreUnavailable:
        return t.reply(t.t("name.not_saved"), ask=t.t("ask.next"))
    return t.reply(t.t("name.changed" if linked else "name.changed_unlinked", label=label), ask=t.t("ask.next"))


class WhatAmICalledHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("WhatAmICalledIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        labels = list(dict.fromkeys(link.label for link in t.services.store.links_of_patient(t.user)))
        if not labels:
            return t.reply(t.t("name.none"), ask=t.t("ask.next"))
        said = labels[0] if len(labels) == 1 else t.t("list.and", rest=", ".join(labels[:-1]), last=labels[-1])
        return t.reply(t.t("name.is", label=said), ask=t.t("ask.next"))


class ChangeLabelHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ChangeLabelIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        label, known = heard_label(t)
        if label is None:
            return t.ask(LABEL, then=RENAME)
        if not known:
            return t.ask(LABEL_CHECK, words={"label": label}, label=label, then=RENAME)
        return rename(t, label)


def make_code(t: Turn, label: str) -> Response:
    """The one-time code, for the caregiver to hear the patient called `label`."""
    settings, now = t.services.settings, t.services.clock()
    code = sharing.new_code()
    try:
        t.services.store.save_share_code(
            t.user, sharing.code_hash(code, t.services.share_key()), label, now + timedelta(hours=settings.share_code_hours)
        )
    except StoreUnavailable:
        return t.reply(t.t("share.not_saved"), ask=t.t("ask.next"))
    hours = settings.share_code_hours
    return t.reply(
        t.t("share.code", code=sharing.spoken_code(code), hours=hours),
        ask=t.t("ask.next"),
        card=(t.t("share.code.card.title"), t.t("share.code.card", digits=" ".join(code), hours=hours)),
    )


class StopSharingHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("StopSharingIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return t.ask(STOP)


def stop_sharing(t: Turn) -> Response:
    try:
        t.services.store.revoke_sharing(t.user)
    except StoreUnavailable:
        return t.ask(STOP, t.t("share.stop_failed"))
    return t.reply(t.t("share.stopped"), ask=t.t("ask.next"))


class WhoCanSeeHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("WhoCanSeeIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        store = t.services.store
        links, reports = store.links_of_patient(t.user), store.report_links(t.user, t.services.clock())
        if not links and not reports:
            return t.reply(t.t("share.none"), ask=t.t("ask.next"))
        parts = [who_is_linked(t, links)]
        if reports:
            days = t.services.settings.report_token_days
            parts.append(t.t("share.who.reports.one" if reports == 1 else "share.who.reports.some", count=reports,
                             days=days))
        return t.reply(*parts, t.t("share.who.off"), ask=t.t("ask.next"))


def who_is_linked(t: Turn, links: list[Link]) -> str:
    """The linked caregivers, each with the day they linked."""
    if not links:
        return t.t("share.who.none")
    today, zone = t.today(), t.zone()
    since = [t.t("share.since", when=phrases.bare_when(t, link.since.astimezone(zone).date(), today)) for link in links]
    if len(links) == 1:
        return t.t("share.who.one", since=since[0])
    listed = t.t("list.and", rest=", ".join(f"one {s}" for s in since[:-1]), last=f"one {since[-1]}")
    return t.t("share.who.some", count=len(links), list=listed)


def report_link(t: Turn, patient: str, label: str, caregiver: str | None = None) -> tuple[str, int]:
    """A new report token for the patient: the link to put on a card, and its days. One a caregiver
    mints lives only as long as their link, and replaces their oldest beyond the cap."""
    settings = t.services.settings
    token = sharing.new_token()
    expires = t.services.clock() + timedelta(days=settings.report_token_days)
    t.services.store.save_report_token(sharing.token_hash(token), patient, label, expires, caregiver=caregiver,
                                       keep=settings.report_links_per_caregiver)
    return f"{settings.report_base_url}/report/{token}", settings.report_token_days


class SendReportToCaregiverHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("SendReportToCaregiverIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        links = t.services.store.links_of_patient(t.user)
        label = links[-1].label if links else t.t("share.report.label_default")
        url, days = report_link(t, t.user, label)
        card = t.t("share.report.card", url=url, days=days, whose=t.t("share.report.your"))
        return t.reply(t.t("share.report_sent", days=days), ask=t.t("ask.next"), card=(t.t("share.report.card.title"), card))


# --- the caregiver ---------------------------------------------------------------------------------

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
        return t.reply(t.t("care.linked", label=link.label), ask=t.t("ask.next"))
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


def patient_checkins(t: Turn, link: Link, since: date | None = None) -> tuple[Checkin, ...]:
    """The linked patient's check-ins, read-only: the last two weeks, or back to `since`."""
    utc_today = t.services.clock().date()
    start = utc_today - timedelta(days=RECENT_DAYS + 1)
    record = t.services.store.load(link.patient, since=min(start, since) if since else start)
    return history(t.services.store, link.patient, record, utc_today)


def patient_week(t: Turn, link: Link) -> Summary:
    """The linked patient's last seven local days, read-only."""
    utc_today = t.services.clock().date()
    record = t.services.store.load(link.patient, since=utc_today - timedelta(days=RECENT_DAYS + 1))
    checkins = history(t.services.store, link.patient, record, utc_today)
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


def meds_note(t: Turn, found: Checkin) -> str:
    return {True: t.t("care.day.meds_yes"), False: t.t("care.day.meds_no"), None: ""}[found.took_meds]


def care_day(t: Turn, link: Link, day: str | None = None) -> Response:
    """What the patient logged on a day; with no day, their last check-in."""
    wanted, refused = said_day(t, day)
    if refused is not None:
        return refused
    today = t.today()
    checkins = patient_checkins(t, link, since=wanted)
    if wanted is None:
        latest = max(checkins, key=lambda c: c.day, default=None)
        if latest is None:
            return t.reply(t.t("care.last.none", label=link.label, days=RECENT_DAYS), ask=t.t("ask.next"))
        said = t.t("care.last", label=link.label, when=phrases.when(t, latest.day, today), score=latest.score,
                   meds=meds_note(t, latest))
        return t.reply(said, ask=t.t("ask.next"))
    found = on(checkins, wanted)
    when = phrases.when(t, wanted, today)
    if found is None:
        key = "care.day.none_today" if wanted == today else "care.day.none"
        return t.reply(t.t(key, label=link.label, when=when), ask=t.t("ask.next"))
    said = t.t("care.day", label=link.label, when=when, score=found.score, meds=meds_note(t, found))
    return t.reply(phrases.sentence(said), ask=t.t("ask.next"))


def care_medicine(t: Turn, link: Link, day: str | None = None) -> Response:
    """Whether the patient said they took pain medicine on a day (today when none is said): what
    they logged, never advice."""
    wanted, refused = said_day(t, day)
    if refused is not None:
        return refused
    today = t.today()
    wanted = wanted or today
    found = on(patient_checkins(t, link, since=wanted), wanted)
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
    links = t.services.store.links_of_caregiver(t.user)
    named = [link for link in links if t.content.same_person(link.label, label)] if label else []
    if len(named) == 1:
        return ACTIONS[action](t, named[0], day)
    if len(links) == 1 and label is None:
        return ACTIONS[action](t, links[0], day)
    ended = sharing_ended(t, label) if label is not None or not links else []
    if ended:
        return t.reply(*ended, ask=t.t("ask.next"))
    if not links:
        if label is None and action in OWN and not only_caring(t.record()):
            return OWN[action](t)  # a patient's "how has the week gone": their own check-ins
        return t.reply(t.t("care.not_linked"), ask=t.t("ask.next"))
    unknown = t.t("care.unknown_label", label=label) if label and not named else None
    return t.ask(CHOOSE, unknown, words={"list": or_list(t, links)}, then=action, day=day)


def sharing_ended(t: Turn, label: str | None = None) -> list[str]:
    """ "Linda has stopped sharing her check-ins with you", once, for each patient who ended the
    link since the caregiver last heard (only the one named, when a name was said). Nothing when
    the notices can't be read: the caregiver hears the usual reply instead."""
    store = t.services.store
    try:
        ended = store.ended_links(t.user)
        if label is not None:
            ended = [e for e in ended if t.content.same_person(e, label)]
        if ended:
            store.forget_ended(t.user)
    except StoreUnavailable:
        return []
    return [t.t("care.ended", label=e) for e in dict.fromkeys(ended)] + ([t.t("care.ended.again")] if ended else [])


def caregiver_launch(t: Turn, links: list[Link]) -> Response:
    """A caregiver's welcome: whose recovery they follow, each patient's latest check-in, and what
    worried since their last visit (a high score, a rise, missed days). Never a prompt to log."""
    today, profile = t.today(), t.profile()
    seen = profile.care_seen if profile.care_seen and profile.care_seen > today - timedelta(days=WEEK) else None
    names = [link.label for link in links]
    listed = t.t("list.and", rest=", ".join(names[:-1]), last=names[-1]) if len(names) > 1 else names[0]
    parts: list[str | None] = [t.t("launch.care.welcome_back" if profile.disclaimer_heard else "launch.care.welcome",
                                   labels=listed)]
    for link in links[:MAX_NEWS]:
        parts.extend(patient_news(t, link, today, seen))
    try:
        t.services.store.save_profile(t.user, replace(profile, care_seen=today))
    except StoreUnavailable:
        pass  # the news is said anyway; next time it may repeat
    return t.reply(*parts, ask=t.t("launch.care.ask", label=names[0]))


MAX_NEWS = 3  # patients whose news a launch reads; more are asked about by name


def patient_news(t: Turn, link: Link, today: date, seen: date | None) -> list[str | None]:
    s = patient_week(t, link)
    if s.latest is None:
        return [t.t("care.none", label=link.label)]
    news: list[str | None] = [t.t("launch.care.latest", label=link.label, score=s.latest.score,
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


class PatientSummaryHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("PatientSummaryIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return for_patient(t, SUMMARY, said_label(t))


class PatientDayHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("PatientDayIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return for_patient(t, DAY, said_label(t), t.slot("day"))


class PatientMedicineHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("PatientMedicineIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return for_patient(t, MEDICINE, said_label(t), t.slot("day"))


class UnlinkPatientHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("UnlinkPatientIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return for_patient(t, UNLINK, said_label(t))


class SendMeReportHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("SendMeReportIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return for_patient(t, REPORT, said_label(t))


LABEL = dialog.declare("share_label", name=label_said)
LABEL_CHECK = dialog.declare("share_label_check", name=label_said,
                             yes=lambda t: use_label(t, str(t.pending["label"]), t.pending.get("then", SHARE)),
                             no=lambda t: t.ask(LABEL, then=t.pending.get("then", SHARE)))
STOP = dialog.declare("stop_sharing", yes=stop_sharing,
                      no=lambda t: t.reply(t.t("share.stop_kept"), ask=t.t("ask.next")))
# Six digits are the code; any other number is still a check-in.
CODE = dialog.declare("link_code", number=lambda t: link_with(t, t.number()), number_if=sharing.heard_code)
CHOOSE = dialog.declare("choose_patient", name=lambda t: for_patient(t, t.pending.get("then", SUMMARY), said_label(t),
                                                                      t.pending.get("day")))
