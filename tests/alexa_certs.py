"""Test PKI for Alexa request verification: a root CA, an intermediate and a signing certificate.

Shaped like Amazon's real chain (RSA 2048, SHA-256, SAN echo-api.amazon.com, EKU serverAuth,
KeyUsage digitalSignature) and strict enough for cryptography's web-PKI verifier. Keys are made
once per test session (RSA generation is the slow part); certificates are cheap and made per test.

    pki = make_pki(NOW)                       # trusted root + intermediate + signing cert
    headers = pki.headers(body)               # SignatureCertChainUrl + Signature-256
    Verifier(skill_id, trust_roots=[pki.root], fetch=pki.fetcher(), now=lambda: NOW)
"""
from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
SIGNING_NAME = "echo-api.amazon.com"


@functools.cache
def key(name: str) -> rsa.RSAPrivateKey:
    """One RSA key per name for the whole session ("root", "intermediate", "signing", ...): 2048 bits,
    or as many as a name ending in "-<bits>" says ("signing-1024")."""
    bits = name.rpartition("-")[2]
    return rsa.generate_private_key(public_exponent=65537, key_size=int(bits) if bits.isdigit() else 2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test PKI"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _serial() -> int:
    return x509.random_serial_number()


def make_ca(
    common_name: str,
    key_name: str,
    not_before: datetime,
    not_after: datetime,
    issuer: x509.Certificate | None = None,
    issuer_key: rsa.RSAPrivateKey | None = None,
) -> x509.Certificate:
    """A CA certificate: self-signed (a root) without ``issuer``, else an intermediate."""
    public = key(key_name).public_key()
    signer = issuer_key if issuer is not None else key(key_name)
    assert signer is not None
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.subject if issuer is not None else _name(common_name))
        .public_key(public)
        .serial_number(_serial())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), critical=False  # type: ignore[arg-type]
        )
    return builder.sign(signer, hashes.SHA256())


def make_signing_cert(
    issuer: x509.Certificate,
    issuer_key: rsa.RSAPrivateKey,
    not_before: datetime,
    not_after: datetime,
    san: str = SIGNING_NAME,
    key_name: str = "signing",
) -> x509.Certificate:
    """The end-entity certificate Alexa signs requests with."""
    public = key(key_name).public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(san))
        .issuer_name(issuer.subject)
        .public_key(public)
        .serial_number(_serial())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True, data_encipherment=False,
                key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), critical=False)  # type: ignore[arg-type]
        .sign(issuer_key, hashes.SHA256())
    )


def chain_pem(*certs: x509.Certificate) -> bytes:
    """PEM as Amazon serves it: the signing certificate first, then the intermediates."""
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def sign(body: bytes, private_key: rsa.RSAPrivateKey | None = None) -> str:
    """Signature-256: base64 of RSA PKCS#1 v1.5 SHA-256 over the raw body."""
    signer = private_key if private_key is not None else key("signing")
    return base64.b64encode(signer.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


@dataclass
class PKI:
    root: x509.Certificate
    intermediate: x509.Certificate
    signing: x509.Certificate
    signing_key: rsa.RSAPrivateKey
    url: str = CERT_URL
    fetched: list[str] = field(default_factory=list)  # URLs the fetcher was asked for

    def pem(self) -> bytes:
        return chain_pem(self.signing, self.intermediate)

    def headers(self, body: bytes, url: str | None = None) -> dict[str, str]:
        return {"signaturecertchainurl": url or self.url, "signature-256": sign(body, self.signing_key)}

    def fetcher(self, pems: dict[str, bytes] | None = None):
        """A stand-in for http_fetch: the real S3 URL can't be reached from an offline test run,
        so the (normalised) Amazon URL is mapped to this chain; every call is recorded."""
        table = pems if pems is not None else {self.url: self.pem()}

        def fetch(url: str, timeout: float) -> bytes:
            self.fetched.append(url)
            try:
                return table[url]
            except KeyError:
                raise OSError(f"no such test URL: {url}") from None

        return fetch


def make_pki(
    now: datetime,
    *,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    san: str = SIGNING_NAME,
    root_name: str = "Test Root CA",
    root_key: str = "root",
    signing_key: str = "signing",
) -> PKI:
    """A root, an intermediate and a signing certificate, valid around ``now`` unless told.

    ``valid_from``/``valid_until`` set the signing certificate's validity (expired,
    not-yet-valid); ``san`` its name; ``root_key="untrusted-root"`` makes a second, unrelated CA.
    """
    root = make_ca(root_name, root_key, now - timedelta(days=3650), now + timedelta(days=3650))
    inter = make_ca("Test Intermediate CA", "intermediate", now - timedelta(days=365), now + timedelta(days=1825),
                    issuer=root, issuer_key=key(root_key))
    signing = make_signing_cert(
        inter, key("intermediate"),
        valid_from if valid_from is not None else now - timedelta(days=30),
        valid_until if valid_until is not None else now + timedelta(days=60),
        san=san,
        key_name=signing_key,
    )
    return PKI(root=root, intermediate=inter, signing=signing, signing_key=key(signing_key))


def write_test_ca(folder: Path) -> PKI:
    """root.pem (to trust), chain.pem (what the cert URL serves) and key.pem (to sign with), for a
    server in another process (the load test)."""
    from cryptography.hazmat.primitives import serialization

    pki = make_pki(datetime.now(timezone.utc))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "root.pem").write_bytes(pki.root.public_bytes(serialization.Encoding.PEM))
    (folder / "chain.pem").write_bytes(pki.pem())
    (folder / "key.pem").write_bytes(
        pki.signing_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return pki
