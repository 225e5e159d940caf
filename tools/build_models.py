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
    intents = []
    for name, spec in source["intents"].items():
        spec = spec or {}
        samples: list[str] = []
        templates = (overrides.get("samples") or {}).get(name, spec.get("samples", []))
        for template in [*templates, *(overrides.get("extra_samples") or {}).get(name, [])]:
            samples.extend(s for s in expand(template) if s not in samples)
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
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": source["invocation"],
                "intents": intents,
                "types": types,
            }
        }
    }


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
