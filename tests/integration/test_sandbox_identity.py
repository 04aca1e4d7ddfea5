"""The sandbox's OAuth2, as Xero's and Actionstep's identity services behave, over loopback."""

from __future__ import annotations

from datetime import timedelta

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from support.oauth_helpers import (
    REDIRECT,
    SCOPES,
    bearer,
    code_from,
    xero_pkce_tokens,
    xero_refresh,
)

from tui.sandbox.server import SandboxServer


def organisation(sandbox: SandboxServer, token: str) -> httpx.Response:
    return httpx.get(
        f"{sandbox.xero_api_url}/Organisation", headers=bearer(token, sandbox.state.xero.tenant_id)
    )


def test_pkce_login_reaches_the_demo_organisation(sandbox: SandboxServer) -> None:
    tokens = xero_pkce_tokens(sandbox.base_url)
    assert tokens["expires_in"] == 1800 and tokens["token_type"] == "Bearer"
    assert "refresh_token" in tokens and tokens["scope"] == SCOPES
    connections = httpx.get(
        f"{sandbox.base_url}/xero/connections", headers=bearer(tokens["access_token"])
    )
    [connection] = connections.json()
    assert connection["tenantId"] == sandbox.state.xero.tenant_id
    assert connection["tenantName"] == "Harbour & Finch Lawyers"
    assert "X-AppMinLimit-Remaining" in connections.headers
    assert "X-MinLimit-Remaining" not in connections.headers, "/connections is tenant-less"
    assert organisation(sandbox, tokens["access_token"]).status_code == 200


def test_a_wrong_verifier_or_a_reused_code_is_invalid_grant(sandbox: SandboxServer) -> None:
    verifier = generate_token(48)
    params = {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    code = code_from(
        httpx.get(f"{sandbox.base_url}/xero/login/identity/connect/authorize", params=params)
    )
    token_url = f"{sandbox.base_url}/xero/identity/connect/token"
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "app",
        "code_verifier": generate_token(48),
    }
    wrong = httpx.post(token_url, data=form)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    reused = httpx.post(token_url, data={**form, "code_verifier": verifier})
    assert reused.json()["error"] == "invalid_grant", "a code is good for one attempt only"


def test_a_public_client_must_use_pkce(sandbox: SandboxServer) -> None:
    response = httpx.get(
        f"{sandbox.base_url}/xero/login/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": "app",
            "redirect_uri": REDIRECT,
            "scope": SCOPES,
            "state": "s1",
        },
    )
    assert "error=invalid_request" in response.headers["location"]
    assert "state=s1" in response.headers["location"]


def test_the_web_flow_authenticates_with_the_client_secret(sandbox: SandboxServer) -> None:
    code = code_from(
        httpx.get(
            f"{sandbox.base_url}/xero/login/identity/connect/authorize",
            params={
                "response_type": "code",
                "client_id": "sandbox-web",
                "redirect_uri": REDIRECT,
                "scope": SCOPES,
            },
        )
    )
    url = f"{sandbox.base_url}/xero/identity/connect/token"
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    bad = httpx.post(url, data=form, auth=("sandbox-web", "wrong"))
    assert (bad.status_code, bad.json()["error"]) == (401, "invalid_client")
    code = code_from(
        httpx.get(
            f"{sandbox.base_url}/xero/login/identity/connect/authorize",
            params={
                "response_type": "code",
                "client_id": "sandbox-web",
                "redirect_uri": REDIRECT,
                "scope": SCOPES,
            },
        )
    )
    good = httpx.post(url, data={**form, "code": code}, auth=("sandbox-web", "sandbox-web-secret"))
    assert good.status_code == 200 and good.json()["refresh_token"]


def test_refresh_tokens_rotate_with_a_30_minute_grace(sandbox: SandboxServer) -> None:
    first = xero_pkce_tokens(sandbox.base_url)
    second = xero_refresh(sandbox.base_url, first["refresh_token"])
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    sandbox.state.clock.advance(timedelta(minutes=29))
    retry = xero_refresh(sandbox.base_url, first["refresh_token"])
    assert retry.status_code == 200, "the old token still works within the grace period"
    sandbox.state.clock.advance(timedelta(minutes=2))
    late = xero_refresh(sandbox.base_url, first["refresh_token"])
    assert (late.status_code, late.json()) == (400, {"error": "invalid_grant"})
    latest = retry.json()["refresh_token"]
    assert xero_refresh(sandbox.base_url, latest).status_code == 200


def test_access_tokens_expire_after_30_minutes_with_xeros_message(sandbox: SandboxServer) -> None:
    tokens = xero_pkce_tokens(sandbox.base_url)
    sandbox.state.clock.advance(timedelta(minutes=31))
    expired = organisation(sandbox, tokens["access_token"])
    assert expired.status_code == 401
    assert expired.json()["Detail"].startswith("TokenExpired: token expired at ")


def test_a_tenant_not_connected_is_forbidden(sandbox: SandboxServer) -> None:
    tokens = xero_pkce_tokens(sandbox.base_url)
    response = httpx.get(
        f"{sandbox.xero_api_url}/Organisation",
        headers=bearer(tokens["access_token"], "not-a-tenant"),
    )
    assert response.status_code == 403
    assert response.json()["Detail"] == "AuthenticationUnsuccessful"


def test_disconnecting_and_revoking_end_access(sandbox: SandboxServer) -> None:
    tokens = xero_pkce_tokens(sandbox.base_url)
    access = tokens["access_token"]
    [connection] = httpx.get(f"{sandbox.base_url}/xero/connections", headers=bearer(access)).json()
    deleted = httpx.delete(
        f"{sandbox.base_url}/xero/connections/{connection['id']}", headers=bearer(access)
    )
    assert deleted.status_code == 204
    assert organisation(sandbox, access).status_code == 403
    again = xero_pkce_tokens(sandbox.base_url)
    revoked = httpx.post(
        f"{sandbox.base_url}/xero/identity/connect/revocation",
        data={"token": again["refresh_token"], "client_id": "my-pkce-app"},
    )
    assert revoked.status_code == 200
    assert organisation(sandbox, again["access_token"]).status_code == 401
    assert xero_refresh(sandbox.base_url, again["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_custom_connection_gets_a_token_for_the_demo_organisation(sandbox: SandboxServer) -> None:
    token_url = f"{sandbox.base_url}/xero/identity/connect/token"
    refused = httpx.post(
        token_url, data={"grant_type": "client_credentials"}, auth=("sandbox-client", "nope")
    )
    assert refused.status_code == 401
    response = httpx.post(
        token_url,
        data={"grant_type": "client_credentials", "scope": "accounting.invoices"},
        auth=("sandbox-client", "sandbox-secret"),
    )
    body = response.json()
    assert response.status_code == 200 and "refresh_token" not in body
    no_header = httpx.get(
        f"{sandbox.xero_api_url}/Organisation", headers=bearer(body["access_token"])
    )
    assert no_header.json()["Organisations"][0]["Name"] == "Harbour & Finch Lawyers"


def test_actionstep_login_names_the_api_endpoint_and_orgkey(sandbox: SandboxServer) -> None:
    authorize = httpx.get(
        f"{sandbox.base_url}/actionstep/api/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": "sandbox-actionstep",
            "redirect_uri": REDIRECT,
            "scope": "all",
        },
    )
    token_url = f"{sandbox.base_url}/actionstep/api/oauth/token"
    response = httpx.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": code_from(authorize),
            "redirect_uri": REDIRECT,
            "client_id": "sandbox-actionstep",
            "client_secret": "sandbox-actionstep-secret",
        },
    )
    tokens = response.json()
    assert tokens["expires_in"] == 3600 and tokens["orgkey"] == "harbourfinch"
    assert tokens["api_endpoint"] == f"{sandbox.base_url}/actionstep/api/"
    bills = httpx.get(
        f"{tokens['api_endpoint']}rest/bills",
        params={"pageSize": 1},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert bills.status_code == 200 and bills.json()["bills"]["id"] == 801
    refreshed = httpx.post(
        token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "sandbox-actionstep",
            "client_secret": "sandbox-actionstep-secret",
        },
    )
    assert refreshed.status_code == 200
    reused = httpx.post(
        token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "sandbox-actionstep",
            "client_secret": "sandbox-actionstep-secret",
        },
    )
    assert reused.json()["error"] == "invalid_grant", "Actionstep tokens rotate strictly here"
    sandbox.state.clock.advance(timedelta(minutes=61))
    expired = httpx.get(
        f"{tokens['api_endpoint']}rest/bills",
        headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"},
    )
    assert expired.status_code == 401
