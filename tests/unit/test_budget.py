"""A turn's waits share one budget, so Alexa's 8 s is never exceeded."""
from __future__ import annotations

import time

from recovery_coach import budget


def test_outside_a_request_nothing_is_capped() -> None:
    assert budget.remaining() is None
    assert budget.within(3.0) == 3.0


def test_inside_a_request_waits_are_capped_by_what_is_left() -> None:
    with budget.request(0.5):
        assert budget.within(3.0) <= 0.5
        time.sleep(0.1)
        assert budget.within(3.0) <= 0.4
    assert budget.remaining() is None


def test_a_spent_budget_leaves_zero_not_negative() -> None:
    with budget.request(0.0):
        assert budget.remaining() == 0.0
