"""CanFulfillIntentRequest: Alexa asks, before routing a question without the skill's name,
whether this skill can take it. Nothing is said, stored or read from storage here; if Alexa
then picks the skill, the IntentRequest that follows takes the usual answer path."""
from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response
from ask_sdk_model.canfulfill import (
    CanFulfillIntent,
    CanFulfillIntentValues,
    CanFulfillSlot,
    CanFulfillSlotValues,
    CanUnderstandSlotValues,
)

from recovery_coach.fulfilment import MAYBE, NO, YES, can_answer
from recovery_coach.intents import QUESTION_INTENTS
from recovery_coach.handlers.base import Turn
from recovery_coach.handlers.forms import with_form

QUESTION_SLOT = "question"
# The question slot, by the verdict on its question: (canUnderstand, canFulfill).
_SLOT = {
    YES: (CanUnderstandSlotValues.YES, CanFulfillSlotValues.YES),
    MAYBE: (CanUnderstandSlotValues.MAYBE, CanFulfillSlotValues.NO),
    NO: (CanUnderstandSlotValues.YES, CanFulfillSlotValues.NO),  # understood: the guide doesn't cover it
}


class CanFulfillHandler(AbstractRequestHandler):
    """Only questions the guide answers are a YES. Every intent that stores or reads the user's
    data (check-ins, dates, sharing, reminders, deletion), symptom reports and built-ins are a NO."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("CanFulfillIntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        intent = handler_input.request_envelope.request.intent
        slot = (intent.slots or {}).get(QUESTION_SLOT) if intent else None
        question = slot.value if slot is not None and isinstance(slot.value, str) else ""
        slots = {}
        if intent is None or intent.name not in QUESTION_INTENTS:
            verdict = NO
        else:
            verdict = can_answer(Turn.of(handler_input).content.knowledge, with_form(intent.name, question))
            if question.strip():
                understand, fulfill = _SLOT[verdict]
                slots[QUESTION_SLOT] = CanFulfillSlot(can_understand=understand, can_fulfill=fulfill)
        answer = CanFulfillIntent(can_fulfill=CanFulfillIntentValues(verdict), slots=slots or None)
        return handler_input.response_builder.set_can_fulfill_intent(answer).response
