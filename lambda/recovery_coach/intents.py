"""The one table of intent families: intents Alexa tells apart only by their carrier phrase ("when …",
"how long …", "I can't …"). The models name a family by its head; the handlers take every member, and
put the carrier's meaning back (handlers/forms.py). Everything else that lists them derives from here."""
from __future__ import annotations

QUESTION = "AskQuestionIntent"
SYMPTOM = "ReportSymptomIntent"

FAMILIES: dict[str, tuple[str, ...]] = {
    QUESTION: (QUESTION, "AskWhenIntent", "AskHowLongIntent"),
    SYMPTOM: (SYMPTOM, "ReportInabilityIntent", "ReportPainIntent", "ReportHavingIntent", "ReportFeelingIntent"),
}
QUESTION_INTENTS = FAMILIES[QUESTION]
SYMPTOM_INTENTS = FAMILIES[SYMPTOM]
