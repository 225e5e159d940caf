"""The language layer: features, the fitted models, and what they understand (never dev sentences)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from recovery_coach.content import load_content
from recovery_coach.language import Concepts, LinearModel, features, words
from recovery_coach.resolver import load_resolver

CONTENT = Path(__file__).resolve().parents[2] / "lambda" / "recovery_coach" / "content" / "en"


def test_features_are_stems_and_bigrams_without_fillers() -> None:
    assert words("Um, when's it OKAY to drive?") == ["whens", "it", "okay", "to", "drive"]
    assert features("driving cars") == ["drive", "car", "drive_car"]
    assert features("care") != features("car")  # the old suffix rules merged them


def test_a_linear_model_adds_weights_and_names_its_runner_up() -> None:
    model = LinearModel(["a", "b"], [0.0, 0.5], {"drive": [[0, 2.0]]}, threshold=0.3)
    guess = model.guess("driving")
    assert guess.label == "a" and guess.runner_up == "b" and guess.confidence > 0.5
    assert model.guess("nothing known").label == "b"


def test_concepts_add_the_idea_a_phrase_names_however_it_is_inflected() -> None:
    concepts = Concepts({"driving": ["behind the wheel", "drive"], "lifting": ["pick up"]})
    assert "@driving" in features("when can I get behind the wheels again", concepts)
    assert "@lifting" in features("is picking up the baby okay", concepts)
    assert not {"@driving", "@lifting"} & set(features("the wheel came off the pram", concepts))
    assert features("drove and drives", concepts).count("@driving") == 1  # a concept counts once


def test_a_model_reads_with_the_concepts_it_was_fitted_with() -> None:
    model = LinearModel(["lift", "other"], [0.0, 0.5], {"@lifting": [[0, 2.0]]}, threshold=0.0,
                        concepts={"lifting": ["groceries"]})
    assert model.guess("can she take the groceries in").label == "lift"
    assert model.guess("can she take the bus in").label == "other"


@pytest.mark.parametrize("model", ["topic", "intent"])
def test_the_shipped_models_were_fitted_with_today_s_concepts(model: str) -> None:
    # Editing content/en/concepts.json means fitting again (python -m tools.train_language).
    from tools.train_language import concepts  # the table the trainer reads for this model, today

    assert json.loads((CONTENT / f"{model}_model.json").read_text(encoding="utf-8"))["concepts"] == concepts(model)


def test_who_is_spoken_of_is_the_intent_models_concept_alone() -> None:
    """A title said without "my" ("has grandad's pain eased") is a person to the intent model, which
    tells a caregiver's question from a statement; which part of the guide answers a question does
    not depend on who asks it."""
    intent = json.loads((CONTENT / "intent_model.json").read_text(encoding="utf-8"))
    topic = json.loads((CONTENT / "topic_model.json").read_text(encoding="utf-8"))
    assert "@someone" in features("has grandad's pain eased", Concepts(intent["concepts"]))
    assert "@someone" not in features("has grandad's pain eased", Concepts(topic["concepts"]))


@pytest.mark.parametrize("name", ["topic_model.json", "intent_model.json"])
def test_the_shipped_models_say_where_they_came_from(name: str) -> None:
    data = json.loads((CONTENT / name).read_text(encoding="utf-8"))
    assert "corpus/en/train" in data["about"] and "never dev" in data["about"]
    assert len(data["bias"]) == len(data["classes"]) and 0.0 <= data["threshold"] < 1.0


@pytest.mark.parametrize("text,topic", [
    ("is it alright for me to be behind the wheel yet", "driving"),
    ("my son wants to know when I can take the car out", "driving"),
    ("who's going to take care of me after", None),  # not the driving answer ("care" is not "car")
    ("can my wife carry the washing basket", "lifting"),
    ("will they knock me out completely", "anesthesia"),
    ("what's that glue stuff they squirt in", "cement"),
    ("do I have to go back and see him", "follow_up"),
])
def test_everyday_words_reach_the_article_s_topics(text: str, topic: str | None) -> None:
    match = load_content("en-US").knowledge.match(text)
    if topic is None:
        assert match.topic is None or match.topic.id != "driving"
    else:
        assert match.topic is not None and match.topic.id == topic, (text, match)


@pytest.mark.parametrize("text", [
    "can I get the hoover out tomorrow",
    "would it be alright to pop out for a walk with my neighbour",
    "when can I go back to my shifts at the hospital",
    "can my dad get back to his allotment",
    "is sweeping the patio ok",
    "can I start going to the gym again next month",
    "uh is it alright for mum to do a bit of dusting",
    "can I potter about in the vegetable garden",
])
def test_an_everyday_activity_the_guide_does_not_name_gets_its_activity_rule(text: str) -> None:
    """Housework, the garden, a walk, work, the gym (issue 31): the guide's activity advice answers
    them, in the passage that says it doesn't name the activity, not "doesn't cover"."""
    match = load_content("en-US").knowledge.match(text)
    assert match.topic is not None and match.topic.id == "activity_unnamed", (text, match)
    assert match.topic.group == "activity"


@pytest.mark.parametrize("text", [
    "can I play a round of golf on sunday",
    "is it ok to go to my yoga class",
    "when can mum go swimming",
    "can grandad go ten pin bowling with us",
    "can I go on a long bike ride",
    "how far can my wife walk each day",
])
def test_a_named_sport_water_or_a_distance_stays_uncovered(text: str) -> None:
    """Near the everyday activities, but needing a fact the guide doesn't give (corpus/SCHEMA.md)."""
    assert load_content("en-US").knowledge.match(text).reason == "uncovered", text


@pytest.mark.parametrize("text,intent", [
    ("um so I was wondering when I could maybe drive again", "AskWhenIntent"),
    ("hey quick question about the cement", "AskQuestionIntent"),
    ("okay so my pain's about a three", "CheckInIntent"),
    ("put her down for a five today", "CheckInIntent"),
    ("get rid of everything you've got on me", "DeleteDataIntent"),
    ("play some music", "AMAZON.FallbackIntent"),
])
def test_the_resolver_tolerates_fillers_and_preambles(text: str, intent: str) -> None:
    assert load_resolver("en-US").resolve(text).intent == intent, load_resolver("en-US").explain(text)


def test_a_number_said_anywhere_is_the_score() -> None:
    heard = load_resolver("en-US").resolve("well today I'd honestly give it like a seven")
    assert heard.intent == "CheckInIntent" and heard.slots["score"]["value"] == "7"


@pytest.mark.parametrize("text", ["my brother gave me a code, five one one eight two six",
                                  "she gave me 7 3 3 0 1 9"])
def test_a_code_said_digit_by_digit_is_a_link_not_a_score(text: str) -> None:
    heard = load_resolver("en-US").resolve(text)
    assert heard.intent == "LinkPatientIntent", load_resolver("en-US").explain(text)
    assert "@code" in features(text) and not {"five", "one", "7", "3"} & set(features(text))


@pytest.mark.parametrize("text, name", [("call me Rosalind", "rosalind"), ("just Mary Ann", "mary ann"),
                                        ("Bernadette", "bernadette")])
def test_any_first_name_is_heard_as_a_name(text: str, name: str) -> None:
    heard = load_resolver("en-US").resolve(text)
    assert heard.intent == "PatientLabelIntent" and heard.slots["name"]["value"] == name


def test_everyday_words_are_not_names() -> None:
    for text in ("when can I drive", "thank you", "what is kyphoplasty"):
        assert load_resolver("en-US").resolve(text).intent != "PatientLabelIntent", text


def test_explain_shows_intent_topic_score_and_runner_up(services) -> None:
    import io

    from recovery_coach import cli

    out = io.StringIO()
    cli.main(["explain", "um so when's it okay to get behind the wheel"], out=out)
    text = out.getvalue()
    assert "intent:   AskQuestionIntent  (intent model, score" in text and "topic:    driving  (score" in text
    assert "runner-up" in text and "red flag: none" in text


@pytest.mark.parametrize("said, shown", [
    ("when can I drive", "intent:   AskWhenIntent  (intent model, score"),  # a carrier of the model's family
    ("my pain is horrendous", "CheckInIntent's slot can't hold the words"),  # the runner-up, and why
    ("my pain is a 10, it's unbearable", "red flag: severe_pain"),  # every slot, as the screen hears them
    ("my back feels strange", "reply:    the careful reply  (net"),
    ("no fever today", "reply:    a kind word  (net"),
    ("is sweeping the patio ok", "topic:    activity_unnamed (a passage of activity)"),  # the passage and its topic
    ("what's the cause of a crushed vertebra", "topic:    fracture_cause (a passage of compression_fracture)"),
])
def test_explain_shows_how_the_skill_decided(services, said: str, shown: str) -> None:
    import io

    from recovery_coach import cli

    out = io.StringIO()
    cli.main(["explain", said], out=out)
    assert shown in out.getvalue(), out.getvalue()


@pytest.mark.parametrize("text,topic", [
    ("my dad's itching to get back in the car on friday is that too early", "driving"),
    ("she'd love to carry the shopping in herself would that be alright", "lifting"),
    ("what sort of sedation will my husband have", "anesthesia"),
])
def test_a_question_with_a_carrier_in_the_middle_is_heard_whole(text: str, topic: str) -> None:
    """A carrier found mid-sentence ("... is that too early") is not where the question starts: the
    free-form slot holds the whole question, so its topic words reach the topic model."""
    heard = load_resolver("en-US").resolve(text)
    assert heard.intent in ("AskQuestionIntent", "AskWhenIntent", "AskHowLongIntent"), heard
    question = heard.slots["question"]["value"]
    match = load_content("en-US").knowledge.match(question)
    assert match.topic is not None and match.topic.id == topic, (question, match)


def test_packed_weights_give_the_same_answers_as_the_pairs_they_pack() -> None:
    from recovery_coach.language import pack_weights

    pairs = {"drive": [[0, 1.25], [2, -0.5]], "lift": [[1, 2.0]], "@someone": [[2, 0.125]]}
    packed = LinearModel(["a", "b", "c"], [0.1, 0.0, -0.1], pack_weights(pairs), 0.3)
    for text in ("when can I drive", "can I lift my granddaughter", "hello"):
        scores = [0.1, 0.0, -0.1]  # the sum the model stands for, by hand from the pairs
        for feature in set(features(text, packed.concepts)):
            for i, w in pairs.get(feature, []):
                scores[int(i)] += w
        expected = [math.exp(x) / sum(math.exp(y) for y in scores) for x in scores]
        assert packed.probabilities(text) == pytest.approx(expected, abs=1e-6)
    assert packed.probabilities("when can I drive") != packed.probabilities("hello")
    assert packed.pairs("drive") == [(0, 1.25), (2, -0.5)] and packed.pairs("swim") == []
    broken = dict(pack_weights(pairs), counts=[2, 1, 2])
    with pytest.raises(ValueError):
        LinearModel(["a", "b", "c"], [0.0] * 3, broken, 0.3)
