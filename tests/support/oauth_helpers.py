"""Scripted OAuth2 clients for the sandbox tests: what a real app does, step by step, with
authlib's protocol helpers (PKCE) over plain httpx."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

REDIRECT = "http://localhost:8765/callback"
SCOPES = (
    "offline_access accounting.invoices accounting.payments accounting.contacts "
    "accounting.settings.read"
)


def code_from(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert "code" in query, query
    return query["code"][0]


def xero_pkce_tokens(
    base: str, client_id: str = "my-pkce-app", scope: str = SCOPES
) -> dict[str, Any]:
    verifier = generate_token(48)
    authorize = httpx.get(
        f"{base}/xero/login/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": scope,
            "state": "xyz",
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        },
    )
    token = httpx.post(
        f"{base}/xero/identity/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code_from(authorize),
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.text
    body: dict[str, Any] = token.json()
    return body


def xero_refresh(base: str, refresh_token: str, client_id: str = "my-pkce-app") -> httpx.Response:
    return httpx.post(
        f"{base}/xero/identity/connect/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
        },
    )


def bearer(token: str, tenant: str | None = None, **extra: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **extra}
    if tenant:
        headers["xero-tenant-id"] = tenant
    return headers
