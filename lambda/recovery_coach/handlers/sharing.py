"""Sharing check-ins with caregivers: the patient shares and revokes; the caregiver links, listens, unlinks.

A caregiver's access is read-only by construction: every caregiver handler reads the patient's
record and writes only the caregiver's own link records.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from recovery_coach import dialog, sharing
from recovery_coach.checkins import summarize
from recovery_coach.handlers import phrases
from recovery_coach.handlers.base import RECENT_DAYS, Turn, history
from recovery_coach.handlers.questions import own
from recovery_coach.handlers.review import WEEK, missed_speech, worrying_speech
from recovery_coach.records import Link
from recovery_coach.store import StoreUnavailable

# What the caregiver wanted when we asked "which one?"
SUMMARY, UNLINK, REPORT = "summary", "unlink", "report"


def said_label(t: Turn) -> str | None:
    label = t.canonical("label")
    return label[:40] if label else None


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


def make_code(t: Turn) -> Response:
    """The patient said what the caregiver should call them: make the one-time code."""
    label = said_label(t)
    if label is None:
        return t.ask(LABEL, again=True)
    settings, now = t.services.settings, t.services.clock()
    code = sharing.new_code()
    try:
        t.services.store.save_share_code(
            t.user, sharing.code_hash(code, settings.share_secret), label, now + timedelta(hours=settings.share_code_hours)
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
        links = t.services.store.links_of_patient(t.user)
        if not links:
            return t.reply(t.t("share.none"), ask=t.t("ask.next"))
        today = t.today()
        zone = t.zone()
        since = [t.t("share.since", when=phrases.bare_when(t, link.since.astimezone(zone).date(), today)) for link in links]
        if len(links) == 1:
            return t.reply(t.t("share.who.one", since=since[0]), ask=t.t("ask.next"))
        listed = t.t("list.and", rest=", ".join(f"one {s}" for s in since[:-1]), last=f"one {since[-1]}")
        return t.reply(t.t("share.who.some", count=len(links), list=listed), ask=t.t("ask.next"))


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

def link_with(t: Turn, said: str | None) -> Response:
    settings, store, now = t.services.settings, t.services.store, t.services.clock()
    code = sharing.heard_code(said)
    if code is None:
        return t.ask(CODE, again=True)
    # Counted before the code is looked at, so parallel guesses can't pass the limits.
    full = store.reserve_link_attempt(t.user, now, settings.link_attempts_per_hour, settings.link_failures_per_hour_all)
    if full != "ok":
        return t.reply(t.t("care.too_many" if full == "caregiver" else "care.try_later"), ask=t.t("ask.next"))
    outcome, link = store.claim_share_code(sharing.code_hash(code, settings.share_secret), t.user, now)
    if link is not None or outcome == "own":
        try:
            store.refund_link_attempt(t.user, now)  # not a wrong guess
        except StoreUnavailable:
            pass  # the link is made either way; at worst this attempt stays counted
    if link is not None:
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
        return link_with(t, said)


def care_summary(t: Turn, link: Link) -> Response:
    """The patient's last seven days, for a caregiver: read-only."""
    today = t.today()
    utc_today = t.services.clock().date()
    record = t.services.store.load(link.patient, since=utc_today - timedelta(days=RECENT_DAYS + 1))
    checkins = history(t.services.store, link.patient, record, utc_today)
    s = summarize(checkins, today, WEEK, record.profile.procedure_date, t.thresholds)
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


def unlink(t: Turn, link: Link) -> Response:
    t.services.store.unlink(t.user, link.patient)
    return t.reply(t.t("care.unlinked", label=link.label), ask=t.t("ask.next"))


def send_report(t: Turn, link: Link) -> Response:
    url, days = report_link(t, link.patient, link.label, caregiver=t.user)
    card = t.t("share.report.card", url=url, days=days, whose=f"{link.label}'s")
    return t.reply(t.t("care.report_sent", label=link.label, days=days), ask=t.t("ask.next"),
                   card=(t.t("share.report.card.title"), card))


ACTIONS: dict[str, Any] = {SUMMARY: care_summary, UNLINK: unlink, REPORT: send_report}


def for_patient(t: Turn, action: str, label: str | None) -> Response:
    """Do `action` for the one linked patient, the one named, or ask which."""
    links = t.services.store.links_of_caregiver(t.user)
    if not links:
        return t.reply(t.t("care.not_linked"), ask=t.t("ask.next"))
    if label is not None:
        named = [link for link in links if link.label.lower() == label.lower()]
        if named:
            return ACTIONS[action](t, named[0])
    if len(links) == 1 and label is None:
        return ACTIONS[action](t, links[0])
    unknown = t.t("care.unknown_label", label=label) if label else None
    return t.ask(CHOOSE, unknown, words={"list": or_list(t, links)}, then=action)


class PatientSummaryHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("PatientSummaryIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        t = Turn.of(handler_input)
        return for_patient(t, SUMMARY, said_label(t))


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


LABEL = dialog.declare("share_label", name=make_code)
STOP = dialog.declare("stop_sharing", yes=stop_sharing,
                      no=lambda t: t.reply(t.t("share.stop_kept"), ask=t.t("ask.next")))
# Six digits are the code; any other number is still a check-in.
CODE = dialog.declare("link_code", number=lambda t: link_with(t, t.number()), number_if=sharing.heard_code)
CHOOSE = dialog.declare("choose_patient", name=lambda t: for_patient(t, t.pending.get("then", SUMMARY), said_label(t)))
