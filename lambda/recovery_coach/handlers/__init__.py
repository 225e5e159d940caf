"""Request handlers, in the order the SDK tries them: answers to a question the skill asked
(yes/no with a pending question) before the generic ones."""
from recovery_coach.handlers.account import (
    DeleteDataHandler,
    NoDeleteHandler,
    ProcedureDateHandler,
    SkillDisabledHandler,
    YesDeleteHandler,
)
from recovery_coach.handlers.ask import (
    AskQuestionHandler,
    NoMoreHandler,
    ReportSymptomHandler,
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
from recovery_coach.handlers.checkin import (
    CheckInHandler,
    MedicationAnswerHandler,
    NoCheckInOfferHandler,
    NoReplaceHandler,
    NotAScoreHandler,
    YesCheckInOfferHandler,
    YesReplaceHandler,
)
from recovery_coach.handlers.review import ReviewDayHandler, ReviewWeekHandler

HANDLERS = [
    LaunchHandler,
    AskQuestionHandler,
    ReportSymptomHandler,
    CheckInHandler,
    ProcedureDateHandler,
    ReviewWeekHandler,
    ReviewDayHandler,
    DeleteDataHandler,
    SkillDisabledHandler,
    # Yes / No / not-a-number, when the skill asked something
    MedicationAnswerHandler,
    YesReplaceHandler,
    NoReplaceHandler,
    YesCheckInOfferHandler,
    NoCheckInOfferHandler,
    YesDeleteHandler,
    NoDeleteHandler,
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
