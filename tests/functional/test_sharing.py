"""Caregivers see what a patient chose to share, read-only, and lose it the moment it's revoked.
Every test runs on both stores (SQLite, and DynamoDB Local with the table from template.yaml)."""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import replace
from typing import Any
from datetime import timedelta

import pytest

from recovery_coach import sharing
from recovery_coach.handlers.base import user_key
from recovery_coach.report.web import ReportRoutes
from recovery_coach.services import Services
from tests.conftest import Clock
from tests.support import Alexa, Reply

PHONE = "405-759-8407"


def share(patient: Alexa, label: str = "Mom") -> str:
    patient.say("share my check-ins with my caregiver")
    reply = patient.say(f"call me {label}")
    digits = re.search(r"code is ([\d, ]+)\.", reply.speech)
    assert digits, reply.speech
    return digits.group(1).replace(", ", "")


def link(caregiver: Alexa, code: str) -> Reply:
    return caregiver.say(f"link to my patient with code {' '.join(code)}")


def key(alexa: Alexa) -> str:
    return user_key(alexa.device.user_id)


@pytest.fixture
def mom(any_services: Services) -> Alexa:
    alexa = Alexa(user="mom")
    alexa.say("log my pain as seven")
    alexa.say("yes")
    return alexa


def test_sharing_speaks_the_code_slowly_and_puts_it_on_a_card(mom: Alexa) -> None:
    mom.say("share my check-ins with my caregiver")
    reply = mom.say("call me Mom")
    code = re.search(r"code is ([\d, ]+)\.", reply.speech).group(1)
    assert re.fullmatch(r"\d(, \d){5}", code) and reply.speech.count(code) == 3
    assert f'<prosody rate="slow">{code}</prosody>' in reply.ssml
    assert " ".join(code.replace(", ", "")) in reply.card["content"] and "24 hours" in reply.card["content"]


def test_codes_are_stored_hashed(mom: Alexa, any_services: Services) -> None:
    code = share(mom)
    store: Any = any_services.store
    if hasattr(store, "_db"):
        rows = store._db.execute("SELECT * FROM share_codes").fetchall()
    else:
        rows = store.client.scan(TableName=store.table)["Items"]
    assert rows and code not in repr(rows)
    assert sharing.code_hash(code, any_services.settings.share_secret) in repr(rows)


@pytest.mark.dates  # works through dated records
def test_a_caregiver_links_and_hears_the_week(mom: Alexa) -> None:
    code = share(mom)
    daughter = Alexa(user="daughter")
    assert "linked to Mom's check-ins" in link(daughter, code)
    summary = daughter.say("how is my patient doing")
    assert "Here's Mom's last seven days" in summary and "latest score is 7, logged today" in summary
    assert "worrying" in summary and PHONE in summary.speech  # the 7


@pytest.mark.parametrize("case", ["used", "expired", "unknown", "own"])
def test_refused_codes(mom: Alexa, clock: Clock, case: str) -> None:
    code = share(mom)
    daughter = Alexa(user="daughter")
    if case == "used":
        link(Alexa(user="son"), code)
        reply = link(daughter, code)
        assert "didn't work" in reply
    elif case == "expired":
        clock.now += timedelta(hours=24, seconds=1)
        assert "expired" in link(daughter, code)
    elif case == "unknown":
        wrong = str((int(code) + 1) % 900000 + 100000)
        assert "didn't work" in link(daughter, wrong)
    else:
        assert "your own sharing code" in link(mom, code)
        assert "Here's Mom's" not in mom.say("how is my patient doing")  # her own week: no link to herself
        return
    assert "not linked" in daughter.say("how is my patient doing")


def test_wrong_codes_are_limited_to_five_an_hour(mom: Alexa, clock: Clock) -> None:
    code = share(mom)
    wrong = str((int(code) + 7) % 900000 + 100000)
    guesser = Alexa(user="guesser")
    for _ in range(5):
        assert "didn't work" in link(guesser, wrong)
    assert "too many tries" in link(guesser, code)  # even the right code, now
    assert "not linked" in guesser.say("how is my patient doing")
    clock.now += timedelta(hours=1, minutes=1)
    assert "linked to Mom" in link(guesser, code)


def test_a_caregiver_with_two_patients_is_asked_which(mom: Alexa) -> None:
    dad = Alexa(user="dad")
    dad.say("log my pain as two")
    daughter = Alexa(user="daughter")
    link(daughter, share(mom, "Mom"))
    link(daughter, share(dad, "Dad"))
    ask = daughter.say("how is my patient doing")
    assert ask.speech.endswith("Which one: Dad, or Mom?")
    assert "latest score is 2" in daughter.say("Dad")
    assert "latest score is 7" in daughter.say("how is mom doing")


def test_a_caregiver_reads_only_linked_patients(mom: Alexa) -> None:
    Alexa(user="dad").say("log my pain as two")  # never shared
    daughter = Alexa(user="daughter")
    link(daughter, share(mom))
    reply = daughter.say("how is dad doing")
    assert "I don't know Dad" in reply and "latest score is 2" not in reply


def test_nobody_writes_through_caregiver_access(mom: Alexa, any_services: Services) -> None:
    daughter = Alexa(user="daughter")
    link(daughter, share(mom))
    daughter.say("log my pain as nine")  # her own check-in, on her own account
    since = any_services.clock().date() - timedelta(days=3)
    assert [c.score for c in any_services.store.load(key(mom), since=since).checkins] == [7]
    assert [c.score for c in any_services.store.load(key(daughter), since=since).checkins] == [9]
    daughter.say("delete my data")
    daughter.say("yes")
    assert [c.score for c in any_services.store.load(key(mom), since=since).checkins] == [7]
    assert any_services.store.links_of_patient(key(mom)) == []  # her link went with her data


def test_who_can_see_my_check_ins(mom: Alexa, clock: Clock) -> None:
    assert "Nobody can see" in mom.say("who can see my check-ins")
    link(Alexa(user="daughter"), share(mom))
    clock.now += timedelta(days=1)
    link(Alexa(user="son"), share(mom))
    mom.new_session()
    assert "2 caregivers can see your check-ins: one since yesterday and one since today" in mom.say(
        "who can see my check-ins")


def test_unlink_removes_only_the_caregivers_own_link(mom: Alexa, any_services: Services) -> None:
    code1, daughter, son = share(mom), Alexa(user="daughter"), Alexa(user="son")
    link(daughter, code1)
    link(son, share(mom))
    assert "no longer see Mom's check-ins" in daughter.say("unlink my patient")
    assert "not linked" in daughter.say("how is my patient doing")
    assert "latest score is 7" in son.say("how is my patient doing")


def test_stop_sharing_revokes_links_and_report_links_at_once(mom: Alexa, any_services: Services) -> None:
    daughter = Alexa(user="daughter")
    link(daughter, share(mom))
    url = daughter.say("send me the report link").card["content"].split()[0]
    token = url.rsplit("/", 1)[1]
    now = any_services.clock()
    assert any_services.store.report_access(sharing.token_hash(token), now) is not None
    pending = share(mom)  # an unused code, too
    assert mom.say("stop sharing my check-ins").speech.endswith("Are you sure?")
    assert "Nobody can see your check-ins now" in mom.say("yes")
    assert "Mom has stopped sharing check-ins with you" in daughter.say("how is my patient doing")
    assert any_services.store.report_access(sharing.token_hash(token), now) is None
    assert "didn't work" in link(Alexa(user="son"), pending)


def test_report_links_are_unguessable_hashed_and_expire(mom: Alexa, any_services: Services, clock: Clock) -> None:
    reply = mom.say("send the report link to my caregiver")
    assert "card in your Alexa app" in reply and reply.card["title"] == "Pain report link"
    url = reply.card["content"].split()[0]
    token = url.rsplit("/", 1)[1]
    assert url.startswith(any_services.settings.report_base_url + "/report/")
    assert len(token) >= 32  # 192 bits, URL-safe base64
    access = any_services.store.report_access(sharing.token_hash(token), clock.now)
    assert access is not None and access.patient == key(mom)
    assert any_services.store.report_access(token, clock.now) is None  # stored hashed, not as itself
    clock.now += timedelta(days=7, seconds=1)
    assert any_services.store.report_access(sharing.token_hash(token), clock.now) is None


def test_two_caregivers_racing_for_one_code(mom: Alexa, any_services: Services) -> None:
    code_hash = sharing.code_hash(share(mom), any_services.settings.share_secret)
    barrier, results = threading.Barrier(2), []

    def claim(who: str) -> None:
        barrier.wait(timeout=5)
        results.append(any_services.store.claim_share_code(code_hash, who, any_services.clock())[0])

    threads = [threading.Thread(target=claim, args=(w,)) for w in ("a", "b")]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=10)
    assert sorted(results) == ["ok", "used"]
    assert len(any_services.store.links_of_patient(key(mom))) == 1


def test_codes_and_labels_stay_out_of_the_logs(mom: Alexa, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="recovery_coach"):
        code = share(mom, "Grandma")
        link(Alexa(user="daughter"), code)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("recovery_coach"))
    assert ours and code not in ours and "Grandma" not in ours


def report_status(services: Services, url: str) -> int:
    return ReportRoutes(services.settings, lambda: services).respond("GET", "/report/" + url.rsplit("/", 1)[1])[0]


@pytest.mark.dates  # works through dated records
def test_a_new_code_voids_the_old_one(mom: Alexa) -> None:
    old, new = share(mom), share(mom)
    daughter = Alexa(user="daughter")
    assert "didn't work" in link(daughter, old)
    assert "linked to Mom's check-ins" in link(daughter, new)


@pytest.mark.dates  # works through dated records
@pytest.mark.parametrize("how", ["caregiver unlinks", "caregiver deletes their data", "patient stops sharing"])
def test_a_caregivers_report_link_dies_with_the_link(mom: Alexa, any_services: Services, how: str) -> None:
    daughter = Alexa(user="daughter")
    link(daughter, share(mom))
    url = daughter.say("send me the report link").card["content"].split()[0]
    assert report_status(any_services, url) == 200
    if how == "caregiver unlinks":
        assert "no longer see Mom's check-ins" in daughter.say("unlink my patient")
    elif how == "caregiver deletes their data":
        daughter.say("delete my check-ins")
        daughter.say("yes")
    else:
        mom.say("stop sharing my check-ins")
        assert "Nobody can see your check-ins now" in mom.say("yes")
    assert report_status(any_services, url) == 404


@pytest.mark.dates  # works through dated records
def test_a_caregiver_holds_at_most_three_live_report_links_the_newest(mom: Alexa, any_services: Services) -> None:
    daughter = Alexa(user="daughter")
    link(daughter, share(mom))
    urls = [daughter.say("send me the report link").card["content"].split()[0] for _ in range(4)]
    assert [report_status(any_services, url) for url in urls] == [404, 200, 200, 200]
    # The patient's own "send the report link" isn't a caregiver's, and isn't capped by theirs.
    own = mom.say("send the report link to my caregiver").card["content"].split()[0]
    assert report_status(any_services, own) == 200 and report_status(any_services, urls[1]) == 200


@pytest.mark.dates  # works through dated records
def test_the_patients_own_report_link_is_the_patients(mom: Alexa, any_services: Services) -> None:
    """The patient's own link lands on the patient's card, to forward to whom they choose: a caregiver
    unlinking doesn't end it; the patient stopping sharing does."""
    daughter = Alexa(user="daughter")
    link(daughter, share(mom))
    own = mom.say("send the report link to my caregiver").card["content"].split()[0]
    assert "no longer see Mom's check-ins" in daughter.say("unlink my patient")
    assert report_status(any_services, own) == 200
    mom.say("stop sharing my check-ins")
    mom.say("yes")
    assert report_status(any_services, own) == 404


def _in_parallel(callers: list[Alexa], code: str) -> list[str]:
    barrier, replies = threading.Barrier(len(callers)), []

    def guess(who: Alexa) -> None:
        barrier.wait(timeout=10)
        replies.append(link(who, code).speech)

    threads = [threading.Thread(target=guess, args=(who,)) for who in callers]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert len(replies) == len(callers)
    return replies


def test_twenty_parallel_wrong_codes_get_at_most_five_looked_at(mom: Alexa) -> None:
    wrong = str((int(share(mom)) + 7) % 900000 + 100000)
    replies = _in_parallel([Alexa(user="guesser") for _ in range(20)], wrong)
    looked_at = sum("didn't work" in r for r in replies)
    assert looked_at == 5 and sum("too many tries" in r for r in replies) == 15, replies


def test_past_the_global_limit_a_code_needs_its_name_and_the_right_caregiver_still_links(
        mom: Alexa, any_services: Services, clock: Clock) -> None:
    """A flood of wrong codes from 20 accounts guards linking, never switches it off: past the limit of
    all accounts together a code is looked at only with the name the patient chose."""
    code = share(mom)
    wrong = str((int(code) + 7) % 900000 + 100000)
    guessers = [Alexa(user=f"guesser{n}") for n in range(20)]
    for guesser in guessers:
        for _ in range(5):
            link(guesser, wrong)
    daughter = Alexa(user="daughter")
    assert "Say the name your patient chose" in link(daughter, code)  # guarded: the code alone isn't looked at
    # A guess now needs the code and the name: a right code with the wrong name is a wrong guess, counted.
    assert "didn't work" in daughter.say(f"link to Dad with code {' '.join(code)}")
    assert "linked to Mom's check-ins" in daughter.say(f"link to my mum with code {' '.join(code)}")
    clock.now += timedelta(hours=1)  # a new hour: codes alone are looked at again
    dad = Alexa(user="dad")
    assert "linked to Dad's" in link(Alexa(user="son"), share(dad, "Dad"))


def test_a_flood_from_a_hundred_accounts_pauses_linking_for_the_hour(mom: Alexa, any_services: Services,
                                                                     clock: Clock) -> None:
    any_services.settings = replace(any_services.settings, link_failures_per_hour_all=4,
                                    link_failures_per_hour_paused=8)
    code = share(mom)
    wrong = str((int(code) + 7) % 900000 + 100000)
    replies = _in_parallel([Alexa(user=f"guesser{n}") for n in range(12)], wrong)  # 12 accounts, 1 guess each
    assert sum("didn't work" in r for r in replies) == 4 and sum("name your patient chose" in r for r in replies) == 8
    for n in range(4):  # guarded guesses, with a name, count towards the pause
        assert "didn't work" in Alexa(user=f"named{n}").say(f"link to Mom with code {' '.join(wrong)}")
    daughter = Alexa(user="daughter")
    assert "try again later" in daughter.say(f"link to Mom with code {' '.join(code)}")
    clock.now += timedelta(hours=1)
    assert "linked to Mom's check-ins" in link(daughter, code)


