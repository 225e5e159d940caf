"""AWS Lambda entry point: the only way into the skill. The CLI and the webhook call it too."""
from recovery_coach.skill import handle_event


def lambda_handler(event, context=None):
    return handle_event(event, context)
