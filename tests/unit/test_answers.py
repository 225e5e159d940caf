"""The recovery knowledge: question matching (by the topic model), red-flag screening and content rules.

tests/data/question_set.yaml is the topic model's training data (tools/train_language.py), so it is
not scored here as a test of matching (issue 31): its answers' facts are checked against the content,
and its red flags and benign statements against the screen. Also checks the content itself: short
answers, every article fact covered, placeholders resolved, nothing copied verbatim from the
article, and another clinic's details load in place of ours.
"""
from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
import yaml

from recovery_coach.answers import Knowledge, Match, Topic, parse_knowledge
from recovery_coach.language import words as language_words
from recovery_coach.safety import Screen, parse_screen

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "lambda" / "recovery_coach" / "content" / "en" / "knowledge.json"
MODEL = KNOWLEDGE.with_name("topic_model.json")
QUESTIONS = ROOT / "tests" / "data" / "question_set.yaml"
ARTICLE = Path("/work/shared/seeds/000_2a303999dd4f7a88.txt")

FIELDS = {
    "clinic_name": "Interventional Pain Center",
    "doctor": "Dr. James Stephens",
    "doctor_short": "Dr. Stephens",
    "phone": "405-759-8407",
}
OTHER_CLINIC = {
    "clinic_name": "Lakeside Spine Clinic",
    "doctor": "Dr. Maria Alvarez",
    "doctor_short": "Dr. Alvarez",
    "phone": "555-010-2030",
}

# The voice model's AMAZON.SearchQuery carriers ("{question}" is the slot).
CARRIERS = [
    "can I", "when can I", "is it okay to", "is it ok to", "is it safe to", "how long",
    "how long will", "how long does", "what about", "what is", "what's", "what are",
    "tell me about", "how do I", "do I need", "should I", "will I", "when will", "why", "who",
    "how", "how many", "how often", "does", "is", "are", "am I", "explain",
]
STATEMENT_STARTS = [
    "I have", "I've got", "I feel", "I'm", "I am", "my", "I can't", "there's", "I noticed",
    "I'm having",
]

# Every fact the article gives on the required topics: each entry lists
# alternatives, at least one of which must appear in some topic's speech or more.
ARTICLE_FACTS = {
    "pain relief": [["right away"], ["anesthetic wears off"], ["two days"]],
    "activity": [["plenty of rest"], ["strenuous"], ["clears you", "until cleared"],
                 ["return to normal activities", "back into normal activities"],
                 ["aftercare instructions"]],
    "lifting": [["lift"]],
    "driving": [["few days"], ["few weeks"], ["how you respond"], ["pain medication"],
                ["overall health"]],
    "medicines": [["prescribed"], ["as directed"]],
    "follow-up": [["follow-up"], ["healing well"], ["no complications"]],
    "therapy": [["physical therapy"], ["pain management"], ["new compression fractures"]],
    "procedure": [["minimally invasive"], ["collapsed vertebra"], ["restore"], ["height"],
                  ["stabilize"], ["eliminate the pain"], ["density"]],
    "duration": [["one to two hours"], ["each level", "each treated level"]],
    "anesthesia": [["local anesthesia"], ["light sedation"], ["comfortable"]],
    "same day": [["outpatient"], ["same day"]],
    "positioning": [["face down"], ["padded table"], ["steriliz"]],
    "incision": [["small incision"], ["tube"], ["pedicle"]],
    "balloon": [["balloon"], ["inflated"], ["cavity"], ["natural height"], ["removed", "taken out"]],
    "cement": [["cement-like"], ["pmma"], ["polymethylmethacrylate"], ["hardens quickly"],
               ["stabilizes the bone"]],
    "fluoroscopy": [["fluoroscopy"], ["guid"]],
    "observation": [["hour or two"], ["complications"], ["free to go home"]],
    "osteoporosis": [["thins the bones"], ["faster than"], ["brittle"], ["strong sneeze"],
                     ["minor bump"], ["porous bone"], ["honeycomb"], ["holes are much"],
                     ["silent"], ["no symptoms"], ["first sign"], ["54 million"],
                     ["estrogen"], ["testosterone"], ["with age"]],
    "bone medicines": [["restore bone mass"], ["osteopenia"]],
    "compression fractures": [["compression fracture"], ["collapsed"], ["stooped"],
                              ["height"], ["very painful"], ["daily tasks"], ["mobility"],
                              ["one or more vertebrae"]],
    "dxa": [["dxa"], ["dexa"], ["bone density"], ["hip"], ["femur"], ["spine"],
            ["at risk for osteoporosis"]],
    "risk": [["women after menopause", "postmenopausal"], ["men over 50"],
             ["small, white, postmenopausal women of european descent"]],
    "office": [["interventional pain center"], ["stephens"], ["405-759-8407"]],
}

BIG_WORDS = 8  # no run of this many article words may appear verbatim in our text


# --------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(KNOWLEDGE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kb(raw: dict) -> Knowledge:
    return parse_knowledge(raw, FIELDS, MODEL)


@pytest.fixture(scope="module")
def qs() -> dict:
    return yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))


def slot_of(question: str) -> tuple[str, str]:
    """(carrier, free part) using the longest carrier the question starts with."""
    low = question.lower()
    best = ""
    for carrier in CARRIERS:
        c = carrier.lower()
        if (low == c or low.startswith(c + " ")) and len(c) > len(best):
            best = c
    assert best, f"{question!r} starts with no carrier phrase"
    return best, question[len(best):].strip()


def forms(question: str) -> list[str]:
    """Every way the handler may pass a question to match()."""
    carrier, free = slot_of(question)
    out = [question, free]
    for prefix in ("when", "how long"):  # the handler prefixes the intent's form
        if carrier.startswith(prefix):
            out.append(f"{prefix} {free}")
    return [f for f in out if f]


def answer_text(topic: Topic, where: str) -> str:
    return (topic.more or "") if where == "more" else topic.speech


def all_text(topic: Topic) -> str:
    return f"{topic.speech} {topic.more or ''}"


def words(text: str) -> list[str]:
    return language_words(text)


def ngrams(ws: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


# --------------------------------------------------------------------------
# the scored question set
# --------------------------------------------------------------------------
def test_question_set_meets_minimums(qs: dict) -> None:
    assert len(qs["answered"]) >= 40
    assert len(qs["not_covered"]) >= 10
    assert len(qs["red_flags"]) >= 6
    questions = [item["q"] for item in qs["answered"]]
    for required in ("when can I drive again", "can I lift my grandson",
                     "when will the pain get better", "do I need a follow-up"):
        assert required in questions
    assert "can I go swimming" in qs["not_covered"]
    for required in ("my legs are numb and weak",):
        assert required in qs["red_flags"]


def test_questions_are_phrased_like_patients(qs: dict) -> None:
    for item in qs["answered"]:
        slot_of(item["q"])
    for q in qs["not_covered"]:
        slot_of(q)
    for s in qs["red_flags"]:
        assert any(s.lower().startswith(p.lower() + " ") for p in STATEMENT_STARTS), s


def test_not_covered_spans_required_subjects(qs: dict) -> None:
    text = " ".join(qs["not_covered"]).lower()
    for subject in ("shower", "swim", "fly", "diet", "alcohol", "brace", "incision",
                    "sleep", "cost", "golf"):
        assert subject in text, subject


def test_every_topic_is_asked_about(qs: dict, kb: Knowledge) -> None:
    asked = {item["topic"] for item in qs["answered"]}
    assert set(kb.topics) <= asked, set(kb.topics) - asked


def test_the_question_sets_answers_hold_their_facts(qs: dict, kb: Knowledge) -> None:
    """Each answered question's topic says the facts it must (content, not matching: the set trains
    the topic model)."""
    failures = []
    for item in qs["answered"]:
        where = item.get("in", "speech")
        assert where in ("speech", "more")
        said = answer_text(kb.topics[item["topic"]], where).lower()
        failures += [f"{item['q']!r}: {where} lacks {f!r}" for f in item["facts"] if f.lower() not in said]
    assert not failures, "\n".join(failures)


def test_the_question_sets_red_flags_are_flagged_and_benign_statements_are_not(qs: dict) -> None:
    from recovery_coach.content import load_content

    screen = load_content("en-US").screen
    assert [s for s in qs["red_flags"] if screen.check(s) is None] == []
    assert [(s, hit.flag) for s in qs["benign"] if (hit := screen.check(s)) is not None] == []


# --------------------------------------------------------------------------
# match(): the topic model decides
# --------------------------------------------------------------------------
@pytest.mark.parametrize("text,topic", [
    ("drive", "driving"),
    ("driving", "driving"),
    pytest.param("drove", "driving", marks=pytest.mark.xfail(strict=True, reason=(
        "a past tense said alone: since the everyday-activity refits (issue 31) the driving concept alone "
        "no longer outweighs UNCOVERED (0.332 to 0.347); 'drive' and 'driving' still do"))),
    ("When can I DRIVE?!", "driving"),
    ("how long until I can drive", "driving"),
    ("how long does kyphoplasty take", "duration"),
    ("how long is kyphoplasty", "duration"),
    pytest.param("how long will I be in the hospital", "same_day", marks=pytest.mark.xfail(
        strict=True, reason="issue 31: the model answers with the procedure's length (topics, not passages)")),
    ("how does kyphoplasty work", "steps"),
    ("can I pick up my grandson", "lifting"),
    ("what is the tube for", "incision"),
])
def test_match_topics(kb: Knowledge, text: str, topic: str) -> None:
    assert kb.match(text) == Match(kb.topics[topic], "topic")


@pytest.mark.parametrize("text", [
    "can I drink alcohol with my pain medicine",
    "can I go swimming",
    "is it okay to fly",
    "fly",
    "do I need someone to drive me home",
    "will my pain come back",
    "purple elephants",
])
def test_what_the_guide_does_not_answer_is_uncovered(kb: Knowledge, text: str) -> None:
    assert kb.match(text) == Match(None, "uncovered")


@pytest.mark.parametrize("text", ["", "   ", "?!"])
def test_no_words_is_unknown(kb: Knowledge, text: str) -> None:
    assert kb.match(text) == Match(None, "unknown")


def test_without_a_model_nothing_is_answered(raw: dict) -> None:
    """No second matcher to guess with: a clinic with no topic model says the guide doesn't cover it."""
    assert parse_knowledge(raw, FIELDS).match("when can I drive") == Match(None, "unknown")


# --------------------------------------------------------------------------
# the red-flag screen's list (safety.py over content/en/red_flags.json)
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def screen() -> Screen:
    from recovery_coach.content import load_content

    return load_content("en-US").screen


@pytest.mark.parametrize("text,flag", [
    ("I have a fever", "fever"),
    ("no fever but I've got chills", "fever"),
    ("my legs are numb and weak", "legs"),
    ("I can't feel my legs", "legs"),
    ("I don't know why but I can't breathe", "chest_breathing"),
    ("I can't control my bladder", "bladder_bowel"),
    ("I wet myself", "bladder_bowel"),
    ("I can't move my legs", "legs"),
    ("I have chest pain", "chest_breathing"),
    ("the incision is red", "incision"),
    ("my wound is oozing", "incision"),
    ("the pain is severe", "severe_pain"),
    ("excruciating pain", "severe_pain"),
    ("I'm not sure if it's a fever or chills", "fever"),
])
def test_the_list_flags(screen: Screen, text: str, flag: str) -> None:
    hit = screen.listed(text)
    assert hit is not None and hit.flag == flag


@pytest.mark.parametrize("text", [
    "no fever", "I don't have a fever", "no chest pain", "the pain isn't severe",
    "my legs are not numb", "no trouble breathing",
    "I don't have any chest pain or trouble breathing", "the pain is less severe now",
    "the bleeding has stopped", "I fell asleep in my chair",
])
def test_the_list_hears_negation(screen: Screen, text: str) -> None:
    assert screen.listed(text) is None


def test_an_empty_text_is_not_a_red_flag(screen: Screen) -> None:
    assert screen.check("") is None and screen.check("   ") is None


def test_every_flag_of_the_schema_is_on_the_list_with_what_it_means(screen: Screen) -> None:
    assert set(screen.flags) == {
        "fever", "incision", "bleeding", "legs", "bladder_bowel", "chest_breathing", "severe_pain", "fall",
        "faint", "confusion", "overdose", "crisis", "other",
    }
    assert all(len(means.split()) >= 3 for means in screen.flags.values())


# --------------------------------------------------------------------------
# the content itself
# --------------------------------------------------------------------------
def test_speech_is_short_and_plain(kb: Knowledge) -> None:
    for topic in kb.topics.values():
        assert len(topic.speech.split()) <= 30, (topic.id, len(topic.speech.split()))
        assert not topic.speech.rstrip().endswith("?"), topic.id
        assert "<" not in topic.speech and ">" not in topic.speech, topic.id
        if topic.more is not None:
            assert len(topic.more.split()) <= 45, (topic.id, len(topic.more.split()))
            assert not topic.more.rstrip().endswith("?"), topic.id
        assert topic.title.strip()


def test_every_article_fact_is_covered(kb: Knowledge) -> None:
    corpus = " ".join(all_text(t) for t in kb.topics.values()).lower()
    missing = {
        subject: [alts for alts in facts if not any(a.lower() in corpus for a in alts)]
        for subject, facts in ARTICLE_FACTS.items()
    }
    missing = {k: v for k, v in missing.items() if v}
    assert not missing, missing


def test_placeholders_all_resolve(raw: dict, kb: Knowledge) -> None:
    used = {
        name
        for topic in raw["topics"]
        for text in (topic["title"], topic["speech"], topic.get("more") or "")
        for _, name, _, _ in string.Formatter().parse(text)
        if name
    }
    assert used <= set(FIELDS), used - set(FIELDS)
    for topic in kb.topics.values():
        for text in (topic.title, topic.speech, topic.more or ""):
            assert "{" not in text and "}" not in text, topic.id


def test_unknown_placeholder_is_rejected(raw: dict) -> None:
    broken = {**raw, "topics": raw["topics"] + [
        {"id": "x", "title": "X", "speech": "Call {fax}.", "more": None, "cues": ["x"]}]}
    with pytest.raises(ValueError, match="fax"):
        parse_knowledge(broken, FIELDS)


def test_a_passage_belongs_to_a_topic_that_exists(raw: dict) -> None:
    kb = parse_knowledge(raw, FIELDS)
    assert kb.topics["activity_unnamed"].group == "activity" and kb.topics["activity"].group == "activity"
    stray = {**raw, "topics": raw["topics"] + [
        {"id": "y", "of": "nowhere", "title": "Y", "speech": "Rest.", "more": None}]}
    with pytest.raises(ValueError, match="nowhere"):
        parse_knowledge(stray, FIELDS)


def test_clinic_details_only_via_placeholders() -> None:
    text = KNOWLEDGE.read_text(encoding="utf-8")
    for literal in FIELDS.values():
        assert literal not in text, literal
    assert "Stephens" not in text and "405" not in text


def test_nothing_copied_from_the_article(kb: Knowledge) -> None:
    article = ngrams(words(ARTICLE.read_text(encoding="utf-8")), BIG_WORDS)
    copied = []
    for topic in kb.topics.values():
        for part in (topic.speech, topic.more or ""):
            hits = ngrams(words(part), BIG_WORDS) & article
            copied += [(topic.id, " ".join(h)) for h in hits]
    assert not copied, copied


def test_second_clinic_loads(raw: dict) -> None:
    other = parse_knowledge(raw, OTHER_CLINIC, MODEL)
    office = other.match("how do I reach the office").topic
    assert office is not None and office.id == "office"
    assert "555-010-2030" in office.speech
    assert "Lakeside Spine Clinic" in office.speech
    assert "Dr. Maria Alvarez" in office.speech
    everything = " ".join(all_text(t) for t in other.topics.values())
    for ours in FIELDS.values():
        assert ours not in everything
    assert re.search(r"Dr\. Alvarez clears you", other.topics["lifting"].speech)


def test_malformed_content_is_rejected(raw: dict) -> None:
    with pytest.raises(ValueError):
        parse_knowledge({"topics": [{"id": "a", "title": "A", "speech": "", "cues": []}]}, FIELDS)
    with pytest.raises(ValueError, match="UNKNOWN"):
        parse_screen([{"flags": {"fever": {"phrases": ["UNKNOWN fever"]}}}])
    with pytest.raises(ValueError, match="no phrases"):
        parse_screen([{"flags": {"fever": {"phrases": []}}}])
    dup = raw["topics"][0]
    with pytest.raises(ValueError):
        parse_knowledge({**raw, "topics": raw["topics"] + [dup]}, FIELDS)


@pytest.mark.xfail(strict=True, reason="issue 31: the topic model's clinic concept names this clinic's doctor; "
                                       "another clinic's doctor needs the concept from the clinic's fields")
def test_another_clinics_doctor_is_asked_about_by_name(raw: dict) -> None:
    other = parse_knowledge(raw, OTHER_CLINIC, MODEL)
    assert other.match("who is Dr. Alvarez").topic == other.topics["office"]


def test_every_cue_is_text_whose_placeholders_resolve() -> None:
    """Cues are the topic model's training text (tools/train_language.py fills them with the clinic's
    fields); the skill never reads them, so they are checked here rather than at every cold start."""
    for path in sorted(KNOWLEDGE.parent.parent.glob("*/knowledge.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for part in (*data.get("topics", []), *data.get("uncovered", [])):
            for cue in part.get("cues") or []:
                assert isinstance(cue, str) and language_words(cue.format(**FIELDS)), (path.parent.name, cue)
