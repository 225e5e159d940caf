"""Turning plain spoken text into SSML for Alexa, and SSML back into plain text.

All user-facing text lives in content/; this module only escapes it and marks up
numbers that must be read digit by digit (phone numbers, 911).
"""
from __future__ import annotations

import html
import re

_PHONE = re.compile(r"\b(?:\d{3}-\d{3}-\d{4}|911|999|112)\b")
_DIGITS = re.compile(r"\b\d(?:, \d){3,}\b")  # a code read digit by digit: slowly
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_BEFORE_PUNCT = re.compile(r"\s+([.,?!;:])")


def to_ssml(text: str) -> str:
    escaped = html.escape(text, quote=False)
    marked = _PHONE.sub(lambda m: f'<say-as interpret-as="telephone">{m.group(0)}</say-as>', escaped)
    marked = _DIGITS.sub(lambda m: f'<prosody rate="slow">{m.group(0)}</prosody>', marked)
    return f"<speak>{marked}</speak>"


def to_plain(ssml: str) -> str:
    """What a person hears, as text: tags dropped, entities decoded, pauses become spaces."""
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", ssml)))
    return _BEFORE_PUNCT.sub(r"\1", text).strip()


def join(*parts: str | None) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())
