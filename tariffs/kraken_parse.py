"""Parse Octopus's Kraken GraphQL answers into typed values (pure).

The shapes read (fields not listed are ignored)::

    obtainKrakenToken { token payload { exp } refreshToken refreshExpiresIn }
    savingSessions {
      events { id code rewardPerKwhInOctoPoints startAt endAt }
      account(accountNumber) { hasJoinedCampaign joinedEvents { eventId } }
    }
    plannedDispatches(accountNumber) { start end delta }     # older: startDt endDt
    completedDispatches(accountNumber) { start end delta }

Anything else raises :class:`~tariffs.errors.OctopusProtocolError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from optimiser.domain.errors import ErrorKind, NextStep
from tariffs.errors import OctopusAuthError, OctopusProtocolError
from tariffs.events import (
    OCTOPOINTS_PER_PENNY,
    Dispatch,
    DispatchStatus,
    EventKind,
    PriceEvent,
)

TOKEN_LIFETIME = timedelta(minutes=60)  # when the answer gives no expiry
EXPIRED_TOKEN_CODES = frozenset({"KT-CT-1124"})  # "Signature of the JWT has expired"
AUTH_ERROR_CODES = frozenset({"KT-CT-1111", "KT-CT-1112", "KT-CT-1139", "KT-CT-1143"})


@dataclass(frozen=True, slots=True)
class KrakenToken:
    """A Kraken JWT and when it expires (UTC). Kept in memory only: never saved or printed."""

    token: str
    expires_at: datetime
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None

    def fresh(self, now: datetime, margin: timedelta = timedelta(seconds=60)) -> bool:
        """True while it has more than ``margin`` left."""
        return now + margin < self.expires_at

    def refreshable(self, now: datetime) -> bool:
        """True while its refresh token can obtain a new one."""
        return (
            self.refresh_token is not None
            and self.refresh_expires_at is not None
            and now < self.refresh_expires_at
        )

    def __repr__(self) -> str:
        return f"KrakenToken(expires_at={self.expires_at.isoformat()})"


class GraphqlErrors(OctopusProtocolError):
    """A GraphQL answer with ``errors``: their codes and messages (the client turns an expired
    token into a renewal and a refusal into :class:`OctopusAuthError`)."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.PROTOCOL

    def __init__(self, codes: tuple[str, ...], messages: tuple[str, ...]):
        super().__init__("GraphQL errors: " + "; ".join(messages))
        self.codes = codes
        self.messages = messages

    @property
    def expired_token(self) -> bool:
        return bool(EXPIRED_TOKEN_CODES & set(self.codes))

    @property
    def unauthorised(self) -> bool:
        return bool(AUTH_ERROR_CODES & set(self.codes))


def graphql_data(answer: Any, where: str) -> dict[str, Any]:
    """The ``data`` of a GraphQL answer; raises :class:`GraphqlErrors` when it has ``errors``."""
    if not isinstance(answer, dict):
        raise OctopusProtocolError(f"{where}: expected a JSON object, got {type(answer).__name__}")
    errors = answer.get("errors")
    if errors:
        if not isinstance(errors, list):
            raise OctopusProtocolError(f"{where}: 'errors' should be a list")
        codes, messages = [], []
        for error in errors:
            if not isinstance(error, dict):
                continue
            extensions = error.get("extensions")
            code = extensions.get("errorCode") if isinstance(extensions, dict) else None
            codes.append(str(code) if code else "")
            messages.append(f"{code or 'error'}: {str(error.get('message', ''))[:160]}")
        raise GraphqlErrors(tuple(codes), tuple(messages))
    data = answer.get("data")
    if not isinstance(data, dict):
        raise OctopusProtocolError(f"{where}: expected 'data' to be an object, got {data!r:.60}")
    return data


def _time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise OctopusProtocolError(f"{where}: expected an ISO time, got {value!r:.60}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise OctopusProtocolError(f"{where}: expected an ISO time, got {value!r:.60}") from None
    if parsed.tzinfo is None:
        raise OctopusProtocolError(f"{where}: expected a time with a zone, got {value!r:.60}")
    return parsed.astimezone(UTC)


def parse_token(data: dict[str, Any], now: datetime) -> KrakenToken:
    """``obtainKrakenToken``'s answer."""
    body = data.get("obtainKrakenToken")
    if not isinstance(body, dict) or not isinstance(body.get("token"), str) or not body["token"]:
        raise OctopusAuthError(
            "Octopus gave no Kraken token for the API key",
            hint="check the key and run `wattplan octopus login` again",
        )
    payload = body.get("payload")
    exp = payload.get("exp") if isinstance(payload, dict) else None
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        expires = datetime.fromtimestamp(float(exp), UTC)
    else:
        expires = now + TOKEN_LIFETIME
    refresh = body.get("refreshToken")
    refresh_in = body.get("refreshExpiresIn")
    refresh_at = None
    if isinstance(refresh_in, int | float) and not isinstance(refresh_in, bool):
        # Kraken gives an epoch time here (large) or, in some versions, seconds from now.
        refresh_at = (
            datetime.fromtimestamp(float(refresh_in), UTC)
            if refresh_in > 10**9
            else now + timedelta(seconds=float(refresh_in))
        )
    return KrakenToken(
        body["token"], expires, refresh if isinstance(refresh, str) else None, refresh_at
    )


def parse_saving_sessions(
    data: dict[str, Any], where: str = "savingSessions"
) -> tuple[PriceEvent, ...]:
    """Saving sessions with the reward in p/kWh and whether the account joined each."""
    body = data.get("savingSessions")
    if not isinstance(body, dict):
        raise OctopusProtocolError(f"{where}: expected an object, got {body!r:.60}")
    events = body.get("events") or []
    account = body.get("account") or {}
    if not isinstance(events, list) or not isinstance(account, dict):
        raise OctopusProtocolError(f"{where}: expected 'events' (a list) and 'account'")
    joined_rows = account.get("joinedEvents") or []
    joined = {str(j.get("eventId")) for j in joined_rows if isinstance(j, dict)}
    out = []
    for i, event in enumerate(events):
        here = f"{where}.events[{i}]"
        if not isinstance(event, dict):
            raise OctopusProtocolError(f"{here}: expected an object")
        points = event.get("rewardPerKwhInOctoPoints")
        if not isinstance(points, int | float) or isinstance(points, bool) or points < 0:
            raise OctopusProtocolError(
                f"{here}.rewardPerKwhInOctoPoints: expected a number >= 0, got {points!r:.40}"
            )
        out.append(
            PriceEvent(
                EventKind.SAVING_SESSION,
                _time(event.get("startAt"), f"{here}.startAt"),
                _time(event.get("endAt"), f"{here}.endAt"),
                round(float(points) / OCTOPOINTS_PER_PENNY, 4),
                str(event.get("code") or ""),
                "octopus",
                str(event.get("id")) in joined,
            )
        )
    return tuple(sorted(out, key=lambda e: e.start))


def event_id_of(data: dict[str, Any], code: str) -> str | None:
    """The id of the saving session ``code`` in a ``savingSessions`` answer."""
    body = data.get("savingSessions")
    events = body.get("events") if isinstance(body, dict) else None
    for event in events or []:
        if isinstance(event, dict) and event.get("code") == code:
            return str(event.get("id"))
    return None


def parse_dispatches(data: dict[str, Any]) -> tuple[Dispatch, ...]:
    """Planned and completed dispatches, oldest first."""
    out = []
    for field, status in (
        ("plannedDispatches", DispatchStatus.PLANNED),
        ("completedDispatches", DispatchStatus.COMPLETED),
    ):
        rows = data.get(field)
        if rows is None:
            continue
        if not isinstance(rows, list):
            raise OctopusProtocolError(f"{field}: expected a list, got {rows!r:.60}")
        for i, row in enumerate(rows):
            here = f"{field}[{i}]"
            if not isinstance(row, dict):
                raise OctopusProtocolError(f"{here}: expected an object")
            start = row.get("start", row.get("startDt"))
            end = row.get("end", row.get("endDt"))
            out.append(Dispatch(_time(start, f"{here}.start"), _time(end, f"{here}.end"), status))
    return tuple(sorted(out, key=lambda d: (d.start, d.status.value)))
