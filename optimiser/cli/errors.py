"""The one place where exceptions become messages and exit codes.

Exit codes (also in the README):

====  ==========================================================================
0     success
1     the work ran but failed (no feasible plan, a setting did not take)
2     a user mistake: bad arguments, config, rules or data file; nothing was done
3     temporary: gateway unreachable, restarting or rate-limited; try again later
4     authentication or trust: wrong password, certificate changed, access denied
5     protocol: the gateway or an API answered something wattplan does not understand
130   interrupted
====  ==========================================================================
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable

OK, FAILED, USER_ERROR, TEMPORARY, AUTH, PROTOCOL, INTERRUPTED = 0, 1, 2, 3, 4, 5, 130

log = logging.getLogger("wattplan")

# (module, exception class name, exit code). Looked up lazily so a missing optional
# package never breaks the CLI; the first matching entry wins, so list subclasses first.
ERROR_TABLE: tuple[tuple[str, str, int], ...] = (
    ("optimiser.config", "ConfigError", USER_ERROR),
    ("optimiser.domain.yamlsource", "YamlError", USER_ERROR),
    ("rules.context", "ContextError", USER_ERROR),
    ("optimiser.control.errors", "ControlNotPermitted", AUTH),
    ("optimiser.control.errors", "FleetAuthError", AUTH),
    ("optimiser.control.errors", "FleetRateLimited", TEMPORARY),
    ("optimiser.control.errors", "ControlUnavailable", TEMPORARY),
    ("optimiser.control.errors", "BudgetExhausted", TEMPORARY),
    ("optimiser.control.errors", "ControlProtocolError", PROTOCOL),
    ("optimiser.control.errors", "ControlError", FAILED),
    ("optimiser.domain.history", "InvalidHistory", USER_ERROR),
    ("optimiser.forecast.errors", "ForecastError", FAILED),
    ("optimiser.gateway.errors", "TrustError", AUTH),
    ("optimiser.gateway.errors", "AuthenticationError", AUTH),
    ("optimiser.gateway.errors", "AccessDenied", AUTH),
    ("optimiser.gateway.errors", "GatewayUnavailable", TEMPORARY),
    ("optimiser.gateway.errors", "RateLimited", TEMPORARY),
    ("optimiser.gateway.errors", "ProtocolError", PROTOCOL),
    ("optimiser.gateway.errors", "GatewayError", FAILED),
    ("tariffs.errors", "OctopusUnavailable", TEMPORARY),
    ("tariffs.errors", "OctopusProtocolError", PROTOCOL),
    ("tariffs.errors", "PricesUnknown", FAILED),
    ("tariffs.errors", "TariffError", USER_ERROR),
    ("optimiser.recorder.errors", "StoreLocked", USER_ERROR),
    ("optimiser.recorder.errors", "StoreCorrupt", USER_ERROR),
    ("optimiser.recorder.errors", "RecordingFileError", USER_ERROR),
    ("optimiser.recorder.errors", "RecorderError", FAILED),
    ("optimiser.planner.errors", "PlanInputError", USER_ERROR),
    ("optimiser.planner.errors", "PlanFailed", FAILED),
    ("simulations.replay.errors", "ReplayDataError", USER_ERROR),
    ("simulations.replay.errors", "ReplayError", USER_ERROR),
)


def _classes() -> list[tuple[type[BaseException], int]]:
    found = []
    for module, name, code in ERROR_TABLE:
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):  # pragma: no cover - table entry not built yet
            continue
        found.append((cls, code))
    return found


def exit_code_for(exc: BaseException) -> int | None:
    """The exit code for a known wattplan error, or None for an unexpected one."""
    for cls, code in _classes():
        if isinstance(exc, cls):
            return code
    return None


def handle_errors(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a subcommand; turn known errors into one line on stderr and an exit code."""
    try:
        return int(func(args) or OK)
    except KeyboardInterrupt:
        print("wattplan: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``wattplan tariffs show … | head``): not an error of ours.
        # Point stdout at /dev/null so Python's exit flush does not raise again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except Exception as exc:
        code = exit_code_for(exc)
        if code is None:
            raise
        print(f"wattplan: error: {exc}", file=sys.stderr)
        hint = getattr(exc, "hint", None)
        if hint:
            print(f"wattplan: hint: {hint}", file=sys.stderr)
        log.debug("error details", exc_info=True)
        return code
