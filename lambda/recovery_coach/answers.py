"""The clinic's recovery knowledge: which topic answers a question (red flags: safety.py).

Pure domain code: standard library only, no Alexa imports. The knowledge itself is data
(content/<lang>/knowledge.json): topics with what to say, and the cues that, with the corpus's train
part, the topic model is fitted on (tools/train_language.py). A question is matched by that model
(language.py: the one normaliser, tokeniser and stemmer every model uses): its best topic when it is
confident enough, "uncovered" when it says the guide doesn't answer, else "unknown". A clinic with no
model answers nothing ("unknown"), rather than guess by another matcher.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recovery_coach.language import Guess, LinearModel, load_model
from recovery_coach.language import words as words_of

UNCOVERED = "UNCOVERED"  # the topic model's class for questions the guide doesn't answer

__all__ = [
    "Topic",
    "Match",
    "Knowledge",
    "parse_knowledge",
    "load_knowledge",
    "DEFAULT_PATH",
]

DEFAULT_PATH = Path(__file__).parent / "content" / "en" / "knowledge.json"


# --------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    speech: str
    more: str | None
    of: str = ""  # the topic this passage belongs to (its own id unless the knowledge says "of")

    @property
    def group(self) -> str:
        """The topic it answers as: a passage counts as the topic it belongs to."""
        return self.of or self.id


@dataclass(frozen=True)
class Match:
    topic: Topic | None  # None when the guide doesn't answer the question
    reason: str  # "topic" | "uncovered" | "unknown"


@dataclass(frozen=True)
class Knowledge:
    topics: dict[str, Topic]
    uncovered_ids: tuple[str, ...] = ()
    # The topic model fitted from the corpus (language.py), read on first use (a launch never
    # needs it); without one, nothing is answered.
    model_path: Path | None = field(default=None, repr=False, compare=False)

    @property
    def model(self) -> LinearModel | None:
        return load_model(self.model_path) if self.model_path is not None else None

    __hash__ = object.__hash__  # dict fields: identity hashing is enough

    # ---- questions --------------------------------------------------------
    def match(self, text: str) -> Match:
        """The topic that answers `text`, or why there is none."""
        model, guess = self.model, self.explain(text)
        if model is None or guess is None:
            return Match(None, "unknown")
        if guess.label == UNCOVERED:
            return Match(None, "uncovered")
        if guess.confidence < model.threshold or guess.label not in self.topics:
            return Match(None, "unknown")
        return Match(self.topics[guess.label], "topic")

    def explain(self, text: str) -> Guess | None:
        """The topic model's best guess and runner-up, with their confidences."""
        model = self.model
        return model.guess(text) if model is not None and words_of(text) else None


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------
class _Strict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise KeyError(f"knowledge text uses {{{key}}}, which the clinic fields don't define")


def _fill(text: Any, fields: Mapping[str, str], where: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}: expected non-empty text")
    try:
        return text.format_map(_Strict(fields))
    except (KeyError, ValueError, IndexError) as e:
        raise ValueError(f"{where}: {e}") from e


def parse_knowledge(data: Mapping[str, Any], fields: Mapping[str, str], model_path: Path | None = None) -> Knowledge:
    """Build a Knowledge from knowledge.json data, filling the clinic's fields in.

    Raises ValueError on anything malformed (missing ids, unknown placeholders,
    duplicate topics) so a broken content file fails at load time.
    """
    fields = dict(fields)
    order: list[Topic] = []
    for i, raw in enumerate(data.get("topics") or []):
        tid = raw.get("id")
        if not isinstance(tid, str) or not tid:
            raise ValueError(f"topic #{i}: missing id")
        where = f"topic {tid}"
        more = raw.get("more")
        topic = Topic(
            id=tid,
            title=_fill(raw.get("title"), fields, f"{where}.title"),
            speech=_fill(raw.get("speech"), fields, f"{where}.speech"),
            more=_fill(more, fields, f"{where}.more") if more is not None else None,
            of=str(raw.get("of") or ""),
        )
        if any(t.id == tid for t in order):
            raise ValueError(f"{where}: duplicate id")
        order.append(topic)
    ids = {t.id for t in order}
    for t in order:
        if t.of and (t.of not in ids or t.of == t.id):
            raise ValueError(f"topic {t.id}: 'of' names no other topic ({t.of})")

    uncovered: list[str] = []
    for i, raw in enumerate(data.get("uncovered") or []):
        uid = raw.get("id") or f"uncovered_{i}"
        uncovered.append(uid)
    return Knowledge(topics={t.id: t for t in order}, uncovered_ids=tuple(uncovered), model_path=model_path)


def load_knowledge(fields: Mapping[str, str], path: Path | str | None = None) -> Knowledge:
    """Convenience for tools and tests: parse a knowledge.json file, with the topic model beside it."""
    path = Path(path or DEFAULT_PATH)
    model = path.with_name("topic_model.json")
    with path.open(encoding="utf-8") as f:
        return parse_knowledge(json.load(f), fields, model if model.exists() else None)
