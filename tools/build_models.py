"""Expand the authored voice model (interaction_models/*.yaml) into Alexa's JSON.

    python -m tools.build_models          # write skill-package/interactionModels/custom/*.json
    python -m tools.build_models --check  # exit 1 if a written file is out of date
"""
from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from recovery_coach.intents import SYMPTOM

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "interaction_models"
TARGET = ROOT / "skill-package" / "interactionModels" / "custom"

_GROUP = re.compile(r"\(([^()]*)\)")


def expand(template: str) -> list[str]:
    """All utterances a template stands for, in order, without duplicates."""
    pieces = _GROUP.split(template)
    literals, groups = pieces[0::2], [g.split("|") for g in pieces[1::2]]
    out: list[str] = []
    for choice in itertools.product(*groups):
        text = literals[0] + "".join(c + lit for c, lit in zip(choice, literals[1:], strict=True))
        text = re.sub(r"\s+'", "'", re.sub(r"\s+", " ", text)).strip()
        if text not in out:
            out.append(text)
    return out


OVERRIDE_KEYS = {"samples", "extra_samples", "types"}
CORPUS = ROOT / "corpus"
MAX_SAMPLE = 200  # characters: Alexa's limit for one sample utterance
_NUMBER = (r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
           r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
           r"\d+(?:\.\d+)?|-\d+)")
_SCORE = re.compile(rf"(?<![\w-]){_NUMBER}(?:[ -]{_NUMBER})*(?![\w])")


def _spoken(text: str) -> str | None:
    """A corpus utterance as a sample: lowercase words and apostrophes only, or None."""
    text = re.sub(r"\s+", " ", re.sub(r"[,.!?;:\u2019\"]", lambda m: "'" if m.group() == "\u2019" else " ", text.lower())).strip()
    return text if re.fullmatch(r"[a-z' {}]+", text) and text.strip("{} ") else None


# A symptom statement's carrier phrase: the words that only open it, never the symptom nor a negation
# (Alexa passes only the slot, so "no {symptom}" would turn "no fever today" into "fever today").
_OPENERS = frozenset("my the his her our their this that a an i i'm i've i'd she she's he he's it it's there "
                     "there's mum mum's mom mom's dad dad's nan nan's grandma grandma's grandpa grandad we we're "
                     "they they're".split())
_SECOND = frozenset("husband husband's wife wife's mum mum's mom mom's dad dad's son son's daughter daughter's "
                    "mother mother's father father's nan nan's grandma grandma's grandpa grandad partner "
                    "partner's sister brother been says said thinks a an the".split())
_LEAD_WORDS = frozenset("um umm uh uhh er erm hmm so well okay ok oh and but hey yeah sorry alexa".split())
MIN_CARRIER_USES = 2  # a carrier two train statements open with: a way of speaking, not one sentence


def statement_carrier(text: str) -> str | None:
    """The carrier phrase a red-flag or harmless statement opens with ("my husband", "there's",
    "she's been"), or None when it opens otherwise (a question, a negation, the symptom itself)."""
    spoken = _spoken(text)
    if spoken is None:
        return None
    words = spoken.split()
    while words and words[0] in _LEAD_WORDS:
        words = words[1:]
    while len(words) > 1 and words[0] == words[1]:
        words = words[1:]  # "i i fell": a stammer, not a carrier
    if len(words) < 2 or words[0] not in _OPENERS:
        return None
    size = 2 if words[1] in _SECOND and len(words) >= 3 else 1
    return " ".join(words[:size])


def symptom_samples(items: list[Any]) -> list[str]:
    """The broad symptom-statement intent's samples: every carrier that at least MIN_CARRIER_USES
    red-flag or harmless train statements open with, then {symptom}, most used first."""
    from collections import Counter

    uses = Counter(c for i in items if i.kind in ("red_flag", "harmless") and (c := statement_carrier(i.text)))
    return [f"{carrier} {{symptom}}" for carrier, n in sorted(uses.items(), key=lambda cn: (-cn[1], cn[0]))
            if n >= MIN_CARRIER_USES]


def corpus_samples(source: dict[str, Any], locale: str) -> dict[str, list[str]]:
    """Samples from the corpus's train part (never dev), per intent: every check-in with its number
    as {score}, every command for an intent that has no slots, said as the writers said it, and the
    carrier phrases red-flag and harmless statements open with, for the symptom-statement intent."""
    from tools.quality import GOALS, load_part

    slotless = {name for name, spec in source["intents"].items() if not (spec or {}).get("slots")}
    out: dict[str, list[str]] = {}
    local = [item for item in load_part("train") if locale in item.locales]
    symptoms = symptom_samples(local)
    if symptoms:
        out[SYMPTOM] = symptoms  # the family head the statements' carriers go to (recovery_coach.intents)
    for item in local:
        if locale not in item.locales:
            continue
        if item.kind == "checkin":
            found = list(_SCORE.finditer(item.text.lower()))
            if len(found) != 1:
                continue
            lowered = item.text.lower()
            sample = _spoken(lowered[: found[0].start()] + " {score} " + lowered[found[0].end():])
            intent = "CheckInIntent"
        elif item.kind == "command":
            if item.label == "start_over":  # Alexa's own AMAZON.StartOverIntent, not NavigateHome
                continue
            intents = sorted(GOALS.get(str(item.label), set()) & slotless - {"AMAZON.StopIntent", "AMAZON.CancelIntent"})
            if len(intents) != 1 or re.search(r"\d", item.text):
                continue
            sample, intent = _spoken(item.text), intents[0]
        else:
            continue
        if sample and len(sample) <= MAX_SAMPLE:
            out.setdefault(intent, []).append(sample)
    return out


def check_overrides(source: dict[str, Any]) -> None:
    """A locale override may only touch intents and types the source declares, for a listed locale:
    a typo would otherwise be silently ignored."""
    for locale, over in (source.get("overrides") or {}).items():
        if locale not in source["locales"]:
            raise ValueError(f"overrides for {locale}, which is not in locales")
        if set(over) - OVERRIDE_KEYS:
            raise ValueError(f"{locale}: unknown override keys {sorted(set(over) - OVERRIDE_KEYS)}")
        for key in ("samples", "extra_samples"):
            unknown = set(over.get(key) or {}) - set(source["intents"])
            if unknown:
                raise ValueError(f"{locale}.{key}: unknown intents {sorted(unknown)}")
        unknown_types = set(over.get("types") or {}) - set(source.get("types") or {})
        if unknown_types:
            raise ValueError(f"{locale}.types: unknown types {sorted(unknown_types)}")


def language_model(source: dict[str, Any], locale: str) -> dict[str, Any]:
    """One locale's model: the shared source, then that locale's overrides (`samples:` replaces
    an intent's templates, `extra_samples:` adds to them, `types:` replaces a slot type's values)."""
    overrides = (source.get("overrides") or {}).get(locale) or {}
    learned = corpus_samples(source, locale) if source.get("corpus_samples") else {}
    intents = []
    for name, spec in source["intents"].items():
        spec = spec or {}
        samples: list[str] = []
        templates = (overrides.get("samples") or {}).get(name, spec.get("samples", []))
        for template in [*templates, *(overrides.get("extra_samples") or {}).get(name, [])]:
            samples.extend(s for s in expand(template) if s not in samples)
        samples.extend(s for s in learned.get(name, []) if s not in samples)
        intent: dict[str, Any] = {"name": name, "samples": samples}
        if spec.get("slots"):
            intent["slots"] = [{"name": n, "type": t} for n, t in spec["slots"].items()]
        intents.append(intent)
    types = []
    for name, values in {**source.get("types", {}), **(overrides.get("types") or {})}.items():
        types.append(
            {
                "name": name,
                "values": [
                    {"id": v["id"], "name": {"value": v["value"], **({"synonyms": v["synonyms"]} if "synonyms" in v else {})}}
                    for v in values
                ],
            }
        )
    _drop_clashes(intents)
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": source["invocation"],
                "intents": intents,
                "types": types,
            }
        }
    }


def _drop_clashes(intents: list[dict[str, Any]]) -> None:
    """A learned sample another intent (or Alexa's built-in phrases) already has is left out: a
    sample belongs to one intent."""
    from recovery_coach.resolver import BUILTIN_PHRASES, normalize

    owner: dict[str, str] = {}
    for intent in intents:
        for sample in BUILTIN_PHRASES.get(intent["name"], []):
            owner.setdefault(normalize(sample), intent["name"])
    for intent in intents:
        kept = []
        for sample in intent["samples"]:
            key = normalize(sample)
            if owner.setdefault(key, intent["name"]) == intent["name"]:
                kept.append(sample)
        intent["samples"] = kept


def build_all() -> dict[Path, str]:
    """Every generated file and its exact text."""
    files: dict[Path, str] = {}
    for path in sorted(SOURCE.glob("*.yaml")):
        source = yaml.safe_load(path.read_text(encoding="utf-8"))
        check_overrides(source)
        for locale in source["locales"]:
            model = language_model(source, locale)
            files[TARGET / f"{locale}.json"] = json.dumps(model, indent=2, ensure_ascii=False) + "\n"
    return files


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str]) -> int:
    files = build_all()
    stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    extra = sorted(set(TARGET.glob("*.json")) - set(files))
    if "--check" in argv:
        for p in stale:
            print(f"out of date: {_shown(p)} (run: make models)")
        for p in extra:
            print(f"no source lists this locale: {_shown(p)} (add it to locales: or delete it)")
        return 1 if stale or extra else 0
    TARGET.mkdir(parents=True, exist_ok=True)
    for p in stale:
        p.write_text(files[p], encoding="utf-8")
        print(f"wrote {_shown(p)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
