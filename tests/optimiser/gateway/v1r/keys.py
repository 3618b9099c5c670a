"""Test keys: RSA-1024 for speed (the gateway wants 4096; the protocol does not care)."""

from __future__ import annotations

from functools import cache

from optimiser.gateway.v1r import V1rKey

TEST_KEY_BITS = 1024


@cache
def key_named(name: str = "paired") -> V1rKey:
    """One key per name, made once per test process."""
    del name
    return V1rKey.generate(TEST_KEY_BITS)
