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

A wattplan error's code is its class's ``kind`` (:mod:`optimiser.domain.errors`; every class
declares one); any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError

OK, FAILED, USER_ERROR, TEMPORARY, AUTH, PROTOCOL, INTERRUPTED = 0, 1, 2, 3, 4, 5, 130

log = logging.getLogger("wattplan")


class UsageError(WattplanError):
    """Arguments that parse one by one but make no sense together (``--since`` after
    ``--until``, ``--context`` with no rules to read it); nothing was done."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


#: The exit code of each kind of error (every error class declares its kind).
EXIT_CODES: dict[ErrorKind, int] = {
    ErrorKind.USER_MISTAKE: USER_ERROR,
    ErrorKind.FAILED: FAILED,
    ErrorKind.TEMPORARY: TEMPORARY,
    ErrorKind.AUTH: AUTH,
    ErrorKind.PROTOCOL: PROTOCOL,
}


def exit_code_for(exc: BaseException) -> int | None:
    """The exit code for a wattplan error (by its class's ``kind``), None for any other."""
    if isinstance(exc, WattplanError):
        return EXIT_CODES[exc.kind]
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
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except Exception as exc:
        code = exit_code_for(exc)
        if code is None:
            raise
        print(f"wattplan: error: {exc}", file=sys.stderr)
        if isinstance(exc, WattplanError) and exc.hint:
            print(f"wattplan: hint: {exc.hint}", file=sys.stderr)
        log.debug("error details", exc_info=True)
        return code
