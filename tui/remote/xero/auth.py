"""Signing in to Xero and keeping the sign-in: the three kinds of app Xero offers.

- PKCE (a desktop app, no secret): `client_id` and `code_verifier` in the body.
- A web app with a client secret: HTTP Basic on the token endpoint (authlib's default).
- A Custom Connection: `client_credentials`, no refresh token; a new token is simply asked for.

Plus the tenant side: GET /connections to pick the organisation, DELETE to disconnect it, and
revocation, which ends the whole grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tui.core.errors import RemoteRejected, RemoteUnauthorised
from tui.core.jsonio import loads
from tui.core.settings import XeroSettings
from tui.remote.oauth import AuthorizationRequest, TokenRecord, token_request
from tui.remote.transport import plain_excerpt, transport_failure

SERVICE = "Xero"


@dataclass(frozen=True, slots=True)
class Tenant:
    connection_id: str
    tenant_id: str
    name: str
    tenant_type: str
    auth_event_id: str


class XeroAuth:
    def __init__(self, settings: XeroSettings, client_secret: str, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self._secret = client_secret
        self._http = http

    def _client_auth(self, form: dict[str, str]) -> tuple[str, str] | None:
        """HTTP Basic with a secret; a PKCE app names itself in the form instead."""
        if self.settings.mode in ("secret", "client_credentials"):
            return self.settings.client_id, self._secret
        form["client_id"] = self.settings.client_id
        return None

    async def exchange_code(self, request: AuthorizationRequest, code: str) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.redirect_uri,
        }
        if request.code_verifier:
            form["code_verifier"] = request.code_verifier
        basic = self._client_auth(form)
        return await token_request(self._http, SERVICE, self.settings.token_url, form, basic)

    async def client_credentials(self) -> dict[str, Any]:
        form = {"grant_type": "client_credentials", "scope": self.settings.scopes}
        return await token_request(
            self._http,
            SERVICE,
            self.settings.token_url,
            form,
            (self.settings.client_id, self._secret),
        )

    async def refresh(self, current: TokenRecord) -> dict[str, Any]:
        """The TokenKeeper's refresher."""
        if self.settings.mode == "client_credentials":
            return await self.client_credentials()
        form = {"grant_type": "refresh_token", "refresh_token": current.refresh_token}
        basic = self._client_auth(form)
        return await token_request(self._http, SERVICE, self.settings.token_url, form, basic)

    async def revoke(self, refresh_token: str) -> None:
        form = {"token": refresh_token}
        basic = self._client_auth(form)
        try:
            response = await self._http.post(
                self.settings.revocation_url, data=form, auth=basic or httpx.USE_CLIENT_DEFAULT
            )
        except httpx.TransportError as error:
            raise transport_failure(SERVICE, "POST", error) from None
        if response.status_code != 200:
            raise RemoteRejected(
                f"Xero did not revoke the sign-in ({response.status_code}): "
                f"{plain_excerpt(response)}",
                status=response.status_code,
            )

    async def connections(self, access_token: str) -> list[Tenant]:
        response = await self._identity("GET", self.settings.connections_url, access_token)
        body = loads(response.content)
        if not isinstance(body, list):
            raise RemoteRejected("Xero's /connections answer is not a list")
        return [
            Tenant(
                str(c.get("id", "")),
                str(c.get("tenantId", "")),
                str(c.get("tenantName", "")),
                str(c.get("tenantType", "")),
                str(c.get("authEventId", "")),
            )
            for c in body
            if isinstance(c, dict) and c.get("tenantId")
        ]

    async def disconnect(self, access_token: str, connection_id: str) -> bool:
        """Delete one connection; False when Xero no longer had it."""
        url = f"{self.settings.connections_url.rstrip('/')}/{connection_id}"
        response = await self._identity("DELETE", url, access_token, allow=(404,))
        return response.status_code == 204

    async def _identity(
        self, method: str, url: str, access_token: str, allow: tuple[int, ...] = ()
    ) -> httpx.Response:
        try:
            response = await self._http.request(
                method,
                url,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            )
        except httpx.TransportError as error:
            raise transport_failure(SERVICE, method, error) from None
        if response.status_code in (401, 403):
            raise RemoteUnauthorised(
                f"Xero refused {method} /connections ({response.status_code}): reconnect",
                status=response.status_code,
            )
        if response.status_code >= 400 and response.status_code not in allow:
            raise RemoteRejected(
                f"Xero refused {method} /connections "
                f"({response.status_code}): {plain_excerpt(response)}",
                status=response.status_code,
            )
        return response
