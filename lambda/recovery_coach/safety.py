"""The red-flag screen: is this a symptom that may be an emergency or a complication?

Pure domain code: standard library and language.py only, no Alexa types, no store. Two parts,
and the urgent path fires if either says so:

* **the list** (content/<lang>/red_flags.json, plus a locale's own red_flags.json): per flag,
  phrases a clinician can read and review. A phrase is words in order, matched over Snowball
  stems with up to four other words between them; a word in CAPITALS is one of that concept's
  words ("LEG" is leg, foot, toe, ...); "a|b" is either word. Numbers said as digits or words
  become one word: TEMP_F for 100.4 to 110 (Fahrenheit), TEMP_C for 38 to 43 (Celsius), else
  NUM. A hit is dropped when a negation sits in the four words before it (eight across "or")
  or between its words (not across "but"), or when a word saying it is over ("gone", "stopped") follows it,
  unless a word of loss ("can't", "lost") is in it: "no fever today" is not flagged, "I can't
  feel my legs" always is.
* **the net** (content/<lang>/red_flag_model.json): a logistic regression over language.features,
  fitted offline from the corpus's train part (tools/train_language.py), one class per flag and
  "none". It fires when P(not none) reaches a threshold chosen by cross-validation on train to
  favour recall. It catches wordings the list doesn't have, except where the list heard a red flag
  denied ("no chest pain or trouble breathing"): the net has no sense of negation.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recovery_coach.language import FILLERS, LinearModel, load_model, stem

NONE = "none"  # the net's class for "not a red flag"
_GAP = 4  # other words allowed between two words of a phrase
_NUMBER_WORDS = frozenset({"TEMP_F", "TEMP_C", "NUM"})
_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
PREDICATE_WORDS = 12  # how far a symptom's own "… has gone" may come after it
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+")

_UNITS = {"zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
          "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}


def _number(tokens: list[str], i: int) -> tuple[float, int] | None:
    """The number said from tokens[i] ("101.5", "a hundred and one point five", "thirty eight"), and
    the index after it; None if none starts there."""
    n, j = len(tokens), i
    if tokens[j] == "a" and j + 1 < n and tokens[j + 1] == "hundred":
        j += 1
    if tokens[j][0].isdigit():
        value, j = float(tokens[j]), j + 1
    else:
        value, seen = 0.0, False
        while j < n:
            t = tokens[j]
            if t == "hundred":
                value, seen = max(value, 1.0) * 100, True
            elif t in _TENS:
                value, seen = value + _TENS[t], True
            elif t in _UNITS:
                value, seen = value + _UNITS[t], True
            elif t == "and" and seen and j + 1 < n and (tokens[j + 1] in _UNITS or tokens[j + 1] in _TENS):
                pass
            else:
                break
            j += 1
        if not seen:
            return None
    if j + 1 < n and tokens[j] == "point":
        digits = ""
        k = j + 1
        while k < n and (tokens[k].isdigit() or tokens[k] in _UNITS and _UNITS[tokens[k]] < 10):
            digits += tokens[k] if tokens[k].isdigit() else str(_UNITS[tokens[k]])
            k += 1
        if digits:
            value, j = value + float("0." + digits), k
    return value, j


def _number_word(value: float) -> str:
    if 100.4 <= value <= 110:
        return "TEMP_F"
    if 38 <= value <= 43:
        return "TEMP_C"
    return "NUM"


def tokens(text: str) -> list[str]:
    """Lowercase words (apostrophes dropped, fillers gone), each number said as one NUM/TEMP_* word."""
    raw = [t for t in _TOKEN.findall(_APOSTROPHES.sub("", text.lower())) if t not in FILLERS]
    out: list[str] = []
    i = 0
    while i < len(raw):
        found = _number(raw, i) if raw[i][0].isdigit() or raw[i] in _UNITS or raw[i] in _TENS or raw[i] in (
            "a", "hundred") else None
        if found is not None and found[1] > i:
            out.append(_number_word(found[0]))
            i = found[1]
        else:
            out.append(raw[i])
            i += 1
    return out


def _key(word: str) -> str:
    return word if word.isupper() else stem(word)


@dataclass(frozen=True)
class Hit:
    flag: str
    by: str  # "list" or "net"
    phrase: str  # the list's phrase, or the net's probability


@dataclass(frozen=True)
class _Phrase:
    flag: str
    text: str
    slots: tuple[frozenset[str], ...]


class Screen:
    """One language's screen (list and net) for one locale."""

    def __init__(self, data: Mapping[str, Any], model: LinearModel | None = None) -> None:
        concepts = {name: frozenset(_key(w) for w in words) for name, words in (data.get("words") or {}).items()}
        self.negations = frozenset(data.get("negations") or ())
        self.losses = frozenset(data.get("losses") or ())
        self.resolved = frozenset(data.get("resolved") or ())  # exact words: "cleared" is over, "clear stuff" is not
        self.lists = frozenset(data.get("lists") or ())
        self.interjections = frozenset(data.get("interjections") or ())
        self.clause_starts = frozenset(data.get("clause_starts") or ())
        asking = data.get("asking") or {}
        self.asking = (frozenset(asking.get("verbs") or ()), frozenset(asking.get("subjects") or ()))
        self.relatives = frozenset(asking.get("relatives") or ())  # "that was there": a clause, not a question
        predicate = data.get("resolving_predicate") or {}
        self.predicates = frozenset(predicate.get("verbs") or ())
        self.prepositions = frozenset(predicate.get("prepositions") or ())
        self.clause_breaks = frozenset(predicate.get("clause_breaks") or ())
        self.adverbs = frozenset(predicate.get("adverbs") or ())  # "has completely cleared up"
        self.over = self.resolved | frozenset(predicate.get("resolved") or ())  # "has dried up": over only as a predicate
        # After these a subject word starts no new clause: "in my feet", "the shivers I had the first night".
        self.no_new_subject_after = self.prepositions | frozenset(predicate.get("objects_after") or ())
        clause = data.get("resolving_clause") or {}
        self.clause_opens = frozenset(clause.get("opens") or ())
        self.clause_subjects = frozenset(clause.get("subjects") or ())
        self.settled = frozenset(clause.get("settled") or ())  # "but they're fine now": over with a word of time
        self.since = frozenset(clause.get("since") or ())
        self.flags: dict[str, str] = {}
        phrases: list[_Phrase] = []
        # Flags no negation or "it's over" word cancels (despair: "I don't see the point any more").
        self.undeniable = frozenset(f for f, spec in (data.get("flags") or {}).items() if spec.get("never_denied"))
        for flag, spec in (data.get("flags") or {}).items():
            self.flags[flag] = str(spec.get("means", ""))
            for text in spec.get("phrases") or ():
                phrases.append(_Phrase(flag, text, tuple(_slot(w, concepts, f"{flag}: {text!r}") for w in text.split())))
            if not spec.get("phrases"):
                raise ValueError(f"red flag {flag}: no phrases")
        exact = {name: frozenset(words) for name, words in (data.get("words") or {}).items()}
        # Exact words, not stems: "be discharged" is not "discharge". A word in [brackets] must be there
        # but stays for the phrases: "nothing coming out of the [WOUND]" leaves "the wound is red" heard.
        # Indexed by first word, as the phrases are: one lookup per word said.
        self._not_index: dict[str, list[tuple[tuple[frozenset[str], ...], tuple[bool, ...]]]] = {}
        for t in data.get("not_symptoms") or ():
            slots = tuple(_slot(w.strip("[]"), exact, f"not_symptoms: {t!r}", exact=True) for w in t.split())
            for first in slots[0]:
                self._not_index.setdefault(first, []).append((slots, tuple(w.startswith("[") for w in t.split())))
        self._index: dict[str, list[_Phrase]] = {}
        for p in phrases:
            for first in p.slots[0]:
                self._index.setdefault(first, []).append(p)
        self.phrases = tuple(phrases)
        self.model = model
        self.threshold = float(getattr(model, "threshold", 1.0)) if model is not None else 1.0
        self.calm_below = float(data.get("calm_below", 0.0))

    # ---- the list -------------------------------------------------------------
    def listed(self, text: str) -> Hit | None:
        return self.read(text)[0]

    def read(self, text: str) -> tuple[Hit | None, bool]:
        """The list's first hit, and whether it heard a red flag denied ("no chest pain") or a
        phrase that is not a symptom ("fell asleep", "the numbing injection")."""
        words = tokens(text)
        keys = [_key(w) for w in words]
        denied = False
        for span in self._spans(words, self._not_index):
            denied = True  # "I can't walk the dog yet" is not a symptom, whatever the net thinks
            for k in span:
                keys[k] = ""
        for i, key in enumerate(keys):
            for phrase in self._index.get(key, ()):
                at = _find(keys, phrase.slots, i)
                if at is None:
                    continue
                if phrase.flag in self.undeniable or not self._negated(words, keys, at):
                    return Hit(phrase.flag, "list", phrase.text), denied
                denied = True
        return None, denied

    @staticmethod
    def _spans(words: list[str], index: Mapping[str, list[tuple[tuple[frozenset[str], ...], tuple[bool, ...]]]]
               ) -> list[list[int]]:
        """Where each pattern (indexed by its first words) is found, but for its [kept] words."""
        out = []
        for i, word in enumerate(words):
            for slots, kept in index.get(word, ()):
                at = _find(words, slots, i, gap=0)
                if at is not None:
                    out.append([k for k, keep in zip(at, kept, strict=True) if not keep])
        return out

    def _negated(self, words: list[str], keys: list[str], at: list[int]) -> bool:
        start, end = at[0], at[-1]
        span = words[start:end + 1]
        if self.losses.intersection(span):
            return False  # "can't feel my legs" describes a loss, not a denial
        inside = [words[k] for k in range(start, end + 1) if k not in at]
        if self.negations.intersection(inside):
            return True
        first = max(0, start - 8)
        before = [w for k, w in enumerate(words[first:start], first)
                  if not (w in self.interjections and words[k + 1] in self.clause_starts)]  # "no, my mom fell"
        if not self.lists.intersection(before[-4:]):
            before = before[-4:]
        if "but" in before:  # "it's probably nothing, but there's blood": a new clause
            before = before[len(before) - before[::-1].index("but"):]
        if self.negations.intersection(before):
            return True
        after = words[end + 1:end + 5]
        for k, word in enumerate(after):
            if word in self.resolved and not (k and after[k - 1] in self.negations | self.losses) \
                    and not self._asks(after[:k]):
                return True  # "the fever is gone", but not "the bleeding won't stop" nor "is that normal"
        return self._resolved_later(words[end + 1:]) or self._resolved_predicate(words[end + 1:])

    def _resolved_predicate(self, rest: list[str]) -> bool:
        """The symptom's own predicate says it is over, further on than four words: "the numbness in
        my feet has gone now", "the tingling I had before surgery is gone". Within twelve words, through
        'resolving_predicate' words ("has", "is") right before the resolved word (or before one or two of
        its adverbs: "has completely cleared up"; or a word that says it is over only as a predicate:
        "has dried up"), and only while the sentence goes on about the same thing: no 'clause_breaks'
        word ("and", "but") and no subject of a new clause ("my back is better" after the symptom is
        about the back)."""
        for k, word in enumerate(rest[:PREDICATE_WORDS]):
            if word in self.clause_breaks:
                return False
            # A new subject starts a new clause; "in my feet" does not, nor "the tingling I had", nor the
            # object of a verb ("the shivers I had the first night").
            if word in self.clause_starts and word != "i" and (
                    k == 0 or rest[k - 1] not in self.no_new_subject_after):
                return False
            if word in self.over and not self._asks(rest[:k]):
                v = k - 1  # the verb: right before it, or before up to two adverbs ("has completely gone")
                while v >= 0 and k - v <= 2 and rest[v] in self.adverbs and rest[v] not in self.predicates:
                    v -= 1
                if v >= 0 and rest[v] in self.predicates:
                    return not (v > 0 and rest[v - 1] in self.negations)
        return False

    def _resolved_later(self, rest: list[str]) -> bool:
        """A later clause says it is over: "… on Sunday, but it's back to normal now", or says it is
        fine with a word of time: "… before the op, but they're fine now", "but now it's fine"
        (resolving_clause; "but it's fine" alone may play a symptom down, so it does not count)."""
        for k, word in enumerate(rest[:-2]):
            if word not in self.clause_opens:
                continue
            subject = k + 2 if rest[k + 1] in self.since else k + 1  # "but now they're fine"
            if subject >= len(rest) or rest[subject] not in self.clause_subjects:
                continue
            clause = rest[subject + 1:subject + 5]
            timed = bool(self.since.intersection(rest[k + 1:subject + 6]))
            for j, later in enumerate(clause):
                if later in self.negations or later in self.losses or self._asks(rest[subject:subject + 1 + j]):
                    break
                if later in self.resolved or (later in self.settled and timed):
                    return True
        return False

    def _asks(self, words: list[str]) -> bool:
        """Whether `words` open a question ("is that", "is it", "should it"): then the word after them
        asks whether the symptom is over or normal, which it may not be."""
        verbs, subjects = self.asking
        return any(a in verbs and b in subjects and not (k and words[k - 1] in self.relatives)
                   for k, (a, b) in enumerate(zip(words, words[1:], strict=False)))

    # ---- the net --------------------------------------------------------------
    def probability(self, text: str) -> tuple[float, str]:
        """P(a red flag) by the net, and its most likely flag."""
        model = self.model
        if model is None:
            return 0.0, NONE
        p = model.probabilities(text)
        none = model.classes.index(NONE)
        best = max((i for i in range(len(p)) if i != none), key=lambda i: p[i])
        return 1.0 - p[none], model.classes[best]

    # ---- both -----------------------------------------------------------------
    def assess(self, text: str) -> tuple[Hit | None, bool]:
        """The red flag in `text` (by the list first, else by the net; None if neither sees one), and
        whether a statement without one may get a kind word: it names a warning sign only to say it
        is absent or over ("no fever today"), or the net all but rules one out (P below calm_below,
        red_flags.json). Otherwise the skill can't tell, and says so carefully. One reading for both."""
        if not text or not text.strip():
            return None, True
        hit, denied = self.read(text)
        if hit is not None or denied:
            return hit, hit is None  # the net has no sense of negation: a red flag the list heard denied stays denied
        p, flag = self.probability(text)
        return (Hit(flag, "net", f"{p:.3f}"), False) if p >= self.threshold else (None, p < self.calm_below)

    def check(self, text: str) -> Hit | None:
        return self.assess(text)[0]

    def screen(self, text: str) -> str | None:
        hit = self.check(text)
        return hit.flag if hit else None

    def calm(self, text: str) -> bool:
        return self.assess(text)[1]


def _slot(word: str, concepts: Mapping[str, frozenset[str]], where: str, exact: bool = False) -> frozenset[str]:
    out: set[str] = set()
    for alt in word.split("|"):
        if alt.isupper() and alt not in _NUMBER_WORDS:
            if alt not in concepts:
                raise ValueError(f"{where}: unknown word group {alt}")
            out |= concepts[alt]
        else:
            out.add(alt if exact else _key(alt))
    return frozenset(out)


def _find(keys: list[str], slots: tuple[frozenset[str], ...], i: int, gap: int = _GAP) -> list[int] | None:
    """Where the phrase `slots` matches from keys[i] (each next word within `gap` words), or None."""
    at = [i]
    for slot in slots[1:]:
        last = at[-1]
        for j in range(last + 1, min(len(keys), last + 2 + gap)):
            if keys[j] in slot:
                at.append(j)
                break
        else:
            return None
    return at


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """A locale's file adds words to groups and phrases to flags (`phrases`); nothing is taken away."""
    merged = json.loads(json.dumps(base))
    for name, words in (over.get("words") or {}).items():
        merged.setdefault("words", {}).setdefault(name, []).extend(words)
    for flag, spec in (over.get("flags") or {}).items():
        target = merged.setdefault("flags", {}).setdefault(flag, {"phrases": []})
        target["phrases"] = [*target.get("phrases", []), *spec.get("phrases", [])]
    for key in ("not_symptoms",):
        merged[key] = [*merged.get(key, []), *over.get(key, [])]
    return merged


def parse_screen(layers: Iterable[Mapping[str, Any]], model: LinearModel | None = None) -> Screen:
    data: dict[str, Any] = {}
    for layer in layers:
        data = _merge(data, layer) if data else dict(layer)
    return Screen(data, model)


@functools.cache
def load_screen(folders: tuple[Path, ...]) -> Screen:
    """The screen from each folder's red_flags.json (language first, then locale) and the
    language's red_flag_model.json, read once."""
    layers = [json.loads((f / "red_flags.json").read_text(encoding="utf-8")) for f in folders
              if (f / "red_flags.json").exists()]
    if not layers:
        raise FileNotFoundError(f"no red_flags.json in {folders[0]}")
    return parse_screen(layers, load_model(folders[0] / "red_flag_model.json"))
