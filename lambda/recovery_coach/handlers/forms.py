"""Alexa passes only a carrier phrase's slot, not the phrase. Some carriers carry meaning
("how long" vs "when", "I can't …"): the intent tells us which, and this puts the words back
before the text is matched or screened."""
from __future__ import annotations

# Symptom statements, told apart by their carrier phrase only (resolver.FAMILY).
SYMPTOM_INTENTS = ("ReportSymptomIntent", "ReportInabilityIntent", "ReportPainIntent", "ReportHavingIntent",
                   "ReportFeelingIntent")
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
