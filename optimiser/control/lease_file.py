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
from typing import Any

from optimiser.control.safety import Lease
from optimiser.control.translate import DeviceSettings
from optimiser.domain.device import ExportRule, OperationMode

log = logging.getLogger(__name__)

LEASE_FILE = "lease.json"


def lease_path(state_dir: Path) -> Path:
    """Where the lease lives in ``state_dir``."""
    return Path(state_dir) / LEASE_FILE


def settings_to_json(settings: DeviceSettings) -> dict[str, Any]:
    """JSON form of :class:`DeviceSettings` (the tariff is summarised, not copied)."""
    return {
        "mode": settings.mode.value,
        "backup_reserve_app_percent": settings.backup_reserve_app_percent,
        "grid_charging": settings.grid_charging,
        "export_rule": settings.export_rule.value,
        "tariff_uploaded": settings.tariff_content is not None,
        "notes": list(settings.notes),
    }


def settings_from_json(data: dict[str, Any]) -> DeviceSettings:
    """Inverse of :func:`settings_to_json` (without the tariff content)."""
    return DeviceSettings(
        OperationMode(data["mode"]),
        float(data["backup_reserve_app_percent"]),
        grid_charging=bool(data["grid_charging"]),
        export_rule=ExportRule(data["export_rule"]),
    )


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
        return Lease(DeviceSettings(), epoch, epoch, f"unreadable lease file: {exc}")
