"""The lease of a forced state, persisted in the state directory (the I/O edge of safety).

``<state_dir>/lease.json`` holds the forced settings wattplan last applied and when they lapse,
so the next ``wattplan plan --apply`` or the ``run`` service (even after a crash or a reboot)
can see that a forced charge or export is still in place and revert it once it has expired.
The file is written atomically; a damaged file is treated as an expired lease (revert).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from optimiser.control.backends.base import ApplyReport
from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import differences
from optimiser.control.policy import ControlPolicy
from optimiser.control.safety import Lease, is_forced
from optimiser.control.settings_json import settings_from_json, settings_to_json
from optimiser.domain.device import Settings

log = logging.getLogger(__name__)

LEASE_FILE = "lease.json"


def lease_path(state_dir: Path) -> Path:
    """Where the lease lives in ``state_dir``."""
    return Path(state_dir) / LEASE_FILE


def save_lease(state_dir: Path, lease: Lease | None) -> None:
    """Write ``lease`` (None removes the file: nothing forced is in place)."""
    path = lease_path(state_dir)
    if lease is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "settings": settings_to_json(lease.settings),
        "granted_at": lease.granted_at.isoformat(),
        "expires_at": lease.expires_at.isoformat(),
        "reason": lease.reason,
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".lease-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
    os.replace(tmp, path)


def load_lease(state_dir: Path) -> Lease | None:
    """The persisted lease, or None when nothing forced is recorded.

    A file that cannot be read is returned as a lease that has already expired, so the caller
    reverts to safe settings rather than trusting a forced state it cannot see.
    """
    path = lease_path(state_dir)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Lease(
            settings_from_json(data["settings"]),
            datetime.fromisoformat(data["granted_at"]),
            datetime.fromisoformat(data["expires_at"]),
            str(data.get("reason", "")),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("lease file %s is unreadable (%s): treating it as expired", path, exc)
        epoch = datetime.fromtimestamp(0, UTC)
        return Lease(Settings(), epoch, epoch, f"unreadable lease file: {exc}")


def settle_lease(
    state_dir: Path,
    lease: Lease | None,
    target: Settings,
    report: ApplyReport,
    capabilities: Capabilities,
    now: datetime,
    policy: ControlPolicy,
) -> None:
    """Keep the lease file true after an ``apply`` that sent ``target``.

    A forced target keeps the lease written before sending (even if part of it failed: the
    device may be half forced, and the lease makes the next run revert it). A safe target
    removes the lease only when the read-back confirms it; otherwise the old lease stays, and
    if there is none while the device still reads as forced (or cannot be read), an already
    lapsed one is written so the next run reverts.
    """
    if lease is not None:
        return
    after = report.after
    confirmed = (
        after is not None and not report.errors and not differences(after, target, capabilities)[0]
    )
    if confirmed:
        save_lease(state_dir, None)
        return
    if load_lease(state_dir) is not None:
        return
    if after is None or is_forced(after, policy):
        held = after if after is not None else (report.before or target)
        save_lease(state_dir, Lease(held, now, now, reason="revert to safe settings unconfirmed"))
