"""The name-free verdict reads only the matcher's reason: YES, NO or MAYBE."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from recovery_coach.fulfilment import can_answer


@dataclass
class Said:
    reason: str


class Matcher:
    """Stands in for the topic matcher: answers with a fixed reason and remembers what it was asked."""

    def __init__(self, reason: str) -> None:
        self.reason, self.asked = reason, list[str]()

    def match(self, text: str) -> Said:
        self.asked.append(text)
        return Said(self.reason)


@pytest.mark.parametrize("reason,verdict", [("topic", "YES"), ("uncovered", "NO"), ("unknown", "MAYBE")])
def test_the_matchers_reason_decides(reason: str, verdict: str) -> None:
    matcher = Matcher(reason)
    assert can_answer(matcher, "when can I drive") == verdict
    assert matcher.asked == ["when can I drive"]


def test_a_reason_it_does_not_know_is_not_a_yes() -> None:
    assert can_answer(Matcher("something new"), "when can I drive") == "MAYBE"


def test_nothing_asked_is_a_no_without_asking_the_matcher() -> None:
    matcher = Matcher("topic")
    assert can_answer(matcher, "  ") == "NO" and matcher.asked == []
