"""Request handlers, in the order the SDK tries them: specific states before generic ones."""
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

HANDLERS = [
    LaunchHandler,
    AskQuestionHandler,
    ReportSymptomHandler,
    YesMoreHandler,
    NoMoreHandler,
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
