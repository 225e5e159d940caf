"""The statistical part of understanding: features of an utterance, and linear models over them.

Pure domain code: the standard library and snowballstemmer (the Snowball project's English stemmer,
pure Python). The models are data (content/<lang>/*_model.json), fitted offline from the corpus's
train part by `python -m tools.train_language` (scikit-learn, a dev dependency) and only *applied*
here: a sum of weights per class, a softmax, and the best class with its runner-up. Deterministic
and explainable (`recovery-coach explain`).
"""
from __future__ import annotations

import base64
import functools
import json
import math
import re
import struct
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Sounds and words that carry no meaning in speech ("um so when's it okay ..."): dropped first.
FILLERS = frozenset("um umm uh uhh er erm hmm mm ah oh alexa".split())


@functools.cache
def _stemmer() -> Any:
    # Imported on the first question, not at cold start: the package imports all 30 of its languages.
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=16384)
def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def words(text: str) -> list[str]:
    """Lowercase words, apostrophes dropped ("when's" -> "whens"), fillers gone."""
    flat = _NON_WORD.sub(" ", _APOSTROPHES.sub("", text.lower()))
    return [w for w in flat.split() if w not in FILLERS]


class Concepts:
    """Everyday phrases for the article's concepts (content/<lang>/concepts.json): each phrase found
    in an utterance adds "@concept" to its features, so "behind the wheel" and "the motorway" both
    count as driving, however rarely the corpus says them. Matched on stems, words in order."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self._starts: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for name, phrases in table.items():
            for phrase in phrases:
                stems = tuple(stem(w) for w in words(phrase))
                if stems:
                    self._starts.setdefault(stems[0], []).append((stems, "@" + name))
        for entries in self._starts.values():
            entries.sort(key=lambda e: -len(e[0]))

    def found(self, stems: list[str]) -> list[str]:
        out: list[str] = []
        for i, s in enumerate(stems):
            for phrase, name in self._starts.get(s, ()):
                if tuple(stems[i:i + len(phrase)]) == phrase and name not in out:
                    out.append(name)
        return out


NO_CONCEPTS = Concepts({})


DIGIT_WORDS = frozenset("zero one two three four five six seven eight nine".split())
CODE_DIGITS = 4  # a run of this many digits or more is a code (a sharing code is six), never a score
CODE = "@code"


def _codes(tokens: list[str]) -> list[str]:
    """A run of digits said one by one ("four eight two nine one five", "482 915") is one token,
    CODE: a code's digits are not six numbers, so they don't weigh as six pain scores would."""
    out: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if token in DIGIT_WORDS or token.isdigit():
            run.append(token)
            continue
        digits = sum(len(t) if t.isdigit() else 1 for t in run)
        out.extend([CODE] if digits >= CODE_DIGITS and len(run) > 1 or digits == 6 else run)
        run = []
        if token:
            out.append(token)
    return out


def features(text: str, concepts: Concepts = NO_CONCEPTS) -> list[str]:
    """Stems, stem bigrams and the concepts they name: what the models weigh."""
    stems = [stem(w) for w in _codes(words(text))]
    return stems + [f"{a}_{b}" for a, b in zip(stems, stems[1:], strict=False)] + concepts.found(stems)


@dataclass(frozen=True)
class Guess:
    label: str
    confidence: float  # the softmax probability of `label`
    runner_up: str
    runner_up_confidence: float


# A model's weights as stored and held: per feature (sorted), its [class index, weight] pairs, all
# packed into one buffer of (uint8, float32) records. Nested lists of floats cost ~100 bytes a pair
# in Python; this costs 5 (BENCHMARKS.md: memory).
PACKED = "packed-v1"
_PAIR = struct.Struct("<Bf")


def pack_weights(weights: Mapping[str, Sequence[Sequence[float]]]) -> dict[str, Any]:
    """The stored form of per-feature [class index, weight] pairs (what tools/train_language writes)."""
    names = sorted(weights)
    blob = b"".join(_PAIR.pack(int(i), float(w)) for name in names for i, w in weights[name])
    return {"format": PACKED, "features": names, "counts": [len(weights[name]) for name in names],
            "pairs": base64.b64encode(blob).decode("ascii")}


class LinearModel:
    """A multinomial logistic regression's weights: per feature, the classes it moves and by how much."""

    def __init__(self, classes: list[str], bias: list[float], weights: Mapping[str, Any],
                 threshold: float, concepts: dict[str, list[str]] | None = None) -> None:
        self.classes = classes
        self.concepts = Concepts(concepts or {})  # the table it was fitted with, carried in the model
        self.bias = bias
        packed = weights if weights.get("format") == PACKED else pack_weights(weights)
        names: list[str] = packed["features"]
        self.index = {name: k for k, name in enumerate(names)}  # feature -> its place
        starts = array("I", [0])
        for count in packed["counts"]:
            starts.append(starts[-1] + int(count))
        self._starts = starts
        self._pairs = memoryview(base64.b64decode(packed["pairs"]))
        if len(self._pairs) != starts[-1] * _PAIR.size or len(names) != len(packed["counts"]):
            raise ValueError("the model's packed weights don't match its features")
        self.threshold = threshold  # below this confidence the best guess is not trusted

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinearModel:
        return cls(data["classes"], data["bias"], data["weights"], float(data.get("threshold", 0.0)),
                   data.get("concepts"))

    def pairs(self, feature: str) -> list[tuple[int, float]]:
        """The feature's [class index, weight] pairs; none for a feature the model doesn't know."""
        return list(self._pairs_of(feature))

    def _pairs_of(self, feature: str) -> Iterator[tuple[int, float]]:
        k = self.index.get(feature)
        if k is None:
            return iter(())
        return _PAIR.iter_unpack(self._pairs[self._starts[k] * _PAIR.size: self._starts[k + 1] * _PAIR.size])

    def probabilities(self, text: str) -> list[float]:
        """Each class's softmax probability for `text`, in the order of `classes`."""
        scores = list(self.bias)
        for feature in set(features(text, self.concepts)):
            for i, w in self._pairs_of(feature):
                scores[i] += w
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def guess(self, text: str) -> Guess:
        p = self.probabilities(text)
        order = sorted(range(len(p)), key=lambda i: -p[i])
        first, second = order[0], order[1] if len(order) > 1 else order[0]
        return Guess(self.classes[first], p[first], self.classes[second], p[second])


@functools.cache
def load_model(path: Path) -> LinearModel | None:
    """The model in `path`, read once; None if there is none (a clinic that hasn't trained one)."""
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as f:
        return LinearModel.from_dict(json.load(f))
