"""The caregiver-alert part of the store contract, on SQLite and on DynamoDB Local: who wants
alerts (kept on the links, gone with them), and the queue (once per day and kind, claimed once)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from recovery_coach.services import Services
from recovery_coach.store import Store
from tests.conftest import NOW, TODAY

PATIENT, OTHER_PATIENT = "patient-key-1", "patient-key-2"
CARER, OTHER_CARER = "carer-key-1", "carer-key-2"
CARER_ID = "amzn1.ask.account.CARER-RAW-ID"


@pytest.fixture
def store(any_services: Services) -> Store:
    return any_services.store


def share(store: Store, patient: str, caregiver: str, code: str, label: str = "Linda") -> None:
    store.save_share_code(patient, code, label, NOW + timedelta(hours=1))
    assert store.claim_share_code(code, caregiver, NOW)[0] == "ok"


def test_alerts_are_kept_on_the_caregivers_links_and_read_from_the_patients_side(store: Store) -> None:
    share(store, PATIENT, CARER, "c1")
    share(store, OTHER_PATIENT, CARER, "c2", "Dad")
    share(store, PATIENT, OTHER_CARER, "c3")
    assert store.set_alerts(CARER, CARER_ID) == 2
    assert {(link.caregiver, link.alert_to) for link in store.links_of_patient(PATIENT)} == {
        (CARER, CARER_ID), (OTHER_CARER, None)}
    assert [link.alert_to for link in store.links_of_patient(OTHER_PATIENT)] == [CARER_ID]
    assert [link.alert_to for link in store.caregiver_links(CARER)[0]] == [CARER_ID, CARER_ID]
    assert CARER_ID not in repr(store.links_of_patient(PATIENT))  # never in a log line by accident
    assert store.set_alerts(CARER, None) == 2
    assert [link.alert_to for link in store.links_of_patient(PATIENT)] == [None, None]


def test_the_daily_check_lists_each_patient_someone_wants_alerts_about_once(store: Store) -> None:
    share(store, PATIENT, CARER, "c1")
    share(store, PATIENT, OTHER_CARER, "c2")
    share(store, OTHER_PATIENT, OTHER_CARER, "c3", "Dad")
    assert store.alerting_patients() == []
    store.set_alerts(CARER, CARER_ID)
    store.set_alerts(OTHER_CARER, "amzn1.ask.account.OTHER")
    assert store.alerting_patients() == sorted([PATIENT, OTHER_PATIENT])
    store.set_alerts(OTHER_CARER, None)
    assert store.alerting_patients() == [PATIENT]
    store.unlink(CARER, PATIENT)
    assert store.alerting_patients() == []


def test_the_alert_address_goes_with_the_link_and_with_either_sides_data(store: Store) -> None:
    share(store, PATIENT, CARER, "c1")
    share(store, OTHER_PATIENT, CARER, "c2", "Dad")
    store.set_alerts(CARER, CARER_ID)
    store.revoke_sharing(PATIENT)
    assert store.links_of_patient(PATIENT) == []
    share(store, PATIENT, CARER, "c4")  # shared again: no alerts until the caregiver says so again
    assert [link.alert_to for link in store.links_of_patient(PATIENT)] == [None]
    store.unlink(CARER, OTHER_PATIENT)
    assert store.links_of_patient(OTHER_PATIENT) == []
    assert store.set_alerts(OTHER_CARER, CARER_ID) == 0  # no links: nothing holds it


def test_a_days_alert_of_a_kind_is_queued_once(store: Store) -> None:
    assert store.queue_alert(PATIENT, "score", TODAY, NOW) is True
    assert store.queue_alert(PATIENT, "score", TODAY, NOW + timedelta(minutes=5)) is False
    assert store.queue_alert(PATIENT, "flag", TODAY, NOW + timedelta(minutes=1)) is True
    assert store.queue_alert(PATIENT, "score", TODAY + timedelta(days=1), NOW + timedelta(days=1)) is True
    due = store.alerts_due(NOW + timedelta(days=1), NOW - timedelta(hours=24))
    assert [(a.patient, a.kind, a.day) for a in due] == [  # oldest first
        (PATIENT, "score", TODAY), (PATIENT, "flag", TODAY), (PATIENT, "score", TODAY + timedelta(days=1))]
    assert store.alerts_due(NOW + timedelta(days=1), NOW + timedelta(hours=1))[0].day == TODAY + timedelta(days=1)


def test_an_alert_is_claimed_once_per_caregiver_given_back_after_a_failure_and_finished(store: Store) -> None:
    store.queue_alert(PATIENT, "score", TODAY, NOW)
    [alert] = store.alerts_due(NOW, NOW - timedelta(hours=1))
    assert store.mark_alert(alert, CARER, True) is True
    assert store.mark_alert(alert, CARER, True) is False  # another sender has it
    assert store.mark_alert(alert, OTHER_CARER, True) is True
    assert store.mark_alert(alert, OTHER_CARER, False) is True  # its send failed: it is due again
    [again] = store.alerts_due(NOW, NOW - timedelta(hours=1))
    assert again.sent == frozenset({CARER})
    store.finish_alert(again)
    assert store.alerts_due(NOW, NOW - timedelta(hours=1)) == []
    assert store.queue_alert(PATIENT, "score", TODAY, NOW) is False  # finished, still once a day


def test_deleting_the_patient_deletes_their_queued_alerts(store: Store) -> None:
    store.queue_alert(PATIENT, "flag", TODAY, NOW)
    store.queue_alert(OTHER_PATIENT, "flag", TODAY, NOW)
    store.delete_user(PATIENT)
    assert [a.patient for a in store.alerts_due(NOW, NOW - timedelta(hours=1))] == [OTHER_PATIENT]


def test_a_patients_recent_alerts_are_theirs_alone_from_a_day_on(store: Store) -> None:
    store.queue_alert(PATIENT, "flag", TODAY - timedelta(days=2), NOW - timedelta(days=2))
    store.queue_alert(PATIENT, "score", TODAY, NOW)
    store.queue_alert(PATIENT, "flag", TODAY, NOW + timedelta(minutes=1))
    store.queue_alert(OTHER_PATIENT, "flag", TODAY, NOW)
    [old, *_] = store.alerts_due(NOW + timedelta(minutes=5), NOW - timedelta(days=3))
    store.finish_alert(old)  # sent: still the patient's news
    assert [(a.kind, a.day) for a in store.patient_alerts(PATIENT, TODAY - timedelta(days=2))] == [
        ("flag", TODAY - timedelta(days=2)), ("score", TODAY), ("flag", TODAY)]
    assert [a.kind for a in store.patient_alerts(PATIENT, TODAY)] == ["score", "flag"]


def test_the_caregivers_region_goes_with_their_alert_address(store: Store) -> None:
    share(store, PATIENT, CARER, "c1")
    store.set_alerts(CARER, CARER_ID, "https://api.eu.amazonalexa.com")
    [link] = store.links_of_patient(PATIENT)
    assert (link.alert_to, link.alert_endpoint) == (CARER_ID, "https://api.eu.amazonalexa.com")
    store.set_alerts(CARER, CARER_ID)  # said again from a request with no region: the configured one
    assert store.links_of_patient(PATIENT)[0].alert_endpoint is None
    store.set_alerts(CARER, CARER_ID, "https://api.fe.amazonalexa.com")
    store.set_alerts(CARER, None)
    [link] = store.links_of_patient(PATIENT)
    assert (link.alert_to, link.alert_endpoint) == (None, None)
