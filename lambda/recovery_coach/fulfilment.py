"""Name-free questions ("Alexa, when can I drive after kyphoplasty?"): may this skill take them?

Pure domain code, no Alexa types. Alexa asks before it routes a question without the skill's
name (CanFulfillIntentRequest); the answer must come from the guide, never a guess, so only a
question the guide answers is a YES. This is the one place that reads the topic matcher for it.
"""
from __future__ import annotations

from typing import Protocol

YES, MAYBE, NO = "YES", "MAYBE", "NO"

_BY_REASON = {"topic": YES, "uncovered": NO}  # "unknown": the matcher isn't sure


class _Match(Protocol):
    @property
    def reason(self) -> str: ...  # "topic" | "uncovered" | "unknown"


class _Matcher(Protocol):
    def match(self, text: str) -> _Match: ...


def can_answer(knowledge: _Matcher, question: str) -> str:
    """YES if the guide answers `question`, NO if the guide says it doesn't cover it, else MAYBE."""
    if not question.strip():
        return NO
    return _BY_REASON.get(knowledge.match(question).reason, MAYBE)
