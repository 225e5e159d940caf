"""Caregiver alerts: queued by the patient's turn, sent after it. No Alexa types here.

A turn never sends, nor writes the alert: it leaves the alert's place in the queue to be written
once its answer is out (``queue``: ``Services.later``, or ``Services.after`` for a warning sign kept
where alerts are off; both made by ``skill.run_later``), in a short, bounded write, so an alert never
holds up what the patient hears, and a store that is down costs only the alert.
Sending (``deliver``) happens after the response: in AWS the table's stream hands each new queued
alert to the alerts function (``on_stream``) within seconds; the daily run (``check_missed``, then
``drain``) queues missed-days alerts and sends anything still due; the webhook and the CLI drain the
queue after they have answered (``drain``).

Each consenting caregiver of the patient gets one AMAZON.MessageAlert.Activated notification,
which names only the label the patient chose; the detail is spoken at the caregiver's next launch.
A caregiver is claimed in the store before the send, so two senders (a retried stream batch, the
daily run) can't both alert them, and given back if the send fails, so a later run tries again.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from recovery_coach import budget
from recovery_coach.records import ALERT_KINDS, ALERT_QUEUE_KEY, Alert
from recovery_coach.store import StoreUnavailable

if TYPE_CHECKING:
    from recovery_coach.services import Services

log = logging.getLogger("recovery_coach")

#: The most queueing an alert may add to a patient's turn (the urgent reply's too).
QUEUE_SECONDS = 0.3


def queue(services: Services, patient: str, kind: str, day: date) -> None:
    """Queue one alert about the patient once the turn's answer is out, where alerts are on. Where
    they are off, a warning sign is still kept (as a queued "flag" nobody sends) for the caregivers'
    next launch, if someone follows the patient: only after the answer is out (Services.after), so
    the urgent reply never waits on it, and not at all where nothing answers first."""
    if kind not in ALERT_KINDS:
        return
    if services.alerts_on():
        services.later.append(lambda: queue_now(services, patient, kind, day))
    elif kind == "flag":
        services.after.append(lambda: queue_now(services, patient, kind, day, followed_only=True))


def queue_now(services: Services, patient: str, kind: str, day: date, followed_only: bool = False) -> bool:
    """Write one alert into the queue, within QUEUE_SECONDS (with `followed_only`, only if the
    patient has a linked caregiver); never raises. True when queued now (False: already queued today,
    nobody follows, or the store couldn't take it, which is logged)."""
    try:
        with budget.request(budget.within(QUEUE_SECONDS)):
            if followed_only and not services.store.links_of_patient(patient):
                return False
            queued = services.store.queue_alert(patient, kind, day, services.clock())
    except StoreUnavailable as e:
        log.warning(json.dumps({"event": "alert_not_queued", "kind": kind, "error": str(e)}))
        return False
    services.queued = services.queued or queued
    return queued


def deliver(services: Services, alert: Alert) -> int:
    """Send the alert to each caregiver of the patient who wants alerts and hasn't had it; returns
    how many were sent now. Finished when no send failed. Raises StoreUnavailable only."""
    if not services.alerts_on():
        return 0
    sent, failed = 0, False
    for link in services.store.links_of_patient(alert.patient):
        if not link.alert_to or link.caregiver in alert.sent:
            continue
        if not services.store.mark_alert(alert, link.caregiver, True):
            continue  # another sender has this caregiver
        # The same id on every retry of this alert to this caregiver, and nothing readable in it.
        reference = hashlib.sha256(f"{alert.patient}|{alert.kind}|{alert.day}|{link.caregiver}".encode()).hexdigest()[:32]
        if services.proactive().send(link.alert_to, link.label, alert.kind == "flag", link.alert_endpoint,
                                     reference=reference):
            sent += 1
        else:
            failed = True
            services.store.mark_alert(alert, link.caregiver, False)
    if not failed:
        services.store.finish_alert(alert)
    log.info(json.dumps({"event": "alert_delivered", "kind": alert.kind, "sent": sent, "failed": failed}))
    return sent


def drain(services: Services) -> int:
    """Send every alert still due (queued within the events' lifetime); returns how many sends."""
    if not services.alerts_on():
        return 0
    now = services.clock()
    oldest = now - timedelta(hours=services.settings.alert_expiry_hours)
    total = 0
    try:
        for alert in services.store.alerts_due(now, oldest):
            total += deliver(services, alert)
    except StoreUnavailable as e:
        log.warning(json.dumps({"event": "alerts_not_drained", "error": str(e)}))
    services.queued = False
    return total


#: How far back the daily check looks for a patient's last check-in; and how many days after a
#: silence reaches MISSED_DAYS_ALERT it may still be alerted (a day the check didn't run), within the
#: queue's three days, so one silence is alerted once.
LOOK_BACK_DAYS = 14
LATE_DAYS = 2


def quiet_since(checkins: list[date], today: date, days: int) -> date | None:
    """The day a patient's silence reached `days` whole days (none today, none on the `days` days
    before), if it did within the last LATE_DAYS days: the alert's key, the same every day it is
    checked. None when they checked in, or never did in the look-back window (nothing to miss)."""
    if not checkins or max(checkins) >= today:
        return None
    reached = max(checkins) + timedelta(days=days + 1)
    return reached if reached <= today <= reached + timedelta(days=LATE_DAYS) else None


def check_missed(services: Services) -> int:
    """Queue a missed-days alert for each patient someone wants alerts about who has gone quiet;
    returns how many were queued now. Run twice on a day, it queues nothing new the second time."""
    if not services.alerts_on():
        return 0
    today = services.local_today()
    queued = 0
    for patient in services.store.alerting_patients():
        record = services.store.load(patient, since=today - timedelta(days=LOOK_BACK_DAYS))
        day = quiet_since([c.day for c in record.checkins], today, services.settings.missed_days_alert)
        if day is not None and services.store.queue_alert(patient, "missed", day, services.clock()):
            queued += 1
    log.info(json.dumps({"event": "missed_days_checked", "queued": queued}))
    return queued


def on_stream(services: Services, event: dict[str, Any]) -> int:
    """The table stream's records (Lambda's event): each newly queued alert is delivered. Anything
    else the stream carries is skipped (the event source's filter should already have)."""
    total = 0
    for record in event.get("Records") or []:
        alert = _queued(record)
        if alert is not None:
            total += deliver(services, alert)
    return total


def _queued(record: Any) -> Alert | None:
    """The alert a stream record inserted, if it is one."""
    if not isinstance(record, dict) or record.get("eventName") != "INSERT":
        return None
    from recovery_coach.store.dynamodb import alert_of  # only the stream's (AWS) path reads items

    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    try:
        if image["pk"]["S"] != ALERT_QUEUE_KEY or image["kind"]["S"] not in ALERT_KINDS:
            return None
        return alert_of(image)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def handle_event(event: Any, services: Services | None = None) -> dict[str, int]:
    """The alerts function (alerts_function.py): a stream batch delivers its new alerts; anything
    else (the daily schedule) queues missed-days alerts, then sends what is still due. A store that
    can't be read raises, so Lambda tries the batch again; the claims keep a caregiver from getting
    an alert twice."""
    services = services or _services()
    if isinstance(event, dict) and "Records" in event:
        return {"sent": on_stream(services, event)}
    queued = check_missed(services)
    return {"queued": queued, "sent": drain(services)}


_built: Services | None = None


def _services() -> Services:
    """The function's services, built once per container (its LWA token is kept with them)."""
    global _built
    if _built is None:
        from recovery_coach.config import Settings
        from recovery_coach.services import Services, build_store

        settings = Settings.from_env()
        _built = Services(settings=settings, store=build_store(settings))
    return _built
