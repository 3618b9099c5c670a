"""A fresh self-signed EC P-256 certificate for each emulator start, as a gateway has."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SERVER_NAMES = ("teg", "powerwall", "powerpack")


@dataclass(frozen=True)
class Certificate:
    """PEM certificate and key, and the certificate's SHA-256 fingerprint (hex, lower case)."""

    cert_pem: bytes
    key_pem: bytes
    fingerprint_sha256: str


def make_certificate(extra_ips: tuple[str, ...] = ()) -> Certificate:
    """A self-signed certificate for 127.0.0.1, ``teg``, ``powerwall`` and ``powerpack``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "teg")])
    now = datetime.now(UTC)  # wall time, not the site's: clients check validity against it
    ips = {"127.0.0.1", *extra_ips}
    san = [x509.DNSName(n) for n in SERVER_NAMES] + [
        x509.IPAddress(ipaddress.ip_address(ip)) for ip in sorted(ips)
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return Certificate(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        fingerprint_sha256=hashlib.sha256(der).hexdigest(),
    )
