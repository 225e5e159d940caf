"""Alexa passes only a carrier phrase's slot, not the phrase. Some carriers carry meaning
("how long" vs "when", "I can't …"): the intent tells us which, and this puts the words back
before the text is matched or screened."""
from __future__ import annotations

# The carriers' meaning, per member of a family (recovery_coach.intents).
SPOKEN_FORM = {
    "AskWhenIntent": "when",
    "AskHowLongIntent": "how long",
    "ReportInabilityIntent": "I can't",
    "ReportPainIntent": "it hurts",
    "ReportHavingIntent": "I have",
    "ReportFeelingIntent": "I feel",
}


def with_form(intent: str, said: str) -> str:
    form = SPOKEN_FORM.get(intent, "")
    return f"{form} {said}".strip()


# A slot whose words need their subject back: a check-in's feeling ("unbearable") is the pain's.
# Said after every other slot, so a score never follows "the pain is" ("… getting better 10").
SLOT_FORM = {"feeling": "the pain is"}


def screened_words(intent: str, slots: dict[str, str]) -> str:
    """What the red-flag screen hears of a request: every slot's words, in their spoken form."""
    plain = [value for name, value in slots.items() if name not in SLOT_FORM]
    formed = [f"{SLOT_FORM[name]} {value}" for name, value in slots.items() if name in SLOT_FORM]
    return with_form(intent, " ".join(plain + formed)) if plain or formed else ""
