"""Control errors, each carrying what the caller does next (:mod:`optimiser.domain.errors`).

::

    ControlError                       base; never raised itself            stop and tell
    ├── ControlNotPermitted            the backend may not change settings  stop and tell
    │                                  (firmware lock on local control,
    │                                  missing Fleet scope)
    ├── ControlUnavailable             the backend could not be reached     gap and retry
    ├── BudgetExhausted                the day's command budget is spent    gap and retry
    ├── ControlProtocolError           the device's settings make no sense, stop and tell
    │                                  or a command was rejected
    └── FleetError                     Tesla Fleet API (optimiser.control.fleet_client)
        ├── FleetUnavailable           network error, timeout, 5xx          gap and retry
        │                              (also a ControlUnavailable)
        ├── FleetRateLimited           429; wait ``retry_after_s``          gap and retry
        ├── FleetAuthError             token missing, expired, refused      re-authenticate
        └── FleetProtocolError         an answer wattplan does not          stop and tell
                                       understand, or a request the API
                                       rejected (400) (also a
                                       ControlProtocolError)

"Gap and retry" in ``wattplan run``: nothing was applied, a revert to safe settings stays due
and is retried at every poll. A control protocol error stops the service (after its revert):
control must know what the device holds before changing it, and a rejected command would be
rejected again. The gateway's own ``ProtocolError`` passing through the local backend is the
gateway's policy (gap and retry), see :mod:`optimiser.gateway.errors`.

``hint`` on an exception is a one-line suggestion the CLI prints below the message.
"""

from __future__ import annotations

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError


class ControlError(WattplanError):
    """Base of every control error."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.FAILED


class ControlNotPermitted(ControlError):
    """The backend refuses to change settings; retrying will not help."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.AUTH


class ControlUnavailable(ControlError):
    """The backend could not be reached; try again later."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY


class BudgetExhausted(ControlError):
    """The day's command budget is spent."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY


class ControlProtocolError(ControlError):
    """The device answered something wattplan does not understand."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.PROTOCOL


class FleetError(ControlError):
    """Base of the Tesla Fleet API errors."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.FAILED


class FleetUnavailable(FleetError, ControlUnavailable):
    """The Fleet API could not be reached or failed (network, timeout, 5xx)."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY


class FleetRateLimited(FleetError):
    """The Fleet API answered 429; wait ``retry_after_s`` seconds."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class FleetAuthError(FleetError):
    """The token is missing, expired beyond refresh, or refused."""

    next_step = NextStep.REAUTHENTICATE
    kind = ErrorKind.AUTH


class FleetProtocolError(FleetError, ControlProtocolError):
    """The Fleet API answered something unexpected or rejected the request."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.PROTOCOL
