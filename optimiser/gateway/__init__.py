"""Client of the Tesla Backup Gateway's local API.

Two layers: :class:`GatewayApi` (one method per endpoint, raw JSON, login/retry/cool-down) and
:class:`Gateway` (typed, frozen models and the :class:`SiteState` snapshot). TLS trust lives in
:mod:`optimiser.gateway.tls`; the error tree in :mod:`optimiser.gateway.errors`.
:func:`open_gateway` builds both from the configuration.
"""

from optimiser.gateway.api import GatewayApi
from optimiser.gateway.client import Gateway
from optimiser.gateway.connect import open_gateway
from optimiser.gateway.errors import (
    AccessDenied,
    AuthenticationError,
    CertificateMismatch,
    GatewayError,
    GatewayRestarting,
    GatewayTimeout,
    GatewayUnavailable,
    LoginLockedOut,
    ProtocolError,
    RateLimited,
    TrustError,
)
from optimiser.gateway.models import Operation, SiteState
from optimiser.gateway.tls import PinStore, TlsPolicy

__all__ = [
    "AccessDenied",
    "AuthenticationError",
    "CertificateMismatch",
    "Gateway",
    "GatewayApi",
    "GatewayError",
    "GatewayRestarting",
    "GatewayTimeout",
    "GatewayUnavailable",
    "LoginLockedOut",
    "Operation",
    "PinStore",
    "ProtocolError",
    "RateLimited",
    "SiteState",
    "TlsPolicy",
    "TrustError",
    "open_gateway",
]
