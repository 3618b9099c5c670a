"""One GET to a provider, bounded by a hard deadline that includes the name lookup.

``requests``' own timeouts do not cover DNS resolution, which on a machine with no network can
hang for many seconds; the call therefore runs in a daemon thread and is abandoned at the
deadline (the thread ends on its own later and never holds up the process's exit). Messages
name the provider and the URL's host only: Forecast.Solar puts the key in the path.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests

from optimiser.forecast.weather.provider import InvalidResponse, QuotaExhausted, WeatherUnavailable

HTTP_TOO_MANY_REQUESTS = 429


def get_json(
    provider: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    deadline_s: float,
) -> object:
    """The decoded JSON answer of ``GET url``; raises :class:`WeatherUnavailable`."""
    host = urlsplit(url).netloc or url
    answers: queue.Queue[tuple[int, object] | str] = queue.Queue(maxsize=1)

    def call() -> None:
        try:
            response = requests.get(
                url,
                params=dict(params or {}),
                headers=dict(headers or {}),
                timeout=2 * deadline_s,  # the queue's deadline below is the one that counts
            )
            try:
                body: object = response.json()
            except ValueError:
                body = None
            answers.put((response.status_code, body))
        except requests.RequestException as exc:
            answers.put(type(exc).__name__)

    threading.Thread(target=call, name=f"weather-{provider}", daemon=True).start()
    try:
        answer = answers.get(timeout=deadline_s)
    except queue.Empty:
        raise WeatherUnavailable(
            f"{provider}: no answer from {host} within {deadline_s:g} s"
        ) from None
    if isinstance(answer, str):
        raise WeatherUnavailable(f"{provider}: cannot reach {host} ({answer})")
    status, body = answer
    if status == HTTP_TOO_MANY_REQUESTS:
        raise QuotaExhausted(f"{provider}: {host} refused the call for its quota (HTTP 429)")
    if status != 200:
        raise WeatherUnavailable(f"{provider}: {host} answered HTTP {status}{_reason(body)}")
    if body is None:
        raise InvalidResponse(f"{provider}: {host} answered something other than JSON")
    return body


def _reason(body: object) -> str:
    """A provider's short error text, when it gives one."""
    if isinstance(body, Mapping):
        for key in ("reason", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return f": {value[:120]}"
            if isinstance(value, Mapping) and isinstance(value.get("text"), str):
                return f": {value['text'][:120]}"
    return ""
