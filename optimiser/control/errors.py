"""Control errors, split by what the caller does next.

::

    ControlError                       base; never raised itself
    ├── ControlNotPermitted            stop and tell: the backend may not change settings
    │                                  (firmware lock on local control, missing Fleet scope)
    ├── ControlUnavailable             retry later: the backend could not be reached
    ├── BudgetExhausted                wait: the day's command budget is spent
    ├── ControlProtocolError           stop and tell: the device answered nonsense
    └── FleetError                     Tesla Fleet API (optimiser.control.fleet_client)
        ├── FleetUnavailable           retry later: network error, timeout, 5xx
        │                              (also a ControlUnavailable)
        ├── FleetRateLimited           retry after ``retry_after_s``: 429
        ├── FleetAuthError             re-authenticate: token missing, expired, refused
        └── FleetProtocolError         stop and tell: an answer wattplan does not understand,
                                       or a request the API rejected (400)
                                       (also a ControlProtocolError)

``hint`` on an exception is a one-line suggestion the CLI prints below the message.
"""

from __future__ import annotations


class ControlError(Exception):
    """Base of every control error."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ControlNotPermitted(ControlError):
    """The backend refuses to change settings; retrying will not help."""


class ControlUnavailable(ControlError):
    """The backend could not be reached; try again later."""


class BudgetExhausted(ControlError):
    """The day's command budget is spent."""


class ControlProtocolError(ControlError):
    """The device answered something wattplan does not understand."""


class FleetError(ControlError):
    """Base of the Tesla Fleet API errors."""


class FleetUnavailable(FleetError, ControlUnavailable):
    """The Fleet API could not be reached or failed (network, timeout, 5xx)."""


class FleetRateLimited(FleetError):
    """The Fleet API answered 429; wait ``retry_after_s`` seconds."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class FleetAuthError(FleetError):
    """The token is missing, expired beyond refresh, or refused."""


class FleetProtocolError(FleetError, ControlProtocolError):
    """The Fleet API answered something unexpected or rejected the request."""
