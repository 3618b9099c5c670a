"""Connecting to real brokers: username and password, TLS with a CA (and a client
certificate), MQTT 5; a refused login or a broker that is down stops nothing; the doctor's
probe; the password never reaches a log."""

from __future__ import annotations

import logging

import pytest

from optimiser.config import MqttConfig
from optimiser.mqtt.link import BrokerUnavailable, MqttLink, probe_broker
from tests.optimiser.mqtt.broker import Broker, Pki, free_port
from tests.optimiser.mqtt.conftest import wire

PASSWORD = "s3cret-broker-pass"


@pytest.fixture
def secured(tmp_path):
    pki = Pki.make(tmp_path / "pki")
    server = Broker(tmp_path / "tls-broker", users={"wattplan": PASSWORD}, pki=pki).start()
    try:
        yield server
    finally:
        server.stop()


def password_file(tmp_path, text: str = PASSWORD):
    path = tmp_path / "mqtt-password"
    path.write_text(text + "\n")
    return path


def connects(config: MqttConfig, timeout_s: float = 10.0) -> bool:
    link = MqttLink(config, status_topic="wattplan/probe/status").start()
    try:
        return link.wait_connected(timeout_s)
    finally:
        link.stop()


def test_username_password_and_tls_with_a_client_certificate(secured, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    pki = secured.pki
    config = MqttConfig(
        **secured.mqtt_section(),
        username="wattplan",
        password_file=password_file(tmp_path),
        client_cert_file=pki.client_cert,
        client_key_file=pki.client_key,
    )
    assert config.uses_tls
    assert connects(config)
    assert "connected to 127.0.0.1" in probe_broker(config)
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_both_protocols_publish_to_home_assistant(wired, ha, protocol):
    w = wired(protocol=protocol)
    w.run_for(5)
    assert ha.wait_for(lambda m: m.topic == w.topics.plan).json()["plan_gbp"] is not None


def test_a_refused_login_is_said_and_logs_no_password(tmp_path, caplog):
    server = Broker(tmp_path / "auth-broker", users={"wattplan": PASSWORD}).start()
    try:
        config = MqttConfig(
            host="127.0.0.1",
            port=server.port,
            username="wattplan",
            password_file=password_file(tmp_path, "wrong-password"),
        )
        assert not connects(config, timeout_s=2.0)
        with pytest.raises(BrokerUnavailable, match="refused wattplan"):
            probe_broker(config)
        assert "wrong-password" not in caplog.text
    finally:
        server.stop()


def test_the_service_runs_while_no_broker_answers(house):
    class Nowhere:
        pki = None
        port = free_port()  # nothing listens here

        def mqtt_section(self, **extra):
            return {"host": "127.0.0.1", "port": self.port, **extra}

    w = wire(house, Nowhere(), connect=False, reconnect_min_s=0.1, reconnect_max_s=0.5)
    try:
        w.run_for(120)
        stats = w.service.stats
        assert stats.samples == 25 and stats.gaps == 0 and stats.plan_failures == 0
        assert stats.decisions >= 4
        assert not w.publisher.link.connected
        assert w.publisher.published == 0 and w.publisher.dropped == 0
    finally:
        w.publisher.close()


def test_probe_says_why_a_broker_cannot_be_reached():
    config = MqttConfig(host="127.0.0.1", port=free_port())
    with pytest.raises(BrokerUnavailable, match=r"cannot reach the MQTT broker at 127\.0\.0\.1"):
        probe_broker(config, timeout_s=2.0)


def test_tls_without_the_right_ca_is_not_trusted(secured, tmp_path):
    other = Pki.make(tmp_path / "other-pki")
    config = MqttConfig(
        host="127.0.0.1",
        port=secured.port,
        ca_file=other.ca,
        username="wattplan",
        password_file=password_file(tmp_path),
    )
    assert not connects(config, timeout_s=2.0)
