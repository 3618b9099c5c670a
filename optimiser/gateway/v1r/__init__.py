"""TEDAPI v1r: signed local control of a Tesla gateway (DOMAIN.md §2), unofficial.

One job per module: :mod:`.messages` (the protobuf subset), :mod:`.signing` (the signed
bytes, RSA PKCS#1 v1.5 / SHA-512), :mod:`.keys` (the private key file), :mod:`.config_file`
(config.json, parsed and edited), :mod:`.frames` (building requests, reading answers) and
:mod:`.client` (:class:`V1rClient`, the I/O and the hash-locked read-modify-write).
Errors are the gateway's (:mod:`optimiser.gateway.errors`).
"""

from optimiser.gateway.v1r.client import V1rClient
from optimiser.gateway.v1r.config_file import ConfigFile, ConfigSettings, SettingsChange
from optimiser.gateway.v1r.keys import V1rKey

__all__ = ["ConfigFile", "ConfigSettings", "SettingsChange", "V1rClient", "V1rKey"]
