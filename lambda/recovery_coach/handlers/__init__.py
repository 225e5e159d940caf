"""Request handlers: one per user goal, and one (AnswerHandler) for every answer to every question
the skill asks (recovery_coach.dialog). No two handlers take the same request, so their order
here decides nothing; only the catch-all, which takes anything, must stay last."""
from collections.abc import Callable

from ask_sdk_core.dispatch_components import AbstractRequestHandler

from recovery_coach.handlers.alerting import AlertsOffHandler, AlertsOnHandler, NotificationsChangedHandler
from recovery_coach.handlers.account import DeleteDataHandler, ProcedureDateHandler, SkillDisabledHandler
from recovery_coach.handlers.ask import AskQuestionHandler, ReportSymptomHandler, UrgentHandler
from recovery_coach.handlers.builtins import (
    FallbackHandler,
    GreetingHandler,
    HelpHandler,
    LaunchHandler,
    RepeatHandler,
    SessionEndedHandler,
    StartOverHandler,
    StopHandler,
    ThanksHandler,
    UnhandledRequestHandler,
)
from recovery_coach.handlers.can_fulfill import CanFulfillHandler
from recovery_coach.handlers.checkin import CheckInHandler
from recovery_coach.handlers.questions import AnswerHandler
from recovery_coach.handlers.reminders import (
    CancelReminderHandler,
    ChangeReminderHandler,
    PermissionAnswerHandler,
    ReminderStatusHandler,
    SetReminderHandler,
)
from recovery_coach.handlers.review import ReviewDayHandler, ReviewWeekHandler
from recovery_coach.handlers.caregiver import LinkPatientHandler, PatientQuestionHandler
from recovery_coach.handlers.sharing import (
    ChangeLabelHandler,
    SendReportToCaregiverHandler,
    ShareCheckInsHandler,
    StopSharingHandler,
    WhatAmICalledHandler,
    WhoCanSeeHandler,
)

HANDLERS: list[Callable[[], AbstractRequestHandler]] = [
    CanFulfillHandler,  # name-free routing: a question about a question, answered silently
    UrgentHandler,  # a red flag, whatever the intent or the question pending: first, and storeless
    AnswerHandler,
    LaunchHandler,
    AskQuestionHandler,
    ReportSymptomHandler,
    CheckInHandler,
    ProcedureDateHandler,
    ReviewWeekHandler,
    ReviewDayHandler,
    DeleteDataHandler,
    SkillDisabledHandler,
    ShareCheckInsHandler,
    StopSharingHandler,
    WhoCanSeeHandler,
    WhatAmICalledHandler,
    ChangeLabelHandler,
    SendReportToCaregiverHandler,
    LinkPatientHandler,
    PatientQuestionHandler,
    AlertsOnHandler,
    AlertsOffHandler,
    NotificationsChangedHandler,
    SetReminderHandler,
    ChangeReminderHandler,
    CancelReminderHandler,
    ReminderStatusHandler,
    PermissionAnswerHandler,
    GreetingHandler,
    HelpHandler,
    RepeatHandler,
    StopHandler,
    StartOverHandler,
    ThanksHandler,
    FallbackHandler,
    SessionEndedHandler,
    UnhandledRequestHandler,  # takes anything: last
]
