"""AWS Lambda entry point: the only way into the skill. The CLI and the webhook call it too."""
import os

from recovery_coach import post_response
from recovery_coach.skill import handle_event

# In Lambda: an internal extension makes a turn's later writes after its answer is returned
# (recovery_coach/post_response.py). Elsewhere this does nothing.
post_response.start(os.environ)


def lambda_handler(event, context=None):
    return handle_event(event, context)
