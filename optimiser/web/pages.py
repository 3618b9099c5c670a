"""The dashboard's pages: documents of :mod:`.views` rendered by Jinja2 templates.

Server-rendered, no build step: each page is complete HTML (it reads without JavaScript), and
``static/dashboard.js`` refreshes it by fetching the same page again and swapping its
``<main>``, so the server is the only place that formats anything. Every URL is relative.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from optimiser.web.views import ACTION_WORDS, parse_iso

PAGES = (
    ("now", "./", "Now"),
    ("plan", "plan", "Plan vs actual"),
    ("money", "money", "Money"),
    ("decisions", "decisions", "Decisions"),
    ("health", "health", "Health"),
)
"""(name, relative URL, title) of each page, in the navigation's order."""

MODE_WORDS = {
    "self_consumption": "Self-powered",
    "autonomous": "Time-based control",
    "backup": "Backup only",
}


def environment(tz: ZoneInfo) -> Environment:
    """The template environment, with filters that format in the site's time zone."""
    env = Environment(
        loader=PackageLoader("optimiser.web", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def local(value: str | datetime | None, fmt: str = "%H:%M") -> str:
        if value is None:
            return "—"
        when = parse_iso(value) if isinstance(value, str) else value
        return when.astimezone(tz).strftime(fmt)

    def number(value: float | None, digits: int = 2) -> str:
        return "—" if value is None else f"{value:.{digits}f}"

    def gbp(value: float | None) -> str:
        if value is None:
            return "—"
        sign = "−" if value < 0 else ""
        return f"{sign}£{abs(value):.2f}"

    env.filters.update(
        local=local,
        number=number,
        gbp=gbp,
        mode_words=lambda mode: MODE_WORDS.get(mode or "", mode or "—"),
        action_words=lambda action: ACTION_WORDS.get(action or "", action or "—"),
    )
    return env


def render(env: Environment, name: str, **context: Any) -> str:
    """Page ``name`` (``templates/<name>.html``) with the navigation."""
    return env.get_template(f"{name}.html").render(pages=PAGES, page=name, **context)
