"""Every question the skill asks, through the resolver and lambda_handler: a clear answer, a clear no,
a misheard turn then the answer, an unrelated question then the answer, and stop."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from recovery_coach import dialog, envelope
from recovery_coach.content import load_content
from recovery_coach.handlers import HANDLERS
from recovery_coach.handlers.base import user_key
from recovery_coach.services import Services
from tests.conftest import TODAY, install
from tests.functional.test_caregiver_alerts import alert_settings
from tests.functional.test_questions import cli
from tests.functional.test_sharing import link, share
from tests.support import Alexa, Reply

GRANTED = {"consentToken": "consent", "scopes": {"alexa::alerts:reminders:skill:readwrite": {"status": "GRANTED"}}}
MISHEARD = "banana phone"  # the fallback
ASIDE = "when can I drive again"  # a question about recovery


def stored(services: Services, alexa: Alexa) -> Any:
    return services.store.load(user_key(alexa.device.user_id), since=TODAY - timedelta(days=30))


def today_score(services: Services, alexa: Alexa) -> Any:
    found = [c for c in stored(services, alexa).checkins if c.day == TODAY]
    return found[0] if found else None


@dataclass
class Case:
    """How to reach the question, what answers it, and whether what the answer does was done."""
    setup: Callable[[Services, Any], tuple[Alexa, str]]
    done: Callable[[Reply, Services, Alexa], bool]


def offer(services: Services, api: Any) -> tuple[Alexa, str]:
    alexa = Alexa()
    alexa.launch()
    return alexa, "yes"


def score(services: Services, api: Any) -> tuple[Alexa, str]:
    alexa = Alexa()
    alexa.say("check in")
    return alexa, "six"


def meds(services: Services, api: Any) -> tuple[Alexa, str]:
    alexa = Alexa()
    alexa.say("log my pain as six")
    return alexa, "yes"


def replace(services: Services, api: Any) -> tuple[Alexa, str]:
    alexa = Alexa()
    alexa.say("log my pain as five")
    alexa.say("no")
    alexa.say("log my pain as seven")
    return alexa, "yes"


def retry(services: Services, api: Any) -> tuple[Alexa, str]:
    alexa = Alexa()
    alexa.say("what is kyphoplasty")
    alexa.session.attributes["pending"] = {"q": "retry", "score": 7}  # a save had failed
    return alexa, "yes"


def delete(services: Services, api: Any) -> tuple[Alexa, str]:
    alexa = Alexa()
    alexa.say("log my pain as five")
    alexa.say("no")
    alexa.say("delete my check-ins")
    return alexa, "yes"


def procedure(services: Services, api: Any) -> tuple[Alexa, str]:
    alexa = Alexa()
    alexa.intent("ProcedureDateIntent")  # "set my procedure date", with no date heard
    return alexa, "yesterday"


def review_day(services: Services, api: Any) -> tuple[Alexa, str]:
    alexa = Alexa()
    alexa.intent("ReviewDayIntent", day="the blue one")  # a day Alexa couldn't read
    return alexa, "yesterday"


def share_label(services: Services, api: Any) -> tuple[Alexa, str]:
    alexa = Alexa()
    alexa.say("share my check-ins with my caregiver")
    return alexa, "call me Mom"


def share_label_check(services: Services, api: Any) -> tuple[Alexa, str]:
    alexa = Alexa()
    alexa.say("share my check-ins with my caregiver")
    alexa.send(envelope.intent("PatientLabelIntent", alexa.device, alexa.session,
                               {"label": envelope.slot_json("label", "zibby", None, "PATIENT_LABEL")}))
    return alexa, "yes"


def link_code(services: Services, api: Any) -> tuple[Alexa, str]:
    code = share(Alexa(user="mom"))
    daughter = Alexa(user="daughter")
    daughter.say("link to my patient")
    return daughter, " ".join(code)


def stop_sharing(services: Services, api: Any) -> tuple[Alexa, str]:
    mom = Alexa(user="mom")
    link(Alexa(user="daughter"), share(mom))
    mom.say("stop sharing my check-ins")
    return mom, "yes"


def choose_patient(services: Services, api: Any) -> tuple[Alexa, str]:
    mom, dad, daughter = Alexa(user="mom"), Alexa(user="dad"), Alexa(user="daughter")
    dad.say("log my pain as two")
    link(daughter, share(mom, "Mom"))
    link(daughter, share(dad, "Dad"))
    daughter.say("how is my patient doing")
    return daughter, "Dad"


def reminder_patient(api: Any) -> Alexa:
    api.timezone = "America/Chicago"
    alexa = Alexa(api_endpoint=api.endpoint, api_access_token=api.token, permissions=GRANTED)
    alexa.say("what is kyphoplasty")
    return alexa


def reminder_time(services: Services, api: Any) -> tuple[Alexa, str]:
    alexa = reminder_patient(api)
    alexa.say("remind me to check in every day")
    return alexa, "9 am"


def reminder_consent(services: Services, api: Any) -> tuple[Alexa, str]:
    alexa = reminder_patient(api)
    alexa.say("remind me to check in every day at 9 am")
    return alexa, "yes"


def alerts_consent(services: Services, api: Any) -> tuple[Alexa, str]:
    install(services.store, services.clock, **alert_settings(api))  # type: ignore[arg-type]  # alerts set up
    daughter = Alexa(user="daughter")
    link(daughter, share(Alexa(user="mom")))
    daughter.say("send me alerts")
    return daughter, "yes"


def more(services: Services, api: Any) -> tuple[Alexa, str]:
    alexa = Alexa()
    alexa.say("what is kyphoplasty")
    return alexa, "yes"


def more_text() -> str:
    topic = load_content().knowledge.match("what is kyphoplasty").topic
    assert topic is not None and topic.more
    return topic.more


CASES: dict[str, Case] = {
    "checkin_offer": Case(offer, lambda r, s, a: "how is your pain right now" in r),
    "score": Case(score, lambda r, s, a: getattr(today_score(s, a), "score", None) == 6),
    "meds": Case(meds, lambda r, s, a: getattr(today_score(s, a), "took_meds", None) is True),
    "replace": Case(replace, lambda r, s, a: getattr(today_score(s, a), "score", None) == 7),
    "retry": Case(retry, lambda r, s, a: getattr(today_score(s, a), "score", None) == 7),
    "delete": Case(delete, lambda r, s, a: today_score(s, a) is None),
    "procedure": Case(procedure, lambda r, s, a: stored(s, a).profile.procedure_date == TODAY - timedelta(days=1)),
    "review_day": Case(review_day, lambda r, s, a: "didn't check in yesterday" in r),
    "share_label": Case(share_label, lambda r, s, a: "sharing code is" in r),
    "share_label_check": Case(share_label_check, lambda r, s, a: "sharing code is" in r),
    "link_code": Case(link_code, lambda r, s, a: bool(s.store.links_of_caregiver(user_key(a.device.user_id)))),
    "stop_sharing": Case(stop_sharing, lambda r, s, a: not s.store.links_of_patient(user_key(a.device.user_id))),
    "choose_patient": Case(choose_patient, lambda r, s, a: "latest score is 2" in r),
    "reminder_time": Case(reminder_time, lambda r, s, a: "every day at 9 AM. Is that okay?" in r),
    "reminder_consent": Case(reminder_consent, lambda r, s, a: stored(s, a).profile.reminder_id is not None),
    "more": Case(more, lambda r, s, a: more_text()[:40] in r.speech),
    "alerts_consent": Case(alerts_consent, lambda r, s, a: any(
        link.alert_to for link in s.store.links_of_caregiver(user_key(a.device.user_id)))),
}
NAMES = sorted(CASES)


def test_every_declared_question_is_tested_here() -> None:
    assert set(dialog.REGISTRY) - {dialog.NOTHING, "check_again"} == set(CASES)  # check_again: test_honest_saves


@pytest.fixture
def reach(services: Services, alexa_api: Any) -> Callable[[str], tuple[Case, Alexa, str]]:
    def go(name: str) -> tuple[Case, Alexa, str]:
        case = CASES[name]
        alexa, answer = case.setup(services, alexa_api)
        assert alexa.session.attributes.get("pending", {}).get("q") == name
        return case, alexa, answer
    return go


@pytest.mark.dates  # works through dated records
@pytest.mark.parametrize("name", NAMES)
def test_the_answer_does_it(name: str, reach: Any, services: Services) -> None:
    case, alexa, answer = reach(name)
    assert case.done(alexa.say(answer), services, alexa)


@pytest.mark.dates  # works through dated records
@pytest.mark.parametrize("name", NAMES)
def test_no_does_not_do_it(name: str, reach: Any, services: Services) -> None:
    case, alexa, _ = reach(name)
    reply = alexa.say("no")
    assert not case.done(reply, services, alexa)
    if dialog.NO not in dialog.REGISTRY[name].answers:  # "no" doesn't answer "which day?": asked again
        assert alexa.session.attributes["pending"]["q"] == name and reply.speech.endswith(reply.reprompt)


@pytest.mark.parametrize("name", NAMES)
def test_a_misheard_turn_keeps_the_question(name: str, reach: Any, services: Services) -> None:
    case, alexa, answer = reach(name)
    missed = alexa.say(MISHEARD)
    assert not case.done(missed, services, alexa) and not missed.ended
    assert missed.reprompt and missed.speech.endswith(missed.reprompt)
    assert case.done(alexa.say(answer), services, alexa)


@pytest.mark.parametrize("name", NAMES)
def test_a_second_miss_gets_help_and_still_keeps_the_question(name: str, reach: Any, services: Services) -> None:
    case, alexa, answer = reach(name)
    first, second = alexa.say(MISHEARD), alexa.say(MISHEARD)
    help_text = load_content().text(f"question.{name}.help", **alexa.session.attributes["pending"].get("words", {}))
    assert help_text in second and help_text not in first
    assert not case.done(second, services, alexa)
    assert case.done(alexa.say(answer), services, alexa)


@pytest.mark.parametrize("name", NAMES)
def test_an_unrelated_question_is_answered_and_the_question_dropped(name: str, reach: Any, services: Services) -> None:
    """The person moved past the question: it is answered as itself, and nothing asks the old
    question again (issue 29: the launch's "log your pain?" followed every answer)."""
    case, alexa, answer = reach(name)
    old = load_content().text(f"question.{name}.reprompt", **alexa.session.attributes["pending"].get("words", {}))
    aside = alexa.say(ASIDE)
    assert "few days" in aside and not case.done(aside, services, alexa)
    assert old not in aside.speech and alexa.session.attributes.get("pending", {}).get("q") != name
    assert aside.speech.endswith("What else would you like to know?")


@pytest.mark.parametrize("name", NAMES)
def test_help_explains_the_question_and_keeps_it(name: str, reach: Any, services: Services) -> None:
    case, alexa, answer = reach(name)
    words = alexa.session.attributes["pending"].get("words", {})
    helped = alexa.say("help")
    if dialog.REGISTRY[name].keep_on_aside:  # "more?" is about the answer just heard: help is the skill's
        assert load_content().text(f"question.{name}.help", **words) in helped
        assert "say never mind" in helped and "say stop" in helped  # how to leave it
        assert case.done(alexa.say(answer), services, alexa)


@pytest.mark.parametrize("name", NAMES)
def test_stop_ends_without_doing_it(name: str, reach: Any, services: Services) -> None:
    case, alexa, _ = reach(name)
    reply = alexa.say("stop")
    assert reply.ended and "Goodbye" in reply and not case.done(reply, services, alexa)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("words", ["never mind", "cancel"])
def test_never_mind_drops_only_the_question(name: str, reach: Any, services: Services, words: str) -> None:
    """"Never mind" inside a question cancels that question, not the conversation, and does nothing."""
    case, alexa, _ = reach(name)
    reply = alexa.say(words)
    assert not reply.ended and "never mind" in reply.speech.lower() and "pending" not in reply.session
    assert not case.done(reply, services, alexa)
    assert "pending" not in alexa.say("when can I drive again").session  # not asked again after an answer


def test_never_mind_with_nothing_asked_ends_the_conversation(alexa: Alexa) -> None:
    alexa.say("when can I drive again")
    assert alexa.say("never mind").ended


# --- natural answers ---------------------------------------------------------------------------

@pytest.mark.parametrize("words", ["tell me more", "go on", "yes I would", "uh huh", "more please"])
def test_natural_ways_to_hear_more(alexa: Alexa, words: str) -> None:
    alexa.say("what is kyphoplasty")
    assert more_text()[:40] in alexa.say(words).speech


@pytest.mark.parametrize("words,took", [("I took my pills", True), ("yes I took two tylenol", True), ("I did", True),
                                        ("not yet", False), ("I didn't", False), ("I don't remember", None),
                                        ("yeah I took a couple this morning", True), ("no I did not", False),
                                        ("nope, haven't had any today", False)])
@pytest.mark.dates  # works through dated records
def test_natural_answers_to_the_medicine_question(alexa: Alexa, services: Services, words: str, took: bool | None) -> None:
    alexa.say("log my pain as six")
    reply = alexa.say(words)
    assert today_score(services, alexa).took_meds is took and today_score(services, alexa).score == 6
    assert "pending" not in alexa.session.attributes and not reply.ended


def test_maybe_later_declines_the_check_in_offer(alexa: Alexa, services: Services) -> None:
    alexa.launch()
    reply = alexa.say("maybe later")
    assert "whole number" not in reply and "Okay" in reply and stored(services, alexa).checkins == ()


def test_help_during_the_check_in_keeps_the_score_question(alexa: Alexa, services: Services) -> None:
    alexa.say("check in")
    reply = alexa.say("help")
    assert "0 is no pain" in reply and reply.speech.endswith("Please say a number from 0 to 10.")
    alexa.say("four")
    assert today_score(services, alexa).score == 4


def test_thank_you_is_acknowledged_and_moves_on(alexa: Alexa, services: Services) -> None:
    alexa.say("log my pain as six")
    reply = alexa.say("thank you")
    assert "You're welcome" in reply and "Sorry" not in reply and "pain medicine" not in reply
    assert "pending" not in alexa.session.attributes
    alexa.say("yes")
    assert today_score(services, alexa).took_meds is None


def test_start_over_is_alexas_own_intent_and_asks_once(alexa: Alexa) -> None:
    from recovery_coach.resolver import load_resolver

    for words in ("start over", "main menu"):
        assert load_resolver().resolve(words).intent == "AMAZON.StartOverIntent"
    alexa.say("delete my check-ins")
    reply = alexa.say("start over")
    assert reply.speech.count("?") == 1 and "pending" not in alexa.session.attributes


def test_a_name_when_none_was_asked_asks_one_question(alexa: Alexa) -> None:
    reply = alexa.say("call me Mom")
    assert "didn't ask for a name" in reply and reply.speech.count("?") == 1


@pytest.mark.dates  # works through dated records
def test_replacing_a_score_does_not_ask_the_medicine_question_again(alexa: Alexa, services: Services) -> None:
    alexa.say("log my pain as five")
    alexa.say("yes")
    alexa.say("log my pain as seven")
    reply = alexa.say("yes")
    assert "Saved: your pain is 7" in reply and "medicine" not in reply
    assert today_score(services, alexa).took_meds is True


def test_repeat_after_okay_says_the_last_answer(alexa: Alexa) -> None:
    answer = alexa.say("what is kyphoplasty")
    alexa.say("no")
    again = alexa.say("say that again")
    assert again.speech == answer.speech
    assert more_text()[:40] in alexa.say("yes").speech  # the offer it repeated stands again


def test_a_destructive_question_never_proceeds_without_a_clear_yes(services: Services) -> None:
    alexa = Alexa()
    alexa.say("log my pain as five")
    alexa.say("no")
    alexa.say("delete my check-ins")
    for words in (MISHEARD, MISHEARD, MISHEARD, "I don't remember", "call me Mom", "yesterday"):
        alexa.say(words)
        assert today_score(services, alexa) is not None, words
    alexa.say("yes")
    assert today_score(services, alexa) is None


def test_a_destructive_question_moved_past_is_gone(services: Services) -> None:
    alexa = Alexa()
    alexa.say("log my pain as five")
    alexa.say("no")
    alexa.say("delete my check-ins")
    alexa.say(ASIDE)
    alexa.say("yes")  # a yes to nothing: the deletion was left behind
    assert today_score(services, alexa) is not None


def test_no_two_handlers_take_the_same_request(services: Services) -> None:
    """The handler list's order decides nothing: for every intent, with every question pending or
    none, exactly one handler (besides the last, catch-all one) takes the turn."""
    import json

    from recovery_coach import envelope, skill
    from recovery_coach.resolver import MODELS

    intents = [i["name"] for i in json.loads((MODELS / "en-US.json").read_text())["interactionModel"]["languageModel"]["intents"]]
    handlers = [make() for make in HANDLERS[:-1]]
    built = skill.default_skill()
    alexa = Alexa()
    for pending in [None, *dialog.REGISTRY]:
        for name in intents:
            session = envelope.Session()
            session.attributes = {"pending": {"q": pending, "score": 5}} if pending else {}
            event = envelope.intent(name, alexa.device, session, {"score": envelope.slot_json("score", "123456")})
            handler_input = _handler_input(built, event)
            takers = [type(h).__name__ for h in handlers if h.can_handle(handler_input)]
            assert len(takers) == 1, (pending, name, takers)


def _handler_input(built: Any, event: dict[str, Any]) -> Any:
    from ask_sdk_core.attributes_manager import AttributesManager
    from ask_sdk_core.handler_input import HandlerInput

    from recovery_coach.content import load_content as content
    from recovery_coach.handlers.base import CONTENT, SERVICES
    from recovery_coach.skill import default_services

    envelope_obj = built.serializer.from_event(event)
    h = HandlerInput(request_envelope=envelope_obj, attributes_manager=AttributesManager(envelope_obj))
    h.attributes_manager.request_attributes.update({CONTENT: content(), SERVICES: default_services()})
    return h


# --- the CLI, as a person types it -----------------------------------------------------------------

def test_cli_stop_sharing_survives_a_misheard_turn(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    mom = cli("chat", "--user", "mom", db=db, stdin="share my check-ins with my caregiver\ncall me Mom\n")
    code = mom.split("code is ", 1)[1].split(".", 1)[0].replace(", ", "")
    assert "linked" in cli("ask", "--user", "daughter", f"link to my patient with code {code}", db=db)
    out = cli("chat", "--user", "mom", db=db, stdin="stop sharing my check-ins\nwhat\nyes\nwho can see my check-ins\n")
    assert "Nobody can see your check-ins" in out.splitlines()[-1]


def test_cli_delete_survives_a_misheard_turn(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    cli("chat", "--user", "mom", db=db, stdin="log my pain as six\nno\n")
    out = cli("chat", "--user", "mom", db=db, stdin="delete my check-ins\nhuh\nyes\n")
    assert "Everything you stored with Spine Recovery is deleted" in out
    assert "haven't logged any pain" in cli("ask", "--user", "mom", "how has my pain been this week", db=db)


def test_cli_reminder_consent_survives_a_misheard_turn(tmp_path: Path) -> None:
    """No Reminders API on a laptop: the answer after the misheard turn still reaches it (and the
    honest failure is spoken), never the fallback."""
    db = tmp_path / "db.sqlite3"
    out = cli("chat", db=db, stdin="remind me to check in every day at 9 am\nwhat\nyes\n")
    last = out.strip().splitlines()[-1]
    assert "remind" in last.lower() and "Sorry, I can't help with that" not in last


def test_every_reply_is_recorded_for_the_two_questions_check(alexa: Alexa) -> None:
    from tests.conftest import SPOKEN

    before = len(SPOKEN)
    reply = alexa.say("delete my check-ins")
    assert SPOKEN[before:] == [reply.speech] and reply.speech.count("?") == 1


def test_help_at_launch_says_what_the_skill_does_and_how_to_answer(alexa: Alexa) -> None:
    alexa.launch()
    helped = alexa.say("help")
    assert "questions about healing after kyphoplasty" in helped and "say yes" in helped
    assert helped.speech.count("?") == 1
