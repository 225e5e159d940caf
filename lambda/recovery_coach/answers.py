"""The clinic's recovery knowledge: which topic answers a question (red flags: safety.py).

Pure domain code: standard library only, no Alexa imports. The knowledge itself
is data (content/<lang>/knowledge.json); this module only parses and matches it.

Matching is deliberately simple and predictable (no ML):

* text is normalised (lowercase, punctuation dropped, a few filler words
  removed) and crudely stemmed, so "driving", "drives" and "drove" all become
  the same token;
* a cue matches when its tokens appear in the question in the same order,
  with at most three other content words between consecutive cue words;
* a matched "uncovered" cue wins over topic cues -- the guide does not answer
  that question -- unless a matched topic cue strictly contains it
  ("how does kyphoplasty work" is about the procedure, not about going back to
  work);
* otherwise the topic with the strongest cue wins (a cue of n > 1 words weighs
  1.5 * n, a single word 1; each further matched cue adds 0.1; a topic may
  scale its cues with an optional "weight"); ties go to the topic listed first;
* no cue at all gives reason "unknown", which callers treat like "uncovered".

The red-flag screen is safety.py, over content/<lang>/red_flags.json.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
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
    "normalize",
    "tokens",
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


@dataclass(frozen=True)
class Match:
    topic: Topic | None  # None when the guide doesn't answer the question
    reason: str  # "topic" | "uncovered" | "unknown"


@dataclass(frozen=True)
class _Cue:
    words: tuple[str, ...]
    owner: int  # topic index, or -1 for an uncovered cue
    weight: float
    wordset: frozenset[str]


@dataclass(frozen=True)
class Knowledge:
    topics: dict[str, Topic]
    uncovered_ids: tuple[str, ...] = ()
    _order: tuple[Topic, ...] = field(default=(), repr=False, compare=False)
    _index: dict[str, tuple[_Cue, ...]] = field(default_factory=dict, repr=False, compare=False)
    # The topic model fitted from the corpus (language.py), read on first use (a launch never
    # needs it); without one, the cues decide.
    model_path: Path | None = field(default=None, repr=False, compare=False)

    @property
    def model(self) -> LinearModel | None:
        return load_model(self.model_path) if self.model_path is not None else None

    __hash__ = object.__hash__  # dict fields: identity hashing is enough

    # ---- questions --------------------------------------------------------
    def match(self, text: str) -> Match:
        """The topic that answers `text`, or why there is none."""
        if self.model_path is not None:
            return self._classify(text)
        return self._match_cues(text)

    def explain(self, text: str) -> Guess | None:
        """The topic model's best guess and runner-up, with their confidences."""
        model = self.model
        return model.guess(text) if model is not None and words_of(text) else None

    def _classify(self, text: str) -> Match:
        model, guess = self.model, self.explain(text)
        if model is None or guess is None:
            return Match(None, "unknown")
        if guess.label == UNCOVERED:
            return Match(None, "uncovered")
        if guess.confidence < model.threshold or guess.label not in self.topics:
            return Match(None, "unknown")
        return Match(self.topics[guess.label], "topic")

    def _match_cues(self, text: str) -> Match:
        words = tokens(text)
        if not words:
            return Match(None, "unknown")
        hits = self._hits(words)
        if not hits:
            return Match(None, "unknown")
        topic_hits = [c for c in hits if c.owner >= 0]
        for cue in hits:
            if cue.owner < 0 and not any(cue.wordset < t.wordset for t in topic_hits):
                return Match(None, "uncovered")
        if not topic_hits:
            return Match(None, "uncovered")  # only overridden uncovered cues: cannot happen, be safe
        best: dict[int, list[float]] = {}
        for cue in topic_hits:
            best.setdefault(cue.owner, []).append(cue.weight)
        owner = min(best, key=lambda i: (-_score(best[i]), i))
        return Match(self._order[owner], "topic")

    def _hits(self, words: list[str]) -> list[_Cue]:
        seen: set[int] = set()
        found: list[_Cue] = []
        n = len(words)
        for i, word in enumerate(words):
            for cue in self._index.get(word, ()):
                key = id(cue)
                if key in seen:
                    continue
                rest = cue.words[1:]
                j = last = i
                k = 0
                while k < len(rest) and j + 1 < n and j - last <= _MAX_GAP:
                    j += 1
                    if words[j] == rest[k]:
                        k += 1
                        last = j
                if k == len(rest):
                    seen.add(key)
                    found.append(cue)
        return found


_MAX_GAP = 3  # content words allowed between two words of one cue


def _score(weights: list[float]) -> float:
    return max(weights) + 0.1 * (len(weights) - 1)


# --------------------------------------------------------------------------
# Normalisation and stemming
# --------------------------------------------------------------------------
_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_NON_WORD = re.compile(r"[^a-z0-9]+")

# Fillers that carry no topic signal (also removed from cues).
_STOP = frozenset(
    """
    a an the my me i im ive id ill it its to of for in on at is are am be been being
    can could will would should shall may might must about what whats when how why who
    this that these those with and or you your youre so there theres any some again
    just please tell explain alexa really okay ok fine alright yes like
    """.split()
)

_IRREGULAR = {
    "drove": "drive", "driven": "drive", "ate": "eat", "eaten": "eat", "slept": "sleep",
    "swam": "swim", "swum": "swim", "flew": "fly", "flown": "fly", "flies": "fly",
    "took": "take", "taken": "take", "went": "go", "gone": "go", "broke": "break",
    "broken": "break", "felt": "feel", "lying": "lie", "lay": "lie", "vertebrae": "vertebra",
    "vertebral": "vertebra", "vertebras": "vertebra", "children": "child",
    "grandchildren": "grandchild", "women": "woman", "men": "man", "sedated": "sedate",
    "sedation": "sedate", "sedative": "sedate", "anesthetic": "anesthesia",
    "anaesthetic": "anesthesia", "anaesthesia": "anesthesia", "medicine": "medication",
    "medicines": "medication", "meds": "medication", "med": "medication",
    "painkiller": "medication", "painkillers": "medication", "prescribed": "prescription",
    "dexa": "dxa", "followup": "follow", "checkup": "check", "afterwards": "afterward",
    "got": "get", "gotten": "get", "older": "old", "elderly": "old",
    "shorter": "short", "lost": "lose", "losing": "lose",
}


# Words the suffix rules would merge with another word ("tube" vs "tub").
_FIXED = {"tube": "tube", "tubes": "tube"}


def _stem(word: str) -> str:
    if word in _FIXED:
        return _FIXED[word]
    w = _IRREGULAR.get(word, word)
    if len(w) <= 3:
        return w
    stripped = False
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("ing") and len(w) > 5:
        w, stripped = w[:-3], True
    elif w.endswith("ed") and len(w) > 4 and not w.endswith("eed"):
        w, stripped = w[:-2], True
    elif w.endswith(("sses", "ches", "shes", "xes", "zes")) and len(w) > 4:
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    if stripped and len(w) > 2 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]  # swimming -> swimm -> swim
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]  # drive -> driv, to meet driving -> driv
    return w


def normalize(text: str) -> str:
    """Lowercase, apostrophes dropped, every other non-alphanumeric run a single space."""
    lowered = _APOSTROPHES.sub("", text.lower())
    return _NON_WORD.sub(" ", lowered).strip()


def tokens(text: str) -> list[str]:
    """Stemmed content words of `text`, in order."""
    return [_stem(w) for w in normalize(text).split() if w not in _STOP]


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


def _cue_words(phrase: str, fields: Mapping[str, str], where: str) -> tuple[str, ...]:
    words = tuple(tokens(_fill(phrase, fields, where)))
    if not words:
        raise ValueError(f"{where}: cue {phrase!r} has no content words")
    return words


def _cue_weight(words: tuple[str, ...], scale: float) -> float:
    return scale * (1.0 if len(words) == 1 else 1.5 * len(words))


def parse_knowledge(data: Mapping[str, Any], fields: Mapping[str, str], model_path: Path | None = None) -> Knowledge:
    """Build a Knowledge from knowledge.json data, filling the clinic's fields in.

    Raises ValueError on anything malformed (missing ids, unknown placeholders,
    duplicate topics) so a broken content file fails at load time.
    """
    fields = dict(fields)
    order: list[Topic] = []
    cues: list[_Cue] = []
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
        )
        if any(t.id == tid for t in order):
            raise ValueError(f"{where}: duplicate id")
        scale = float(raw.get("weight", 1.0))
        for phrase in raw.get("cues") or []:
            words = _cue_words(phrase, fields, f"{where}.cues")
            cues.append(_Cue(words, len(order), _cue_weight(words, scale), frozenset(words)))
        order.append(topic)

    uncovered: list[str] = []
    for i, raw in enumerate(data.get("uncovered") or []):
        uid = raw.get("id") or f"uncovered_{i}"
        uncovered.append(uid)
        for phrase in raw.get("cues") or []:
            words = _cue_words(phrase, fields, f"uncovered {uid}.cues")
            cues.append(_Cue(words, -1, _cue_weight(words, 1.0), frozenset(words)))

    index: dict[str, list[_Cue]] = {}
    for cue in _dedupe(cues):
        index.setdefault(cue.words[0], []).append(cue)
    return Knowledge(
        topics={t.id: t for t in order},
        uncovered_ids=tuple(uncovered),
        _order=tuple(order),
        _index={k: tuple(v) for k, v in index.items()},
        model_path=model_path,
    )


def _dedupe(cues: Iterable[_Cue]) -> list[_Cue]:
    seen: set[tuple[tuple[str, ...], int]] = set()
    out = []
    for cue in cues:
        key = (cue.words, cue.owner)
        if key not in seen:
            seen.add(key)
            out.append(cue)
    return out


def load_knowledge(fields: Mapping[str, str], path: Path | str | None = None) -> Knowledge:
    """Convenience for tools and tests: parse a knowledge.json file."""
    with Path(path or DEFAULT_PATH).open(encoding="utf-8") as f:
        return parse_knowledge(json.load(f), fields)
