"""Octopus's Kraken GraphQL API (the I/O edge): saving sessions, dispatches, joining a session.

A token is obtained from the API key (``obtainKrakenToken``), kept in memory only, renewed
(with its refresh token while that lasts, else the key) a minute before it expires, and once
more when the API says it expired anyway. Calls go through
:meth:`~tariffs.octopus.OctopusClient.post_json`: the same retries, 429 holds and call journal
as the REST client, and the same errors (:class:`~tariffs.errors.OctopusUnavailable`,
:class:`~tariffs.errors.OctopusRateLimited`, :class:`~tariffs.errors.OctopusAuthError`,
:class:`~tariffs.errors.OctopusProtocolError`). No message holds the key or the token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tariffs.credentials import ApiKey
from tariffs.errors import OctopusAuthError, OctopusProtocolError
from tariffs.events import Dispatch, PriceEvent
from tariffs.kraken_parse import (
    GraphqlErrors,
    KrakenToken,
    graphql_data,
    parse_dispatches,
    parse_saving_sessions,
    parse_token,
)
from tariffs.octopus import OctopusClient

GRAPHQL_PATH = "/v1/graphql/"

OBTAIN_JWT_MUTATION = """mutation ObtainKrakenToken($input: ObtainJSONWebTokenInput!) {
  obtainKrakenToken(input: $input) { token payload refreshToken refreshExpiresIn }
}"""

SAVING_SESSIONS = """query SavingSessions($accountNumber: String!) {
  savingSessions {
    events { id code rewardPerKwhInOctoPoints startAt endAt }
    account(accountNumber: $accountNumber) { hasJoinedCampaign joinedEvents { eventId } }
  }
}"""

DISPATCHES = """query Dispatches($accountNumber: String!) {
  plannedDispatches(accountNumber: $accountNumber) { start end delta }
  completedDispatches(accountNumber: $accountNumber) { start end delta }
}"""

JOIN_SAVING_SESSION = """mutation JoinSavingSession($input: JoinSavingSessionsEventInput!) {
  joinSavingSessionsEvent(input: $input) { joinedEventCodes }
}"""


@dataclass
class KrakenClient:
    """GraphQL calls for one account, over ``transport``'s politeness.

    Parameters
    ----------
    transport : OctopusClient
        Retries, holds, journal; its ``api_key`` is scrubbed from any message.
    api_key : ApiKey
        Exchanged for a token.
    """

    transport: OctopusClient
    api_key: ApiKey
    tokens_obtained: int = field(default=0, init=False)
    _token: KrakenToken | None = field(default=None, init=False, repr=False)

    def saving_sessions(self, account: str) -> tuple[PriceEvent, ...]:
        """Every saving session listed, with the reward [p/kWh] and whether ``account`` joined."""
        return parse_saving_sessions(self.query(SAVING_SESSIONS, {"accountNumber": account}))

    def dispatches(self, account: str) -> tuple[Dispatch, ...]:
        """Intelligent Octopus planned and completed dispatches of ``account``."""
        return parse_dispatches(self.query(DISPATCHES, {"accountNumber": account}))

    def join_saving_session(self, account: str, code: str) -> None:
        """Join the saving session ``code``; raises when Octopus refuses."""
        data = self.query(
            JOIN_SAVING_SESSION, {"input": {"accountNumber": account, "eventCode": code}}
        )
        body = data.get("joinSavingSessionsEvent")
        if not isinstance(body, dict):
            raise OctopusProtocolError(f"joinSavingSessionsEvent: expected an object for {code}")

    def query(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        """``data`` of a query or mutation made with a valid token (renewed once if the API
        says it expired)."""
        for attempt in (0, 1):
            token = self._valid_token()
            answer = self.transport.post_json(
                GRAPHQL_PATH,
                {"query": document, "variables": variables},
                {"Authorization": token.token},
            )
            try:
                return graphql_data(answer, "GraphQL")
            except GraphqlErrors as exc:
                if exc.expired_token and attempt == 0:
                    self._token = None
                    continue
                raise self._error(exc) from None
        raise AssertionError("unreachable")  # the loop returns or raises

    def _valid_token(self) -> KrakenToken:
        now = self.transport.now()
        if self._token is not None and self._token.fresh(now):
            return self._token
        refreshable = self._token is not None and self._token.refreshable(now)
        if refreshable and self._token is not None and self._token.refresh_token is not None:
            how = {"refreshToken": self._token.refresh_token}
        else:
            how = {"APIKey": self.api_key.reveal()}
        answer = self.transport.post_json(
            GRAPHQL_PATH, {"query": OBTAIN_JWT_MUTATION, "variables": {"input": how}}, {}
        )
        try:
            data = graphql_data(answer, "obtainKrakenToken")
        except GraphqlErrors as exc:
            raise OctopusAuthError(
                f"Octopus refused the API key for a Kraken token ({', '.join(exc.codes)})",
                hint="check the key and run `wattplan octopus login` again",
            ) from None
        self._token = parse_token(data, now)
        self.tokens_obtained += 1
        return self._token

    def _error(self, exc: GraphqlErrors) -> Exception:
        text = self.transport.scrub("; ".join(exc.messages))
        if exc.unauthorised or exc.expired_token:
            return OctopusAuthError(
                f"Octopus GraphQL refused the call: {text}",
                hint="check the account number and key; `wattplan octopus login` again",
            )
        return OctopusProtocolError(f"Octopus GraphQL answered errors: {text}")
