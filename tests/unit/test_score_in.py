"""A pain score said inside a longer sentence (checkins.score_in): the speaker's, and only a score."""
from __future__ import annotations

import pytest

from recovery_coach.checkins import score_in


@pytest.mark.parametrize("said, score", [
    ("pain is a nine and i can't feel my legs", 9),
    ("nine and i can't feel my legs", 9),  # what a symptom slot holds once "it's a" was the carrier
    ("my pain is a 10, it's unbearable", 10),
    ("eight out of ten and my wound is oozing", 8),
    ("I'm a nine and can't breathe", 9),
    ("my pain level is 8 and my leg is weak", 8),
    ("the score's about a six but my foot is numb", 6),
    ("i'd say a seven and my wound is weeping", 7),  # hedged, first in the words
    ("probably a four, and the cut is hot", 4),
    ("about a five today but my foot is numb", 5),
    ("would say a seven and the wound is weeping", 7),  # "I would say …" once a carrier took the "I"
])
def test_a_score_said_in_a_sentence(said: str, score: int) -> None:
    assert score_in(said) == score


@pytest.mark.parametrize("said", [
    "i'm 9 days out and my legs are numb",  # a count
    "it's 2 weeks since the op and i have a fever",
    "two of my toes are numb",
    "my mum fell, her pain is an eight",  # someone else's
    "i took 2 pills and my lips are blue",
    "my pain is a nine, well my pain is a seven",  # two different: not sure which
    "my legs are numb",
    "temperature is 39",
    "about two weeks ago i had a fever",  # hedged, but a count
    "maybe one of my toes is numb",
    "about two and a half weeks ago my legs went numb",  # a count, with a fraction
    "about 3 this morning i woke up with a fever",  # a time
])
def test_no_score_where_none_is_the_speakers(said: str) -> None:
    assert score_in(said) is None
