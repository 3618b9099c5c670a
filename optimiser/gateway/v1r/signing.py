"""What a v1r message signs, and how (DOMAIN.md §2): pure functions, no I/O.

The signed bytes are a short tag-length-value header binding the signature to the RSA scheme,
the energy-device domain, the gateway's DIN and an expiry, then the inner envelope::

    00 01 07 | 01 01 07 | 02 <len> DIN | 04 04 <expires_at, big-endian u32> | FF | envelope

signed with RSASSA-PKCS1-v1_5 over SHA-512. The gateway refuses a message after
``expires_at`` (Unix seconds); clients sign with ``ceil(now) + 12``.
"""

from __future__ import annotations

import math
import struct
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGNATURE_TYPE_RSA = 7
DOMAIN_ENERGY_DEVICE = 7
MESSAGE_LIFETIME_S = 12
_TAG_SIGNATURE_TYPE, _TAG_DOMAIN, _TAG_PERSONALIZATION, _TAG_EXPIRES_AT, _TAG_END = 0, 1, 2, 4, 255


def _tlv(tag: int, value: bytes) -> bytes:
    if len(value) > 255:
        raise ValueError(f"a TLV value holds at most 255 bytes, got {len(value)}")
    return bytes((tag, len(value))) + value


def signed_bytes(din: str, expires_at: int, envelope: bytes) -> bytes:
    """The exact bytes a v1r signature covers, for the gateway ``din``."""
    return b"".join(
        (
            _tlv(_TAG_SIGNATURE_TYPE, bytes((SIGNATURE_TYPE_RSA,))),
            _tlv(_TAG_DOMAIN, bytes((DOMAIN_ENERGY_DEVICE,))),
            _tlv(_TAG_PERSONALIZATION, din.encode()),
            _tlv(_TAG_EXPIRES_AT, struct.pack(">I", expires_at)),
            bytes((_TAG_END,)),
            envelope,
        )
    )


def expires_at(now: datetime, lifetime_s: int = MESSAGE_LIFETIME_S) -> int:
    """``ceil(now) + lifetime_s`` as Unix seconds: when a message signed now expires."""
    return math.ceil(now.timestamp()) + lifetime_s


def sign(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 with SHA-512 over ``data``."""
    return key.sign(data, padding.PKCS1v15(), hashes.SHA512())


def verifies(public_key: rsa.RSAPublicKey, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s PKCS#1 v1.5 / SHA-512 signature of ``data``."""
    try:
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA512())
    except InvalidSignature:
        return False
    return True
