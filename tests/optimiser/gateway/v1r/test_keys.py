"""The v1r key file: created 0600, never overwritten, refused when open to others."""

from __future__ import annotations

import stat

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from optimiser.gateway.errors import KeyFileError
from optimiser.gateway.v1r import V1rKey
from tests.optimiser.gateway.v1r.keys import key_named


def test_saved_key_is_0600_and_loads_back_to_the_same_public_key(tmp_path):
    path = tmp_path / "sub" / "v1r.pem"
    key_named().save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert V1rKey.load(path).public_der == key_named().public_der
    assert [p.name for p in path.parent.iterdir()] == ["v1r.pem"]  # no temp file left


def test_save_never_overwrites(tmp_path):
    path = tmp_path / "v1r.pem"
    path.write_text("precious")
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        key_named().save(path)
    assert path.read_text() == "precious"


def test_load_refuses_a_key_open_to_others_and_names_the_fix(tmp_path):
    path = tmp_path / "v1r.pem"
    key_named().save(path)
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="0644, expected 0600") as caught:
        V1rKey.load(path)
    assert caught.value.hint == f"chmod 600 {path}"


def test_load_says_what_is_wrong(tmp_path):
    with pytest.raises(KeyFileError, match="no v1r key file") as caught:
        V1rKey.load(tmp_path / "missing.pem")
    assert "wattplan pair" in caught.value.hint
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    junk.chmod(0o600)
    with pytest.raises(KeyFileError, match="expected an unencrypted PEM private key"):
        V1rKey.load(junk)


def test_a_non_rsa_key_is_refused(tmp_path):
    from cryptography.hazmat.primitives import serialization

    path = tmp_path / "ec.pem"
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="expected an RSA key"):
        V1rKey.load(path)


def test_repr_shows_the_fingerprint_only_and_the_key_does_not_pickle():
    import pickle

    key = key_named()
    assert repr(key) == f"V1rKey(RSA-1024, sha256:{key.fingerprint[:16]}…)"
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(key)
