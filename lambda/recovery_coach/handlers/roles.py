"""Which role an account plays: a patient, a caregiver of linked patients, or both (ARCHITECTURE.md,
Roles). Launch, help and the review questions follow it."""
from __future__ import annotations

from recovery_coach.handlers.base import Turn
from recovery_coach.records import Link, UserRecord


def only_caring(record: UserRecord) -> bool:
    """Whether a linked account is only a caregiver: no check-ins or procedure date of its own in
    the last two weeks. An account that is both is greeted as the patient it is (its own check-in
    comes first), with a word about the patient it follows."""
    return not record.checkins and record.profile.procedure_date is None


def caregiver_of(t: Turn) -> list[Link]:
    """The patients this account looks after, when it is only a caregiver; else none. The account's
    own record first: a patient with check-ins (most who ask) needs no read of links."""
    return t.services.store.links_of_caregiver(t.user) if only_caring(t.record()) else []
