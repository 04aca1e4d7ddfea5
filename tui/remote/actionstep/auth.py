"""Signing in to Actionstep: authorization code with the client secret in the body (as
Actionstep's own sample does), and a token answer that names the REST endpoint (`api_endpoint`)
and the organisation (`orgkey`)."""

from __future__ import annotations

from typing import Any

import httpx

from tui.core.settings import ActionstepSettings
from tui.remote.oauth import AuthorizationRequest, TokenRecord, token_request

SERVICE = "Actionstep"


class ActionstepAuth:
    def __init__(
        self, settings: ActionstepSettings, client_secret: str, http: httpx.AsyncClient
    ) -> None:
        self.settings = settings
        self._secret = client_secret
        self._http = http

    def _form(self, **fields: str) -> dict[str, str]:
        return {
            **fields,
            "client_id": self.settings.client_id,
            "client_secret": self._secret,
            "redirect_uri": self.settings.redirect_uri,
        }

    async def exchange_code(self, request: AuthorizationRequest, code: str) -> dict[str, Any]:
        form = self._form(grant_type="authorization_code", code=code)
        form["redirect_uri"] = request.redirect_uri
        return await token_request(self._http, SERVICE, self.settings.token_url, form)

    async def refresh(self, current: TokenRecord) -> dict[str, Any]:
        form = self._form(grant_type="refresh_token", refresh_token=current.refresh_token)
        return await token_request(self._http, SERVICE, self.settings.token_url, form)
