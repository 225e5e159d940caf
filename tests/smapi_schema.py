"""Amazon's own schema for skill.json and the interaction model, from the SMAPI spec.

The npm package ask-smapi-model ships the Skill Management API's Swagger 2.0 spec (spec.json);
scripts/install-ask-smapi-model.sh installs the pinned version into .tools/. Its `definitions`
are JSON Schema with two Swagger habits this module turns into JSON Schema 2020-12 that the
`jsonschema` package can check:

* **Discriminators** (`Interface` with `"discriminator": "type"` and subtypes that `allOf` it with
  an `x-discriminator-value`): a reference to the base becomes a choice between its subtypes by
  that value. A value with no subtype (CAN_FULFILL_INTENT_REQUEST is only in `InterfaceType`'s
  enum) is allowed with nothing but the discriminator, and only if the base's `<Base>Type` enum
  lists it; any other value is an error.
* **Closed objects**: SMAPI rejects properties its schema doesn't declare, but the spec doesn't say
  `additionalProperties: false`. Every reference is checked with `unevaluatedProperties: false`
  (which, unlike `additionalProperties`, sees through `allOf`), so a field in the wrong place
  (`manifestVersion` beside `manifest` instead of inside it) fails here as it does at deploy.
"""
from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parent.parent
SPEC = Path(
    os.environ.get("ASK_SMAPI_SPEC") or ROOT / ".tools" / "ask-smapi-model" / "node_modules" / "ask-smapi-model" / "spec.json"
)
MANIFEST = "v1.skill.Manifest.SkillManifestEnvelope"
INTERACTION_MODEL = "v1.skill.interactionModel.InteractionModelData"

_DEFS = "#/definitions/"
_STRICT = "#/$defs/"


def _subtypes(definitions: dict[str, Any]) -> dict[str, dict[str, str]]:
    """For each discriminator base: {discriminator value: subtype name}."""
    out: dict[str, dict[str, str]] = {name: {} for name, d in definitions.items() if "discriminator" in d}
    for name, d in definitions.items():
        value = d.get("x-discriminator-value")
        for part in d.get("allOf", []):
            base = part.get("$ref", "").removeprefix(_DEFS) if isinstance(part, dict) else ""
            if base in out and value:
                out[base][value] = name
    return out


def _retarget(node: Any, inherits: bool = False) -> Any:
    """Every `$ref` to a definition goes through its strict wrapper, except a subtype's own
    `allOf` reference to its base (that is inheritance, checked by the subtype's wrapper)."""
    if isinstance(node, list):
        return [_retarget(v, inherits) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith(_DEFS) and not inherits:
            out[key] = _STRICT + value.removeprefix(_DEFS)
        elif key == "allOf":
            out[key] = [_retarget(v, inherits=True) if isinstance(v, dict) and "$ref" in v else _retarget(v) for v in value]
        else:
            out[key] = _retarget(value)
    return out


def _strict_wrappers(definitions: dict[str, Any]) -> dict[str, Any]:
    wrappers: dict[str, Any] = {}
    subtypes = _subtypes(definitions)
    for name, d in definitions.items():
        if name not in subtypes:
            wrappers[name] = {"$ref": _DEFS + name, "unevaluatedProperties": False}
            continue
        prop = d["discriminator"]
        listed = set((definitions.get(name + "Type") or {}).get("enum") or [])
        choices = [
            {"properties": {prop: {"const": value}}, "required": [prop], "$ref": _DEFS + sub}
            for value, sub in sorted(subtypes[name].items())
        ]
        bare = sorted(listed - set(subtypes[name]))
        if bare:
            choices.append({"properties": {prop: {"enum": bare}}, "required": [prop], "$ref": _DEFS + name})
        wrappers[name] = {"oneOf": choices, "unevaluatedProperties": False}
    return wrappers


@functools.cache
def _root() -> dict[str, Any]:
    if not SPEC.is_file():
        raise FileNotFoundError(f"{SPEC} is missing: run scripts/install-ask-smapi-model.sh (make test does)")
    definitions = json.loads(SPEC.read_text(encoding="utf-8"))["definitions"]
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "definitions": _retarget(copy.deepcopy(definitions)),
        "$defs": _strict_wrappers(definitions),
    }
    jsonschema.Draft202012Validator.check_schema(root)  # the conversion yields valid JSON Schema
    return root


@functools.cache
def validator(definition: str) -> jsonschema.Draft202012Validator:
    root = _root()
    if definition not in root["definitions"]:
        raise KeyError(f"{definition} is not in {SPEC}")
    return jsonschema.Draft202012Validator({**root, "$ref": _STRICT + definition})


def errors(document: Any, definition: str) -> list[str]:
    """Every place `document` breaks the schema, as "path: message", in document order."""
    found = validator(definition).iter_errors(document)
    return sorted(f"{error.json_path}: {error.message}" for error in found)
