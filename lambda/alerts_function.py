"""AWS entry point of caregiver alerts: the table's stream (each newly queued alert, within
seconds of the patient's turn) and the daily schedule (whatever is still due)."""
from recovery_coach.alerts import handle_event


def lambda_handler(event, context=None):
    return handle_event(event)
