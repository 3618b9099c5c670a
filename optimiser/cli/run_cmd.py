"""``wattplan run``: the long-running service (poll, record, re-plan, apply, fall back safely)."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta
from pathlib import Path

from optimiser.cli.argtypes import positive_float
from optimiser.cli.common import add_rules_arguments
from optimiser.cli.errors import OK

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``6h``, ``2d`` → timedelta (argparse type)."""
    match = _DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(
            f"expected a duration like 90s, 30m, 6h or 2d, got {text!r}"
        )
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand."""
    p = subparsers.add_parser(
        "run",
        help="run the service: record, re-plan every slot, apply, fall back safely",
        description="Poll and record the gateway every recorder.interval_s, re-plan every slot "
        "and at control.nightly_plan_time, apply each slot's settings a settle margin ahead, "
        "and fall back to safe settings on any failure. Stops cleanly on SIGTERM or Ctrl-C, "
        "reverting a forced state first. With no configuration it runs against the embedded "
        "emulator with the dry-run backend.",
    )
    p.add_argument(
        "--backend",
        choices=("local", "fleet", "v1r", "dry-run"),
        help="override control.backend (with the embedded emulator, 'local' logs in as "
        "installer and 'v1r' signs with a demo key the emulator trusts)",
    )
    add_rules_arguments(p)
    p.add_argument(
        "--for",
        dest="run_for",
        type=duration,
        metavar="DURATION",
        help="stop after this much (clock) time, e.g. 6h (default: run until stopped)",
    )
    p.add_argument(
        "--speed",
        type=positive_float,
        metavar="X",
        help="embedded emulator only: run the clock X times faster (a day in minutes)",
    )
    p.add_argument("--no-record", action="store_true", help="do not write the recorder's database")
    p.add_argument(
        "--no-web", action="store_true", help="do not serve the dashboard (web.enabled: false)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the service until stopped (or for ``--for``)."""
    import logging
    import signal
    from datetime import UTC, datetime

    from optimiser.cli.site import demo_v1r_key, emulator_sandbox, open_site, site_history
    from optimiser.config import ConfigError, load_config
    from optimiser.control import LocalBackend
    from optimiser.control.backends.v1r import V1rBackend
    from optimiser.control.factory import backend_from_config, budget_of
    from optimiser.domain.clock import AcceleratedClock, RealClock
    from optimiser.live import load_tariff, read_context
    from optimiser.service import Service
    from optimiser.service.startup import wait_for_site
    from rules import load_rules

    with emulator_sandbox(load_config(args.config)) as sandboxed:
        config = sandboxed
        if args.backend:
            control = config.control.model_copy(update={"backend": args.backend})
            config = config.model_copy(update={"control": control})
        if args.speed is not None and not config.uses_emulator:
            raise ConfigError(
                "--speed only works with the embedded emulator (no gateway section in the "
                "config): a real Powerwall lives in real time"
            )
        clock = AcceleratedClock(datetime.now(UTC), speed=args.speed) if args.speed else RealClock()
        logging.getLogger("wattplan.run").setLevel(logging.INFO)
        rules = load_rules(args.rules) if args.rules else None
        tariff = load_tariff(config)
        role = "installer" if config.uses_emulator and config.control.backend == "local" else None
        context = read_context(config, args.context_file, args.context, clock.now())
        v1r_key = demo_v1r_key(config)
        with open_site(config, username=role, clock=clock, v1r_key=v1r_key) as gateway:
            # After a power cut the gateway may answer 500/429 or reset for minutes: wait it out.
            state = wait_for_site(gateway.site_state, clock=clock)
            units = max(1, round(state.capacity_kwh / 13.5))
            source = (
                LocalBackend(gateway, units=units) if config.control.backend == "dry-run" else None
            )
            backend = backend_from_config(
                config,
                gateway=gateway,
                units=units,
                dry_run_source=source,
                clock=clock.now,
                v1r_clock=clock,
                v1r_key=v1r_key,
            )
            store = None
            if not args.no_record:
                from optimiser.recorder import RecordingStore

                store = RecordingStore(Path(config.recorder.database).expanduser())
            budget = budget_of(backend)
            publisher, inbox = smart_home(config, clock, budget, tariff, rules, record=store)
            observers: list = [publisher] if publisher is not None else []
            dashboard = None
            if config.web.enabled and not args.no_web:
                from optimiser.web import Dashboard, LiveSource, LiveView

                if inbox is None and config.web.token_file is not None:
                    from optimiser.service import Inbox

                    inbox = Inbox()  # the write endpoints' (MQTT, when configured, shares one)
                view = LiveView()
                observers.append(view)
                database = None if store is None else store.path
                broker = None if publisher is None else publisher.link.status
                web = LiveSource(view, config, tariff, clock, database, broker)
                dashboard = Dashboard(
                    web,
                    config.web.host,
                    config.web.port,
                    journal_dir=config.state_path(),
                    inbox=inbox,
                ).start()
                logging.getLogger("wattplan.run").info("dashboard at %s", dashboard.url)
            service = Service(
                config,
                gateway=gateway,
                backend=backend,
                clock=clock,
                tariff=tariff,
                store=store,
                history=lambda when: site_history(config, when),
                rules=rules,
                context=context,
                observers=tuple(observers),
                inbox=inbox,
                budget=budget,
                first_state=state,  # the start's poll: the gateway is not read twice
            )
            previous = {
                sig: signal.signal(sig, lambda *_: service.request_stop())
                for sig in (signal.SIGTERM, signal.SIGINT)
            }
            try:
                # --for counts from when the service is ready (gateway, backend, first decision);
                # serve() reverts a forced state however run ends: a stop, --for, or an error.
                stats = service.serve(run_for=args.run_for)
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
                if dashboard is not None:
                    dashboard.stop()
                if publisher is not None:
                    publisher.close()
                if store is not None:
                    store.close()
        print(
            f"wattplan run: stopped: {stats.polls} polls, {stats.samples} samples, {stats.gaps} "
            f"gaps, {stats.plans} plans ({stats.plan_failures} failed), {stats.decisions} "
            f"decisions, {stats.commands_sent} commands sent, {stats.safe_fallbacks} safe fallbacks"
        )
        if isinstance(backend, V1rBackend):
            print(
                f"wattplan run: v1r: {backend.confirmed} changes confirmed by behaviour, "
                f"{backend.unacted} stored but not acted on ({backend.fell_back} made again "
                "through Fleet)"
            )
        return OK


def smart_home(config, clock, budget, tariff, rules, *, record) -> tuple:
    """(the MQTT publisher, started, and the inbox it feeds), or (None, None) without an
    ``mqtt`` section. ``budget`` is the backend's command budget (or None); ``record`` (the
    recorder's store, or None) says whether savings can be read from the recorder."""
    if config.mqtt is None:
        return None, None
    from importlib.metadata import version

    from optimiser.mqtt import MqttPublisher
    from optimiser.service import Inbox

    inbox = Inbox()
    publisher = MqttPublisher(
        config,
        clock=clock,
        inbox=inbox,
        tariff=tariff,
        budget=budget,
        rules=rules,
        database=Path(config.recorder.database) if record is not None else None,
        version=version("wattplan"),
    )
    return publisher.start(), inbox
