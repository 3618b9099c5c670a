"""The Octopus API key and the saved account, in the state directory.

- ``octopus-api-key``: the key alone, mode 0600, written atomically. A key file others can read
  is refused (as ssh does), so a copied state directory does not leak it silently.
- ``octopus-account.json``: the account as last read (:func:`tariffs.account.saved_payload`:
  meter points and agreements, no address, no key) and when, so planning follows the
  agreements offline and re-reads the account at most once a day.

:class:`ApiKey` never shows its value in ``repr``, ``str`` or messages; only
:meth:`ApiKey.reveal` gives it, to the HTTP client's basic auth.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tariffs.account import Account, parse_account, saved_payload
from tariffs.errors import NotLoggedIn, OctopusAuthError, OctopusProtocolError

KEY_FILE = "octopus-api-key"
ACCOUNT_FILE = "octopus-account.json"
_LOGIN_HINT = "run `wattplan octopus login`"


class ApiKey:
    """An Octopus API key that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        clean = value.strip()
        if not clean:
            raise OctopusAuthError("expected an Octopus API key, got nothing", hint=_LOGIN_HINT)
        if any(c.isspace() or not c.isprintable() for c in clean) or len(clean) > 256:
            raise OctopusAuthError(
                "expected an Octopus API key (one word, like sk_live_…), got text with spaces, "
                "control characters or over 256 characters",
                hint="copy the key from the Octopus dashboard: Personal details → API access",
            )
        self._value = clean

    def reveal(self) -> str:
        """The key itself, for the Authorization header only."""
        return self._value

    def __repr__(self) -> str:
        return "ApiKey('********')"

    __str__ = __repr__


@dataclass(frozen=True)
class SavedAccount:
    """The account as last read from Octopus, and when (UTC)."""

    account: Account
    fetched_at: datetime
    path: Path


def key_path(state_dir: Path) -> Path:
    """Where the key lives."""
    return state_dir / KEY_FILE


def save_api_key(state_dir: Path, key: ApiKey) -> Path:
    """Write the key with mode 0600 (never readable by others, not even for a moment)."""
    path = key_path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / f".{KEY_FILE}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (key.reveal() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def load_api_key(state_dir: Path) -> ApiKey | None:
    """The stored key, None when there is none; a key file others can read is refused."""
    path = key_path(state_dir)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise OctopusAuthError(
            f"{path} is readable by others (mode {stat.S_IMODE(mode):o}); expected 600",
            hint=f"chmod 600 {path}, and get a new key if others could have read it",
        )
    try:
        return ApiKey(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OctopusAuthError(f"cannot read {path}: {exc.strerror}", hint=_LOGIN_HINT) from exc


def save_account(state_dir: Path, payload: Any, fetched_at: datetime) -> Path:
    """Save what planning needs of an account payload :func:`parse_account` accepted."""
    path = state_dir / ACCOUNT_FILE
    state_dir.mkdir(parents=True, exist_ok=True)
    doc = {"fetched_at": fetched_at.isoformat(), "account": saved_payload(payload)}
    tmp = state_dir / f".{ACCOUNT_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_account(state_dir: Path) -> SavedAccount | None:
    """The saved account, None when there is none."""
    path = state_dir / ACCOUNT_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise NotLoggedIn(
            f"{path}: cannot read the saved account: {exc}", hint=_LOGIN_HINT
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("fetched_at"), str):
        raise OctopusProtocolError(f"{path}: expected fields 'fetched_at' and 'account'")
    try:
        fetched = datetime.fromisoformat(doc["fetched_at"])
    except ValueError as exc:
        raise OctopusProtocolError(f"{path}: 'fetched_at' should be an ISO time") from exc
    return SavedAccount(parse_account(doc.get("account"), str(path)), fetched, path)


def forget(state_dir: Path) -> list[Path]:
    """Delete the key and the saved account; the paths removed."""
    removed = []
    for path in (key_path(state_dir), state_dir / ACCOUNT_FILE):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
