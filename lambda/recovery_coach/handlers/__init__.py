"""Request handlers, in the order the SDK tries them: answers to a question the skill asked
(yes/no with a pending question) before the generic ones."""
from collections.abc import Callable

from ask_sdk_core.dispatch_components import AbstractRequestHandler

from recovery_coach.handlers.account import (
    DeleteDataHandler,
    NoDeleteHandler,
    ProcedureDateAnswerHandler,
    ProcedureDateHandler,
    UnexpectedDateHandler,
    SkillDisabledHandler,
    YesDeleteHandler,
)
from recovery_coach.handlers.ask import (
    AskQuestionHandler,
    NoMoreHandler,
    ReportSymptomHandler,
    UrgentHandler,
    YesMoreHandler,
)
from recovery_coach.handlers.builtins import (
    FallbackHandler,
    HelpHandler,
    LaunchHandler,
    NavigateHomeHandler,
    NoWithoutQuestionHandler,
    RepeatHandler,
    SessionEndedHandler,
    StopHandler,
    UnhandledRequestHandler,
    YesWithoutQuestionHandler,
)
from recovery_coach.handlers.can_fulfill import CanFulfillHandler
from recovery_coach.handlers.checkin import (
    CheckInHandler,
    MedicationAnswerHandler,
    NoCheckInOfferHandler,
    NoReplaceHandler,
    NotAScoreHandler,
    YesCheckInOfferHandler,
    YesReplaceHandler,
    YesRetryHandler,
)
from recovery_coach.handlers.reminders import (
    CancelReminderHandler,
    ChangeReminderHandler,
    NoReminderHandler,
    PermissionAnswerHandler,
    ReminderStatusHandler,
    ReminderTimeAnswerHandler,
    SetReminderHandler,
    UnexpectedTimeHandler,
    YesReminderHandler,
)
from recovery_coach.handlers.review import ReviewDayAnswerHandler, ReviewDayHandler, ReviewWeekHandler
from recovery_coach.handlers.sharing import (
    ChoosePatientHandler,
    LinkCodeAnswerHandler,
    LinkPatientHandler,
    NoStopSharingHandler,
    PatientSummaryHandler,
    SendMeReportHandler,
    SendReportToCaregiverHandler,
    ShareCheckInsHandler,
    ShareLabelHandler,
    StopSharingHandler,
    UnexpectedLabelHandler,
    UnlinkPatientHandler,
    WhoCanSeeHandler,
    YesStopSharingHandler,
)

HANDLERS: list[Callable[[], AbstractRequestHandler]] = [
    CanFulfillHandler,  # name-free routing: a question about a question, answered silently
    UrgentHandler,  # a red flag, whatever the intent or the question pending: first, and storeless
    LaunchHandler,
    AskQuestionHandler,
    ReportSymptomHandler,
    LinkCodeAnswerHandler,  # a number, when we asked for the caregiver's code
    CheckInHandler,
    ProcedureDateHandler,
    ProcedureDateAnswerHandler,
    ReviewDayAnswerHandler,  # a bare date, when we asked "which day?"
    UnexpectedDateHandler,
    ReviewWeekHandler,
    ReviewDayHandler,
    DeleteDataHandler,
    SkillDisabledHandler,
    ShareCheckInsHandler,
    StopSharingHandler,
    WhoCanSeeHandler,
    SendReportToCaregiverHandler,
    LinkPatientHandler,
    PatientSummaryHandler,
    UnlinkPatientHandler,
    SendMeReportHandler,
    ShareLabelHandler,
    ChoosePatientHandler,
    UnexpectedLabelHandler,
    SetReminderHandler,
    ReminderTimeAnswerHandler,  # a bare time, when we asked "what time?"
    UnexpectedTimeHandler,
    ChangeReminderHandler,
    CancelReminderHandler,
    ReminderStatusHandler,
    PermissionAnswerHandler,
    # Yes / No / not-a-number, when the skill asked something
    MedicationAnswerHandler,
    YesReplaceHandler,
    YesRetryHandler,
    NoReplaceHandler,
    YesCheckInOfferHandler,
    NoCheckInOfferHandler,
    YesDeleteHandler,
    NoDeleteHandler,
    YesStopSharingHandler,
    NoStopSharingHandler,
    YesReminderHandler,
    NoReminderHandler,
    YesMoreHandler,
    NoMoreHandler,
    NotAScoreHandler,
    # The built-ins
    HelpHandler,
    RepeatHandler,
    StopHandler,
    NavigateHomeHandler,
    FallbackHandler,
    YesWithoutQuestionHandler,
    NoWithoutQuestionHandler,
    SessionEndedHandler,
    UnhandledRequestHandler,
]
