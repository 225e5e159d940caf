"""The caregiver's side by voice: greeted as a caregiver, asked in their own words, the patient called
by the name they chose. Every conversation goes through lambda_handler with real envelopes, on both
stores (SQLite, and DynamoDB Local with the table from template.yaml)."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from recovery_coach import envelope
from recovery_coach.resolver import MODELS
from recovery_coach.services import Services
from tests.conftest import Clock
from tests.functional.test_safety import urgent
from tests.support import Alexa, Reply

PHONE = "405-759-8407"


def share_as(patient: Alexa, *said: str) -> str:
    """The patient shares, says what to be called (each of `said` in turn), and gets a code."""
    patient.say("share my check-ins with my caregiver")
    reply = None
    for words in said:
        reply = patient.say(words)
    assert reply is not None
    digits = re.search(r"code is ([\d, ]+)\.", reply.speech)
    assert digits, reply.speech
    return digits.group(1).replace(", ", "")


def linked(code: str, user: str = "daughter") -> Alexa:
    caregiver = Alexa(user=user)
    reply = caregiver.say(f"link to my patient with code {' '.join(code)}")
    assert "You're linked" in reply, reply.speech
    caregiver.new_session()
    return caregiver


def logs(patient: Alexa, score: str, medicine: str | None) -> None:
    reply = patient.say(f"log my pain as {score}")
    assert "pain medicine" in reply, reply.speech  # the medicine question
    if medicine:
        patient.say(medicine)
    patient.new_session()


def asks_to_log(reply: Reply) -> bool:
    return "checked in today" in reply and "log your pain" in reply or "Would you like to log" in reply.speech


@pytest.mark.dates  # yesterday's and today's check-ins
def test_the_caregiver_hears_linda_her_eight_and_what_she_logged(any_services: Services, clock: Clock) -> None:
    """The issue's sequence: Linda shares, her daughter links, Linda logs 8 and no medicine; her
    daughter launches and asks in her own words."""
    linda = Alexa(user="linda")
    clock.now -= timedelta(days=1)
    logs(linda, "five", "yes")  # yesterday
    clock.now += timedelta(days=1)
    daughter = linked(share_as(linda, "call me Linda"))
    logs(linda, "eight", "no")

    hello = daughter.launch()
    assert "Linda" in hello and "8" in hello.speech, hello.speech
    assert not asks_to_log(hello) and "log your pain" not in hello and not hello.session.get("pending")
    assert "worrying" in hello and PHONE in hello.speech  # an 8, and a rise of 3

    medicine = daughter.say("did she take her medicine today")
    assert medicine.speech.startswith("No. Linda logged no pain medicine today."), medicine.speech
    yesterday = daughter.say("what did she log yesterday")
    assert "Yesterday, Linda logged 5, and took pain medicine" in yesterday, yesterday.speech
    assert "8" not in yesterday.speech.split("What else")[0]


@pytest.mark.dates
def test_what_a_caregiver_asks_is_answered_from_the_days_record(services: Services, clock: Clock) -> None:
    mum = Alexa(user="mum")
    daughter = linked(share_as(mum, "call me Mum"))
    assert "Mum hasn't checked in yet today" in daughter.say("has mum checked in today")
    assert "hasn't checked in yet today, so I don't know" in daughter.say("did mum take her tablets")
    clock.now -= timedelta(days=2)
    logs(mum, "three", None)  # the medicine question left unanswered
    clock.now += timedelta(days=2)
    last = daughter.say("when did mum last check in")
    assert re.search(r"Mum last checked in on \w+, with a score of 3\.", last.speech), last.speech
    assert "didn't check in yesterday" in daughter.say("what did mum log yesterday")
    unsaid = daughter.say("did mum take her medicine two days ago")
    assert "checked in" in unsaid and "didn't answer the pain medicine question" in unsaid, unsaid.speech


def test_the_name_is_kept_as_said_and_found_in_any_spelling(services: Services) -> None:
    nan = Alexa(user="nan", locale="en-GB")
    grandson = linked(share_as(nan, "call me nan"), user="grandson")
    grandson.locale = "en-GB"
    assert "following Nan's recovery" in grandson.launch()
    assert "Nan hasn't checked in yet today" in grandson.say("has grandma checked in today")
    assert "I don't know" in grandson.say("has grandad checked in today")


def test_any_first_name_is_a_label(services: Services) -> None:
    for user, said, label in (("p1", "call me Linda", "Linda"), ("p2", "just Mary Ann", "Mary Ann"),
                              ("p3", "Dolores", "Dolores")):
        patient = Alexa(user=user)
        caregiver = linked(share_as(patient, said), user=f"carer-{user}")
        assert f"You're following {label}'s recovery" in caregiver.launch(), said


def test_a_word_alexa_does_not_know_is_said_back_first(services: Services) -> None:
    patient = Alexa(user="patient")
    patient.say("share my check-ins with my caregiver")
    unknown = {"label": envelope.slot_json("label", "zibby", None, "PATIENT_LABEL")}
    heard = patient.send(envelope.intent("PatientLabelIntent", patient.device, patient.session, unknown))
    assert "I heard Zibby" in heard and "code" not in heard, heard.speech
    again = patient.say("no")
    assert "What should your caregiver hear you called" in again
    patient.send(envelope.intent("PatientLabelIntent", patient.device, patient.session, unknown))
    code = patient.say("yes")
    assert "Your sharing code is" in code
    caregiver = linked(re.search(r"code is ([\d, ]+)\.", code.speech).group(1).replace(", ", ""))
    assert "Zibby" in caregiver.launch()


def test_caregiver_help_and_launch_never_ask_them_to_log(services: Services) -> None:
    dad = Alexa(user="dad")
    son = linked(share_as(dad, "call me Dad"), user="son")
    hello = son.launch()
    assert "Dad hasn't logged any pain" in hello and not asks_to_log(hello)
    helped = son.say("help")
    assert "how is Dad doing" in helped and "log my pain" not in helped


@pytest.mark.dates
def test_an_account_that_is_both_is_greeted_as_the_patient(services: Services) -> None:
    mum = Alexa(user="mum")
    both = linked(share_as(mum, "call me Mum"), user="both")
    logs(both, "two", "yes")  # her own check-in: she is a patient too
    hello = both.launch()
    assert "Welcome back to Spine Recovery" in hello and "For Mum's check-ins, say: how is Mum doing" in hello


def test_two_patients_are_told_apart_and_the_question_survives_which_one(services: Services) -> None:
    mum, dad = Alexa(user="mum"), Alexa(user="dad")
    carer = linked(share_as(mum, "call me Mum"), user="carer")
    carer.say(f"link to my patient with code {' '.join(share_as(dad, 'call me Dad'))}")
    logs(dad, "four", "yes")
    carer.new_session()
    hello = carer.launch()
    assert "following Dad and Mum's recovery" in hello or "following Mum and Dad's recovery" in hello
    which = carer.say("did she take her medicine today")
    assert which.speech.endswith("Which one: Dad, or Mum?") or which.speech.endswith("Which one: Mum, or Dad?")
    assert "Yes. Dad logged pain medicine today" in carer.say("Dad")


def test_a_caregiver_whose_patient_stopped_sharing_hears_so_once(any_services: Services) -> None:
    linda = Alexa(user="linda")
    daughter = linked(share_as(linda, "call me Linda"))
    linda.say("stop sharing my check-ins")
    assert "Nobody can see" in linda.say("yes")
    told = daughter.say("how is Linda doing")
    assert "Linda has stopped sharing check-ins with you" in told and "not linked" not in told
    assert "not linked" in daughter.say("how is Linda doing")  # said once


def test_the_ended_notice_is_said_at_launch_and_goes_when_linked_again(any_services: Services) -> None:
    mum = Alexa(user="mum")
    son = linked(share_as(mum, "call me Mum"), user="son")
    mum.say("delete my data")
    mum.say("yes")
    hello = son.launch()
    assert hello.speech.startswith("Mum has stopped sharing check-ins with you."), hello.speech
    assert "stopped sharing" not in son.launch()
    mum.new_session()
    code = share_as(mum, "call me Mum")
    mum.say("stop sharing my check-ins")
    mum.say("yes")
    again = Alexa(user="son")
    assert "didn't work" in again.say(f"link to my patient with code {' '.join(code)}")  # the code went too
    son2 = linked(share_as(mum, "call me Mum"), user="son")
    assert "stopped sharing" not in son2.launch()


def test_who_can_see_counts_caregivers_and_live_report_links(any_services: Services, clock: Clock) -> None:
    patient = Alexa(user="patient")
    assert "Nobody can see your check-ins" in patient.say("who can see my check-ins")
    patient.say("send the report link to my caregiver")
    one = patient.say("who can see my check-ins")
    assert "No caregiver is linked" in one and "One report link" in one and "stop sharing my check-ins" in one
    carer = linked(share_as(patient, "call me Linda"), user="carer")
    carer.say("send me the report link")
    both = patient.say("who can see my check-ins")
    assert "One caregiver can see your check-ins" in both and "2 report links" in both, both.speech
    carer.say("unlink my patient")
    assert "One report link" in patient.say("who can see my check-ins")  # the caregiver's went with the link
    clock.now += timedelta(days=8)
    assert "Nobody can see your check-ins" in patient.say("who can see my check-ins")


def test_the_patient_hears_and_changes_the_name_caregivers_hear(any_services: Services) -> None:
    patient = Alexa(user="patient")
    assert "no caregiver hears a name for you yet" in patient.say("what do they call me")
    carer = linked(share_as(patient, "call me Mom"), user="carer")
    assert "Your caregiver hears you called Mom" in patient.say("what does my caregiver call me")
    asked = patient.say("change my name")
    assert "What should your caregiver hear you called" in asked
    assert "Done. Your caregiver will hear you called Linda" in patient.say("call me Linda")
    assert "You're following Linda's recovery" in carer.launch()
    report = carer.say("send me the report link")
    assert "Linda's report" in report and "Linda's pain check-ins" in report.card["content"]
    assert "hear you called Grandma" in patient.say("change my name to grandma")
    assert "Your caregiver hears you called Grandma" in patient.say("what do they call me")


def test_the_caregivers_report_card_is_worded_for_a_caregiver(services: Services) -> None:
    patient = Alexa(user="patient")
    carer = linked(share_as(patient, "call me Linda"), user="carer")
    card = carer.say("send me the report link").card["content"]
    assert "Linda's pain check-ins" in card and "your caregiver" not in card
    own = patient.say("send the report link to my caregiver").card["content"]
    assert "your pain check-ins" in own


@pytest.mark.dates
def test_a_review_question_follows_the_role(services: Services) -> None:
    """The same words mean one's own check-ins to a patient and the patient's to a caregiver."""
    linda = Alexa(user="linda")
    logs(linda, "four", "yes")
    assert "You last logged 4 today" in linda.say("how is she doing")  # no one to ask about: her own
    carer = linked(share_as(linda, "call me Linda"), user="carer")
    week = carer.say("how has my pain been this week")
    assert "Here's Linda's last seven days" in week and "You last logged" not in week
    day = carer.say("what did I log today")
    assert "Today, Linda logged 4" in day, day.speech
    assert "not linked" in Alexa(user="new").say("how is my patient doing")  # nothing to review: how to link


# A caregiver's question said with a warning sign in it: the words are the question's own slot
# ({about}), so the red-flag screen hears them, whichever caregiver intent the question went to.
@pytest.mark.parametrize("said", ["how is my dad doing, he fell over and can't get up",
                                  "how is she getting on, she can't feel her legs since this morning",
                                  "did he take anything for the pain, his temperature is a hundred and two",
                                  "has her pain gone down, she fell in the bathroom"])
def test_a_warning_sign_inside_a_caregivers_question_gets_the_urgent_reply_first(services: Services, said: str) -> None:
    assert Alexa(user="carer").say(said).speech.startswith(urgent())


@pytest.mark.parametrize("intent", ["PatientSummaryIntent", "PatientMedicineIntent", "PatientDayIntent"])
def test_alexa_passes_the_caregivers_own_words_and_the_screen_hears_them(services: Services, intent: str) -> None:
    model = json.loads((MODELS / "en-US.json").read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
    declared = next(i for i in model["intents"] if i["name"] == intent)
    assert {"name": "about", "type": "AMAZON.SearchQuery"} in declared["slots"]
    assert any("{about}" in sample for sample in declared["samples"])
    mum = Alexa(user="mum")
    carer = linked(share_as(mum, "call me Mum"), user="carer")
    assert carer.intent(intent, about="she's coughing up blood").speech.startswith(urgent())
    calm = carer.intent(intent, about="since the weekend")
    assert "Mum" in calm and not calm.speech.startswith(urgent()), calm.speech


def test_a_title_said_with_more_words_still_names_the_one_patient(services: Services) -> None:
    """ "is grandpa doing alright": Grandpa, not a patient called "grandpa doing" (which would be
    asked about: "which one?")."""
    grandpa = Alexa(user="grandpa")
    logs(grandpa, "three", "yes")
    carer = linked(share_as(grandpa, "call me Grandpa"), user="carer")
    reply = carer.say("is grandpa doing alright")
    assert "Grandpa" in reply and "3" in reply.speech and "Which one" not in reply, reply.speech


@pytest.mark.parametrize("said", ["is mum's pain getting worse", "has her pain got worse this week",
                                  "are my mother's scores getting better or worse"])
def test_a_caregiver_asking_about_the_pains_course_hears_the_trend_not_an_alarm(services: Services, said: str) -> None:
    """Worsening pain is on the red-flag list; asking whether the patient's pain is getting worse is
    a question about her check-ins."""
    mum = Alexa(user="mum")
    logs(mum, "four", "yes")
    carer = linked(share_as(mum, "call me Mum"), user="carer")
    reply = carer.say(said)
    assert not reply.speech.startswith(urgent()) and not reply.ended, reply.speech
    assert "Mum" in reply and "4" in reply.speech, reply.speech
