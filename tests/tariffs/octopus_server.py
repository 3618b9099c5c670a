"""A loopback HTTP server that answers like the Octopus Energy REST API.

Data has the recorded shape of real responses (field names, newest-first order, ``Z`` times,
``null`` for open-ended ``valid_to``, duplicate DIRECT_DEBIT / NON_DIRECT_DEBIT rows, ``count: 0``
for unpublished periods, ``next`` page URLs). Rows are literal UTC periods, written out by hand
for Flux region E around the 2023-03-26 clock change, using the real 2023-03-27 values.

Accounts: ``GET /v1/accounts/{number}/`` answers ``accounts[number]["payload"]`` to basic auth
with ``accounts[number]["key"]`` as the user (401 with no or another key, 404 for an unknown
number), in the recorded shape (properties with addresses, meter points, agreements with
``+01:00`` offsets in summer). :func:`switching_account` has an agreement change at a date.

Publication: ``published_until[tariff_code]`` hides rows starting at or after that time, as
Octopus does before the day-ahead prices come out (~16:00 UK).

GraphQL: ``POST /v1/graphql/`` answers ``obtainKrakenToken`` (the API key of an account, or a
refresh token it issued) with a new token expiring at ``token_expires_at``; other operations
need a token it issued in the Authorization header and answer from ``graphql`` (recorded
payloads from ``tests/data/octopus_graphql/``: ``savingSessions``, ``dispatches``), with
``KT-CT-1124`` for a token in ``expired_tokens`` (every token: ``expire_every_token``).
``joinSavingSessionsEvent`` joins the session.
``graphql_inputs`` records each operation's name and its token input kind.

Faults: ``fail_next`` (HTTP statuses, or ``(status, headers)`` such as
``(429, {"Retry-After": "2"})``, to answer before behaving), ``bodies`` (path → raw body, e.g.
malformed JSON), ``page_cap`` (rows per page, to force pagination), ``delay_s``; ``requests``
(every path+query received) and ``auth_headers`` (every Authorization header) for assertions.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse
from zoneinfo import ZoneInfo

Z = "%Y-%m-%dT%H:%M:%SZ"
LONDON = ZoneInfo("Europe/London")
NIGHT, DAY, PEAK = 20.23602, 33.726735, 47.21745  # real region E, 2023-03-27, inc VAT

# (valid_from, valid_to, price) written out by hand, UTC. GMT until 2023-03-26T01:00Z.
FLUX_E_PERIODS = [
    ("2023-03-25T02:00:00Z", "2023-03-25T05:00:00Z", NIGHT),
    ("2023-03-25T05:00:00Z", "2023-03-25T16:00:00Z", DAY),
    ("2023-03-25T16:00:00Z", "2023-03-25T19:00:00Z", PEAK),
    ("2023-03-25T19:00:00Z", "2023-03-26T01:00:00Z", DAY),
    ("2023-03-26T01:00:00Z", "2023-03-26T04:00:00Z", NIGHT),  # clock change day
    ("2023-03-26T04:00:00Z", "2023-03-26T15:00:00Z", DAY),
    ("2023-03-26T15:00:00Z", "2023-03-26T18:00:00Z", PEAK),
    ("2023-03-26T18:00:00Z", "2023-03-27T01:00:00Z", DAY),
    ("2023-03-27T01:00:00Z", "2023-03-27T04:00:00Z", NIGHT),
    ("2023-03-27T04:00:00Z", "2023-03-27T15:00:00Z", DAY),
    ("2023-03-27T15:00:00Z", "2023-03-27T18:00:00Z", PEAK),
    ("2023-03-27T18:00:00Z", "2023-03-28T01:00:00Z", DAY),
    ("2023-03-28T01:00:00Z", "2023-03-28T04:00:00Z", NIGHT),
    ("2023-03-28T04:00:00Z", "2023-03-28T15:00:00Z", DAY),
    ("2023-03-28T15:00:00Z", "2023-03-28T18:00:00Z", PEAK),
    ("2023-03-28T18:00:00Z", "2023-03-29T01:00:00Z", DAY),
]


def _agile_rows() -> list[dict[str, Any]]:
    return agile_rows(datetime(2025, 1, 15, 23, tzinfo=UTC), 48)


def agile_price(i: int) -> float:
    """The ``i``-th half hour's Agile price of a day: rising, one negative midday price."""
    return -2.5 if i % 48 == 26 else round(10 + 0.5 * (i % 48), 2)


def agile_rows(start: datetime, count: int) -> list[dict[str, Any]]:
    """``count`` half-hourly Agile rows from ``start`` (UTC) priced by :func:`agile_price`."""
    out = []
    for i in range(count):
        a, b = start + timedelta(minutes=30 * i), start + timedelta(minutes=30 * (i + 1))
        out.append(row(a.strftime(Z), b.strftime(Z), agile_price(i)))
    return out


FLUX_BANDS = ((2, 5, "night"), (5, 16, "day"), (16, 19, "peak"), (19, 26, "day"))


def flux_rows(first: date, days: int, prices: dict[str, float]) -> list[dict[str, Any]]:
    """Flux band rows for ``days`` local days from ``first`` (02:00 → 02:00 UK time, so the
    UTC times move with the clocks), priced from ``prices`` by band name."""

    def wall(day: date, hours: int) -> str:
        local = (datetime.combine(day, datetime.min.time()) + timedelta(hours=hours)).replace(
            tzinfo=LONDON
        )
        return local.astimezone(UTC).strftime(Z)

    return [
        row(wall(first + timedelta(days=n), a), wall(first + timedelta(days=n), b), prices[band])
        for n in range(days)
        for a, b, band in FLUX_BANDS
    ]


FLUX_2025 = {"night": 16.47, "day": 27.45, "peak": 38.43}  # recorded-shaped, region E


def row(valid_from: str, valid_to: str | None, inc_vat: float, payment: str | None = None):
    return {
        "value_exc_vat": round(inc_vat / 1.05, 6),
        "value_inc_vat": inc_vat,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "payment_method": payment,
    }


AGILE_ROWS = _agile_rows()


def product(code: str, name: str, regions: str = "ABCDEFGHJKLMNP") -> dict[str, Any]:
    return {
        "code": code,
        "full_name": name,
        "display_name": name,
        "description": "…",
        "is_variable": True,
        "brand": "OCTOPUS_ENERGY",
        "single_register_electricity_tariffs": {
            f"_{r}": {
                "direct_debit_monthly": {
                    "code": f"E-1R-{code}-{r}",
                    "standing_charge_inc_vat": 46.36,
                    "standard_unit_rate_inc_vat": 24.5,
                    "payment_methods": ["DIRECT_DEBIT"],
                }
            }
            for r in regions
        },
        "links": [],
    }


def default_data() -> dict[str, Any]:
    standing = [
        row("2023-01-01T00:00:00Z", None, 46.36, "DIRECT_DEBIT"),
        row("2023-01-01T00:00:00Z", None, 48.68, "NON_DIRECT_DEBIT"),
    ]
    rates = {
        "E-1R-FLUX-IMPORT-23-02-14-E": {
            "standard-unit-rates": [row(a, b, p) for a, b, p in FLUX_E_PERIODS],
            "standing-charges": standing,
        },
        "E-1R-FLUX-EXPORT-23-02-14-E": {
            "standard-unit-rates": [row(a, b, round(p - 11, 6)) for a, b, p in FLUX_E_PERIODS],
            "standing-charges": [],
        },
        "E-1R-VAR-22-11-01-E": {
            "standard-unit-rates": [
                row("2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 30.0, "DIRECT_DEBIT"),
                row("2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 31.5, "NON_DIRECT_DEBIT"),
                row("2024-01-01T00:00:00Z", None, 24.5, "DIRECT_DEBIT"),
                row("2024-01-01T00:00:00Z", None, 25.7, "NON_DIRECT_DEBIT"),
            ],
            "standing-charges": standing,
        },
        "E-1R-OUTGOING-VAR-24-10-26-E": {
            "standard-unit-rates": [row("2024-10-26T00:00:00Z", None, 15.0)],
            "standing-charges": [],
        },
        # Agile: published 2025-01-15T23:00Z → 2025-01-16T23:00Z; later days unpublished.
        "E-1R-AGILE-24-10-01-E": {"standard-unit-rates": AGILE_ROWS, "standing-charges": standing},
        "E-1R-AGILE-OUTGOING-19-05-13-E": {
            "standard-unit-rates": [
                dict(r, value_inc_vat=r["value_inc_vat"] / 2) for r in AGILE_ROWS
            ],
            "standing-charges": [],
        },
    }
    products = {
        "FLUX-IMPORT-23-02-14": product("FLUX-IMPORT-23-02-14", "Octopus Flux Import"),
        "FLUX-EXPORT-23-02-14": product("FLUX-EXPORT-23-02-14", "Octopus Flux Export"),
        "VAR-22-11-01": product("VAR-22-11-01", "Flexible Octopus"),
        "OUTGOING-VAR-24-10-26": product("OUTGOING-VAR-24-10-26", "Outgoing Octopus"),
        "AGILE-24-10-01": product("AGILE-24-10-01", "Agile Octopus", "ABCE"),
        "AGILE-OUTGOING-19-05-13": product("AGILE-OUTGOING-19-05-13", "Agile Outgoing"),
    }
    flux_2025 = flux_rows(date(2025, 1, 10), 14, FLUX_2025)
    rates["E-1R-FLUX-IMPORT-23-02-14-E"]["standard-unit-rates"] += flux_2025
    rates["E-1R-FLUX-EXPORT-23-02-14-E"]["standard-unit-rates"] += [
        dict(r, value_inc_vat=round(r["value_inc_vat"] - 11, 6)) for r in flux_2025
    ]
    postcodes = {"CF10 1AA": "_K", "B1 1AA": "_E", "SW1A 1AA": "_C"}
    return {"rates": rates, "products": products, "postcodes": postcodes}


GRAPHQL_DATA = Path(__file__).parents[1] / "data" / "octopus_graphql"


def recorded(name: str) -> Any:
    """A recorded GraphQL answer from ``tests/data/octopus_graphql/``."""
    return json.loads((GRAPHQL_DATA / f"{name}.json").read_text(encoding="utf-8"))


ACCOUNT = "A-1234ABCD"
API_KEY = "sk_live_TestKeyNeverPrintedAnywhere42"


def switching_account(
    switch_at: str, number: str = ACCOUNT, since: str = "2024-11-01T00:00:00Z"
) -> dict[str, Any]:
    """An account payload (recorded shape) whose import and export agreements switch from
    Agile + Agile Outgoing to Flux (region E) at ``switch_at``; an old property moved out of."""

    def agreement(code: str, start: str, end: str | None) -> dict[str, Any]:
        return {"tariff_code": code, "valid_from": start, "valid_to": end}

    return {
        "number": number,
        "properties": [
            {
                "id": 1000001,
                "moved_in_at": "2016-03-01T00:00:00Z",
                "moved_out_at": "2021-06-30T00:00:00+01:00",
                "address_line_1": "1 Old Road",
                "address_line_2": "",
                "address_line_3": "",
                "town": "BIRMINGHAM",
                "county": "",
                "postcode": "B1 1AA",
                "electricity_meter_points": [
                    {
                        "mpan": "1100000000001",
                        "profile_class": 1,
                        "consumption_standard": 2700,
                        "meters": [{"serial_number": "19L0000001", "registers": []}],
                        "agreements": [
                            agreement("E-1R-VAR-19-04-12-E", "2019-05-01T00:00:00+01:00", None)
                        ],
                        "is_export": False,
                    }
                ],
                "gas_meter_points": [],
            },
            {
                "id": 1000002,
                "moved_in_at": "2021-07-01T00:00:00+01:00",
                "moved_out_at": None,
                "address_line_1": "42 Solar Close",
                "address_line_2": "",
                "address_line_3": "",
                "town": "WOLVERHAMPTON",
                "county": "",
                "postcode": "WV1 1AA",
                "electricity_meter_points": [
                    {
                        "mpan": "1200000000002",
                        "profile_class": 1,
                        "consumption_standard": 3100,
                        "meters": [
                            {
                                "serial_number": "21E0000002",
                                "registers": [
                                    {
                                        "identifier": "1",
                                        "rate": "STANDARD",
                                        "is_settlement_register": True,
                                    }
                                ],
                            }
                        ],
                        "agreements": [
                            agreement("E-1R-VAR-22-11-01-E", "2021-07-01T00:00:00+01:00", since),
                            agreement("E-1R-AGILE-24-10-01-E", since, switch_at),
                            agreement("E-1R-FLUX-IMPORT-23-02-14-E", switch_at, None),
                        ],
                        "is_export": False,
                    },
                    {
                        "mpan": "1200000000003",
                        "profile_class": 8,
                        "consumption_standard": 0,
                        "meters": [{"serial_number": "21E0000002", "registers": []}],
                        "agreements": [
                            agreement("E-1R-AGILE-OUTGOING-19-05-13-E", since, switch_at),
                            agreement("E-1R-FLUX-EXPORT-23-02-14-E", switch_at, None),
                        ],
                        "is_export": True,
                    },
                ],
                "gas_meter_points": [],
            },
        ],
    }


class OctopusServer:
    """Context manager: ``with OctopusServer() as server: server.url``."""

    def __init__(self, data: dict[str, Any] | None = None, page_cap: int = 1500):
        self.data = data or default_data()
        self.page_cap = page_cap
        self.fail_next: list[int | tuple[int, dict[str, str]]] = []
        self.delay_s = 0.0  # answer slowly (timeouts)
        self.requests: list[str] = []
        self.auth_headers: list[str | None] = []
        self.bodies: dict[str, str] = {}  # path → raw body override (protocol faults)
        self.accounts: dict[str, dict[str, Any]] = {}  # number → {"key", "payload"}
        self.published_until: dict[str, str] = {}  # tariff code → first unpublished time
        self.graphql: dict[str, Any] = {
            "savingSessions": recorded("saving_sessions"),
            "dispatches": recorded("dispatches_planned"),
        }
        self.token_expires_at = datetime(2100, 1, 1, tzinfo=UTC)
        self.issued: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.expired_tokens: set[str] = set()
        self.expire_every_token = False  # a server whose clock is far ahead of ours
        self.graphql_inputs: list[tuple[str, str]] = []  # (operation, APIKey/refreshToken/token)
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> OctopusServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append(self.path)
                    server.auth_headers.append(self.headers.get("Authorization"))
                    fail = server.fail_next.pop(0) if server.fail_next else None
                if server.delay_s:
                    time.sleep(server.delay_s)
                if fail is not None:
                    status, headers = fail if isinstance(fail, tuple) else (fail, {})
                    body = None if status == 502 else {"detail": "Server Error"}
                    if status == 429:
                        body = {"detail": "Request was throttled."}
                    self._send(status, body, headers)
                    return
                parsed = urlparse(self.path)
                if parsed.path in server.bodies:
                    self._raw(200, server.bodies[parsed.path])
                    return
                query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                parts = [p for p in parsed.path.split("/") if p]
                if parts[:2] == ["v1", "accounts"] and len(parts) == 3:
                    status, body = server.account(parts[2], self.headers.get("Authorization"))
                else:
                    status, body = server.route(parsed.path, query)
                self._send(status, body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with server._lock:
                    server.requests.append(self.path)
                    fail = server.fail_next.pop(0) if server.fail_next else None
                if fail is not None:
                    status, headers = fail if isinstance(fail, tuple) else (fail, {})
                    self._send(status, None if status == 502 else {"detail": "Error"}, headers)
                    return
                path = urlparse(self.path).path
                if path in server.bodies:
                    self._raw(200, server.bodies[path])
                    return
                if path != "/v1/graphql/":
                    self._send(404, {"detail": "Not found."})
                    return
                try:
                    request = json.loads(raw)
                except ValueError:
                    self._send(400, {"errors": [{"message": "Must provide query string."}]})
                    return
                self._send(200, server.graphql_answer(request, self.headers.get("Authorization")))

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None):
                self._raw(status, "" if body is None else json.dumps(body), headers)

            def _raw(self, status: int, text: str, headers: dict[str, str] | None = None):
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def account(self, number: str, authorization: str | None) -> tuple[int, Any]:
        """``/v1/accounts/{number}/`` behind basic auth with the key as the user."""
        if not authorization or not authorization.startswith("Basic "):
            return 401, {"detail": "Authentication credentials were not provided."}
        user = base64.b64decode(authorization[6:]).decode().split(":", 1)[0]
        entry = self.accounts.get(number)
        if user not in {a["key"] for a in self.accounts.values()}:
            return 401, {"detail": "Invalid API key."}
        if entry is None or entry["key"] != user:
            return 404, {"detail": "Not found."}
        return 200, entry["payload"]

    def graphql_answer(self, request: dict[str, Any], authorization: str | None) -> Any:
        """The answer to one GraphQL request (always HTTP 200, as Kraken does)."""
        query = str(request.get("query", ""))
        variables = request.get("variables") or {}

        def error(code: str, message: str) -> dict[str, Any]:
            return {"errors": [{"message": message, "extensions": {"errorCode": code}}]}

        if "obtainKrakenToken" in query:
            given = variables.get("input") or {}
            keys = {a["key"] for a in self.accounts.values()}
            if given.get("APIKey") in keys:
                how = "APIKey"
            elif given.get("refreshToken") in self.refresh_tokens:
                how = "refreshToken"
            else:
                self.graphql_inputs.append(("obtainKrakenToken", "refused"))
                return error("KT-CT-1139", "Authentication failed.")
            n = next(self._serial)
            token, refresh = f"jwt-{n}", f"refresh-{n}"
            self.issued.add(token)
            self.refresh_tokens.add(refresh)
            self.graphql_inputs.append(("obtainKrakenToken", how))
            answer = recorded("obtain_token")
            body = answer["data"]["obtainKrakenToken"]
            exp = int(self.token_expires_at.timestamp())
            body.update(token=token, refreshToken=refresh, refreshExpiresIn=exp + 7 * 86400)
            body["payload"]["exp"] = exp
            return answer
        operation = next(
            (
                name
                for name in ("joinSavingSessionsEvent", "savingSessions", "plannedDispatches")
                if name in query
            ),
            "unknown",
        )
        self.graphql_inputs.append((operation, "token"))
        if authorization not in self.issued:
            return error("KT-CT-1111", "Unauthorized.")
        if authorization in self.expired_tokens or self.expire_every_token:
            return recorded("expired_token")
        if operation == "savingSessions":
            return self.graphql["savingSessions"]
        if operation == "plannedDispatches":
            return self.graphql["dispatches"]
        if operation == "joinSavingSessionsEvent":
            code = variables["input"]["eventCode"]
            sessions = self.graphql["savingSessions"]["data"]["savingSessions"]
            event = next(e for e in sessions["events"] if e["code"] == code)
            sessions["account"]["joinedEvents"].append({"eventId": event["id"]})
            return recorded("join_saving_session")
        return error("KT-CT-0000", f"unknown operation in {query[:40]!r}")

    def route(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if parts[:3] == ["v1", "industry", "grid-supply-points"]:
            group = self.data["postcodes"].get(query.get("postcode", "").upper())
            results = [{"group_id": group}] if group else []
            return 200, {"count": len(results), "next": None, "previous": None, "results": results}
        if parts == ["v1", "products"]:
            rows = [
                {
                    "code": c,
                    "display_name": p["display_name"],
                    "direction": "IMPORT",
                    "is_variable": True,
                    "brand": "OCTOPUS_ENERGY",
                }
                for c, p in self.data["products"].items()
            ]
            return 200, self._paginate(path, query, rows)
        if len(parts) == 3 and parts[:2] == ["v1", "products"]:
            found = self.data["products"].get(parts[2])
            if found is None:
                return 404, {"detail": "No EnergyProduct matches the given query."}
            return 200, found
        if len(parts) == 6 and parts[3] == "electricity-tariffs":
            code, tariff, kind = parts[2], parts[4], parts[5]
            series = self.data["rates"].get(tariff)
            if code not in self.data["products"] or series is None or kind not in series:
                return 404, {"detail": "Not found."}
            rows = self._window(series[kind], query)
            cutoff = self.published_until.get(tariff)
            if cutoff is not None:
                rows = [r for r in rows if r["valid_from"] < cutoff]
            return 200, self._paginate(path, query, rows)
        return 404, {"detail": "Not found."}

    @staticmethod
    def _window(rows: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
        start, end = query.get("period_from"), query.get("period_to")
        if end and not start:
            return []  # period_to needs period_from
        out = [
            r
            for r in rows
            if (end is None or r["valid_from"] < end)
            and (start is None or r["valid_to"] is None or r["valid_to"] > start)
        ]
        return sorted(out, key=lambda r: r["valid_from"], reverse=True)  # newest first

    def _paginate(self, path: str, query: dict[str, str], rows: list[Any]) -> dict[str, Any]:
        size = min(int(query.get("page_size", 100)), 1500, self.page_cap)
        page = int(query.get("page", 1))
        chunk = rows[(page - 1) * size : page * size]

        def link(n: int) -> str:
            return f"{self.url}{path}?{urlencode({**query, 'page': n})}"

        return {
            "count": len(rows),
            "next": link(page + 1) if page * size < len(rows) else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": chunk,
        }
