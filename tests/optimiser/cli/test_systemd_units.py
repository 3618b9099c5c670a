"""The example systemd units run real commands with the safety settings, and give the service
time to revert on stop."""

from __future__ import annotations

import pytest

from tests.optimiser.cli.conftest import ROOT


@pytest.mark.parametrize(
    ("unit", "command"),
    [("wattplan-run.service", "run"), ("wattplan-plan.service", "plan")],
)
def test_systemd_units_run_real_commands_with_the_safety_settings(unit, command):
    import configparser

    from optimiser.cli import build_parser
    from optimiser.config import Config

    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(ROOT / "examples" / "systemd" / unit)
    service = parser["Service"]
    argv = service["ExecStart"].split()[1:]
    args = build_parser().parse_args(argv)
    assert args.command == command
    assert service["User"] == "wattplan" and service["EnvironmentFile"].startswith("/etc/")
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    if command == "run":
        from optimiser.service import stop_time_needed_s

        assert service["Restart"] == "on-failure"
        # A config mistake (2) or a refused password/certificate (4) would only fail again.
        assert set(service["RestartPreventExitStatus"].split()) == {"2", "4"}
        assert "StartLimitBurst" in parser["Unit"] and "StartLimitBurst" not in service
        # systemd must not kill the stop's retried revert: 60 s of retries + a last attempt.
        assert int(service["TimeoutStopSec"]) >= stop_time_needed_s(Config()) >= 200
    else:
        assert args.apply
        timer = configparser.ConfigParser(strict=False, interpolation=None)
        timer.read(ROOT / "examples" / "systemd" / "wattplan-plan.timer")
        calendar = timer["Timer"]["OnCalendar"]
        day, clock = calendar.split(" ")
        hours, minutes, seconds = clock.split(":")
        assert day == "*-*-*" and hours == "*" and seconds == "00"
        fires = sorted(int(m) for m in minutes.split(","))
        # Every half hour, the settle margin (5 min) before each slot boundary…
        settle = Config().control.settle_minutes
        assert fires == [30 - settle, 60 - settle]
        # …so a forced state never outlasts its lease by more than one gap, and the nightly
        # re-plan (21:00 local) is the run due just before it.
        gap = max(b - a for a, b in zip(fires, [*fires[1:], fires[0] + 60], strict=True))
        assert gap <= 30 < Config().control.lease_minutes
        assert 60 - settle in fires  # 20:55
