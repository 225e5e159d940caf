"""One small storage protocol, two implementations: DynamoDB in AWS, SQLite on a laptop.

Every method is one logical operation; DynamoDB's is one round trip where it can be.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from recovery_coach.checkins import Checkin
from recovery_coach.records import Alert, Link, Profile, ReportAccess, UserRecord


class StoreUnavailable(Exception):
    """The store could not be reached in time. Whatever was being written was not written (a store
    that can't tell, because a write's answer was lost, reads it back, or raises SaveUnconfirmed)."""

    maybe_written = False  # a write was sent and its answer lost: it may have been stored


class SaveUnconfirmed(StoreUnavailable):
    """A write's answer was lost and reading it back failed too: it may or may not be stored."""

    maybe_written = True


class Store(Protocol):
    def load(self, user: str, since: date | None = None) -> UserRecord:
        """The profile, and the check-ins from `since` on (none if `since` is None)."""

    def load_with_links(self, user: str, since: date) -> tuple[UserRecord, list[Link], list[str]]:
        """In one read, what a launch needs: `load(user, since)` and `caregiver_links(user)` (whether
        this account also follows patients, and any ended-link notices)."""

    def save_checkin(self, user: str, day: date, score: int, at: datetime) -> Checkin:
        """Set the day's score. A score it replaces goes into the record's history; concurrent
        saves of the same day leave one record with every other value in its history. Returns only
        once the score is stored; StoreUnavailable only if it isn't; SaveUnconfirmed if it can't tell."""

    def set_medication(self, user: str, day: date, took: bool) -> bool:
        """Record whether pain medicine was taken on a day that has a check-in. False if none."""

    def save_profile(self, user: str, profile: Profile) -> None: ...

    def delete_user(self, user: str) -> int:
        """Delete everything stored for the user, including every share they gave or received;
        returns how many records went."""

    # --- sharing with caregivers (codes and tokens arrive hashed; the store never sees them) ---
    def save_share_code(self, patient: str, code_hash: str, label: str, expires: datetime) -> None:
        """The patient's one live code: any earlier unused code of theirs stops working at once."""

    def code_label(self, code_hash: str, now: datetime) -> str | None:
        """The label of a live, unused code, else None (whatever the reason: a guess learns nothing)."""

    def claim_share_code(self, code_hash: str, caregiver: str, now: datetime) -> tuple[str, Link | None]:
        """Use a code once: ("ok", link), or ("unknown" | "used" | "expired" | "own", None).
        Atomic: two caregivers racing for one code cannot both win."""

    def reserve_link_attempt(self, caregiver: str, now: datetime, per_caregiver: int, overall: int) -> str:
        """Count one link attempt in this UTC hour before its code is looked at: "ok", or which limit is
        full ("caregiver": this caregiver's `per_caregiver`; "overall": everyone's `overall`), and then
        nothing is counted. Atomic, so parallel attempts can't get more than the limit evaluated."""

    def refund_link_attempt(self, caregiver: str, now: datetime) -> None:
        """The attempt was not a wrong guess (it linked, or was the patient's own code): uncount it."""

    def links_of_caregiver(self, caregiver: str) -> list[Link]:
        """Oldest first (then by label), in every store."""

    def links_of_patient(self, patient: str) -> list[Link]:
        """Oldest first (then by label), in every store."""

    def unlink(self, caregiver: str, patient: str) -> bool:
        """The link, and every report link the caregiver minted for that patient."""

    def revoke_sharing(self, patient: str) -> int:
        """Every caregiver link, unused code and report token of the patient: gone at once. Each
        caregiver gets a notice that the link ended (`caregiver_links`); deleting the patient does too."""

    def relabel(self, patient: str, label: str) -> int:
        """The patient chose a new name: every link, unused code and report link of theirs carries it
        from now on. Returns how many caregivers are linked."""

    def caregiver_links(self, caregiver: str) -> tuple[list[Link], list[str]]:
        """In one read: the caregiver's live links (as links_of_caregiver), and the labels of patients
        who ended a link (they stopped sharing, or deleted their data) that the caregiver hasn't been
        told of yet, oldest first. Only the label: no key of the patient's stays with the caregiver."""

    def forget_ended(self, caregiver: str) -> None:
        """The caregiver has been told (or linked again): the notices go."""

    def report_links(self, patient: str, now: datetime) -> int:
        """How many report links open the patient's check-ins now: unexpired and, when a caregiver
        minted one, that caregiver still linked."""

    def save_report_token(self, token_hash: str, patient: str, label: str, expires: datetime,
                          caregiver: str | None = None, keep: int = 3) -> None:
        """A report link; minted by `caregiver` (None: by the patient), it lives only while they are
        linked, and only their `keep` newest ones work (a new one replaces the oldest)."""

    def report_access(self, token_hash: str, now: datetime) -> ReportAccess | None:
        """The patient a report token opens, if it exists, hasn't expired, and (minted by a caregiver)
        that caregiver is still linked."""

    # --- caregiver alerts ---------------------------------------------------------
    def set_alerts(self, caregiver: str, to: str | None, endpoint: str | None = None) -> int:
        """Alerts about every patient the caregiver follows now go to `to` (their Alexa user id), at
        `endpoint` (their region's API host; None: the configured one), or stop (`to` None). Kept on
        the links alone, so it goes with each link, and with either side's data. Returns how many
        links carry it."""

    def alerting_patients(self) -> list[str]:
        """The patients at least one caregiver wants alerts about (for the daily missed-days check)."""

    def queue_alert(self, patient: str, kind: str, day: date, now: datetime) -> bool:
        """Queue one alert of `kind` about `day`; False (nothing new) if that one is already queued,
        so a day's worrying scores, or a daily run repeated, alert once."""

    def alerts_due(self, now: datetime, since: datetime) -> list[Alert]:
        """Queued alerts not yet finished, queued after `since`, oldest first (at most 100)."""

    def patient_alerts(self, patient: str, since: date) -> list[Alert]:
        """The patient's queued alerts (finished or not) for days from `since` on, oldest first: what
        a caregiver's launch tells them (a warning sign), while the queue keeps them (3 days)."""

    def mark_alert(self, alert: Alert, caregiver: str, sent: bool) -> bool:
        """Claim the alert for one caregiver before sending (sent=True: False if it is already
        claimed, so two senders can't both send), or give the claim back after a failed send."""

    def finish_alert(self, alert: Alert) -> None:
        """Every caregiver has been tried: the alert leaves the queue."""
