""":class:`V1rClient`: reads and changes a gateway's settings over TEDAPI v1r.

It signs each message with the paired key on its injected clock (messages expire 12 s after
signing), posts it through :class:`~optimiser.gateway.GatewayApi` (same TLS trust, timeouts,
429 cool-down and error translation as every other gateway call), and reads the answer.

A settings change is a read-modify-write of the whole config.json, locked on the hash of the
read. If the gateway rejects the write and a re-read shows a new hash, someone changed a
setting meanwhile (the app, a schedule): the change is made again on the fresh document and
written once more; a second conflict raises :class:`ConfigChanged`. Nothing is ever written
without a lock, so another party's change is never overwritten blindly.
"""

from __future__ import annotations

import logging

from optimiser.domain.clock import Clock, RealClock
from optimiser.gateway.api import GatewayApi
from optimiser.gateway.errors import ConfigChanged, ProtocolError
from optimiser.gateway.v1r import frames
from optimiser.gateway.v1r.config_file import (
    ConfigFile,
    ConfigSettings,
    SettingsChange,
    apply_change,
    decode,
    encode,
    parse_settings,
)
from optimiser.gateway.v1r.keys import V1rKey
from optimiser.gateway.v1r.messages import MessageEnvelope
from optimiser.gateway.v1r.signing import expires_at

log = logging.getLogger(__name__)


class V1rClient:
    """Signed local access to one gateway.

    Parameters
    ----------
    api : GatewayApi
        The gateway's endpoint layer (customer login, for ``GET /tedapi/din``).
    key : V1rKey
        The key registered with ``wattplan pair``.
    clock : Clock
        Signs messages at this clock's now; it must agree with the gateway's within 12 s.
    din : str, optional
        The gateway's DIN, if known; else read once from ``GET /tedapi/din``.
    """

    def __init__(
        self,
        api: GatewayApi,
        key: V1rKey,
        *,
        clock: Clock | None = None,
        din: str | None = None,
    ) -> None:
        self.api = api
        self.key = key
        self.clock: Clock = clock or RealClock()
        self._din = din
        self.writes = 0
        self.conflicts = 0

    @property
    def din(self) -> str:
        """The gateway's DIN (read once)."""
        if self._din is None:
            self._din = self.api.get_tedapi_din()
        return self._din

    def send(self, inner: MessageEnvelope) -> MessageEnvelope:
        """Sign ``inner``, post it, and return the answering envelope (refusals raise)."""
        now = self.clock.now()
        expiry = expires_at(now)
        frame = frames.sign_frame(self.key, self.din, inner, expiry)
        raw = self.api.post_tedapi_v1r(frame)
        return frames.read_answer(raw, expires_at=expiry, sent_at=now)

    def read_config(self) -> ConfigFile:
        """config.json and its hash."""
        answer = self.send(frames.read_config_request(self.din))
        kind = answer.filestore.WhichOneof("message") if answer.HasField("filestore") else None
        if kind != "readFileResponse":
            raise ProtocolError(
                f"v1r read of config.json: expected filestore.readFileResponse, got "
                f"{_describe(answer)}",
                endpoint=frames.ENDPOINT,
            )
        response = answer.filestore.readFileResponse
        return ConfigFile(decode(response.file.blob), bytes(response.hash))

    def settings(self) -> ConfigSettings:
        """The steered settings as config.json holds them now."""
        return self.read_config().settings

    def change(self, change: SettingsChange) -> ConfigSettings:
        """Make ``change`` (read-modify-write, one retry on a stale hash); the settings the
        gateway then holds. Writes nothing if they already say so."""
        current = self.read_config()
        for attempt in (1, 2):
            if change.is_done_in(current.settings):
                return current.settings
            updated = apply_change(current.document, change)
            rejection = self._write(updated, current.hash)
            if rejection is None:
                return parse_settings(updated)
            fresh = self.read_config()
            if fresh.hash == current.hash:
                raise ProtocolError(
                    f"v1r write of config.json: the gateway rejected it ({rejection}) although "
                    "the file had not changed",
                    endpoint=frames.ENDPOINT,
                )
            self.conflicts += 1
            log.info("config.json changed under a v1r write (attempt %d); re-read", attempt)
            current = fresh
        raise ConfigChanged(
            "config.json changed on the gateway between wattplan's read and write, twice in a "
            "row (someone is changing settings in the app?); nothing overwritten",
            hint="wattplan tries again at its next step",
        )

    def _write(self, document: dict, hash_: bytes) -> str | None:
        """Post one locked write; None when accepted, else the gateway's reason."""
        answer = self.send(frames.update_config_request(self.din, encode(document), hash_))
        self.writes += 1
        if answer.HasField("filestore") and (
            answer.filestore.WhichOneof("message") == "updateFileResponse"
        ):
            return None
        if answer.HasField("common") and answer.common.HasField("error_response"):
            status = answer.common.error_response.status
            return f"code {status.code}: {status.message or 'no message'}"
        raise ProtocolError(
            f"v1r write of config.json: expected filestore.updateFileResponse or an error, "
            f"got {_describe(answer)}",
            endpoint=frames.ENDPOINT,
        )


def _describe(answer: MessageEnvelope) -> str:
    payload = answer.WhichOneof("payload")
    if payload == "filestore":
        return f"filestore.{answer.filestore.WhichOneof('message')}"
    if payload == "common" and answer.common.HasField("error_response"):
        status = answer.common.error_response.status
        return f"an error (code {status.code}: {status.message})"
    return str(payload)
