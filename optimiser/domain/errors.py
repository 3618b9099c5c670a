"""The one error policy: every error wattplan raises on purpose says, on its class, what the
caller does next and what kind of failure it is.

::

    WattplanError                 base of every package's error tree (gateway, control,
                                  recorder, planner, forecast, tariffs, rules, config, replay)
        next_step : NextStep      what a long-running caller (``run``, ``record``) does next
        kind : ErrorKind          what went wrong, for the CLI's exit code (README's table)
        hint : str | None         a one-line suggestion the CLI prints below the message

Every subclass declares both ``next_step`` and ``kind`` in its own body; a class that does not
fails at import (:meth:`WattplanError.__init_subclass__`), so no error inherits a policy by
accident. The service, the recorder and the CLI read these two attributes and nothing else:
there are no tables of class names.

Protocol errors: the gateway's ``ProtocolError`` (the local API answered something wattplan
does not understand) and Octopus's are ``GAP_AND_RETRY``: a loop records a gap, acts on
nothing that answer said, and asks again at the next poll or plan (a retried apply re-reads
the device and sends only what differs, so nothing is repeated blindly). Control's
``ControlProtocolError`` (a backend could not make sense of the device's settings, or the Fleet
API rejected a command) is ``STOP_AND_TELL``: control must know what the device holds before
changing it, and a rejected command would be rejected again. The CLI exits with the protocol
code for all of them.
"""

from __future__ import annotations

from enum import Enum
from typing import ClassVar


class NextStep(Enum):
    """What a caller does after an error (the long-running loops act on this)."""

    GAP_AND_RETRY = "gap and retry"
    """Unreachable, busy or not understood for now: record a gap (nothing read, nothing acted
    on), keep the safe course, try again at the next poll or plan."""
    REAUTHENTICATE = "re-authenticate"
    """The credentials were refused or expired beyond refresh; the clients already log in
    again once on their own, so a person must renew them: loops stop and tell."""
    STOP_AND_TELL = "stop and tell"
    """Retrying cannot help: stop (the service reverts a forced state first) and tell the
    user what was expected, what came and where."""

    @property
    def keeps_running(self) -> bool:
        """Whether a long-running loop carries on after this error."""
        return self is NextStep.GAP_AND_RETRY


class ErrorKind(Enum):
    """What went wrong, as the CLI reports it (one exit code each, see the README)."""

    USER_MISTAKE = "user mistake"
    """Bad arguments, config, rules or data file; nothing was done."""
    FAILED = "failed"
    """The work ran but failed (no feasible plan, a setting did not take)."""
    TEMPORARY = "temporary"
    """Unreachable, restarting, rate-limited or out of budget; try again later."""
    AUTH = "authentication or trust"
    """Wrong password, expired token, certificate changed, access denied."""
    PROTOCOL = "protocol"
    """The gateway or an API answered something wattplan does not understand."""


class WattplanError(Exception):
    """Base of every error wattplan raises on purpose (see the module docstring).

    Parameters
    ----------
    message : str
        What was expected, what came, and where.
    hint : str, optional
        A one-line suggestion for the user (overrides the class's ``hint``).
    """

    next_step: ClassVar[NextStep] = NextStep.STOP_AND_TELL
    kind: ClassVar[ErrorKind] = ErrorKind.FAILED
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle by state, not by constructor arguments: subclasses' constructors differ
        (``PlanFailed(status, message)``), and a worker process sends its error back pickled."""
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        missing = [name for name in ("next_step", "kind") if name not in cls.__dict__]
        if missing:
            raise TypeError(
                f"{cls.__module__}.{cls.__qualname__} must declare its error policy: expected "
                f"class attributes next_step and kind, {' and '.join(missing)} missing"
            )


def _rebuild(
    cls: type[WattplanError], args: tuple[object, ...], state: dict[str, object]
) -> WattplanError:
    """Unpickle a :class:`WattplanError` without calling its constructor."""
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


def next_step_of(exc: BaseException, *, foreign: NextStep) -> NextStep:
    """What to do after ``exc``: its class's ``next_step``, or ``foreign`` for an exception
    that is not a :class:`WattplanError` (a bug, or an injected test double's own error)."""
    return exc.next_step if isinstance(exc, WattplanError) else foreign
