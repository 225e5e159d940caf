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
        text = literals[0] + "".join(c + lit for c, lit in zip(choice, literals[1:]))
        text = re.sub(r"\s+'", "'", re.sub(r"\s+", " ", text)).strip()
        if text not in out:
            out.append(text)
    return out


def language_model(source: dict[str, Any], locale: str) -> dict[str, Any]:
    overrides = source.get("overrides", {}).get(locale, {})
    intents = []
    for name, spec in source["intents"].items():
        spec = spec or {}
        samples: list[str] = []
        for template in overrides.get("samples", {}).get(name, spec.get("samples", [])):
            samples.extend(s for s in expand(template) if s not in samples)
        intent: dict[str, Any] = {"name": name, "samples": samples}
        if spec.get("slots"):
            intent["slots"] = [{"name": n, "type": t} for n, t in spec["slots"].items()]
        intents.append(intent)
    types = []
    for name, values in {**source.get("types", {}), **overrides.get("types", {})}.items():
        types.append(
            {
                "name": name,
                "values": [
                    {"id": v["id"], "name": {"value": v["value"], "synonyms": v.get("synonyms", [])}}
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
        for locale in source["locales"]:
            model = language_model(source, locale)
            files[TARGET / f"{locale}.json"] = json.dumps(model, indent=2, ensure_ascii=False) + "\n"
    return files


def main(argv: list[str]) -> int:
    files = build_all()
    stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    if "--check" in argv:
        for p in stale:
            print(f"out of date: {p.relative_to(ROOT)} (run: make models)")
        return 1 if stale else 0
    TARGET.mkdir(parents=True, exist_ok=True)
    for p in stale:
        p.write_text(files[p], encoding="utf-8")
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
