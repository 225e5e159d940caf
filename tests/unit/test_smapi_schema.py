"""skill-package/ against Amazon's own schema (the SMAPI spec shipped by npm ask-smapi-model)."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests import smapi_schema
from tests.smapi_schema import INTERACTION_MODEL, MANIFEST, errors

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "skill-package"
SKILL = json.loads((PACKAGE / "skill.json").read_text())
MODELS = sorted((PACKAGE / "interactionModels" / "custom").glob("*.json"))


def test_the_spec_is_amazons_pinned_package() -> None:
    package = json.loads((smapi_schema.SPEC.parent / "package.json").read_text())
    pinned = json.loads((ROOT / "tools" / "ask-smapi-model" / "package.json").read_text())
    assert package["name"] == "ask-smapi-model"
    assert package["version"] == pinned["dependencies"]["ask-smapi-model"]


def test_skill_json_matches_the_schema() -> None:
    assert errors(SKILL, MANIFEST) == []


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_interaction_model_matches_the_schema(path: Path) -> None:
    assert errors(json.loads(path.read_text()), INTERACTION_MODEL) == []


def _moved(document: dict[str, Any]) -> dict[str, Any]:
    """skill.json as it was before: manifestVersion beside manifest instead of inside it."""
    moved = copy.deepcopy(document)
    moved["manifestVersion"] = moved["manifest"].pop("manifestVersion")
    return moved


def test_a_field_in_the_wrong_place_fails() -> None:
    assert errors(_moved(SKILL), MANIFEST) == ["$: Unevaluated properties are not allowed ('manifestVersion' was unexpected)"]


def test_interfaces_are_checked_by_their_type() -> None:
    broken = copy.deepcopy(SKILL)
    interfaces = broken["manifest"]["apis"]["custom"]["interfaces"]
    apl = next(i for i in interfaces if i["type"] == "ALEXA_PRESENTATION_APL")
    apl["supportedViewports"][0]["shape"] = "TRIANGLE"
    interfaces.append({"type": "CAN_FULFILL_INTENT_REQUEST", "supportedViewports": []})  # that one takes no fields
    interfaces.append({"type": "NOT_AN_INTERFACE"})
    found = errors(broken, MANIFEST)
    assert any(".interfaces[0]" in e and "TRIANGLE" in e for e in found), found
    assert any(".interfaces[2]" in e and "'supportedViewports' was unexpected" in e for e in found), found
    assert any(".interfaces[3]" in e for e in found), found


def test_an_empty_synonym_list_fails() -> None:
    model = json.loads(MODELS[0].read_text())
    model["interactionModel"]["languageModel"]["types"][0]["values"][0]["name"]["synonyms"] = []
    assert errors(model, INTERACTION_MODEL) == [
        "$.interactionModel.languageModel.types[0].values[0].name.synonyms: [] should be non-empty"
    ]


def test_the_screens_and_name_free_questions_are_declared() -> None:
    """RenderDocument needs ALEXA_PRESENTATION_APL; CanFulfillIntentRequest needs its interface."""
    types = {i["type"] for i in SKILL["manifest"]["apis"]["custom"]["interfaces"]}
    assert {"ALEXA_PRESENTATION_APL", "CAN_FULFILL_INTENT_REQUEST"} <= types


# Amazon: example phrases "must come directly from your sample utterances". After the wake word
# and "ask <invocation name>" (with an optional connecting word), the rest is a sample with at
# least one word of its own, each {slot} standing for whatever was said there.
_CONNECTORS = ("to ", "if ", "about ", "whether ", "for ", "that ")


def _sample_patterns(model: dict[str, Any]) -> list[re.Pattern[str]]:
    out = []
    for intent in model["interactionModel"]["languageModel"]["intents"]:
        for sample in intent.get("samples", []):
            if not re.sub(r"\{[^}]+\}", "", sample).strip():
                continue  # a bare {slot} sample matches anything: it proves nothing
            parts = re.split(r"\{[^}]+\}", sample.lower())
            out.append(re.compile(".+".join(re.escape(p) for p in parts) + r"\Z"))
    return out


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_example_phrases_are_samples_word_for_word(path: Path) -> None:
    model = json.loads(path.read_text())
    invocation = model["interactionModel"]["languageModel"]["invocationName"]
    patterns = _sample_patterns(model)
    for phrase in SKILL["manifest"]["publishingInformation"]["locales"][path.stem]["examplePhrases"]:
        said = phrase.lower().removeprefix("alexa, ")
        if said in (f"open {invocation}", f"launch {invocation}", f"start {invocation}"):
            continue
        rest = said.removeprefix(f"ask {invocation} ")
        assert rest != said, phrase
        candidates = [rest] + [rest.removeprefix(c) for c in _CONNECTORS if rest.startswith(c)]
        assert any(p.match(c) for p in patterns for c in candidates), (path.stem, phrase)


def test_ask_cli_deploys_this_skill_package_and_leaves_the_function_to_sam() -> None:
    """ASK CLI v2 reads ask-resources.json first; without `code` and `skillInfrastructure` it deploys
    only the skill package (the function and table come from template.yaml through `sam deploy`)."""
    resources = json.loads((ROOT / "ask-resources.json").read_text())
    assert resources["askcliResourcesVersion"] == "2020-03-31"
    default = resources["profiles"]["default"]
    assert set(default) == {"skillMetadata"}
    assert (ROOT / default["skillMetadata"]["src"]).resolve() == PACKAGE
    assert (PACKAGE / "skill.json").is_file() and MODELS
