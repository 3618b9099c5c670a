"""The dashboard's ASGI application (FastAPI): pages, the JSON API and ``/metrics``.

Read endpoints (``GET``) never change anything. Bad parameters are answered 400 with
``{"error": …, "field": …}``; an unexpected failure is logged and answered 500, and never
reaches the service (which runs on another thread). The OpenAPI description is at
``api/openapi.json``.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError
from optimiser.service.inbox import Inbox
from optimiser.web import health as health_checks
from optimiser.web import writes
from optimiser.web.actual import plan_vs_actual
from optimiser.web.history import downsample
from optimiser.web.metrics import CONTENT_TYPE
from optimiser.web.metrics import render as render_metrics
from optimiser.web.money import money_view
from optimiser.web.pages import environment, render
from optimiser.web.sources import Board, Source
from optimiser.web.views import Json, now_view, parse_iso

log = logging.getLogger("wattplan.web")

MAX_HISTORY_DAYS = 31
MAX_POINTS = 5000
_PLUS_AS_SPACE = re.compile(r"^\S+T\S+ \d\d:\d\d$")


class BadRequest(WattplanError):
    """A request parameter that cannot be used: answered 400 naming the field."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def create_app(source: Source, inbox: Inbox | None = None) -> FastAPI:
    """The application over ``source`` (a running service or a recording); the write
    endpoints put the home's messages into ``inbox`` (:mod:`.writes`)."""
    config = source.config
    tz = ZoneInfo(config.site.timezone)
    env = environment(tz)
    refresh_s = config.web.refresh_s
    app = FastAPI(
        title="wattplan",
        summary="The battery's state, plan, decisions, money and health.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    writes.install(app, inbox, config.web.token(), source.clock.now)
    app.mount(
        "/static", StaticFiles(directory=str(files("optimiser.web") / "static")), name="static"
    )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        field = str(first["loc"][-1]) if first.get("loc") else "(request)"
        return JSONResponse({"error": f"{field}: {first['msg']}", "field": field}, status_code=400)

    @app.exception_handler(BadRequest)
    async def _bad(request: Request, exc: BadRequest) -> JSONResponse:
        return JSONResponse({"error": exc.message, "field": exc.field}, status_code=400)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if exc.status_code != 404 else f"not found: {request.url.path}"
        return JSONResponse({"error": detail}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "web: %s %s failed: %s: %s", request.method, request.url.path, type(exc).__name__, exc
        )
        return JSONResponse({"error": "internal error (logged)"}, status_code=500)

    def checks(board: Board) -> list[Json]:
        plan = board.plan
        state = board.state
        seen = health_checks.Seen(
            live=board.live,
            now=board.now,
            last_reading=None if state is None else parse_iso(state["time"]),
            gateway_up=board.gateway_up,
            grid_status=None if state is None else state["grid_status"],
            plan_made_at=None if plan is None else parse_iso(plan["made_at"]),
            plan_status=None if plan is None else plan["status"],
            mqtt=board.mqtt,
        )
        recording = source.recording()
        gaps, samples = recording if recording is not None else (None, 0)
        return [
            c.to_json_dict() for c in health_checks.checks(config, seen, gaps=gaps, samples=samples)
        ]

    def state_doc(board: Board) -> Json:
        doc = now_view(board.state, board.plan, board.decisions, board.now)
        doc["live"] = board.live
        doc["gateway_up"] = board.gateway_up
        doc["events"] = list(board.events[-5:])
        return doc

    def money_doc(board: Board) -> Json:
        month_ago = board.now - timedelta(days=38)
        samples = source.samples(month_ago, board.now + timedelta(seconds=1))
        return money_view(samples, source.tariff, config, board.now, board.plan)

    def actual_doc(board: Board) -> Json:
        since = board.now - timedelta(days=2)
        samples = source.samples(since, board.now + timedelta(seconds=1))
        return plan_vs_actual(board, samples, source.tariff, config)

    def page(name: str, board: Board, **context: Any) -> HTMLResponse:
        html = render(
            env,
            name,
            board=board,
            refresh_s=refresh_s if name != "plan" else max(refresh_s, 60.0),
            site=config.web.site,
            timezone=config.site.timezone,
            **context,
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    # -- pages --------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def now_page() -> HTMLResponse:
        board = source.board()
        return page("now", board, doc=state_doc(board))

    @app.get("/plan", response_class=HTMLResponse, include_in_schema=False)
    def plan_page() -> HTMLResponse:
        board = source.board()
        return page("plan", board, doc=actual_doc(board))

    @app.get("/money", response_class=HTMLResponse, include_in_schema=False)
    def money_page() -> HTMLResponse:
        board = source.board()
        return page("money", board, doc=money_doc(board))

    @app.get("/decisions", response_class=HTMLResponse, include_in_schema=False)
    def decisions_page() -> HTMLResponse:
        board = source.board()
        return page(
            "decisions", board, decisions=list(reversed(board.decisions)), events=board.events
        )

    @app.get("/health", response_class=HTMLResponse, include_in_schema=False)
    def health_page() -> HTMLResponse:
        board = source.board()
        return page("health", board, checks=checks(board))

    # -- JSON API -----------------------------------------------------------------------------

    @app.get("/api/state", summary="The latest reading, what the battery does and why")
    def api_state() -> Json:
        return state_doc(source.board())

    @app.get("/api/plan", summary="The latest plan (as `wattplan plan --json`), with made_at")
    def api_plan() -> Json:
        board = source.board()
        return {"now": board.now.isoformat(), "plan": board.plan}

    @app.get("/api/plan-vs-actual", summary="Today and tomorrow: planned against realised")
    def api_plan_vs_actual() -> Json:
        return actual_doc(source.board())

    @app.get("/api/history", summary="Recorded samples, downsampled to at most `points`")
    def api_history(
        since: Annotated[
            str | None,
            Query(alias="from", description="ISO 8601 with a UTC offset (default: 24 h ago)"),
        ] = None,
        until: Annotated[
            str | None, Query(alias="to", description="ISO 8601 with a UTC offset (default: now)")
        ] = None,
        points: Annotated[int, Query(ge=2, le=MAX_POINTS)] = 500,
    ) -> Json:
        board = source.board()
        end = _when(until, "to") if until is not None else board.now
        start = _when(since, "from") if since is not None else end - timedelta(days=1)
        if start >= end:
            raise BadRequest(
                "from", f"from ({start.isoformat()}) must be before to ({end.isoformat()})"
            )
        if end - start > timedelta(days=MAX_HISTORY_DAYS):
            raise BadRequest(
                "from", f"from: at most {MAX_HISTORY_DAYS} days before to, got {end - start}"
            )
        samples = source.samples(start, end)
        return {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "samples": len(samples),
            "units": {
                "load_kw": "kW",
                "solar_kw": "kW",
                "battery_kw": "kW (> 0 discharging)",
                "grid_kw": "kW (> 0 importing)",
                "soe_kwh": "kWh",
            },
            "series": downsample(samples, points),
        }

    @app.get("/api/decisions", summary="The decision log, newest first")
    def api_decisions(limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Json:
        board = source.board()
        decisions = list(reversed(board.decisions))[:limit]
        return {"decisions": decisions, "events": list(reversed(board.events))[:limit]}

    @app.get("/api/money", summary="Costs to date against no battery and self-powered [£]")
    def api_money() -> Json:
        return money_doc(source.board())

    @app.get("/api/health", summary="The Health page's checks")
    def api_health() -> Json:
        board = source.board()
        found = checks(board)
        return {"ok": all(c["ok"] is not False for c in found), "checks": found}

    @app.get("/metrics", summary="Prometheus text format", response_class=Response)
    def metrics() -> Response:
        board = source.board()
        body = render_metrics(board, config.web.site, checks(board))
        return Response(body, media_type=CONTENT_TYPE)

    return app


def _when(text: str, field: str) -> datetime:
    if _PLUS_AS_SPACE.match(text):  # an unencoded "+01:00" arrives as " 01:00"
        text = text[:-6] + "+" + text[-5:]
    try:
        when = parse_iso(text)
    except ValueError as exc:
        raise BadRequest(
            field, f"{field}: expected ISO 8601 with a UTC offset, got {text!r}"
        ) from exc
    if when.tzinfo is None:
        raise BadRequest(field, f"{field}: {text!r} has no UTC offset (add Z or +01:00)")
    return when
