"""``POST /tedapi/v1r``: the gateway's signed local protocol over an :class:`EmulatedSite`.

No sockets here (:mod:`simulations.emulator.https_server` does the I/O). A message is checked
as the gateway does (DOMAIN.md §2), in this order: it parses; it is for the energy-device
domain; its key is registered and not removed (else ``UNKNOWN_KEY_ID``); its RSA PKCS#1 v1.5
/ SHA-512 signature verifies over exactly the signed bytes for this gateway's DIN (else
``INVALID_SIGNATURE``); it has not expired on the site's clock, nor asks to live longer than
``max_lifetime_s`` (``TIME_EXPIRED``, ``TIME_TO_LIVE_TOO_LONG``); a key still pending (or
timed out) gets HTTP 200, no fault, and the text "v1r: client authorization not verified" where
the answering envelope would be (as pypowerwall reports real gateways do); the inner
envelope is addressed to this DIN (else ``WRONG_PERSONALIZATION``). Faults are answered as a
RoutableMessage with ``signed_message_status``, HTTP 200.

config.json is the site's settings (reserve on the raw scale) over the last document written,
so keys a client does not know survive a write; its hash is the SHA-256 of its bytes, so any
change (v1r, the Fleet API, the legacy local API) makes an old hash stale. A write whose hash
is stale is refused with ``common.error_response`` code 9 (the real gateway's code for this
is not documented; clients should not depend on it). With :attr:`V1rEndpoint.store_only` set,
a write is stored (reads show it) but the Powerwall keeps acting on the old settings until
:meth:`V1rEndpoint.open_app`, as one firmware did until the owner opened the Tesla app.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from optimiser.domain.device import Settings
from optimiser.gateway.errors import ProtocolError
from optimiser.gateway.v1r.config_file import CONFIG_JSON, decode, encode, parse_settings
from optimiser.gateway.v1r.keys import public_key_from_der
from optimiser.gateway.v1r.messages import (
    DecodeError,
    Domain,
    FileStoreDomain,
    MessageEnvelope,
    MessageFault,
    RoutableMessage,
)
from optimiser.gateway.v1r.pairing import KeyState
from optimiser.gateway.v1r.signing import signed_bytes, verifies
from simulations.emulator.authorized_clients import AuthorizedClients
from simulations.emulator.site import EmulatedSite

NOT_VERIFIED = b"v1r: client authorization not verified"
STALE_HASH_CODE = 9
UNSUPPORTED_CODE = 12
BAD_FILE_CODE = 3


@dataclass(frozen=True, slots=True)
class V1rReply:
    """One answer: HTTP status, body bytes, content type."""

    status: int
    body: bytes
    content_type: str = "application/octet-stream"


class V1rEndpoint:
    """The v1r protocol of one gateway; thread-safe.

    Parameters
    ----------
    site : EmulatedSite
        The house whose settings config.json holds and whose clock judges expiry.
    clients : AuthorizedClients
        Registered keys and their states (shared with the Fleet emulator).
    din : str
        The gateway's DIN: signatures are personalised to it.
    max_lifetime_s : float
        Messages expiring further ahead than this are refused (``TIME_TO_LIVE_TOO_LONG``). [s]
    """

    def __init__(
        self,
        site: EmulatedSite,
        clients: AuthorizedClients,
        din: str,
        *,
        max_lifetime_s: float = 60.0,
    ) -> None:
        self.site = site
        self.clients = clients
        self.din = din
        self.max_lifetime_s = max_lifetime_s
        self.store_only = False
        self.refusals: Counter[str] = Counter()
        self.reads = 0
        self.writes = 0
        self._lock = threading.Lock()
        self._stored: Settings | None = None
        self._app_edits: list[Callable[[Settings], Settings]] = []
        self._base: dict[str, Any] = {
            "vin": din,
            "site_info": {"site_name": "wattplan demo home", "timezone": "Europe/London"},
            "battery_blocks": [{"vin": f"TG1221000000{i + 1:02d}"} for i in range(site.spec.units)],
        }

    # -- what tests look at ------------------------------------------------------------------

    @property
    def stored_settings(self) -> Settings | None:
        """Settings written but not acted on (store-only fault), if any."""
        with self._lock:
            return self._stored

    def open_app(self) -> None:
        """The owner opens the Tesla app: a stored write takes effect now."""
        with self._lock:
            stored, self._stored = self._stored, None
        if stored is not None:
            self.site.apply(stored)

    def edit_after_reads(self, edit: Callable[[Settings], Settings], reads: int = 1) -> None:
        """After each of the next ``reads`` config reads, the owner changes a setting in the
        app (``edit`` of the settings in force): the reader's hash goes stale."""
        with self._lock:
            self._app_edits.extend([edit] * reads)

    def config(self) -> tuple[dict[str, Any], bytes]:
        """config.json as a read would answer now, and its hash."""
        with self.site.lock, self._lock:
            document = self._document()
        return document, hashlib.sha256(encode(document)).digest()

    # -- the protocol ------------------------------------------------------------------------

    def handle(self, body: bytes) -> V1rReply:
        """Answer one POST to ``/tedapi/v1r``."""
        frame = RoutableMessage()
        try:
            frame.ParseFromString(body)
        except DecodeError:
            return self._fault(frame, MessageFault.DECODING)
        if frame.to_destination.domain != Domain.ENERGY_DEVICE:
            return self._fault(frame, MessageFault.INVALID_DOMAINS)
        signer = bytes(frame.signature_data.signer_identity.public_key)
        state = self.clients.state(signer)
        if state is None or state is KeyState.REMOVED:
            return self._fault(frame, MessageFault.UNKNOWN_KEY_ID)
        rsa = frame.signature_data.rsa_data
        signed = signed_bytes(self.din, rsa.expires_at, frame.protobuf_message_as_bytes)
        if not frame.signature_data.HasField("rsa_data") or not verifies(
            public_key_from_der(signer), rsa.signature, signed
        ):
            return self._fault(frame, MessageFault.INVALID_SIGNATURE)
        now = self.site.clock.now().timestamp()
        if now > rsa.expires_at:
            return self._fault(frame, MessageFault.TIME_EXPIRED)
        if rsa.expires_at - now > self.max_lifetime_s:
            return self._fault(frame, MessageFault.TIME_TO_LIVE_TOO_LONG)
        if state is not KeyState.VERIFIED:
            self._count("not verified")
            frame = self._frame(frame)
            frame.protobuf_message_as_bytes = NOT_VERIFIED
            return V1rReply(200, frame.SerializeToString())
        inner = MessageEnvelope()
        try:
            inner.ParseFromString(frame.protobuf_message_as_bytes)
        except DecodeError:
            return self._fault(frame, MessageFault.DECODING)
        if inner.recipient.din != self.din:
            return self._fault(frame, MessageFault.WRONG_PERSONALIZATION)
        return self._answer(frame, inner, self._dispatch(inner))

    def _dispatch(self, inner: MessageEnvelope) -> MessageEnvelope:
        answer = MessageEnvelope()
        kind = inner.filestore.WhichOneof("message") if inner.HasField("filestore") else None
        if kind == "readFileRequest":
            request = inner.filestore.readFileRequest
            if not _is_config(request.domain, request.name):
                return _error(answer, BAD_FILE_CODE, f"no file {request.name!r} in that domain")
            document, hash_ = self.config()
            with self._lock:
                self.reads += 1
            response = answer.filestore.readFileResponse
            response.file.name = CONFIG_JSON
            response.file.blob = encode(document)
            response.hash = hash_
            self._app_edit()
            return answer
        if kind == "updateFileRequest":
            return self._update(inner.filestore.updateFileRequest, answer)
        return _error(answer, UNSUPPORTED_CODE, f"{inner.WhichOneof('payload')} not supported")

    def _update(self, request: Any, answer: MessageEnvelope) -> MessageEnvelope:
        if not _is_config(request.domain, request.file.name):
            return _error(answer, BAD_FILE_CODE, f"no file {request.file.name!r} in that domain")
        try:
            document = decode(request.file.blob)
            wanted = parse_settings(document)
        except ProtocolError as exc:
            return _error(answer, BAD_FILE_CODE, str(exc))
        with self.site.lock, self._lock:
            current = self._document()
            if bytes(request.hash) != hashlib.sha256(encode(current)).digest():
                self.refusals["stale hash"] += 1
                return _error(answer, STALE_HASH_CODE, "hash mismatch: config.json has changed")
            settings = replace(
                self._stored or self.site.settings,
                mode=wanted.mode,
                backup_reserve_app_percent=wanted.backup_reserve_app_percent,
                grid_charging=wanted.grid_charging,
                export_rule=wanted.export_rule,
            )
            self._base = document
            self.writes += 1
            if self.store_only:
                self._stored = settings
            else:
                self._stored = None
                self.site.apply(settings)
            blob = encode(self._document())
        response = answer.filestore.updateFileResponse
        response.file.name = CONFIG_JSON
        response.hash = hashlib.sha256(blob).digest()
        return answer

    def _app_edit(self) -> None:
        with self._lock:
            edit = self._app_edits.pop(0) if self._app_edits else None
        if edit is not None:
            with self.site.lock:
                self.site.apply(edit(self.site.settings))

    def _document(self) -> dict[str, Any]:
        """config.json now: the last document written, with the settings in force (or
        stored). Call with the lock held."""
        settings = self._stored or self.site.settings
        document = dict(self._base)
        site_info = dict(document.get("site_info") or {})
        document["default_real_mode"] = settings.mode.value
        site_info["backup_reserve_percent"] = settings.backup_reserve_raw_percent
        site_info["disallow_charge_from_grid_with_solar_installed"] = not settings.grid_charging
        site_info["customer_preferred_export_rule"] = settings.export_rule.value
        document["site_info"] = site_info
        return document

    # -- framing -----------------------------------------------------------------------------

    def _fault(self, request: RoutableMessage, fault: MessageFault) -> V1rReply:
        self._count(fault.name)
        frame = self._frame(request)
        frame.signed_message_status.message_fault = fault
        return V1rReply(200, frame.SerializeToString())

    def _answer(
        self, request: RoutableMessage, inner: MessageEnvelope, answer: MessageEnvelope
    ) -> V1rReply:
        answer.deliveryChannel = inner.deliveryChannel
        answer.sender.din = self.din
        answer.recipient.authorizedClient = inner.sender.authorizedClient
        frame = self._frame(request)
        frame.protobuf_message_as_bytes = answer.SerializeToString()
        return V1rReply(200, frame.SerializeToString())

    @staticmethod
    def _frame(request: RoutableMessage) -> RoutableMessage:
        frame = RoutableMessage()
        frame.from_destination.domain = Domain.ENERGY_DEVICE
        frame.request_uuid = request.uuid
        frame.uuid = str(uuid.uuid4()).encode()
        return frame

    def _count(self, what: str) -> None:
        with self._lock:
            self.refusals[what] += 1


def _is_config(domain: int, name: str) -> bool:
    return domain == FileStoreDomain.CONFIG_JSON and name == CONFIG_JSON


def _error(answer: MessageEnvelope, code: int, message: str) -> MessageEnvelope:
    status = answer.common.error_response.status
    status.code = code
    status.message = message
    return answer
