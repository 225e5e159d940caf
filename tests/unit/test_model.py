"""The voice model follows Alexa's rules, matches the handlers, and the deployed file is current."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

import yaml

from recovery_coach.resolver import BUILTIN_PHRASES, load_resolver, normalize
from tools.build_models import ROOT, SOURCE, TARGET, build_all, check_overrides, corpus_samples, expand, language_model

MODEL_FILES = sorted(TARGET.glob("*.json"))
HANDLER_SOURCES = [*sorted((ROOT / "lambda" / "recovery_coach" / "handlers").glob("*.py")),
                   ROOT / "lambda" / "recovery_coach" / "dialog.py",  # the intents that answer a question
                   ROOT / "lambda" / "recovery_coach" / "intents.py"]  # the families the handlers take
LAUNCH_WORDS = {"ask", "tell", "open", "launch", "begin", "start", "load", "play", "resume", "run", "use", "enable", "go"}
CONNECTING = {"to", "from", "by", "if", "and", "whether", "for", "with"}
RESERVED = {"alexa", "amazon", "echo", "computer", "skill", "app"}


def language_models() -> list[tuple[str, dict]]:
    return [(p.stem, json.loads(p.read_text())["interactionModel"]["languageModel"]) for p in MODEL_FILES]


LOCALES = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"]


def test_there_is_a_model_for_every_locale() -> None:
    assert yaml.safe_load((SOURCE / "en.yaml").read_text())["locales"] == LOCALES
    assert sorted(p.stem for p in MODEL_FILES) == sorted(LOCALES)


def test_locales_differ_only_by_their_overrides() -> None:
    """One authored source: every locale has the same intents, slots and invocation, and keeps every
    shared sample; a locale adds samples only through its `extra_samples:` override and the corpus's
    train items for that locale (corpus_samples)."""
    source = yaml.safe_load((SOURCE / "en.yaml").read_text())
    models = dict(language_models())
    base = language_model({**source, "overrides": {}, "corpus_samples": False}, "en-US")["interactionModel"]["languageModel"]
    for locale, model in models.items():
        assert model["invocationName"] == base["invocationName"], locale
        assert [(i["name"], i.get("slots")) for i in model["intents"]] == [(i["name"], i.get("slots")) for i in base["intents"]]
        extra = (source.get("overrides", {}).get(locale) or {}).get("extra_samples", {})
        corpus = corpus_samples(source, locale)  # once per locale, not per intent
        for mine, shared in zip(model["intents"], base["intents"], strict=True):
            known = set(shared["samples"])
            added = {s for s in mine["samples"] if s not in known}
            assert mine["samples"][: len(shared["samples"])] == shared["samples"], (locale, mine["name"])
            learned = set(corpus.get(mine["name"], []))
            assert added <= {s for t in extra.get(mine["name"], []) for s in expand(t)} | learned, (locale, mine["name"])


def test_british_and_australian_english_hear_carer_and_op() -> None:
    for locale in ("en-GB", "en-AU"):
        resolver = load_resolver(locale)
        assert resolver.resolve("share my check ins with my carer").intent == "ShareCheckInsIntent"
        assert resolver.resolve("send the report to my carer").intent == "SendReportToCaregiverIntent"
        heard = resolver.resolve("my op was on the twentieth of november", today=date(2026, 12, 1))
        assert heard.intent == "ProcedureDateIntent" and heard.slots["date"]["value"] == "2027-11-20"
    # American English's voice model keeps its own words only (the local resolver's statistical stage
    # may still understand "carer": it stands in for Alexa's NLU, which generalises too).
    us = json.loads((ROOT / "skill-package" / "interactionModels" / "custom" / "en-US.json").read_text(encoding="utf-8"))
    samples = [s for i in us["interactionModel"]["languageModel"]["intents"] for s in i["samples"]]
    assert samples and not [s for s in samples if "carer" in s]


def test_extra_samples_add_to_an_intent_and_samples_replace_it() -> None:
    source = {
        "invocation": "spine recovery",
        "locales": ["en-US", "en-GB"],
        "intents": {"AIntent": {"samples": ["hello (there|)"]}, "BIntent": {"samples": ["bye"]}},
        "overrides": {"en-GB": {"extra_samples": {"AIntent": ["hiya"]}, "samples": {"BIntent": ["cheerio"]}}},
    }
    check_overrides(source)
    intents = {i["name"]: i["samples"] for i in language_model(source, "en-GB")["interactionModel"]["languageModel"]["intents"]}
    assert intents == {"AIntent": ["hello there", "hello", "hiya"], "BIntent": ["cheerio"]}
    us = {i["name"]: i["samples"] for i in language_model(source, "en-US")["interactionModel"]["languageModel"]["intents"]}
    assert us == {"AIntent": ["hello there", "hello"], "BIntent": ["bye"]}


@pytest.mark.parametrize(
    "overrides",
    [
        {"en-AU": {"extra_samples": {"AIntent": ["g'day"]}}},  # a locale the source doesn't list
        {"en-GB": {"extra_sample": {"AIntent": ["hiya"]}}},  # a misspelt key
        {"en-GB": {"extra_samples": {"ATypoIntent": ["hiya"]}}},  # an intent that doesn't exist
        {"en-GB": {"types": {"NO_SUCH_TYPE": []}}},
    ],
)
def test_a_mistyped_override_is_an_error_not_silently_ignored(overrides: dict) -> None:
    source = {"invocation": "spine recovery", "locales": ["en-US", "en-GB"], "intents": {"AIntent": {}}, "overrides": overrides}
    with pytest.raises(ValueError):
        check_overrides(source)


def test_check_reports_a_model_no_source_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from tools import build_models

    monkeypatch.setattr(build_models, "TARGET", tmp_path)
    for path, text in build_models.build_all().items():
        (tmp_path / path.name).write_text(text)
    assert build_models.main(["--check"]) == 0
    (tmp_path / "en-NZ.json").write_text("{}")
    assert build_models.main(["--check"]) == 1
    assert "en-NZ.json" in capsys.readouterr().out


def test_generated_models_are_current() -> None:
    files = build_all()
    assert set(files) == set(MODEL_FILES), "a locale's model is missing or extra: run make models"
    for path, text in files.items():
        assert path.read_text() == text, f"{path.name} is out of date: run make models"


def test_expansion_drops_empty_choices_and_joins_contractions() -> None:
    assert expand("I (am|'m) (|very) {x}") == ["I am {x}", "I am very {x}", "I'm {x}", "I'm very {x}"]


def handler_intents() -> set[str]:
    names: set[str] = set()
    for path in HANDLER_SOURCES:
        names |= set(re.findall(r'"((?:AMAZON\.)?[A-Za-z]+Intent)"', path.read_text()))
    return names


@pytest.mark.parametrize("locale,model", language_models())
def test_every_intent_has_a_handler_and_every_handler_intent_exists(locale: str, model: dict) -> None:
    in_model = {i["name"] for i in model["intents"]}
    handled = handler_intents()
    assert in_model - handled == set(), "intents nobody handles"
    assert handled - in_model == set(), "handlers for intents the model lacks"


@pytest.mark.parametrize("locale,model", language_models())
def test_every_slot_in_a_sample_is_declared(locale: str, model: dict) -> None:
    for intent in model["intents"]:
        declared = {s["name"] for s in intent.get("slots", [])}
        for sample in intent["samples"]:
            used = set(re.findall(r"\{(\w+)\}", sample))
            assert used <= declared, f"{intent['name']}: '{sample}' uses undeclared {used - declared}"


@pytest.mark.parametrize("locale,model", language_models())
def test_every_slot_type_exists(locale: str, model: dict) -> None:
    custom = {t["name"] for t in model.get("types", [])}
    for intent in model["intents"]:
        for slot in intent.get("slots", []):
            assert slot["type"].startswith("AMAZON.") or slot["type"] in custom


@pytest.mark.parametrize("locale,model", language_models())
def test_no_sample_belongs_to_two_intents(locale: str, model: dict) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for intent in model["intents"]:
        for sample in intent["samples"] + BUILTIN_PHRASES.get(intent["name"], []):
            owners[normalize(sample)].add(intent["name"])
    clashes = {s: sorted(o) for s, o in owners.items() if len(o) > 1}
    assert clashes == {}


@pytest.mark.parametrize("locale,model", language_models())
def test_samples_use_only_characters_alexa_accepts(locale: str, model: dict) -> None:
    for intent in model["intents"]:
        assert len(intent["samples"]) == len(set(intent["samples"])), f"duplicate sample in {intent['name']}"
        for sample in intent["samples"]:
            assert re.fullmatch(r"[A-Za-z' .{}]+", sample), sample
            assert re.fullmatch(r"[^{}]*(\{\w+\}[^{}]*)*", sample), sample


@pytest.mark.parametrize("locale,model", language_models())
def test_search_query_rules(locale: str, model: dict) -> None:
    """AMAZON.SearchQuery needs a carrier phrase and must be the sample's only slot."""
    for intent in model["intents"]:
        searchers = {s["name"] for s in intent.get("slots", []) if s["type"] == "AMAZON.SearchQuery"}
        for sample in intent["samples"]:
            slots = re.findall(r"\{(\w+)\}", sample)
            if searchers & set(slots):
                assert len(slots) == 1, f"SearchQuery with other slots: {sample}"
                assert re.sub(r"\{\w+\}", "", sample).strip(), f"no carrier phrase: {sample}"


@pytest.mark.parametrize("locale,model", language_models())
def test_invocation_name_follows_alexa_rules(locale: str, model: dict) -> None:
    name = model["invocationName"]
    words = name.split()
    assert re.fullmatch(r"[a-z][a-z' .]*", name), "lower-case letters, spaces, apostrophes, periods only"
    assert len(words) >= 2
    assert not RESERVED & set(words)
    assert words[0] not in LAUNCH_WORDS
    assert not CONNECTING & set(words)
    assert name == "spine recovery"


@pytest.mark.parametrize("locale,model", language_models())
def test_every_model_intent_gets_a_spoken_answer(services, locale: str, model: dict) -> None:
    from tests.support import Alexa

    alexa = Alexa(locale=locale)
    for intent in model["intents"]:
        reply = alexa.intent(intent["name"])
        assert reply.speech, (locale, intent["name"])
        alexa.new_session()
