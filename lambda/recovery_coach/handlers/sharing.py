"""Sharing check-ins with caregivers, the patient's side: share (with the name caregivers hear),
hear or change that name, see who can see, send a report link, stop sharing. The caregiver's side
is handlers/caregiver.py."""
from __future__ import annotations

from datetime import timedelta

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from recovery_coach import dialog, sharing
from recovery_coach.handlers import phrases
from recovery_coach.handlers.base import Turn
from recovery_coach.records import Link
from recovery_coach.store import StoreUnavailable

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


LABEL = dialog.declare("share_label", name=label_said)
LABEL_CHECK = dialog.declare("share_label_check", name=label_said,
                             yes=lambda t: use_label(t, str(t.pending["label"]), t.pending.get("then", SHARE)),
                             no=lambda t: t.ask(LABEL, then=t.pending.get("then", SHARE)))
STOP = dialog.declare("stop_sharing", yes=stop_sharing,
                      no=lambda t: t.reply(t.t("share.stop_kept"), ask=t.t("ask.next")))
