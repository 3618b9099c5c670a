"""The paho-mqtt edge: one client, its network thread, the last will and reconnects.

:class:`MqttLink` connects in paho's own network thread (``connect_async`` + ``loop_start``),
so a broker that is down, slow or gone never blocks its caller: :meth:`MqttLink.publish`
returns at once, and what is published while disconnected is dropped (the publisher
re-publishes its retained topics on every connect). paho reconnects by itself with an
exponential back-off between ``mqtt.reconnect_min_s`` and ``reconnect_max_s``; the first
connection is retried the same way.

Availability: the last will is ``offline`` on the status topic (retained, QoS 1), set by the
broker when wattplan vanishes (within 1.5 × the keepalive); every connect publishes
``online``, a clean stop ``offline``. paho's exceptions never leave this module: they are
logged, or raised as :class:`MqttSetupError` when the configuration cannot work (a CA or
certificate file that cannot be read).
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from optimiser.config import ConfigError, MqttConfig
from optimiser.domain.errors import ErrorKind, NextStep, WattplanError

log = logging.getLogger("wattplan.mqtt")

ONLINE = b"online"
OFFLINE = b"offline"
STOP_FLUSH_S = 2.0
"""How long a clean stop waits for ``offline`` to leave. [s]"""


class MqttSetupError(ConfigError):
    """The MQTT settings cannot work as they stand (a TLS file cannot be read)."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


Handler = Callable[[str, bytes, bool], None]
"""Called with (topic, payload, retained) for every message received."""


@dataclass(frozen=True)
class LinkStatus:
    """The broker connection as it stands (the dashboard's Health page shows it).

    Attributes
    ----------
    broker : str
        ``host:port``.
    connected : bool
        A session is up now.
    connects : int
        Sessions made since start (more than one: it reconnected).
    refused : str or None
        Why the broker last refused wattplan, if it did.
    """

    broker: str
    connected: bool
    connects: int
    refused: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "broker": self.broker,
            "connected": self.connected,
            "connects": self.connects,
            "refused": self.refused,
        }


class MqttLink:
    """One broker connection in paho's network thread.

    Parameters
    ----------
    config : MqttConfig
        Broker, credentials, TLS, keepalive, back-off.
    status_topic : str or None
        Where ``online`` / ``offline`` go (the last will); None: no will and no status (a
        probe).
    subscriptions : sequence of str
        Subscribed (QoS 1) on every connect.
    on_connect : callable
        Called (in paho's thread, so it must return at once) after every connect.
    on_message : Handler
        Called (in paho's thread) for every message received.
    client_id : str, optional
        Default ``mqtt.client_id``, else ``wattplan-<site_id>``.
    """

    def __init__(
        self,
        config: MqttConfig,
        *,
        status_topic: str | None,
        subscriptions: Sequence[str] = (),
        on_connect: Callable[[], None] = lambda: None,
        on_message: Handler = lambda topic, payload, retained: None,
        client_id: str | None = None,
    ) -> None:
        self.config = config
        self.status_topic = status_topic
        self.subscriptions = tuple(subscriptions)
        self._on_connect = on_connect
        self._on_message = on_message
        self._connected = threading.Event()
        self._attempted = threading.Event()
        self._stopping = False
        self._last_acked: paho.MQTTMessageInfo | None = None
        self.connects = 0
        self.refused: ReasonCode | None = None
        protocol = (
            MQTTProtocolVersion.MQTTv5 if config.protocol == "5" else MQTTProtocolVersion.MQTTv311
        )
        client_id = client_id or config.client_id or f"wattplan-{config.site_id}"
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol
        )
        if status_topic is not None:
            self._client.will_set(status_topic, OFFLINE, qos=1, retain=True)
        if config.username is not None:
            password = config.password()
            self._client.username_pw_set(
                config.username, password.get_secret_value() if password is not None else None
            )
        if config.uses_tls:
            self._set_tls()
        self._client.reconnect_delay_set(
            max(1, round(config.reconnect_min_s)), max(1, round(config.reconnect_max_s))
        )
        self._client.on_connect = self._connected_cb
        self._client.on_connect_fail = lambda client, userdata: self._attempted.set()
        self._client.on_disconnect = self._disconnected_cb
        self._client.on_message = self._message_cb

    def _set_tls(self) -> None:
        c = self.config
        try:
            self._client.tls_set(
                ca_certs=str(c.ca_file.expanduser()) if c.ca_file else None,
                certfile=str(c.client_cert_file.expanduser()) if c.client_cert_file else None,
                keyfile=str(c.client_key_file.expanduser()) if c.client_key_file else None,
                cert_reqs=ssl.CERT_REQUIRED,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise MqttSetupError(
                f"mqtt TLS: cannot load the CA or client certificate: {exc}"
            ) from exc

    # -- life ---------------------------------------------------------------------------------

    def start(self) -> MqttLink:
        """Connect in the background (retried with back-off until it works); returns at once."""
        c = self.config
        log.info(
            "mqtt: connecting to %s:%d (MQTT %s%s%s)",
            c.host,
            c.port,
            c.protocol,
            ", TLS" if c.uses_tls else "",
            f", user {c.username}" if c.username else "",
        )
        self._client.connect_async(c.host, c.port, keepalive=c.keepalive_s)
        self._client.loop_start()
        return self

    def stop(self, *, offline: bool = True) -> None:
        """Say ``offline`` (a clean stop, unlike the last will), disconnect, end the thread."""
        self._stopping = True
        if offline and self.connected and self.status_topic is not None:
            info = self._client.publish(self.status_topic, OFFLINE, qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=STOP_FLUSH_S)
            except (RuntimeError, ValueError) as exc:
                log.debug("mqtt: offline not confirmed: %s", exc)
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def status(self) -> LinkStatus:
        """Where, whether connected now, how many sessions so far (any thread)."""
        return LinkStatus(
            f"{self.config.host}:{self.config.port}",
            self.connected,
            self.connects,
            None if self.refused is None else str(self.refused),
        )

    def wait_connected(self, timeout_s: float) -> bool:
        """Wait (bounded) for a connection; True when connected."""
        return self._connected.wait(timeout_s)

    def wait_first_attempt(self, timeout_s: float) -> bool:
        """Wait (bounded) for the first connection attempt to succeed or fail; True when
        connected (a one-shot run does not wait for reconnects)."""
        self._attempted.wait(timeout_s)
        return self.connected

    # -- publishing ---------------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, *, retain: bool = False, qos: int = 0) -> bool:
        """Hand ``payload`` to paho's thread; False (dropped) while disconnected."""
        if not self.connected:
            return False
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            log.debug("mqtt: %s not published: %s", topic, paho.error_string(info.rc))
            return False
        if qos > 0:
            self._last_acked = info
        return True

    def flush(self, timeout_s: float) -> bool:
        """Wait (bounded) until the last QoS 1 message handed over is acknowledged (paho sends
        in order, so every earlier one has left too)."""
        last = self._last_acked
        if last is None:
            return True
        try:
            last.wait_for_publish(timeout=timeout_s)
        except (RuntimeError, ValueError):
            return False
        return last.is_published()

    # -- paho callbacks (paho's thread) -------------------------------------------------------

    def _connected_cb(
        self,
        client: paho.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        properties: object,
    ) -> None:
        if reason.is_failure:
            self.refused = reason
            self._attempted.set()
            log.warning("mqtt: the broker refused the connection: %s", reason)
            return
        self.connects += 1
        self.refused = None
        log.info("mqtt: connected to %s:%d", self.config.host, self.config.port)
        if self.status_topic is not None:
            client.publish(self.status_topic, ONLINE, qos=1, retain=True)
        for topic in self.subscriptions:
            client.subscribe(topic, qos=1)
        self._connected.set()
        self._attempted.set()
        try:
            self._on_connect()
        except Exception as exc:  # a publisher's bug must not kill paho's thread
            log.warning("mqtt: on_connect failed: %s: %s", type(exc).__name__, exc)

    def _disconnected_cb(
        self,
        client: paho.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        properties: object,
    ) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        if was and not self._stopping:
            log.warning("mqtt: disconnected (%s); reconnecting with back-off", reason)

    def _message_cb(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        try:
            self._on_message(message.topic, bytes(message.payload), bool(message.retain))
        except Exception as exc:  # a malformed message must never kill paho's thread
            log.warning("mqtt: handling %s failed: %s: %s", message.topic, type(exc).__name__, exc)


class BrokerUnavailable(WattplanError):
    """The broker cannot be reached or refused wattplan (``wattplan doctor``'s check)."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY


def probe_broker(config: MqttConfig, timeout_s: float = 5.0) -> str:
    """Connect once (its own client id, no last will, nothing published) and say how it went.

    Raises :class:`BrokerUnavailable` saying why (unreachable, refused, no answer in time).
    """
    where = f"{config.host}:{config.port}"
    try:
        with socket.create_connection((config.host, config.port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise BrokerUnavailable(f"cannot reach the MQTT broker at {where}: {exc}") from exc
    link = MqttLink(config, status_topic=None, client_id=f"wattplan-doctor-{config.site_id}")
    link.start()
    try:
        deadline = time.monotonic() + timeout_s
        while not link.wait_connected(0.05) and time.monotonic() < deadline:
            if link.refused is not None:
                break
        if link.refused is not None:
            raise BrokerUnavailable(f"the MQTT broker at {where} refused wattplan: {link.refused}")
        if not link.connected:
            raise BrokerUnavailable(
                f"no MQTT session with {where} within {timeout_s:g} s (TLS or protocol mismatch?)"
            )
    finally:
        link.stop(offline=False)
    how = f"MQTT {config.protocol}" + (", TLS" if config.uses_tls else "")
    user = f", user {config.username}" if config.username else ""
    return f"connected to {where} ({how}{user})"
