"""The v1r key: an RSA private key kept in a PEM file only its owner can read.

:class:`V1rKey` never shows the private key: not in ``repr``, ``str``, logs or errors. What
may be shown is its public half's SHA-256 fingerprint (what ``wattplan pair`` prints, and
what the Fleet API lists).
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from optimiser.gateway.errors import KeyFileError
from optimiser.gateway.v1r.signing import sign

KEY_BITS = 4096


class V1rKey:
    """An RSA private key that signs v1r messages."""

    __slots__ = ("_private",)

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self._private = private_key

    @classmethod
    def generate(cls, bits: int = KEY_BITS) -> V1rKey:
        """A fresh key of ``bits`` (the gateway expects 4096; tests use less for speed)."""
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=bits))

    @classmethod
    def load(cls, path: Path) -> V1rKey:
        """Read a PEM private key; :class:`KeyFileError` naming the file if it is missing,
        readable by group or others, or not an unencrypted RSA key."""
        path = path.expanduser()
        try:
            mode = path.stat().st_mode
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise KeyFileError(
                f"no v1r key file at {path}", hint="run `wattplan pair` to create and register one"
            ) from exc
        except OSError as exc:
            raise KeyFileError(f"cannot read the v1r key file {path}: {exc.strerror}") from exc
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(
                f"the v1r key file {path} is open to group or others "
                f"(mode {stat.S_IMODE(mode):04o}, expected 0600)",
                hint=f"chmod 600 {path}",
            )
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyFileError(
                f"the v1r key file {path}: expected an unencrypted PEM private key, "
                "got something else"
            ) from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise KeyFileError(
                f"the v1r key file {path}: expected an RSA key, got {type(key).__name__}"
            )
        return cls(key)

    def save(self, path: Path) -> None:
        """Write the key as PEM to ``path``, created 0600 (atomically: never a moment when
        another user could read it); refuses to overwrite an existing file."""
        path = path.expanduser()
        if path.exists():
            raise KeyFileError(
                f"{path} already exists; refusing to overwrite a key",
                hint="move it away first, or use it as it is",
            )
        pem = self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".v1r-key-")  # created 0600
        except OSError as exc:
            raise KeyFileError(f"cannot write the v1r key to {path}: {exc.strerror}") from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            os.chmod(tmp, 0o600)
            os.link(tmp, path)  # fails if path appeared meanwhile; never overwrites
        except OSError as exc:
            raise KeyFileError(f"cannot write the v1r key to {path}: {exc.strerror}") from exc
        finally:
            Path(tmp).unlink(missing_ok=True)

    @property
    def public_der(self) -> bytes:
        """The public key as PKCS#1 DER: what the gateway and the Fleet API know it by."""
        return self._private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.PKCS1
        )

    @property
    def fingerprint(self) -> str:
        """SHA-256 of :attr:`public_der`, hex."""
        return hashlib.sha256(self.public_der).hexdigest()

    @property
    def bits(self) -> int:
        return self._private.key_size

    def sign(self, data: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 / SHA-512 signature of ``data``."""
        return sign(self._private, data)

    def __repr__(self) -> str:
        return f"V1rKey(RSA-{self.bits}, sha256:{self.fingerprint[:16]}…)"

    __str__ = __repr__

    def __reduce__(self) -> object:
        raise TypeError("a V1rKey is not picklable (it holds a private key)")


def public_key_from_der(der: bytes) -> rsa.RSAPublicKey:
    """An RSA public key from PKCS#1 DER; ``ValueError`` if ``der`` is not one."""
    key = serialization.load_der_public_key(der)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"expected an RSA public key, got {type(key).__name__}")
    return key
