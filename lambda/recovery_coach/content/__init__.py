"""The clinic's knowledge and every spoken string, loaded once per locale.

Files: `clinic.json` (name, doctor, phone), then per language folder `en/` the
base `strings.json`, `knowledge.json`, `labels.json` (titles a patient may be called), `red_flags.json` (the red-flag screen) and `questions.json` (each question the skill asks: its
prompt, reprompt and help, read as strings `question.<name>.<part>`), and optional per-locale overrides in
folders such as `en-GB/` that replace single keys. Another clinic points
`CLINIC_FILE` at its own clinic.json; no handler changes.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recovery_coach.answers import Knowledge, parse_knowledge
from recovery_coach.safety import Screen, load_screen

HERE = Path(__file__).parent
DEFAULT_LOCALE = "en-US"


@dataclass(frozen=True)
class Clinic:
    clinic_name: str
    doctor: str
    doctor_short: str
    phone: str

    def fields(self) -> dict[str, str]:
        return {
            "clinic_name": self.clinic_name,
            "doctor": self.doctor,
            "doctor_short": self.doctor_short,
            "phone": self.phone,
        }


@dataclass(frozen=True)
class Content:
    locale: str
    clinic: Clinic
    strings: dict[str, str]
    knowledge: Knowledge
    screen_folders: tuple[Path, ...]  # where the red-flag screen's red_flags.json files are
    titles: dict[str, frozenset[str]]  # a title ("mum") -> who it may mean ("mother"): labels.json

    def same_person(self, chosen: str, said: str) -> bool:
        """Whether a caregiver's `said` ("mom") names the patient who chose to be called `chosen`
        ("Mum"): the same words, or titles for the same person. A first name matches only itself."""
        a, b = " ".join(chosen.casefold().split()), " ".join(said.casefold().split())
        return a == b or bool(self.titles.get(a, frozenset()) & self.titles.get(b, frozenset()))

    @property
    def screen(self) -> Screen:
        """The red-flag screen (list and net), read on the first utterance that has words: a launch
        never needs it, nor the stemmer it loads."""
        return load_screen(self.screen_folders)

    def text(self, key: str, **values: Any) -> str:
        """The spoken string `key`, with the clinic's fields and `values` filled in."""
        return self.strings[key].format_map({**self.clinic.fields(), **values})


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def _layers(locale: str) -> list[Path]:
    """Folders to read, base language first, then the locale's own overrides."""
    language = locale.split("-")[0]
    folders = [HERE / language]
    if (HERE / locale).is_dir():
        folders.append(HERE / locale)
    return folders


def supported(locale: str | None) -> str:
    """The locale to use for a request: the user's if we have its language, else the default."""
    if locale and (HERE / locale.split("-")[0]).is_dir():
        return locale
    return DEFAULT_LOCALE


@functools.cache
def load_clinic(clinic_file: Path | None = None) -> Clinic:
    return Clinic(**_read(clinic_file or HERE / "clinic.json"))


@functools.cache
def load_content(locale: str = DEFAULT_LOCALE, clinic_file: Path | None = None) -> Content:
    locale = supported(locale)
    clinic = load_clinic(clinic_file)
    strings: dict[str, str] = {}
    knowledge: dict[str, Any] = {}
    titles: dict[str, set[str]] = {}
    for folder in _layers(locale):
        if (folder / "labels.json").exists():
            for who, words in _read(folder / "labels.json")["titles"].items():
                for word in words:
                    titles.setdefault(word, set()).add(who)
        if (folder / "strings.json").exists():
            strings.update(_read(folder / "strings.json"))
        if (folder / "questions.json").exists():
            for name, parts in _read(folder / "questions.json").items():
                strings.update({f"question.{name}.{part}": text for part, text in parts.items()})
        if (folder / "knowledge.json").exists():
            knowledge = _merge_knowledge(knowledge, _read(folder / "knowledge.json"))
    model = HERE / locale.split("-")[0] / "topic_model.json"
    return Content(locale, clinic, strings, parse_knowledge(knowledge, clinic.fields(), model if model.exists() else None),
                   tuple(_layers(locale)), {w: frozenset(who) for w, who in titles.items()})


def _merge_knowledge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """A locale override replaces whole topics by id; everything else is inherited."""
    if not base:
        return over
    merged = dict(base)
    for section, items in over.items():
        if isinstance(items, list) and isinstance(base.get(section), list):
            by_id = {item["id"]: item for item in base[section]}
            by_id.update({item["id"]: {**by_id.get(item["id"], {}), **item} for item in items})
            merged[section] = list(by_id.values())
        else:
            merged[section] = items
    return merged
