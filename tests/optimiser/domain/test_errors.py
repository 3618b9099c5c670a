"""The one error policy: every error class declares what the caller does next and its kind,
the CLI's exit code follows the kind, and the README's exit-code table stays true."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

from optimiser.cli.errors import EXIT_CODES, exit_code_for
from optimiser.config import ConfigError
from optimiser.control.errors import (
    BudgetExhausted,
    ControlError,
    ControlNotPermitted,
    ControlProtocolError,
    ControlUnavailable,
    FleetAuthError,
    FleetProtocolError,
    FleetRateLimited,
)
from optimiser.domain.errors import ErrorKind, NextStep, WattplanError, next_step_of
from optimiser.domain.history import InvalidHistory
from optimiser.domain.yamlsource import YamlError
from optimiser.forecast.errors import ForecastError
from optimiser.gateway.errors import (
    AccessDenied,
    AuthenticationError,
    GatewayError,
    GatewayUnavailable,
    ProtocolError,
    RateLimited,
    TrustError,
)
from optimiser.planner.errors import PlanFailed, PlanInputError, PlannerError
from optimiser.recorder.errors import RecorderError, RecordingFileError, StoreCorrupt, StoreLocked
from rules.context import ContextError
from simulations.replay.errors import ReplayDataError, ReplayError
from tariffs.errors import OctopusProtocolError, OctopusUnavailable, PricesUnknown, TariffError

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("optimiser", "tariffs", "rules", "simulations")
#: The emulators' own exceptions become HTTP answers; they never reach a caller.
EMULATORS = ("simulations.emulator.", "simulations.fleet_emulator.")


def _all_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)
                names.append(info.name)
    return names


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


@pytest.fixture(scope="module")
def error_classes() -> list[type[WattplanError]]:
    _all_modules()
    return sorted(_subclasses(WattplanError), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def test_every_exception_class_of_ours_derives_from_the_one_base():
    strays = []
    for name in _all_modules():
        for _, cls in inspect.getmembers(importlib.import_module(name), inspect.isclass):
            if cls.__module__ != name or not issubclass(cls, BaseException):
                continue
            private = cls.__name__.startswith("_")  # a control-flow signal inside a module
            if not (issubclass(cls, WattplanError) or private or name.startswith(EMULATORS)):
                strays.append(f"{name}.{cls.__qualname__}")
    assert strays == []


def test_every_package_tree_is_found(error_classes):
    roots = {
        GatewayError,
        ControlError,
        RecorderError,
        PlannerError,
        ForecastError,
        TariffError,
        ContextError,
        ConfigError,
        YamlError,
        ReplayError,
    }
    assert roots <= set(error_classes)
    assert len(error_classes) >= 45


def test_every_error_class_declares_its_policy_in_its_own_body(error_classes):
    for cls in error_classes:
        assert isinstance(cls.__dict__.get("next_step"), NextStep), cls
        assert isinstance(cls.__dict__.get("kind"), ErrorKind), cls


def test_a_class_without_a_policy_cannot_be_defined():
    with pytest.raises(TypeError, match=r"must declare its error policy.*kind missing"):

        class Undeclared(WattplanError):
            next_step = NextStep.STOP_AND_TELL


def test_the_cli_exit_code_follows_the_declared_kind(error_classes):
    assert set(EXIT_CODES) == set(ErrorKind)
    for cls in error_classes:
        exc = cls.__new__(cls)  # constructors differ; the class is what counts
        assert exit_code_for(exc) == EXIT_CODES[cls.kind], cls
    assert exit_code_for(ValueError("not ours")) is None


def test_next_step_and_kind_agree(error_classes):
    for cls in error_classes:
        if cls.kind is ErrorKind.TEMPORARY:
            assert cls.next_step is NextStep.GAP_AND_RETRY, cls
        if cls.kind is ErrorKind.USER_MISTAKE:
            assert cls.next_step is NextStep.STOP_AND_TELL, cls
        if cls.next_step is NextStep.REAUTHENTICATE:
            assert cls.kind is ErrorKind.AUTH, cls


def test_only_gap_and_retry_keeps_a_loop_running():
    assert [s for s in NextStep if s.keeps_running] == [NextStep.GAP_AND_RETRY]
    assert next_step_of(GatewayUnavailable("x"), foreign=NextStep.STOP_AND_TELL).keeps_running
    assert next_step_of(OSError("x"), foreign=NextStep.STOP_AND_TELL) is NextStep.STOP_AND_TELL
    assert next_step_of(OSError("x"), foreign=NextStep.GAP_AND_RETRY) is NextStep.GAP_AND_RETRY


def test_a_gateway_protocol_error_is_a_gap_for_loops_and_a_protocol_exit_for_the_cli():
    exc = ProtocolError("GET /api/meters/aggregates: expected JSON", endpoint="/x")
    assert exc.next_step is NextStep.GAP_AND_RETRY
    assert exit_code_for(exc) == 5
    # A command the device or the Fleet API cannot make sense of stops: it would be sent again.
    assert FleetProtocolError("400").next_step is NextStep.STOP_AND_TELL
    assert exit_code_for(FleetProtocolError("400")) == 5


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ConfigError("x"), 2),
        (YamlError("x", path="config.yaml"), 2),
        (ContextError("x"), 2),
        (InvalidHistory("x"), 2),
        (PlanInputError("x"), 2),
        (StoreLocked("rec.sqlite", "locked"), 2),
        (StoreCorrupt("rec.sqlite", "not a recording"), 2),
        (RecordingFileError("rec.csv", "bad", line=3), 2),
        (TariffError("x"), 2),
        (ReplayError("x"), 2),
        (ReplayDataError("x"), 2),
        (PlanFailed("infeasible", "no plan"), 1),
        (ForecastError("x"), 1),
        (PricesUnknown("x"), 1),
        (RecorderError("x"), 1),
        (ControlError("x"), 1),
        (GatewayError("x"), 1),
        (GatewayUnavailable("x"), 3),
        (RateLimited("429", retry_after_s=60), 3),
        (ControlUnavailable("x"), 3),
        (FleetRateLimited("429"), 3),
        (BudgetExhausted("x"), 3),
        (OctopusUnavailable("x"), 3),
        (AuthenticationError("x"), 4),
        (AccessDenied("x"), 4),
        (TrustError("x"), 4),
        (ControlNotPermitted("x"), 4),
        (FleetAuthError("x"), 4),
        (ProtocolError("x", endpoint="/api/x"), 5),
        (ControlProtocolError("x"), 5),
        (OctopusProtocolError("x"), 5),
    ],
)
def test_the_readme_table_holds_for_each_family(exc, code):
    assert exit_code_for(exc) == code


def test_the_readme_exit_code_table_names_each_kind():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| (\d+) \| (.+) \|$", table, re.M))
    for kind, code in EXIT_CODES.items():
        assert kind.value in rows[str(code)], (kind, rows.get(str(code)))
