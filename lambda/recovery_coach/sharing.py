"""Sharing with caregivers: one-time codes, report tokens, and the limits on guessing. Plain values only."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from recovery_coach.store import StoreUnavailable

CODE_DIGITS = 6


def new_code() -> str:
    """Six digits, never a leading zero (Alexa's AMAZON.NUMBER would drop it)."""
    low = 10 ** (CODE_DIGITS - 1)
    return str(low + secrets.randbelow(9 * low))


def code_hash(code: str, secret: str) -> str:
    """Codes are stored as a keyed hash: a 6-digit code's plain SHA-256 could be reversed by trying all
    million, so the key (SHARE_SECRET) lives outside the table."""
    if not secret:  # the key couldn't be read (config._share_secret): no code without it
        raise StoreUnavailable("no sharing key")
    return hmac.new(secret.encode(), code.encode(), hashlib.sha256).hexdigest()


def heard_code(said: str | None) -> str | None:
    """The six digits Alexa heard ("482915", "4 8 2 9 1 5"), or None."""
    digits = re.sub(r"\D", "", said or "")
    return digits if len(digits) == CODE_DIGITS else None


def spoken_code(code: str) -> str:
    """Digit by digit, with pauses: "4, 8, 2, 9, 1, 5"."""
    return ", ".join(code)


def new_token() -> str:
    """A report link's secret: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    """Tokens are stored hashed: with 192 random bits a plain SHA-256 can't be reversed."""
    return hashlib.sha256(token.encode()).hexdigest()
