"""A real Mosquitto broker on a free loopback port, and a paho client that acts as Home
Assistant (shared by the MQTT tests and ``benchmarks/mqtt_latency.py``).

:class:`Broker` writes its own config (plain, username/password, or TLS with a CA made here
with ``cryptography``) and runs ``mosquitto -c`` as a child process: never the system service.
It can be stopped and started again on the same port.
"""

from __future__ import annotations

import getpass
import ipaddress
import json
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
START_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class Pki:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    @classmethod
    def make(cls, folder: Path) -> Pki:
        now = datetime.now(UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wattplan test CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )

        def leaf(cn: str, san: list[x509.GeneralName] | None) -> tuple[bytes, bytes]:
            key = ec.generate_private_key(ec.SECP256R1())
            builder = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                .issuer_name(ca_name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            )
            if san:
                builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
            cert = builder.sign(ca_key, hashes.SHA256())
            return cert.public_bytes(serialization.Encoding.PEM), _pem(key)

        folder.mkdir(parents=True, exist_ok=True)
        server = leaf(
            "127.0.0.1",
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
        )
        client = leaf("wattplan", None)
        paths = cls(
            folder / "ca.pem",
            folder / "server.pem",
            folder / "server.key",
            folder / "client.pem",
            folder / "client.key",
        )
        paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        paths.server_cert.write_bytes(server[0])
        paths.server_key.write_bytes(server[1])
        paths.client_cert.write_bytes(client[0])
        paths.client_key.write_bytes(client[1])
        for p in (paths.server_key, paths.client_key):
            p.chmod(0o600)
        return paths


class Broker:
    """Mosquitto on 127.0.0.1:``port`` with a generated config.

    Parameters
    ----------
    folder : Path
        Where its config, password file and log go.
    users : dict, optional
        ``{name: password}``: anonymous clients are refused.
    pki : Pki, optional
        Serve TLS with this CA's server certificate (client certificates optional).
    """

    def __init__(
        self, folder: Path, *, users: dict[str, str] | None = None, pki: Pki | None = None
    ) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.users = users or {}
        self.pki = pki
        self.log = folder / "mosquitto.log"
        self.process: subprocess.Popen | None = None
        self.config = folder / "mosquitto.conf"
        self._write_config()

    def _write_config(self) -> None:
        lines = [
            f"listener {self.port} 127.0.0.1",
            # Run as whoever runs the tests (as root, mosquitto would switch to its own user,
            # who cannot read the test's files).
            f"user {getpass.getuser()}",
            "persistence false",
            f"log_dest file {self.log}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
        ]
        if self.users:
            passwd = self.folder / "passwd"
            passwd.write_text("")
            for name, password in self.users.items():
                subprocess.run(
                    [MOSQUITTO_PASSWD, "-b", str(passwd), name, password],
                    check=True,
                    capture_output=True,
                )
            passwd.chmod(0o600)
            lines += ["allow_anonymous false", f"password_file {passwd}"]
        else:
            lines.append("allow_anonymous true")
        if self.pki is not None:
            lines += [
                f"cafile {self.pki.ca}",
                f"certfile {self.pki.server_cert}",
                f"keyfile {self.pki.server_key}",
                "require_certificate false",
            ]
        self.config.write_text("\n".join(lines) + "\n")

    def start(self) -> Broker:
        if not Path(MOSQUITTO).exists():
            raise RuntimeError("mosquitto is not installed: apt-get install -y mosquitto")
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"mosquitto exited {self.process.returncode}: {err}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {START_TIMEOUT_S} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def freeze(self) -> None:
        """Stop the broker's process (SIGSTOP): connections stay open, nothing is answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        """End the broker at once (SIGKILL, frozen or not): its connections are reset."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def mqtt_section(self, **extra: object) -> dict[str, object]:
        """The ``mqtt:`` config section for this broker."""
        section: dict[str, object] = {"host": "127.0.0.1", "port": self.port}
        if self.pki is not None:
            section["ca_file"] = str(self.pki.ca)
        return {**section, **extra}


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool
    at: float = field(default_factory=time.monotonic)

    def json(self) -> object:
        return json.loads(self.payload)


class HomeAssistant:
    """A paho client that subscribes as Home Assistant does and keeps what it receives."""

    def __init__(
        self,
        broker: Broker,
        topics: tuple[str, ...] = ("homeassistant/#", "wattplan/#"),
        *,
        username: str | None = None,
        password: str | None = None,
        client_id: str = "home-assistant",
    ) -> None:
        self.broker = broker
        self.messages: list[Received] = []
        self._cond = threading.Condition()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        if username is not None:
            self.client.username_pw_set(username, password)
        if broker.pki is not None:
            self.client.tls_set(ca_certs=str(broker.pki.ca))
        self._topics = topics
        self.client.on_connect = self._connected
        self.client.on_message = self._message
        self._ready = threading.Event()

    def __enter__(self) -> HomeAssistant:
        self.client.connect("127.0.0.1", self.broker.port, keepalive=10)
        self.client.loop_start()
        if not self._ready.wait(10):
            raise RuntimeError("the Home Assistant client did not connect")
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _connected(self, client, userdata, flags, reason, properties) -> None:
        for topic in self._topics:
            client.subscribe(topic, qos=1)
        # A round trip: once it comes back, every subscription above is in place.
        client.subscribe("wattplan-test/ready", qos=1)
        client.publish("wattplan-test/ready", b"1", qos=1)

    def _message(self, client, userdata, message) -> None:
        if message.topic == "wattplan-test/ready":
            self._ready.set()
            return
        with self._cond:
            self.messages.append(Received(message.topic, bytes(message.payload), message.retain))
            self._cond.notify_all()

    def send(self, topic: str, payload: bytes | str, *, retain: bool = False) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        self.client.publish(topic, data, qos=1, retain=retain).wait_for_publish(10)

    def on(self, topic: str) -> list[Received]:
        with self._cond:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(
        self, predicate: Callable[[Received], bool], timeout_s: float = 10.0, *, after: int = 0
    ) -> Received:
        """The first message (from index ``after``) that satisfies ``predicate``; bounded."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for message in self.messages[after:]:
                    if predicate(message):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({m.topic for m in self.messages})
                    raise AssertionError(f"no matching message within {timeout_s} s; saw {seen}")
                self._cond.wait(left)

    def mark(self) -> int:
        """Index of the next message (for ``wait_for(after=...)``)."""
        with self._cond:
            return len(self.messages)
