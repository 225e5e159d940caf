"""Every question the skill asks, declared once: which answers it takes and what each does.

A question is `declare(name, yes=..., no=..., ...)` beside the actions it runs (in its handler
module); its words are `content/<language>/questions.json` → `name`: prompt, reprompt and help.
One request handler (handlers/questions.py) answers every question; no behaviour depends on the
order of the handler list, because a turn is either an answer to the pending question (`owns`)
or it belongs to its intent's handler — never both.

What a turn does to the pending question:
- an answer it accepts runs that answer's action;
- a misheard turn (the fallback, or an answer it doesn't take: "yes" to "which day?") asks it
  again with its reprompt, and a second miss gives its help; nothing proceeds on a miss;
- help about it, or "say that again", keeps it: help explains it and it is asked again
  (`keep_on_aside`);
- "never mind" or "cancel" drops it and the conversation goes on; "stop" ends the conversation;
- any other turn (a question about recovery, a symptom, thanks, a new check-in) is answered as
  itself, and the question is dropped: the person moved past it, as a person would see.

No Alexa types here: actions take the handler's Turn and return its Response.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Kinds of answer, and the intents that carry them.
YES, NO, MORE, UNSURE, TOOK, NUMBER, DATE, TIME, NAME = (
    "yes", "no", "more", "unsure", "took", "number", "date", "time", "name")
MISS = "miss"
ANSWER_INTENTS: dict[str, str] = {
    "AMAZON.YesIntent": YES,
    "AMAZON.NoIntent": NO,
    "MoreIntent": MORE,
    "DontKnowIntent": UNSURE,
    "MedicineTakenIntent": TOOK,
    "DateAnswerIntent": DATE,
    "TimeAnswerIntent": TIME,
    "PatientLabelIntent": NAME,
}
# Intents that also carry a number, and its slot: an answer only to a question that takes one.
NUMBER_INTENTS: dict[str, str] = {"CheckInIntent": "score", "LinkPatientIntent": "code"}
FALLBACK = "AMAZON.FallbackIntent"
# Turns that keep the question that was pending: help with it, and hearing it again.
ASIDES = frozenset({"AMAZON.HelpIntent", "AMAZON.RepeatIntent"})
NOTHING = "nothing"  # the "question" when none is pending: what a bare yes, date or name does then
# AMAZON.TIME's values for "morning", "afternoon" and "evening": said alone, to nothing or to a question
# that takes no time, a hello (NOTHING's time answer), not a miss.
GREETING_TIMES = frozenset({"MO", "AF", "EV"})
TIME_SLOT = "time"  # TimeAnswerIntent's slot

Action = Callable[[Any], Any]


@dataclass(frozen=True)
class Question:
    name: str
    answers: Mapping[str, Action] = field(default_factory=dict)
    keep_on_aside: bool = True
    number_if: Callable[[str], object] | None = None  # which numbers are an answer; others keep their intent

    def takes(self, kind: str | None) -> bool:
        return kind is not None and kind in self.answers


REGISTRY: dict[str, Question] = {}


def declare(name: str, /, *, keep_on_aside: bool = True, number_if: Callable[[str], object] | None = None,
            **answers: Action) -> str:
    """Declare a question (once), with an action per answer kind; returns its name for `pending`."""
    unknown = set(answers) - {YES, NO, MORE, UNSURE, TOOK, NUMBER, DATE, TIME, NAME}
    if unknown or name in REGISTRY:
        raise ValueError(f"question {name}: {'declared twice' if name in REGISTRY else sorted(unknown)}")
    REGISTRY[name] = Question(name, answers, keep_on_aside, number_if)
    return name


def kind_of(intent: str | None, slots: Mapping[str, str | None], question: Question | None) -> str | None:
    """The answer kind of a turn, as far as the pending question (if any) is concerned."""
    if intent in ANSWER_INTENTS:
        return ANSWER_INTENTS[intent]
    said = slots.get(NUMBER_INTENTS.get(str(intent), ""))
    if said and question is not None and question.takes(NUMBER):
        return NUMBER if question.number_if is None or question.number_if(said) else None
    if intent == FALLBACK and question is not None:
        return MISS
    return None


def owner(intent: str | None, slots: Mapping[str, str | None], pending: Mapping[str, Any]) -> tuple[Question, str] | None:
    """The question this turn answers (or misses) and how, or None when the turn is its intent's own."""
    question = REGISTRY.get(str(pending.get("q", "")))
    kind = kind_of(intent, slots, question)
    if kind is None:
        return None
    if question is None or (kind == TIME and not question.takes(TIME) and slots.get(TIME_SLOT) in GREETING_TIMES):
        return REGISTRY[NOTHING], kind
    return question, kind if question.takes(kind) else MISS


def kept(intent: str | None, pending: Mapping[str, Any]) -> Question | None:
    """The pending question an aside leaves standing, to be asked again after it."""
    question = REGISTRY.get(str(pending.get("q", "")))
    if question is not None and question.keep_on_aside and intent in ASIDES:
        return question
    return None
