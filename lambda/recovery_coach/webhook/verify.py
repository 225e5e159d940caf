"""Verify that an HTTPS request really comes from Alexa, before the skill sees it.

Alexa's rules for web-service endpoints
(https://developer.amazon.com/docs/custom-skills/host-a-custom-skill-as-a-web-service.html):

* ``SignatureCertChainUrl`` is https://s3.amazonaws.com[:443]/echo.api/... (path case-sensitive,
  after resolving ``..``);
* the PEM chain at that URL is valid now, chains to a trusted root, and the signing (first)
  certificate names ``echo-api.amazon.com`` in its subjectAltName;
* ``Signature-256`` is an RSA PKCS#1 v1.5 SHA-256 signature of the raw body by that certificate;
* the request timestamp is within 150 s of now (up to an hour old for ``AlexaSkillEvent.*``, but
  never more than 150 s ahead);
* and, our own rule, the application id is this skill's.

Chain validation uses ``cryptography.x509.verification`` (the web-PKI server profile: RFC 6125
SAN matching, EKU serverAuth and CA constraints). That profile lets a ``*.amazon.com`` wildcard
match and accepts RSA-1024, so two checks of our own follow: the signing certificate names
``echo-api.amazon.com`` itself, and every RSA key in the chain has at least 2048 bits.
Fetches are bounded: a hard deadline per fetch, a failed URL is not fetched again for a minute,
and at most 10 fetches a minute in all (an attacker can name endless ``/echo.api/`` URLs).
Every failure is a :class:`VerificationError` whose message is a short fixed reason, safe to
log; nothing here logs.
"""
from __future__ import annotations

import base64
import binascii
import http.client
import math
import posixpath
import socket
import ssl
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import verification as xv

from recovery_coach.clock import system_clock

__all__ = ["VerificationError", "Verifier", "check_cert_url", "http_fetch", "load_default_roots"]

CERT_HOST = "s3.amazonaws.com"
CERT_PATH_PREFIX = "/echo.api/"
SIGNING_NAME = "echo-api.amazon.com"
SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

_MAX_URL = 2048
_MAX_SIGNATURE_HEADER = 4096  # an RSA-4096 signature is 684 base64 characters
_MAX_TIMESTAMP = 64
_MAX_CACHE = 64  # distinct chain URLs; Amazon uses one or two at a time
MIN_RSA_BITS = 2048
FAILED_FETCH_HOLD = timedelta(minutes=1)  # a URL whose fetch failed isn't fetched again before this
FETCHES_PER_MINUTE = 10  # outbound fetches of all URLs together
REFRESH_AFTER = timedelta(minutes=1)  # a cached chain may be fetched again after a signature mismatch


class VerificationError(Exception):
    """reason: a short fixed string, safe to log (never request content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


# --- the certificate URL ---------------------------------------------------------------------


def check_cert_url(url: str) -> str:
    """The normalised chain URL (``https://s3.amazonaws.com/echo.api/...``), or VerificationError."""
    if not isinstance(url, str) or not url or len(url) > _MAX_URL:
        raise VerificationError("cert_url_invalid")
    # No whitespace, control or non-ASCII characters (urlsplit silently drops some of them),
    # no percent-encoding (it could hide "..", "/" or "?" from the checks below) and no backslash.
    if any(not (0x20 < ord(c) < 0x7F) for c in url) or "%" in url or "\\" in url:
        raise VerificationError("cert_url_invalid")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise VerificationError("cert_url_invalid") from None
    if parts.scheme.lower() != "https":
        raise VerificationError("cert_url_scheme")
    netloc = parts.netloc.lower()
    if "@" in netloc:
        raise VerificationError("cert_url_host")
    host, sep, port = netloc.partition(":")
    if host != CERT_HOST:
        raise VerificationError("cert_url_host")
    if sep and port != "443":
        raise VerificationError("cert_url_port")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise VerificationError("cert_url_query")
    path = posixpath.normpath(parts.path) if parts.path else ""
    if not path.startswith(CERT_PATH_PREFIX):
        raise VerificationError("cert_url_path")
    return f"https://{CERT_HOST}{path}"


# --- fetching ---------------------------------------------------------------------------------


def _tls_context() -> ssl.SSLContext:
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except (ImportError, OSError, ssl.SSLError):
        return ssl.create_default_context()


def http_fetch(url: str, timeout: float, max_bytes: int = 64 * 1024) -> bytes:
    """GET ``url`` with the stdlib; raise on anything but a 200 of at most ``max_bytes`` bytes.

    ``timeout`` is a hard deadline for the whole fetch (connect, TLS, headers, body): a watchdog
    shuts the socket when it passes, so a server that trickles bytes can't hold it longer.
    Redirects are not followed.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=_tls_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(timeout, cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.request("GET", parts.path or "/", headers={"Accept": "*/*", "User-Agent": "recovery-coach"})
        resp = conn.getresponse()
        if resp.status != 200:  # 3xx (not followed), 4xx, 5xx
            raise OSError(f"HTTP {resp.status}")
        length = resp.headers.get("Content-Length")
        if length is not None and length.strip().isdigit() and int(length) > max_bytes:
            raise OSError("response too large")
        body = resp.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise OSError("response too large")
        if expired.is_set():
            raise TimeoutError("fetch deadline passed")
        return body
    except (OSError, http.client.HTTPException) as e:
        if expired.is_set():
            raise TimeoutError("fetch deadline passed") from None
        raise e if isinstance(e, OSError) else OSError(type(e).__name__) from None
    finally:
        watchdog.cancel()
        conn.close()


# --- trust roots ------------------------------------------------------------------------------


def _load_pem_bundle(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle that parses; one odd root must not lose the others."""
    marker = b"-----BEGIN CERTIFICATE-----"
    certs: list[x509.Certificate] = []
    with warnings.catch_warnings():  # certifi has a root with a non-positive serial number
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for block in data.split(marker)[1:]:
            try:
                certs.append(x509.load_pem_x509_certificate(marker + block))
            except ValueError:
                continue
    return certs


def load_default_roots() -> list[x509.Certificate]:
    """certifi's bundle (the runtime has it through requests), else the system bundle."""
    candidates: list[Path] = []
    try:
        import certifi

        candidates.append(Path(certifi.where()))
    except ImportError:
        pass
    candidates.append(SYSTEM_BUNDLE)
    for path in candidates:
        try:
            roots = _load_pem_bundle(path.read_bytes())
        except OSError:
            continue
        if roots:
            return roots
    raise RuntimeError("no trusted root certificates found (install certifi or ca-certificates)")


# --- the envelope -----------------------------------------------------------------------------


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _timestamp(value: object) -> datetime:
    if isinstance(value, bool):
        raise VerificationError("timestamp_invalid")
    if isinstance(value, (int, float)):  # epoch milliseconds
        try:
            if not math.isfinite(value):
                raise ValueError
            return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise VerificationError("timestamp_invalid") from None
    if not isinstance(value, str) or not value or len(value) > _MAX_TIMESTAMP:
        raise VerificationError("timestamp_invalid")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        return _utc(datetime.fromisoformat(text))
    except (ValueError, OverflowError):  # "0001-01-01T00:00:00+01:00" overflows when moved to UTC
        raise VerificationError("timestamp_invalid") from None


def _get(obj: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


# --- the verifier -----------------------------------------------------------------------------


@dataclass
class _Chain:
    leaf: x509.Certificate
    intermediates: list[x509.Certificate]
    expires: datetime
    fetched: datetime


@dataclass
class Verifier:
    """Checks one request: ``verify(headers, body, envelope)`` returns None or raises VerificationError.

    ``headers`` has lower-case names; ``body`` is the raw request body (what was signed) and
    ``envelope`` its parsed JSON. Thread-safe: chains are cached per URL behind a lock.
    """

    skill_id: str
    trust_roots: Sequence[x509.Certificate] | None = None
    fetch: Callable[[str, float], bytes] = http_fetch
    fetch_timeout: float = 2.0
    now: Callable[[], datetime] = system_clock
    max_skew: float = 150.0
    event_skew: float = 3600.0
    _store: xv.Store = field(init=False, repr=False, compare=False)
    _cache: dict[str, _Chain] = field(init=False, repr=False, compare=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, repr=False, compare=False, default_factory=threading.Lock)
    _failed: dict[str, datetime] = field(init=False, repr=False, compare=False, default_factory=dict)
    _fetches: list[datetime] = field(init=False, repr=False, compare=False, default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.skill_id, str) or not self.skill_id:
            raise ValueError("skill_id is required")
        roots = list(self.trust_roots) if self.trust_roots is not None else load_default_roots()
        if not roots:
            raise ValueError("trust_roots is empty")
        self._store = xv.Store(roots)

    # The checks, cheapest first.
    def verify(self, headers: Mapping[str, str], body: bytes, envelope: Mapping[str, Any]) -> None:
        if not isinstance(headers, Mapping):
            raise VerificationError("headers_invalid")
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise VerificationError("body_invalid")
        if not isinstance(envelope, Mapping):
            raise VerificationError("envelope_invalid")
        url = headers.get("signaturecertchainurl")
        signature_b64 = headers.get("signature-256")
        if not url or not isinstance(url, str):
            raise VerificationError("missing_cert_url")
        if not signature_b64 or not isinstance(signature_b64, str):
            raise VerificationError("missing_signature")
        signature = self._decode_signature(signature_b64)
        url = check_cert_url(url.strip())
        now = _utc(self.now())
        self._check_timestamp(envelope, now)
        self._check_application(envelope)
        leaf, intermediates = self._chain(url, now)
        self._check_chain(leaf, intermediates, now)
        try:
            self._check_signature(leaf, signature, bytes(body))
        except VerificationError as e:
            # Amazon may have replaced the certificate at the same URL: fetch it once more (not
            # more than once a minute per URL, so bad signatures can't make us fetch at will).
            if e.reason != "signature_mismatch" or not self._stale(url, now):
                raise
            leaf, intermediates = self._chain(url, now, refresh=True)
            self._check_signature(leaf, signature, bytes(body))

    @staticmethod
    def _decode_signature(value: str) -> bytes:
        value = value.strip()
        if len(value) > _MAX_SIGNATURE_HEADER:
            raise VerificationError("signature_invalid")
        try:
            signature = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise VerificationError("signature_not_base64") from None
        if not signature:
            raise VerificationError("signature_not_base64")
        return signature

    def _check_timestamp(self, envelope: Mapping[str, Any], now: datetime) -> None:
        request = envelope.get("request")
        if not isinstance(request, Mapping):
            raise VerificationError("request_invalid")
        kind = request.get("type")
        if not isinstance(kind, str):
            raise VerificationError("request_type_invalid")
        if "timestamp" not in request:
            raise VerificationError("timestamp_missing")
        stamp = _timestamp(request["timestamp"])
        age = (now - stamp).total_seconds()
        oldest = self.event_skew if kind.startswith("AlexaSkillEvent.") else self.max_skew
        if age > oldest or -age > self.max_skew:  # events may be late, never from the future
            raise VerificationError("timestamp_out_of_range")

    def _check_application(self, envelope: Mapping[str, Any]) -> None:
        if _get(envelope, "context", "System", "application", "applicationId") != self.skill_id:
            raise VerificationError("application_id")
        session = envelope.get("session")
        if session is not None:
            if not isinstance(session, Mapping):
                raise VerificationError("session_invalid")
            if _get(session, "application", "applicationId") != self.skill_id:
                raise VerificationError("application_id")

    def _stale(self, url: str, now: datetime) -> bool:
        with self._lock:
            cached = self._cache.get(url)
        return cached is not None and now - cached.fetched >= REFRESH_AFTER

    def _chain(self, url: str, now: datetime, refresh: bool = False) -> tuple[x509.Certificate, list[x509.Certificate]]:
        with self._lock:
            for key in [k for k, c in self._cache.items() if c.expires <= now]:
                del self._cache[key]
            cached = None if refresh else self._cache.get(url)
            if cached is None:
                failed = self._failed.get(url)
                if failed is not None and now - failed < FAILED_FETCH_HOLD:
                    raise VerificationError("cert_fetch_failed")  # tried a moment ago: not again yet
                self._fetches = [t for t in self._fetches if now - t < timedelta(minutes=1)]
                if len(self._fetches) >= FETCHES_PER_MINUTE:
                    raise VerificationError("cert_fetch_limited")
                self._fetches.append(now)
        if cached is not None:
            return cached.leaf, cached.intermediates
        # Fetched outside the lock: two threads may both fetch a new URL once, which is harmless,
        # while a slow S3 must not hold up requests whose chain is already cached.
        try:
            leaf, intermediates = self._fetch_chain(url, now)
        except VerificationError:
            with self._lock:
                if len(self._failed) >= _MAX_CACHE:
                    self._failed.pop(next(iter(self._failed)))
                self._failed[url] = now
            raise
        with self._lock:
            self._failed.pop(url, None)
            if len(self._cache) >= _MAX_CACHE and url not in self._cache:
                self._cache.pop(next(iter(self._cache)))
            self._cache[url] = _Chain(leaf, intermediates, leaf.not_valid_after_utc, now)
        return leaf, intermediates

    def _fetch_chain(self, url: str, now: datetime) -> tuple[x509.Certificate, list[x509.Certificate]]:
        try:
            pem = self.fetch(url, self.fetch_timeout)
        except Exception:  # noqa: BLE001 - timeout, refused, non-200, too large, TLS: all the same to Alexa
            raise VerificationError("cert_fetch_failed") from None
        if not isinstance(pem, (bytes, bytearray)):
            raise VerificationError("cert_fetch_failed")
        try:
            certs = x509.load_pem_x509_certificates(bytes(pem))
        except ValueError:
            raise VerificationError("cert_chain_unreadable") from None
        leaf, intermediates = certs[0], certs[1:]
        # Only a chain that verifies is kept, so a bad fetch is never served from the cache.
        self._check_chain(leaf, intermediates, now)
        return leaf, intermediates

    def _check_chain(self, leaf: x509.Certificate, intermediates: list[x509.Certificate], now: datetime) -> None:
        """Valid at ``now``, up to a trusted root, and issued to echo-api.amazon.com (SAN, EKU serverAuth)."""
        verifier = xv.PolicyBuilder().store(self._store).time(now).build_server_verifier(x509.DNSName(SIGNING_NAME))
        try:
            verifier.verify(leaf, intermediates)
        except xv.VerificationError:
            raise VerificationError("cert_chain_invalid") from None
        except (ValueError, TypeError):
            raise VerificationError("cert_chain_invalid") from None
        try:
            names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
                x509.DNSName)
        except x509.ExtensionNotFound:
            names = []
        if SIGNING_NAME not in (n.lower() for n in names):  # the name itself, not a wildcard that covers it
            raise VerificationError("cert_san")
        for cert in (leaf, *intermediates):
            key = cert.public_key()
            if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
                raise VerificationError("cert_key_too_small")

    @staticmethod
    def _check_signature(leaf: x509.Certificate, signature: bytes, body: bytes) -> None:
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise VerificationError("cert_key_not_rsa")
        try:
            key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise VerificationError("signature_mismatch") from None
