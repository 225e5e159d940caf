"""Text to intent and slots, from the generated interaction model (a stand-in for Alexa's NLU).

It reads skill-package/interactionModels/custom/<locale>.json — the same file the
ASK CLI deploys — so a phrase works locally only if the deployed model has it.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from recovery_coach.intents import FAMILIES
from recovery_coach.language import FILLERS, Guess, LinearModel, load_model

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "skill-package" / "interactionModels" / "custom"

# Alexa's own phrases for built-in intents (the model may add more of its own).
BUILTIN_PHRASES: dict[str, list[str]] = {
    "AMAZON.StopIntent": ["stop", "exit", "quit", "off", "shut up", "be quiet", "that's all", "i'm done", "enough", "goodbye", "bye"],
    "AMAZON.CancelIntent": ["cancel", "never mind", "nevermind", "forget it", "cancel that"],
    "AMAZON.HelpIntent": ["help", "help me", "what can you do", "what can i say", "i need help"],
    # Yes and No: only their plainest words; the rest are the interaction model's own samples.
    "AMAZON.YesIntent": ["yes", "yeah", "yep", "yup", "sure"],
    "AMAZON.NoIntent": ["no", "nope", "nah"],
    "AMAZON.RepeatIntent": ["repeat", "repeat that", "what did you say", "come again", "pardon", "say it again", "again"],
    "AMAZON.NavigateHomeIntent": ["go home", "home"],
    "AMAZON.StartOverIntent": ["start over", "restart", "start again"],
}

NUMBER_WORDS = {
    "zero": 0, "oh": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "nought": 0, "naught": 0, "nil": 0, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}

MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())} | {"sept": 9})
WEEKDAYS = {d: i for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}
ORDINALS = {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split())}
ORDINALS.update({f"twenty {w}": 20 + n for w, n in list(ORDINALS.items()) if n < 10})
ORDINALS.update({"thirtieth": 30, "thirty first": 31})

_NUMBER_IS = re.compile(r"\b(zero|one|two|three|four|five|six|seven|eight|nine|ten|\d+)'s\b")

INVOCATION_PREFIX = re.compile(r"^(?:alexa\s+)?(?:ask|tell|open|launch|start|use)\s+{name}\b\s*(?:to\s+)?")


@functools.lru_cache(maxsize=8192)  # each sample's words are normalized once per phrase piece
def normalize(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"\b(\d+)\s*/\s*10\b", r"\1 out of 10", text)  # typed "6/10" is said "six out of ten"
    text = re.sub(r"[^\w\s'.-]", " ", text)
    text = _NUMBER_IS.sub(r"\1 is", text)  # "one's about right": the number, then "is"
    text = re.sub(r"(?<=[^\s\d])-|-(?!\d)|(?<!\d)\.|\.(?!\d)", " ", text)  # a typed "-2" stays minus two
    return re.sub(r"\s+", " ", text).strip()


NUMBER_GLUE = {"and", "a", "half", "quarter", "point", "dot", "minus", "negative"}
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
FRACTIONS = {"half", "halves", "quarter", "quarters", "point", "dot"}
_DIGITS = re.compile(r"-?\d+(\.\d+)?")


def looks_numeric(words: str) -> bool:
    """Whether the words are all number talk ("seven and a half", "minus two", "a hundred", "7.5")."""
    tokens = words.replace("-", " ").split() if not _DIGITS.fullmatch(words.strip()) else [words]
    return bool(tokens) and any(t not in NUMBER_GLUE for t in tokens) and all(
        t in NUMBER_WORDS or t in NUMBER_GLUE or t in SCALES or _DIGITS.fullmatch(t) for t in tokens
    )


def spoken_number(words: str) -> str:
    """How Alexa fills AMAZON.NUMBER: digits for a whole number it heard ("a hundred" is 100,
    "minus five" is -5), else '?' (a fraction, or words that aren't a number)."""
    words = words.strip()
    if _DIGITS.fullmatch(words):
        return words
    tokens = [t for t in words.replace("-", " ").split() if t not in ("a", "and")]
    if any(t in FRACTIONS for t in tokens):
        return "?"
    single = [str(NUMBER_WORDS[t]) if NUMBER_WORDS.get(t, 99) < 10 else t for t in tokens]
    if len(tokens) > 1 and all(len(t) == 1 and t.isdigit() for t in single):
        return "".join(single)  # digit by digit: "four eight two" is 482, as Alexa hears it
    sign, total, current, seen = "", 0, 0, False
    for word in tokens:
        if word in ("minus", "negative") and not seen:
            sign = "-"
        elif word in NUMBER_WORDS or word.isdigit():
            current += NUMBER_WORDS[word] if word in NUMBER_WORDS else int(word)
            seen = True
        elif word in SCALES:
            current = max(current, 1) * SCALES[word]  # "a hundred", "nine hundred"
            if SCALES[word] >= 1000:
                total, current = total + current, 0
            seen = True
        else:
            return "?"
    return f"{sign}{total + current}" if seen else "?"


def _day_number(words: str) -> int | None:
    words = re.sub(r"^the\s+|(?<=\d)(st|nd|rd|th)$", "", words.strip())
    if words.isdigit():
        return int(words)
    if words in ORDINALS:
        return ORDINALS[words]
    number = spoken_number(words)
    return int(number) if number.isdigit() else None


SEASONS = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}
DECADES = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6, "seventies": 7, "eighties": 8,
           "nineties": 9}
_LEAD = re.compile(r"^(?:on|for|from|in|during|over|at|of|since)\s+")
_SHIFT = {"last": -1, "past": -1, "previous": -1, "this": 0, "the": 0, "next": 1, "coming": 1}


def _year(words: str) -> int | None:
    """ "2025", "twenty twenty five"."""
    if re.fullmatch(r"\d{4}", words):
        return int(words)
    m = re.fullmatch(r"(twenty|nineteen) (.+)", words)
    if m:
        rest = spoken_number(m.group(2))
        if rest.isdigit() and int(rest) < 100:
            return (20 if m.group(1) == "twenty" else 19) * 100 + int(rest)
    return None


def _week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def spoken_date(words: str, today: date) -> str | None:
    """How Alexa fills AMAZON.DATE, relative to the device's local date `today`: an ISO date, or a
    week ("2026-W48"), weekend ("2026-W48-WE"), month ("2026-11"), year, season ("2026-WI"),
    decade ("202X") or "PRESENT_REF" for now. A day or month without a year is the next one to
    come (Alexa's habit). None when it isn't a date."""
    words = _LEAD.sub("", words.replace("-", " ").strip())
    if re.fullmatch(r"\d{4} \d{2} \d{2}", words):
        return words.replace(" ", "-")
    if words in ("now", "right now", "at the moment", "currently"):
        return "PRESENT_REF"
    relative = {"today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0, "this evening": 0,
                "yesterday": -1, "last night": -1, "yesterday morning": -1, "yesterday evening": -1,
                "tomorrow": 1, "the day before yesterday": -2, "day before yesterday": -2}
    if words in relative:
        return (today + timedelta(days=relative[words])).isoformat()
    m = re.fullmatch(r"(\w+|a) (days?|weeks?) ago", words)
    if m:
        n = 1 if m.group(1) == "a" else spoken_number(m.group(1))
        if str(n).isdigit():
            return (today - timedelta(days=int(n) * (7 if m.group(2).startswith("week") else 1))).isoformat()
    m = re.fullmatch(r"(?:(last|this|next|coming|past|previous) )?(%s)" % "|".join(WEEKDAYS), words)
    if m:
        ahead = (WEEKDAYS[m.group(2)] - today.weekday()) % 7
        if m.group(1) in ("last", "past", "previous"):
            ahead = ahead - 7 if ahead else -7
        elif m.group(1) in ("next", "coming") and ahead == 0:
            ahead = 7
        return (today + timedelta(days=ahead)).isoformat()
    m = re.fullmatch(r"(last|past|previous|this|the|next|coming) (week|weekend|month|year|decade|%s)" % "|".join(SEASONS), words)
    if m:
        shift, unit = _SHIFT[m.group(1)], m.group(2)
        if unit in ("week", "weekend"):
            return _week(today + timedelta(weeks=shift)) + ("-WE" if unit == "weekend" else "")
        if unit == "month":
            index = today.year * 12 + today.month - 1 + shift
            return f"{index // 12}-{index % 12 + 1:02d}"
        if unit == "year":
            return str(today.year + shift)
        if unit == "decade":
            return f"{(today.year // 10 + shift):03d}X"
        season = SEASONS[unit]
        return f"{today.year + shift}-{season}"
    m = re.fullmatch(r"(?:the )?(%s)" % "|".join(DECADES), words)
    if m:
        return f"19{DECADES[m.group(1)]}X"
    m = re.fullmatch(r"(%s)(?: (?:of )?(.+))?" % "|".join(MONTHS), words)
    if m and (m.group(2) is None or _year(m.group(2)) is not None):
        month = MONTHS[m.group(1)]
        year = _year(m.group(2)) if m.group(2) else today.year + (1 if month < today.month else 0)
        return f"{year}-{month:02d}"
    m = re.fullmatch(r"(?:(%s) (?:the )?(.+?)|(?:the )?(.+?) (?:of )?(%s))(?: (\d{4}|(?:twenty|nineteen) .+))?"
                     % ("|".join(MONTHS), "|".join(MONTHS)), words)
    if m:
        month = MONTHS[m.group(1) or m.group(4)]
        day_n = _day_number(m.group(2) or m.group(3))
        year = _year(m.group(5)) if m.group(5) else None
        if day_n is None or (m.group(5) and year is None):
            return None
        try:
            when = date(year or today.year, month, day_n)
            if year is None and when < today:
                when = date(today.year + 1, month, day_n)
        except ValueError:
            return None
        return when.isoformat()
    m = re.fullmatch(r"the (.+)", words)
    if m and (day_n := _day_number(m.group(1))) is not None and words not in ("the weekend",):
        try:
            when = date(today.year, today.month, day_n)
            if when < today:
                index = today.year * 12 + today.month
                when = date(index // 12, index % 12 + 1, day_n)
        except ValueError:
            return None
        return when.isoformat()
    return None


def spoken_time(words: str) -> str | None:
    """How Alexa fills AMAZON.TIME: "HH:MM" ("9 am" → "09:00", "8 30 pm" → "20:30", "noon")."""
    words = words.replace(".", "").replace(":", " ").strip()
    named = {"noon": "12:00", "midday": "12:00", "midnight": "00:00", "morning": "MO", "in the morning": "MO",
             "evening": "EV", "in the evening": "EV", "afternoon": "AF", "night": "NI"}
    if words in named:
        return named[words]
    m = re.fullmatch(r"(.+?)\s*(am|pm|a m|p m|in the morning|in the evening|at night|o'clock|oclock)?", words)
    if not m:
        return None
    parts = m.group(1).split()
    hour = spoken_number(parts[0]) if parts else "?"
    minute = spoken_number(" ".join(parts[1:])) if len(parts) > 1 else "0"
    if not hour.isdigit() or not minute.isdigit() or int(hour) > 23 or int(minute) > 59:
        return None
    h, suffix = int(hour), (m.group(2) or "").replace(" ", "")
    if suffix in ("pm", "intheevening", "atnight") and h < 12:
        h += 12
    if suffix in ("am", "inthemorning") and h == 12:
        h = 0
    return f"{h:02d}:{int(minute):02d}"


@dataclass(frozen=True)
class Resolution:
    kind: str  # "launch" or "intent"
    intent: str | None = None
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)


class _Sample:
    """One sample utterance. Most have no slot and are matched as text; a sample with slots compiles
    its pattern on first use, so a process that answers one utterance compiles a few, not thousands."""

    __slots__ = ("intent", "slot_types", "rank", "literal", "words", "_body", "_pattern", "_loose")

    def __init__(self, intent: str, body: str, slot_types: dict[str, str], rank: tuple[int, int],
                 literal: str | None, words: frozenset[str]) -> None:
        self.intent, self.slot_types, self.rank, self.literal = intent, slot_types, rank, literal
        self.words = words  # the sample's own words: all must be in an utterance that matches it
        self._body = body
        self._pattern: re.Pattern[str] | None = None
        self._loose: re.Pattern[str] | None = None

    def captures(self, said: str, said_words: frozenset[str], loose: bool = False) -> dict[str, str] | None:
        """The slots' words if `said` is this sample (or ends with it, if `loose`), else None."""
        if self.literal is not None:
            hit = said == self.literal or (loose and said.endswith(" " + self.literal))
            return {} if hit else None
        if not self.words <= said_words:
            return None
        if self._pattern is None or self._loose is None:
            self._pattern = re.compile("^" + self._body + "$")
            self._loose = re.compile(r"(?:^|\s)" + self._body + "$")
        m = (self._loose if loose else self._pattern).search(said)
        return None if m is None else {n: v for n, v in m.groupdict().items() if v}


class Resolver:
    def __init__(self, model: dict[str, Any], intents: LinearModel | None = None) -> None:
        lm = model["interactionModel"]["languageModel"]
        self.invocation = lm["invocationName"]
        self.types = {t["name"]: t["values"] for t in lm.get("types", [])}
        self.samples: list[_Sample] = []
        for intent in lm["intents"]:
            slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
            phrases = list(intent.get("samples", [])) + BUILTIN_PHRASES.get(intent["name"], [])
            for phrase in phrases:
                self.samples.append(self._compile(intent["name"], phrase, slot_types))
        self.samples.sort(key=lambda s: s.rank, reverse=True)
        self._closed = [s for s in self.samples if s.rank[0] == 1]
        self._open = [s for s in self.samples if s.rank[0] == 0]
        self._slot_types = {i["name"]: {s["name"]: s["type"] for s in i.get("slots", [])} for i in lm["intents"]}
        self._sample_words = frozenset(w for sample in self.samples for w in sample.words)
        self.model = intents
        self._prefix = re.compile(INVOCATION_PREFIX.pattern.format(name=re.escape(self.invocation)))
        self._bare = re.compile(rf"^(?:alexa\s+)?(?:ask|tell|open|launch|start|use)\s+{re.escape(self.invocation)}$")

    def _slot_pattern(self, name: str, type_name: str) -> str:
        if type_name in self.types:
            words = [v["name"]["value"] for v in self.types[type_name]]
            words += [syn for v in self.types[type_name] for syn in v["name"].get("synonyms", [])]
            alternatives = "|".join(re.escape(normalize(w)) for w in sorted(words, key=len, reverse=True))
            return rf"(?P<{name}>{alternatives}|.+?)"
        return rf"(?P<{name}>.+?)"

    def _compile(self, intent: str, phrase: str, slot_types: dict[str, str]) -> _Sample:
        pieces, literal_words, open_ended = [], 0, False
        for token in phrase.split():
            if token.startswith("{") and token.endswith("}"):
                name = token[1:-1]
                pieces.append(self._slot_pattern(name, slot_types[name]))
                open_ended = open_ended or slot_types[name] == "AMAZON.SearchQuery"
            else:
                words = normalize(token).split()
                literal_words += len(words)
                pieces.extend(re.escape(w) for w in words)
        # Prefer exact phrasings over free-form carriers, then the most specific wording.
        rank = (0 if open_ended else 1, literal_words)
        body = r"\s+".join(pieces)
        literal = None if any(t.startswith("{") for t in phrase.split()) else " ".join(normalize(phrase).split())
        own = frozenset(w for t in phrase.split() if not t.startswith("{") for w in normalize(t).split())
        return _Sample(intent, body, slot_types, rank, literal, own)

    def _slot(self, name: str, type_name: str, said: str, today: date | None) -> dict[str, Any]:
        from recovery_coach.envelope import slot_json

        if type_name == "AMAZON.NUMBER":
            return slot_json(name, spoken_number(said))
        if type_name == "AMAZON.DATE":
            return slot_json(name, (spoken_date(said, today) if today else None) or said)
        if type_name == "AMAZON.TIME":
            return slot_json(name, spoken_time(said) or said)
        if type_name in self.types:
            for value in self.types[type_name]:
                names = [value["name"]["value"], *value["name"].get("synonyms", [])]
                if said in {normalize(n) for n in names}:
                    return slot_json(name, said, (value["id"], value["name"]["value"]), type_name)
            return slot_json(name, said, None, type_name)
        return slot_json(name, said)

    def _plausible(self, type_name: str, said: str, today: date | None) -> bool:
        """Whether a slot's words could be its type; out-of-list words for a custom type count only
        when other words of the sample carried the meaning."""
        if type_name == "AMAZON.NUMBER":
            return looks_numeric(said)
        if type_name == "AMAZON.DATE":
            return today is not None and spoken_date(said, today) is not None
        if type_name == "AMAZON.TIME":
            return spoken_time(said) is not None
        if type_name in self.types:
            known = {normalize(v["name"]["value"]) for v in self.types[type_name]}
            known |= {normalize(s) for v in self.types[type_name] for s in v["name"].get("synonyms", [])}
            return said in known
        if type_name == "AMAZON.FirstName":
            return self._first_name(said)
        return True

    def _first_name(self, said: str) -> bool:
        """Alexa hears a first name from its catalogue of names. The stand-in: one to three words of
        letters, none of them a word people use to talk to the skill (one the intent model or a
        sample knows, or a filler), so "Linda" and "Mary Ann" are names and "when can I drive" is not."""
        from recovery_coach.language import stem

        words = said.split()
        if not 1 <= len(words) <= 3 or not all(re.fullmatch(r"[a-z][a-z'-]*", w) for w in words):
            return False
        known = self.model.index if self.model is not None else {}
        return not any(w in FILLERS or w in self._sample_words or stem(w) in known for w in words)

    def _match(self, said: str, today: date | None, samples: list[_Sample], loose: bool = False,
               strict: bool = False) -> Resolution | None:
        """The first sample (most specific first) that matches `said` (anywhere in it, if `loose`)."""
        fallback: Resolution | None = None
        said_words = frozenset(said.split())
        for sample in samples:
            captured = sample.captures(said, said_words, loose)
            if captured is None:
                continue
            slots = {
                n: self._slot(n, t, captured[n], today) if n in captured else {"name": n, "confirmationStatus": "NONE"}
                for n, t in sample.slot_types.items()
            }
            heard = Resolution("intent", sample.intent, slots)
            if all(self._plausible(sample.slot_types[n], v, today) for n, v in captured.items()):
                return heard
            # A number or date slot that caught other words: keep looking for a better reading,
            # but a carrier like "log my pain as …" still wins over nothing.
            if fallback is None and sample.rank[1] > 0 and not strict:
                fallback = heard
        return fallback

    def resolve(self, text: str, today: date | None = None) -> Resolution:
        """`today` is the device's local date (Alexa resolves "yesterday" in the device's time zone);
        without it, date slots keep the words as heard.

        Like Snips: a closed sample (no free-form slot) that matches the words exactly wins; else the
        intent model (fitted on the corpus's train part) picks the intent, and its slots are filled
        the way Alexa fills them: a free-form slot holds what follows the longest carrier phrase of
        that intent, a number is the number said, a date the date said."""
        said = normalize(text)
        if not said or self._bare.match(said):
            return Resolution("launch")
        return self._resolve(self._clean(said), today)[0]

    def _clean(self, said: str) -> str:
        """The words that carry meaning: no "ask spine recovery to", no "um", no leading "so"."""
        said = self._prefix.sub("", said).strip() or said
        if any(sample.literal == said for sample in self._closed):
            return said  # a sample as it stands: "uh huh" is an answer, not a filler and "huh"
        said = " ".join(w for w in said.split() if w not in FILLERS) or said
        return LEADING.sub("", said) or said

    @staticmethod
    def hesitation(said: str) -> bool:
        """Only fillers ("uh", "um er"): _clean keeps them when nothing else was said."""
        return all(w in FILLERS for w in said.split())

    def explain(self, text: str, today: date | None = None) -> dict[str, Any]:
        """How `text` was understood: the stage that decided, the intent, and the model's runner-up."""
        said = self._clean(normalize(text))
        heard, guess = self._resolve(said, today)
        out: dict[str, Any] = {"heard": said, "intent": heard.intent,
                               "slots": {n: v.get("value") for n, v in heard.slots.items() if v.get("value")}}
        if guess is None:
            out["stage"] = "a hesitation, nothing said" if self.hesitation(said) else "exact sample"
        else:
            out.update(stage="intent model" if heard.intent in FAMILIES.get(guess.label, (guess.label,)) else
                       f"intent model's runner-up: {guess.label}'s slot can't hold the words",
                       score=round(guess.confidence, 3), runner_up=guess.runner_up,
                       runner_up_score=round(guess.runner_up_confidence, 3), threshold=self.model.threshold if self.model else None)
        return out

    def _resolve(self, said: str, today: date | None) -> tuple[Resolution, Guess | None]:
        if self.hesitation(said):  # "uh": nothing said yet, as Alexa hears noise (a question asked stays asked)
            return Resolution("intent", "AMAZON.FallbackIntent", {}), None
        exact = self._match(said, today, self._closed, strict=self.model is not None)
        if exact is not None or self.model is None:
            return exact or self._match(said, today, self._open) or Resolution("intent", "AMAZON.FallbackIntent", {}), None
        guess = self.model.guess(said)
        if guess.confidence < self.model.threshold or guess.label == "AMAZON.FallbackIntent":
            return Resolution("intent", "AMAZON.FallbackIntent", {}), guess
        heard, plausible = self._fill(guess.label, said, today)
        if not plausible and guess.runner_up != "AMAZON.FallbackIntent":
            # Alexa weighs an intent with how its slots fit: "my pain is severe" is no score, so not
            # a check-in of "?" (whose words nobody would hear) when the next reading holds them.
            other, fits = self._fill(guess.runner_up, said, today)
            if fits and any(slot.get("value") for slot in other.slots.values()):
                return other, guess
        return heard, guess

    def _fill(self, intent: str, said: str, today: date | None) -> tuple[Resolution, bool]:
        """The intent's slots as Alexa would fill them, and whether they fit: False when the only
        reading is a check-in whose score caught words that are no number ("log my pain as banana",
        "my pain is severe"): those words are what was said about the pain, and a score of "?"
        would hide them from the red-flag screen. (A sharing code that caught words is still a link:
        the skill asks for the digits.)"""
        family = [s for s in self.samples if s.intent in FAMILIES.get(intent, (intent,))]
        # A carrier may end the utterance ("... log my pain as five"), but a free-form slot is not
        # read from a carrier found mid-sentence: "my mom wants to drive, is that too soon" asks
        # about driving, not "that too soon". Such a question is heard whole, below.
        closed = [s for s in family if s.rank[0] == 1]
        heard = self._match(said, today, family, strict=True) or self._match(said, today, closed, loose=True, strict=True)
        if heard is not None:
            return heard, True
        slots, found = {}, False
        for name, type_name in self._slot_types.get(intent, {}).items():
            value = self._find(type_name, said, today)
            # A free-form slot holds any words: it says nothing about whether the others were heard.
            found = found or (value is not None and type_name != "AMAZON.SearchQuery")
            slots[name] = (self._slot(name, type_name, value, today) if value
                           else {"name": name, "confirmationStatus": "NONE"})
        if not found and any(t != "AMAZON.SearchQuery" for t in self._slot_types.get(intent, {}).values()):
            # Nothing a slot could hold ("log my pain as banana"): the carrier's words, as Alexa hears them.
            # One slot read is enough: a patient is named by a label or a first name, not both.
            heard = self._match(said, today, family)
            if heard is not None:  # it fits unless the pain score caught words that are no number
                return heard, (heard.slots.get("score") or {}).get("value") != "?"
        return Resolution("intent", intent, slots), True

    def _find(self, type_name: str, said: str, today: date | None) -> str | None:
        """The words of `said` that are a value of the type: the whole text for a free-form slot."""
        if type_name == "AMAZON.SearchQuery":
            return said
        if type_name == "AMAZON.TIME" and (clock := _clock_time(said)) is not None:
            return clock
        words = said.split()
        spans = sorted(((i, j) for i in range(len(words)) for j in range(i + 1, min(len(words), i + 7) + 1)),
                       key=lambda span: span[0] - span[1])  # longest first
        for i, j in spans:
            piece = " ".join(words[i:j])
            starts = words[i] not in NUMBER_GLUE or words[i] in ("minus", "negative") or (
                words[i] == "a" and j > i + 1 and words[i + 1] in SCALES)  # "minus five", "a hundred"
            if type_name == "AMAZON.NUMBER" and starts and looks_numeric(piece):
                return piece
            if type_name != "AMAZON.NUMBER" and self._plausible(type_name, piece, today):
                return piece
        return None


_LATER_IN_DAY = re.compile(r"\b(afternoon|evening|night|tonight)\b")


def _clock_time(said: str) -> str | None:
    """A clock time said anywhere, as Alexa fills AMAZON.TIME: "every morning at 9" is 09:00 (not
    just "morning"), "each evening at 8" is 20:00. The longest, leftmost span that is one."""
    words = said.split()
    for n in range(min(len(words), 5), 0, -1):
        for i in range(len(words) - n + 1):
            piece = " ".join(words[i:i + n])
            heard = spoken_time(piece)
            if heard is None or ":" not in heard or not re.search(r"\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon|midnight|midday", piece):
                continue
            later = _LATER_IN_DAY.search(said) and int(heard[:2]) < 12 and not re.search(r"\b(am|a m)\b", piece)
            return f"{piece} pm" if later and not re.search(r"\b(pm|p m)\b", piece) else piece
    return None


# Words that only start a turn in speech ("so, when's it okay to ..."; "well, my pain's a four").
LEADING = re.compile(r"^(?:(?:so|well|okay|ok|and|but|now|right|hey|hi|hello|yeah|oh|actually)\s+)+")

@functools.cache
def locales() -> list[str]:
    """The locales there is a generated interaction model for (en-US, en-GB, ...)."""
    return sorted((p.stem for p in MODELS.glob("*.json")), key=lambda name: (name != "en-US", name))


@functools.cache
def load_resolver(locale: str = "en-US") -> Resolver:
    path = MODELS / f"{locale}.json"
    if not path.exists():
        raise FileNotFoundError(f"no interaction model for {locale}: {path} (run: make models)")
    language = locale.split("-")[0]
    intents = load_model(Path(__file__).parent / "content" / language / "intent_model.json")
    return Resolver(json.loads(path.read_text(encoding="utf-8")), intents)
